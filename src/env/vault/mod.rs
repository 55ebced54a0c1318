//! A small client for HashiCorp Vault and OpenBao, as far as the launcher needs one: log in
//! (`auth`), then read KV version 2 secrets (`kv`), each distinct secret once, several at a
//! time. Settings come from flags and the merged environment (`settings`); the wire, TLS,
//! timeouts and retries are `http`'s; every failure is a `VaultError`. It knows nothing of
//! env files or variables: `resolve` maps its secrets onto the plan.

mod auth;
mod error;
mod http;
mod kv;
mod settings;

pub use auth::TokenSource;
pub use error::VaultError;
pub use kv::{SecretPath, VaultSecret};
pub use settings::{parse_duration, Settings, VaultFlags, TIMEOUT_FORMS};

use auth::Token;
use http::Http;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Secrets read at once, at most: enough to hide latency, few enough not to look like a flood.
const PARALLEL: usize = 8;

pub struct Vault {
    http: Http,
    token: Token,
    source: TokenSource,
}

impl Vault {
    /// Builds the HTTP client and obtains a token, logging in if the settings say so.
    pub fn connect(settings: &Settings) -> Result<Vault, VaultError> {
        let http = Http::new(settings)?;
        let (token, source) = auth::token(&http, settings)?;
        Ok(Vault {
            http,
            token,
            source,
        })
    }

    /// The token, for `--pass-vault-token` only.
    pub fn token(&self) -> &str {
        self.token.expose()
    }

    pub fn token_source(&self) -> &TokenSource {
        &self.source
    }

    /// Reads each secret, up to `PARALLEL` at a time; the results are in the input's order.
    pub fn read_all(&self, secrets: &[SecretPath]) -> Vec<Result<VaultSecret, VaultError>> {
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<Result<VaultSecret, VaultError>>>> =
            secrets.iter().map(|_| Mutex::new(None)).collect();
        let work = || loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(secret) = secrets.get(index) else {
                break;
            };
            let result = kv::read(&self.http, self.token.expose(), secret);
            *results[index].lock().expect("no worker panics holding it") = Some(result);
        };
        std::thread::scope(|scope| {
            for _ in 0..secrets.len().min(PARALLEL) {
                scope.spawn(work);
            }
        });
        results
            .into_iter()
            .map(|slot| {
                let result = slot.into_inner().expect("no worker panics holding it");
                result.expect("every secret was read")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_address_and_credentials_are_explained() {
        let flags = VaultFlags::default();
        let err = Settings::read(&flags, |_| None, false).err().unwrap();
        assert!(err.to_string().contains("export VAULT_ADDR"));
        let env = |key: &str| (key == "VAULT_ADDR").then(|| "http://127.0.0.1:1".to_string());
        let settings = Settings::read(&flags, env, false).unwrap();
        let err = Vault::connect(&settings).err().unwrap();
        assert!(matches!(err, VaultError::NoCredentials), "{err}");
    }
}
