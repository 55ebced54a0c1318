//! How a baseline entry's fingerprint is made from a report fingerprint, so that a committed
//! baseline does not give weak secrets back to a word list: the baseline's `hashing` header
//! (scheme, per-baseline random salt, iteration count, fingerprint key id), fresh salts, and
//! the mapping `PBKDF2-HMAC-SHA256(password = report fingerprint in hex, salt = the salt's hex
//! text, iterations)`, computed in parallel. It reads and writes no file.

use crate::secret::{hex, pbkdf2_sha256, FingerprintKey};
use anyhow::{bail, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// The one scheme this build writes and reads.
pub const SCHEME: &str = "pbkdf2-sha256";

/// Iterations of new baselines: about 11 ms per distinct finding on one core of a 2020s
/// x86 CPU with SHA extensions (the cost is paid per finding per run, and by an attacker per guess per file).
pub const ITERATIONS: u32 = 100_000;

/// Bounds on a file's iteration count: fewer would make the salt the only defence; more
/// would make a hostile baseline a denial of service.
const MIN_ITERATIONS: u32 = 10_000;
const MAX_ITERATIONS: u32 = 10_000_000;

/// How a version-2 baseline's entries were made from report fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hashing {
    pub scheme: String,
    /// 32 hex digits, random per baseline, kept when the baseline is rewritten.
    pub salt: String,
    pub iterations: u32,
    /// The id of the fingerprint key the report fingerprints were keyed with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl Hashing {
    /// A fresh header: a new random salt, today's iteration count, `key`'s id.
    pub fn fresh(key: Option<&FingerprintKey>) -> Self {
        Hashing {
            scheme: SCHEME.to_string(),
            salt: random_salt(),
            iterations: ITERATIONS,
            key_id: key.map(FingerprintKey::id),
        }
    }

    /// Checks the header as read from a file (the caller names the file).
    pub fn check(&self) -> Result<()> {
        if self.scheme != SCHEME {
            bail!(
                "hashing scheme `{}` is not supported (this keyward reads `{SCHEME}`)",
                self.scheme
            );
        }
        let salt = &self.salt;
        if salt.len() < 32 || !salt.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("salt `{salt}` is not at least 32 hex digits");
        }
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&self.iterations) {
            bail!(
                "iterations {} is outside {MIN_ITERATIONS}..={MAX_ITERATIONS}",
                self.iterations
            );
        }
        Ok(())
    }

    /// Whether entries made under this header can be matched by a run with `key`; else what
    /// is wrong, for the caller to name the file and the way out.
    pub fn key_problem(&self, key: Option<&FingerprintKey>) -> Option<&'static str> {
        match (&self.key_id, key) {
            (None, None) => None,
            (Some(id), Some(key)) if *id == key.id() => None,
            (Some(_), Some(_)) => Some("was written with a different fingerprint key"),
            (Some(_), None) => Some(
                "was written with a fingerprint key; pass --fingerprint-key-file FILE or set \
                 KEYWARD_FINGERPRINT_KEY",
            ),
            (None, Some(_)) => Some(
                "was written without a fingerprint key, so it cannot match keyed fingerprints; \
                 run without the key, or record it again with the key \
                 (`keyward baseline -o FILE`)",
            ),
        }
    }

    /// The entry fingerprint of one report fingerprint.
    pub fn entry_print(&self, report_print: &str) -> String {
        hex(&pbkdf2_sha256(
            report_print.as_bytes(),
            self.salt.as_bytes(),
            self.iterations,
        ))
    }

    /// Entry fingerprint → report fingerprint, for each distinct one of `prints`, in parallel.
    pub fn entry_prints<'a>(
        &self,
        prints: impl IntoIterator<Item = &'a str>,
    ) -> HashMap<String, &'a str> {
        let mut distinct: Vec<&str> = prints.into_iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        distinct
            .par_iter()
            .map(|p| (self.entry_print(p), *p))
            .collect()
    }
}

/// 128 random bits in hex, from the standard library's randomly keyed hasher (seeded by the
/// operating system), so no extra dependency: a salt must be unique, not secret.
fn random_salt() -> String {
    let word = |n: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.finish()
    };
    let mut bytes = word(1).to_be_bytes().to_vec();
    bytes.extend_from_slice(&word(2).to_be_bytes());
    hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_differ_and_entries_depend_on_salt_and_key() {
        let a = Hashing::fresh(None);
        let b = Hashing::fresh(None);
        assert_ne!(a.salt, b.salt);
        assert_eq!(a.salt.len(), 32);
        a.check().unwrap();
        let fp = "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138";
        assert_ne!(a.entry_print(fp), b.entry_print(fp));
        assert_eq!(
            a.entry_print(fp),
            a.entry_prints([fp, fp]).into_keys().next().unwrap()
        );
        let key = FingerprintKey::new(&[1; 32]).unwrap();
        let keyed = Hashing::fresh(Some(&key));
        assert!(keyed.key_problem(Some(&key)).is_none());
        assert!(keyed.key_problem(None).is_some());
        assert!(a.key_problem(Some(&key)).is_some());
        let other = FingerprintKey::new(&[2; 32]).unwrap();
        assert!(keyed.key_problem(Some(&other)).is_some());
    }

    #[test]
    fn hostile_headers_are_refused() {
        let mut h = Hashing::fresh(None);
        h.iterations = u32::MAX;
        assert!(h.check().is_err());
        h.iterations = 1;
        assert!(h.check().is_err());
        let mut h = Hashing::fresh(None);
        h.salt = "00".into();
        assert!(h.check().is_err());
        h.salt = "z".repeat(32);
        assert!(h.check().is_err());
        let mut h = Hashing::fresh(None);
        h.scheme = "md5".into();
        assert!(h.check().is_err());
    }
}
