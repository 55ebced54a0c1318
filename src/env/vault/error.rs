//! What can go wrong between the launcher and Vault, as one enum the resolver branches on
//! (a failed login fails every reference; a missing field fails one). Each message names the
//! Vault API path, the HTTP status, Vault's own `errors` text and what to check next. None
//! holds a token, a secret id, a service-account JWT or a secret value: Vault's error texts do
//! not echo credentials, and answer bodies are never quoted.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "VAULT_ADDR is not set; export VAULT_ADDR (for example https://vault.example.com:8200)"
    )]
    NoAddress,
    #[error("VAULT_ADDR={addr} is not an http:// or https:// address")]
    BadAddress { addr: String },
    #[error(
        "no Vault credentials: set VAULT_TOKEN, set VAULT_ROLE_ID (AppRole) or VAULT_K8S_ROLE \
         (Kubernetes), or write a token to ~/.vault-token"
    )]
    NoCredentials,
    #[error(
        "VAULT_ROLE_ID is set but there is no AppRole secret id; set VAULT_SECRET_ID or pass \
         --vault-secret-id-file"
    )]
    NoSecretId,
    #[error("cannot read the {what} {path}: {reason}")]
    CredentialFile {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("cannot use {setting}={path}: {reason}")]
    CaCert {
        setting: &'static str,
        path: String,
        reason: String,
    },
    #[error("{name}={value} is not valid; expected {expected}")]
    BadSetting {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(
        "VAULT_SKIP_VERIFY is set, and --profile production does not talk to Vault without \
         checking its certificate; unset it and point VAULT_CACERT or VAULT_CAPATH at Vault's CA"
    )]
    SkipVerifyRefused,
    #[error(
        "Vault denied reading {what} (HTTP 403{errors}); check that the token's policies grant \
         `read` on {what}"
    )]
    Denied { what: String, errors: Errors },
    #[error(
        "Vault has no secret at {what} (HTTP 404{errors}); check the path, and that {mount} is \
         the mount of a KV version 2 secrets engine"
    )]
    NotFound {
        what: String,
        mount: String,
        errors: Errors,
    },
    #[error(
        "{mount} is a KV version 1 mount (Vault has no {what}); keyward-run reads KV version 2: \
         upgrade the mount with `vault kv enable-versioning {mount}`"
    )]
    KvVersion1 { what: String, mount: String },
    #[error(
        "Vault's answer for {what} has no data.data or data.metadata object, so {mount} looks \
         like a KV version 1 mount; keyward-run reads KV version 2: upgrade the mount with \
         `vault kv enable-versioning {mount}`"
    )]
    KvVersion1Shape { what: String, mount: String },
    #[error("{mount} is a {kind} secrets engine, not KV version 2 (Vault has no {what})")]
    NotKv {
        what: String,
        mount: String,
        kind: String,
    },
    #[error(
        "version {version} of {what} was deleted at {when}; undelete it (`vault kv undelete`) or \
         pin another version with ?version=N"
    )]
    Deleted {
        what: String,
        version: u64,
        when: String,
    },
    #[error(
        "version {version} of {what} was destroyed and cannot be read; pin another version with \
         ?version=N"
    )]
    Destroyed { what: String, version: u64 },
    #[error("{method} login at {what} failed (HTTP {status}{errors}); {hint}")]
    LoginFailed {
        method: &'static str,
        what: String,
        status: u16,
        errors: Errors,
        hint: &'static str,
    },
    #[error(
        "Vault redirected the request for {what} (HTTP {status}), and keyward-run does not \
         follow redirects (the token would go along); point VAULT_ADDR at the active node or \
         the cluster's load balancer"
    )]
    Redirected { what: String, status: u16 },
    #[error("Vault rejected the request for {what} (HTTP {status}{errors})")]
    Rejected {
        what: String,
        status: u16,
        errors: Errors,
    },
    #[error(
        "Vault could not answer {what} (HTTP {status}{errors}; {tries}); check that Vault is \
         unsealed and healthy, and not rate-limiting this client"
    )]
    Unavailable {
        what: String,
        status: u16,
        errors: Errors,
        tries: Tries,
    },
    #[error(
        "timed out after {after} waiting for Vault at {addr} ({what}, {stage}; {tries}); check \
         VAULT_ADDR and that Vault is up, or raise --vault-timeout / VAULT_CLIENT_TIMEOUT"
    )]
    Timeout {
        what: String,
        addr: String,
        after: String,
        stage: String,
        tries: Tries,
    },
    #[error(
        "gave up on Vault at {addr} after {after} in all ({what}; {tries}): the login and reads \
         of one start, retries included, get 4 times the timeout; check that Vault is healthy, \
         or raise --vault-timeout / VAULT_CLIENT_TIMEOUT"
    )]
    Deadline {
        what: String,
        addr: String,
        after: String,
        tries: Tries,
    },
    #[error(
        "Vault at {addr} answered {what} with a body larger than {limit} MB, which no secret \
         needs; check that VAULT_ADDR points at Vault and not at another service"
    )]
    TooLarge {
        what: String,
        addr: String,
        limit: u64,
    },
    #[error(
        "cannot connect to Vault at {addr} ({what}; {tries}): {reason}; check VAULT_ADDR and \
         that Vault is running and reachable"
    )]
    Connect {
        what: String,
        addr: String,
        reason: String,
        tries: Tries,
    },
    #[error(
        "TLS with Vault at {addr} failed ({what}): {reason}; if Vault's certificate comes from a \
         private CA, set VAULT_CACERT (a PEM file) or VAULT_CAPATH (a directory of PEM files)"
    )]
    Tls {
        what: String,
        addr: String,
        reason: String,
    },
    #[error("Vault's answer for {what} (HTTP {status}) is not what its API returns: {detail}")]
    BadResponse {
        what: String,
        status: u16,
        detail: &'static str,
    },
    #[error("the secret at {what} has no field {field} ({available})")]
    MissingField {
        what: String,
        field: String,
        available: Fields,
    },
    #[error(
        "field {field} of the secret at {what} is null, not a value; give it a value in Vault \
         (`vault kv patch`)"
    )]
    NullField { what: String, field: String },
}

