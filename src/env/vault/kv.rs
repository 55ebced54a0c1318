//! KV version 2 reads: `GET /v1/MOUNT/data/PATH[?version=N]` and the fields of `data.data`.
//! Answers that hold no secret each get their own error: a deleted or destroyed version
//! (`data.metadata`), a missing path, a KV version 1 mount (told by the shape of a 200 answer,
//! or, after a 404, by `GET /v1/sys/internal/ui/mounts/MOUNT`, the check the vault CLI makes
//! before every `kv` command). Secret values never leave `VaultSecret` except by `field`/`values`.

use super::error::{Errors, Fields, Tries, VaultError};
use super::http::{Answer, Http};
use serde_json::{Map, Value};
use std::fmt;

/// A secret in a KV v2 mount, optionally pinned to a version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretPath {
    pub mount: String,
    pub path: String,
    pub version: Option<u64>,
}

impl SecretPath {
    /// The API path after `/v1/`: `secret/data/app?version=3`.
    pub fn api_path(&self) -> String {
        let mut what = format!("{}/data/{}", self.mount, self.path);
        if let Some(version) = self.version {
            what.push_str(&format!("?version={version}"));
        }
        what
    }
}

/// `secret/app?version=3`, as written in references.
impl fmt::Display for SecretPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.mount, self.path)?;
        match self.version {
            Some(version) => write!(f, "?version={version}"),
            None => Ok(()),
        }
    }
}

/// The fields of one secret version. No `Debug`: it holds values.
pub struct VaultSecret {
    what: String,
    fields: Map<String, Value>,
}

impl VaultSecret {
    /// A field as text: strings as they are, numbers and booleans as JSON writes them. A
    /// missing or null field is an error, never an empty value.
    pub fn field(&self, name: &str) -> Result<String, VaultError> {
        if self.fields.get(name) == Some(&Value::Null) {
            return Err(VaultError::NullField {
                what: self.what.clone(),
                field: name.into(),
            });
        }
        self.fields
            .get(name)
            .and_then(text)
            .ok_or_else(|| VaultError::MissingField {
                what: self.what.clone(),
                field: name.into(),
                available: Fields(self.fields.keys().cloned().collect()),
            })
    }

