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

/// A fingerprint key (`--fingerprint-key-file`, `KEYWARD_FINGERPRINT_KEY`), kept outside the
/// repository: with one, a report fingerprint is `HMAC-SHA256(key, unkeyed fingerprint)`, which
/// no word list reverses without the key. Never printed; identified by `id()`.
#[derive(Clone)]
pub struct FingerprintKey(Box<[u8]>);

impl FingerprintKey {
    /// Shorter keys are refused: a key is only as strong as it is hard to guess.
    pub const MIN_LEN: usize = 16;

    pub fn new(bytes: &[u8]) -> Option<Self> {
        (bytes.len() >= Self::MIN_LEN).then(|| FingerprintKey(bytes.into()))
    }

    /// What a baseline records to tell which key its entries were made with (16 hex digits of
    /// an HMAC of a fixed text: it gives nothing of the key back).
    pub fn id(&self) -> String {
        hex(&hmac_sha256(&self.0, b"keyward fingerprint key id")[..8])
    }

    /// The keyed form of an unkeyed fingerprint (hex in, hex out).
    pub fn rekey(&self, fingerprint: &str) -> String {
        hex(&hmac_sha256(&self.0, fingerprint.as_bytes()))
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FingerprintKey({})", self.id())
    }
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    Hmac::new(key).mac(message)
}

/// PBKDF2-HMAC-SHA256 (RFC 8018) with one 32-byte output block: the salted, slow hash that
/// baseline entries store, so that a word list costs `iterations` HMACs per guess per file.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let prf = Hmac::new(password);
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = prf.mac(&first);
    let mut out = u;
    for _ in 1..iterations {
        u = prf.mac(&u);
        out.iter_mut().zip(u).for_each(|(o, b)| *o ^= b);
    }
    out
}

/// An HMAC-SHA256 key with its inner and outer hash states computed once, so that the many
/// MACs of PBKDF2 each cost two compressions.
struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    fn new(key: &[u8]) -> Self {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut hasher = Sha256::new();
            hasher.update(block.map(|b| b ^ byte));
            hasher
        };
        Hmac {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut inner = self.inner.clone();
        inner.update(message);
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        outer.finalize().into()
    }
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

    #[test]
    fn hmac_and_pbkdf2_match_the_published_vectors() {
        // RFC 4231, test case 2
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 7914 section 11 (the first 32 bytes of its 64)
        assert_eq!(
            hex(&pbkdf2_sha256(b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
        // a key longer than the block is hashed first; many iterations chain
        let long_key = [7u8; 100];
        assert_ne!(
            hmac_sha256(&long_key, b"m"),
            hmac_sha256(&long_key[..64], b"m")
        );
        assert_eq!(
            hex(&pbkdf2_sha256(b"pw", b"0123456789abcdef", 1000)),
            "838062381adc1c69c64c074272803e5ab2ce140ebd2f673d1c0e6f569b76a3b0"
        );
    }
}