/// At most this many field names or error texts go into one message; the rest are counted.
const LISTED: usize = 20;

/// Names and texts are cut to this many characters in a message.
const ITEM_CHARS: usize = 64;

/// The `errors` strings of a Vault error body, shown as `: text; text` after the status.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<String>);

impl Errors {
    /// Vault answers errors as `{"errors": ["..."]}`; anything else yields none. Whitespace
    /// runs (Vault's multi-error texts hold newlines and tabs) become single spaces, and each
    /// text is cut at 300 characters.
    pub fn from_body(body: &str) -> Errors {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(body) else {
            return Errors::default();
        };
        let Some(serde_json::Value::Array(items)) = map.get("errors") else {
            return Errors::default();
        };
        let texts = items
            .iter()
            .take(LISTED)
            .filter_map(serde_json::Value::as_str)
            .map(|text| {
                let flat: Vec<&str> = text.split_whitespace().collect();
                flat.join(" ").chars().take(300).collect::<String>()
            })
            .filter(|text| !text.is_empty())
            .collect();
        Errors(texts)
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.is_empty() {
            true => Ok(()),
            false => write!(f, ": {}", self.0.join("; ")),
        }
    }
}

/// The first `ITEM_CHARS` characters, with `…` when there were more.
fn cut(text: &str) -> String {
    match text.char_indices().nth(ITEM_CHARS) {
        None => text.to_string(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// How many requests an outcome took: `1 try`, `3 tries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tries(pub u32);

impl fmt::Display for Tries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 try"),
            n => write!(f, "{n} tries"),
        }
    }
}

/// The field names a secret does have, for a missing-field message (names, never values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields(pub Vec<String>);

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("it has no fields");
        }
        let shown: Vec<String> = self.0.iter().take(LISTED).map(|name| cut(name)).collect();
        write!(f, "it has {}", shown.join(", "))?;
        match self.0.len().saturating_sub(LISTED) {
            0 => Ok(()),
            more => write!(f, " and {more} more"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_text_is_flattened_and_optional() {
        let body = r#"{"errors":["1 error occurred:\n\t* permission denied\n\n"]}"#;
        let errors = Errors::from_body(body);
        assert_eq!(
            errors.to_string(),
            ": 1 error occurred: * permission denied"
        );
        assert_eq!(Errors::from_body(r#"{"errors":[]}"#).to_string(), "");
        assert_eq!(Errors::from_body("<html>").to_string(), "");
    }

    #[test]
    fn tries_and_fields_read_well() {
        assert_eq!(Tries(1).to_string(), "1 try");
        assert_eq!(Tries(3).to_string(), "3 tries");
        assert_eq!(Fields(vec![]).to_string(), "it has no fields");
        let fields = Fields(vec!["a".into(), "b".into()]);
        assert_eq!(fields.to_string(), "it has a, b");
        let many = Fields((0..100_000).map(|i| format!("f{i:05}")).collect());
        let text = many.to_string();
        assert!(text.ends_with("f00019 and 99980 more"), "{text}");
        let long = Fields(vec!["x".repeat(1000)]);
        assert_eq!(long.to_string().chars().count(), "it has ".len() + 65);
    }
}
