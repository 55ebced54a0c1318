//! The `Secret` type: secret bytes that never print themselves. Its `Debug` and `Display`
//! redact; the only way to the raw value is `expose()`, used by reports under
//! `--show-secrets` and by fingerprinting. A `known-secret` finding holds no value at all,
//! only the name of the variable whose value was found (`Secret::withheld`).

use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Secret {
    Value(Box<[u8]>),
    /// A value the user gave keyward (`--known-secrets`): reports name it by this label, even
    /// under `--show-secrets`, and the value itself is never kept.
    Withheld(Box<str>),
}

impl Secret {
    pub fn new(bytes: &[u8]) -> Self {
        Secret::Value(bytes.into())
    }

    pub fn withheld(label: &str) -> Self {
        Secret::Withheld(label.into())
    }

    /// The raw value (a withheld secret's label). Callers must not print it unless the user
    /// asked for secrets.
    pub fn expose(&self) -> &[u8] {
        match self {
            Secret::Value(bytes) => bytes,
            Secret::Withheld(label) => label.as_bytes(),
        }
    }

    pub fn len(&self) -> usize {
        self.expose().len()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// A short prefix and the length: `ghp_…(40)`. Short values show less (or nothing), so
    /// the redacted form never gives away a meaningful part of a password. A withheld secret
    /// shows its label.
    pub fn redacted(&self) -> String {
        let bytes = match self {
            Secret::Value(bytes) => bytes,
            Secret::Withheld(label) => return label.to_string(),
        };
        let text = String::from_utf8_lossy(bytes);
        let chars = text.chars().count();
        let shown = match chars {
            0..=7 => 0,
            8..=15 => 2,
            _ => 4,
        };
        let prefix: String = text.chars().take(shown).collect();
        format!("{prefix}…({chars})")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `sha256(rule_id ‖ 0x00 ‖ value)` in hex: a finding's identity across moves and rebases.
pub fn fingerprint(rule_id: &str, value: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0u8]);
    hasher.update(value);
    hex(&hasher.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_the_body() {
        let s = Secret::new(b"ghp_0123456789abcdefghijklmnopqrstuvwxyz");
        assert_eq!(s.redacted(), "ghp_…(40)");
        assert!(!format!("{s:?}").contains("abcdef"));
        assert_eq!(Secret::new(b"hunter2").redacted(), "…(7)");
        let known = Secret::withheld("value of DB_PASSWORD");
        assert_eq!(known.redacted(), "value of DB_PASSWORD");
        assert_eq!(known.expose(), b"value of DB_PASSWORD");
    }

    #[test]
    fn fingerprint_is_sha256_of_rule_nul_secret() {
        assert_eq!(
            fingerprint("a", b"b"),
            "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138"
        );
        assert_ne!(fingerprint("a", b"b"), fingerprint("ab", b""));
    }
}
