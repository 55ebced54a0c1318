//! The launcher's own messages on stderr: warnings, refusals and errors. Callers pass names,
//! paths and references, never values; still, messages quote foreign text (Vault's error
//! texts, `VAULT_ADDR`), so every message goes through `redact` on its way out: each value
//! registered with `hide` (tokens, secret ids, JWTs, resolved and secret values) becomes `****`,
//! and so does the userinfo of any URL (`http://admin:pw@host` → `http://****@host`). Control
//! characters are escaped so a crafted file or variable name cannot drive the terminal.
//! Nothing else in `launch` writes to stderr.

use std::io::Write;

pub use crate::env::hidden::{hide, redact};

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
    fn escapes_control_characters() {
        assert_eq!(super::escape("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
        assert_eq!(super::escape("plain/path é"), "plain/path é");
    }
}