    /// Every field that has a value, in name order.
    pub fn values(&self) -> Vec<(String, String)> {
        let pairs = self.fields.iter();
        pairs
            .filter_map(|(name, value)| Some((name.clone(), text(value)?)))
            .collect()
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

pub fn read(http: &Http, token: &str, secret: &SecretPath) -> Result<VaultSecret, VaultError> {
    let what = secret.api_path();
    let answer = http.get(&what, token)?;
    let errors = || Errors::from_body(&answer.body);
    match answer.status {
        200 => parse(&answer, secret, what),
        403 => Err(VaultError::Denied {
            what,
            errors: errors(),
        }),
        404 => Err(not_found(http, token, secret, &answer, what)),
        status if status == 429 || status >= 500 => Err(VaultError::Unavailable {
            what,
            status,
            errors: errors(),
            tries: Tries(answer.tries),
        }),
        status @ 300..=399 => Err(VaultError::Redirected { what, status }),
        status => Err(VaultError::Rejected {
            what,
            status,
            errors: errors(),
        }),
    }
}

fn parse(answer: &Answer, secret: &SecretPath, what: String) -> Result<VaultSecret, VaultError> {
    let mut body = answer.json(&what)?;
    if let Some(err) = removed_version(&body, &what) {
        return Err(err);
    }
    let data = body.get_mut("data").map(Value::take);
    let Some(Value::Object(mut data)) = data else {
        return Err(VaultError::BadResponse {
            what,
            status: answer.status,
            detail: "no data object in it",
        });
    };
    if !data.get("metadata").is_some_and(Value::is_object) {
        return Err(VaultError::KvVersion1Shape {
            what,
            mount: secret.mount.clone(),
        });
    }
    match data.remove("data") {
        Some(Value::Object(fields)) => Ok(VaultSecret { what, fields }),
        _ => Err(VaultError::BadResponse {
            what,
            status: answer.status,
            detail: "no data.data object in it",
        }),
    }
}

/// A version that `vault kv delete` or `vault kv destroy` removed: Vault answers with its
/// metadata and a null `data.data`.
fn removed_version(body: &Value, what: &str) -> Option<VaultError> {
    let metadata = body.pointer("/data/metadata")?;
    let version = metadata.get("version").and_then(Value::as_u64).unwrap_or(0);
    if metadata.get("destroyed") == Some(&Value::Bool(true)) {
        return Some(VaultError::Destroyed {
            what: what.into(),
            version,
        });
    }
    let when = metadata.get("deletion_time").and_then(Value::as_str)?;
    (!when.is_empty()).then(|| VaultError::Deleted {
        what: what.into(),
        version,
        when: when.into(),
    })
}

/// Why a read found nothing: a removed version, a mount that is not KV v2, or a missing path.
fn not_found(
    http: &Http,
    token: &str,
    secret: &SecretPath,
    answer: &Answer,
    what: String,
) -> VaultError {
    if let Ok(body) = serde_json::from_str::<Value>(&answer.body) {
        if let Some(err) = removed_version(&body, &what) {
            return err;
        }
    }
    let mount = secret.mount.clone();
    match mount_engine(http, token, &mount) {
        Some((kind, _)) if kind != "kv" => VaultError::NotKv { what, mount, kind },
        Some((_, version)) if version.as_deref() != Some("2") => {
            VaultError::KvVersion1 { what, mount }
        }
        _ => VaultError::NotFound {
            what,
            mount,
            errors: Errors::from_body(&answer.body),
        },
    }
}

/// The engine type and KV version option of a mount, if Vault tells.
fn mount_engine(http: &Http, token: &str, mount: &str) -> Option<(String, Option<String>)> {
    let what = format!("sys/internal/ui/mounts/{mount}");
    let answer = http.get(&what, token).ok().filter(|a| a.status == 200)?;
    let body = answer.json(&what).ok()?;
    let kind = body.pointer("/data/type")?.as_str()?.to_string();
    let version = body
        .pointer("/data/options/version")
        .and_then(Value::as_str);
    Some((kind, version.map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(body: Value) -> Answer {
        Answer {
            status: 200,
            body: body.to_string(),
            tries: 1,
        }
    }

    fn secret() -> SecretPath {
        SecretPath {
            mount: "secret".into(),
            path: "app".into(),
            version: Some(3),
        }
    }

    #[test]
    fn paths_and_versions() {
        assert_eq!(secret().api_path(), "secret/data/app?version=3");
        assert_eq!(secret().to_string(), "secret/app?version=3");
    }

    #[test]
    fn fields_of_a_kv2_answer() {
        let body = json!({"data": {"data": {"a": "x", "n": 5, "z": null},
                                   "metadata": {"version": 3, "deletion_time": "", "destroyed": false}}});
        let secret = parse(&answer(body), &secret(), "w".into()).ok().unwrap();
        assert_eq!(secret.field("a").unwrap(), "x");
        assert_eq!(secret.field("n").unwrap(), "5");
        let err = secret.field("z").err().unwrap();
        assert!(
            err.to_string()
                .starts_with("field z of the secret at w is null"),
            "{err}"
        );
        let err = secret.field("q").err().unwrap();
        assert_eq!(
            err.to_string(),
            "the secret at w has no field q (it has a, n, z)"
        );
        assert_eq!(
            secret.values(),
            [("a".into(), "x".into()), ("n".into(), "5".into())]
        );
    }

    #[test]
    fn kv1_shape_deleted_and_destroyed() {
        let v1 = json!({"data": {"password": "x"}});
        let err = parse(&answer(v1), &secret(), "w".into()).err().unwrap();
        assert!(matches!(err, VaultError::KvVersion1Shape { .. }), "{err}");
        let deleted = json!({"data": {"data": null, "metadata": {"version": 2,
                             "deletion_time": "2024-05-01T10:00:00Z", "destroyed": false}}});
        let err = parse(&answer(deleted), &secret(), "w".into())
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .starts_with("version 2 of w was deleted at 2024-05-01"),
            "{err}"
        );
        let destroyed = json!({"data": {"data": null, "metadata": {"version": 1,
                               "deletion_time": "", "destroyed": true}}});
        let err = parse(&answer(destroyed), &secret(), "w".into())
            .err()
            .unwrap();
        assert!(
            matches!(err, VaultError::Destroyed { version: 1, .. }),
            "{err}"
        );
        let not_json = Answer {
            status: 200,
            body: "<html>".into(),
            tries: 1,
        };
        let err = parse(&not_json, &secret(), "w".into()).err().unwrap();
        assert!(err
            .to_string()
            .contains("(HTTP 200) is not what its API returns: not JSON"));
    }
}
