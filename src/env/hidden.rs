//! The values no message may show, shared by the launcher's messages and the resolution that
//! learns them: `hide` registers a value (a token, secret id, JWT, resolved or secret value),
//! `redact` replaces each registered value and the userinfo of any URL
//! (`http://admin:pw@host` → `http://****@host`) with `****`. It never prints.

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
}
