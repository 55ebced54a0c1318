//! A minimal HashiCorp Vault client: token from `VAULT_TOKEN`, `~/.vault-token` or an AppRole
//! login (`VAULT_ROLE_ID` + `VAULT_SECRET_ID`), `VAULT_NAMESPACE` and `VAULT_CACERT` honoured,
//! KV v2 reads. Its errors name Vault paths and HTTP statuses, never tokens or secret values.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::Agent;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "VAULT_ADDR is not set; export VAULT_ADDR (for example https://vault.example.com:8200)"
    )]
    NoAddress,
    #[error(
        "no Vault credentials: set VAULT_TOKEN, write a token to ~/.vault-token, or set \
         VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole"
    )]
    NoCredentials,
    #[error("cannot use VAULT_CACERT {path}: {reason}")]
    CaCert { path: String, reason: String },
    #[error("Vault denied access to {what} (HTTP 403); check the token and its policies")]
    Forbidden { what: String },
    #[error("Vault has no secret at {what} (HTTP 404)")]
    NotFound { what: String },
    #[error("Vault answered HTTP {status} for {what}")]
    Status { status: u16, what: String },
    #[error("cannot reach Vault for {what}: {reason}")]
    Transport { what: String, reason: String },
    #[error("Vault's answer for {what} is not what KV v2 returns ({detail})")]
    BadResponse { what: String, detail: &'static str },
    #[error("the secret at {what} has no field {field}")]
    MissingField { what: String, field: String },
}

pub struct Vault {
    agent: Agent,
    addr: String,
    namespace: Option<String>,
    token: String,
}

/// Secrets already read, by `MOUNT/data/PATH`: several fields of one secret cost one request.
pub type Cache = HashMap<String, Map<String, Value>>;

impl Vault {
    /// Reads the configuration through `env` (the merged environment) and logs in if needed.
    pub fn connect(env: impl Fn(&str) -> Option<String>) -> Result<Vault, VaultError> {
        let addr = env("VAULT_ADDR")
            .filter(|a| !a.is_empty())
            .ok_or(VaultError::NoAddress)?;
        let addr = addr.trim_end_matches('/').to_string();
        let agent = agent(env("VAULT_CACERT").filter(|p| !p.is_empty()))?;
        let namespace = env("VAULT_NAMESPACE").filter(|n| !n.is_empty());
        let mut vault = Vault {
            agent,
            addr,
            namespace,
            token: String::new(),
        };
        vault.token = match token_from(&env) {
            Some(token) => token,
            None => match (env("VAULT_ROLE_ID"), env("VAULT_SECRET_ID")) {
                (Some(role), Some(secret)) => vault.approle_login(&role, &secret)?,
                _ => return Err(VaultError::NoCredentials),
            },
        };
        Ok(vault)
    }

    /// `FIELD` of `data.data` in the KV v2 secret at `MOUNT/PATH`.
    pub fn field(
        &self,
        cache: &mut Cache,
        mount: &str,
        path: &str,
        field: &str,
    ) -> Result<String, VaultError> {
        let what = format!("{mount}/data/{path}");
        if !cache.contains_key(&what) {
            let data = self.read_kv2(&what)?;
            cache.insert(what.clone(), data);
        }
        match cache[&what].get(field) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(Value::Null) | None => Err(VaultError::MissingField {
                what,
                field: field.into(),
            }),
            Some(other) => Ok(other.to_string()),
        }
    }

    fn read_kv2(&self, what: &str) -> Result<Map<String, Value>, VaultError> {
        let url = format!("{}/v1/{what}", self.addr);
        let mut request = self.agent.get(&url).header("X-Vault-Token", &self.token);
        if let Some(namespace) = &self.namespace {
            request = request.header("X-Vault-Namespace", namespace);
        }
        let body = answer(request.call(), what)?;
        match json(&body, what)?
            .pointer_mut("/data/data")
            .map(Value::take)
        {
            Some(Value::Object(data)) => Ok(data),
            _ => Err(VaultError::BadResponse {
                what: what.into(),
                detail: "no object at data.data",
            }),
        }
    }

    fn approle_login(&self, role_id: &str, secret_id: &str) -> Result<String, VaultError> {
        let what = "auth/approle/login";
        let url = format!("{}/v1/{what}", self.addr);
        let body = serde_json::json!({ "role_id": role_id, "secret_id": secret_id }).to_string();
        let mut request = self.agent.post(&url).content_type("application/json");
        if let Some(namespace) = &self.namespace {
            request = request.header("X-Vault-Namespace", namespace);
        }
        let answer_body = answer(request.send(&body), what)?;
        match json(&answer_body, what)?
            .pointer_mut("/auth/client_token")
            .map(Value::take)
        {
            Some(Value::String(token)) => Ok(token),
            _ => Err(VaultError::BadResponse {
                what: what.into(),
                detail: "no auth.client_token",
            }),
        }
    }
}

/// `VAULT_TOKEN`, else the token file `vault login` writes.
fn token_from(env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(token) = env("VAULT_TOKEN").filter(|t| !t.is_empty()) {
        return Some(token);
    }
    let home = env("HOME")?;
    let token = std::fs::read_to_string(std::path::Path::new(&home).join(".vault-token")).ok()?;
    Some(token.trim().to_string()).filter(|t| !t.is_empty())
}

fn agent(cacert: Option<String>) -> Result<Agent, VaultError> {
    let mut config = Agent::config_builder().timeout_global(Some(Duration::from_secs(30)));
    if let Some(path) = cacert {
        let roots = RootCerts::new_with_certs(&certificates(&path)?);
        config = config.tls_config(TlsConfig::builder().root_certs(roots).build());
    }
    Ok(config.build().into())
}

fn certificates(path: &str) -> Result<Vec<Certificate<'static>>, VaultError> {
    let fail = |reason: String| VaultError::CaCert {
        path: path.into(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|err| fail(err.to_string()))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let ureq::tls::PemItem::Certificate(cert) = item.map_err(|err| fail(err.to_string()))? {
            certs.push(cert);
        }
    }
    match certs.is_empty() {
        true => Err(fail("no PEM certificate in it".into())),
        false => Ok(certs),
    }
}

fn answer(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    what: &str,
) -> Result<String, VaultError> {
    let what = what.to_string();
    match result {
        Ok(mut response) => {
            response
                .body_mut()
                .read_to_string()
                .map_err(|err| VaultError::Transport {
                    what,
                    reason: err.to_string(),
                })
        }
        Err(ureq::Error::StatusCode(403)) => Err(VaultError::Forbidden { what }),
        Err(ureq::Error::StatusCode(404)) => Err(VaultError::NotFound { what }),
        Err(ureq::Error::StatusCode(status)) => Err(VaultError::Status { status, what }),
        Err(err) => Err(VaultError::Transport {
            what,
            reason: err.to_string(),
        }),
    }
}

fn json(body: &str, what: &str) -> Result<Value, VaultError> {
    serde_json::from_str(body).map_err(|_| VaultError::BadResponse {
        what: what.into(),
        detail: "not JSON",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_address_and_credentials_are_explained() {
        let err = Vault::connect(|_| None).err().unwrap();
        assert!(err.to_string().contains("export VAULT_ADDR"));
        let env = |key: &str| (key == "VAULT_ADDR").then(|| "http://127.0.0.1:1".to_string());
        let err = Vault::connect(env).err().unwrap();
        assert!(matches!(err, VaultError::NoCredentials), "{err}");
    }

    #[test]
    fn bad_cacert_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = certificates(path.to_str().unwrap()).err().unwrap();
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }
}
