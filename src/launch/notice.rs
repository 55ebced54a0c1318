//! The launcher's own messages on stderr: warnings, refusals and errors. Callers pass names,
//! paths and references, never values; still, messages quote foreign text (Vault's error
//! texts, `VAULT_ADDR`), so every message goes through `redact` on its way out: each value
//! registered with `hide` (tokens, secret ids, JWTs, resolved and secret values) becomes `****`,
//! and so does the userinfo of any URL (`http://admin:pw@host` → `http://****@host`). Control
//! characters are escaped so a crafted file or variable name cannot drive the terminal.
//! Nothing else in `launch` writes to stderr.

use std::io::Write;
use std::sync::Mutex;

/// Values no message may show; `sorted` says whether they are already longest first and
/// without duplicates (a `--vault-path` secret may register 100 000 fields).
struct Hidden {
    values: Vec<String>,
    sorted: bool,
}

static HIDDEN: Mutex<Hidden> = Mutex::new(Hidden {
    values: Vec::new(),
    sorted: true,
});

/// The shortest value `hide` keeps (Vault's dev-mode token `root` is four characters): replacing
/// every `abc` in a message would garble it and hide nothing worth hiding.
const MIN_HIDDEN: usize = 4;

/// Registers a value that no later message may show.
pub fn hide(value: &str) {
    if value.len() < MIN_HIDDEN {
        return;
    }
    let mut hidden = HIDDEN.lock().unwrap_or_else(|poison| poison.into_inner());
    hidden.values.push(value.to_string());
    hidden.sorted = false;
}

/// The message with every hidden value and every URL's userinfo replaced by `****`.
pub fn redact(message: &str) -> String {
    let mut text = message.to_string();
    {
        let mut hidden = HIDDEN.lock().unwrap_or_else(|poison| poison.into_inner());
        if !hidden.sorted {
            let values = &mut hidden.values;
            values.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            values.dedup();
            hidden.sorted = true;
        }
        for value in &hidden.values {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), "****");
            }
            // A multi-line value (a PEM key) may be quoted line by line.
            for line in value.lines().filter(|line| line.trim().len() >= 16) {
                if text.contains(line) {
                    text = text.replace(line, "****");
                }
            }
        }
    }
    redact_userinfo(&text)
}

/// `scheme://user:password@host` and `user:password@host` lose the part before `@`.
fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let before = &rest[..at];
        let start = before
            .rfind(|c: char| c.is_whitespace() || "()<>=\"',;[]".contains(c))
            .map_or(0, |i| {
                i + before[i..].chars().next().map_or(1, char::len_utf8)
            });
        let (start, after_scheme) = match before[start..].rfind("://") {
            Some(i) => (start + i + 3, true),
            None => (start, false),
        };
        let userinfo = &before[start..];
        let is_userinfo = !userinfo.is_empty()
            && !userinfo.contains('/')
            && (after_scheme || userinfo.contains(':'));
        out.push_str(&before[..start]);
        out.push_str(if is_userinfo { "****" } else { userinfo });
        out.push('@');
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out
}

pub fn warn(message: &str) {
    say("warning", message);
}

pub fn refuse(message: &str) {
    say("refused", message);
}

pub fn error(message: &str) {
    say("error", message);
}

fn say(level: &str, message: &str) {
    // A closed stderr leaves the launcher nothing better to do than carry on.
    let _ = writeln!(
        std::io::stderr().lock(),
        "keyward-run: {level}: {}",
        escape(&redact(message))
    );
}

/// Control characters become `\n`, `\u{1b}` and the like; everything else is kept.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn userinfo_is_redacted() {
        let redact = super::redact_userinfo;
        assert_eq!(
            redact("cannot connect to Vault at http://admin:P@host:8200 (x)"),
            "cannot connect to Vault at http://****@host:8200 (x)"
        );
        assert_eq!(
            redact("VAULT_ADDR=admin:pw@v is not"),
            "VAULT_ADDR=****@v is not"
        );
        assert_eq!(redact("https://tok@git/x"), "https://****@git/x");
        assert_eq!(
            redact("mail a@b.c; https://e.com/a@b:c"),
            "mail a@b.c; https://e.com/a@b:c"
        );
    }

    #[test]
    fn hidden_values_are_redacted_longest_first() {
        super::hide("s.abcdef-token");
        super::hide("s.abcdef");
        super::hide("abc");
        assert_eq!(
            super::redact("denied s.abcdef-token and s.abcdef, abc"),
            "denied **** and ****, abc"
        );
    }

    #[test]
    fn escapes_control_characters() {
        assert_eq!(super::escape("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
        assert_eq!(super::escape("plain/path é"), "plain/path é");
    }
}
