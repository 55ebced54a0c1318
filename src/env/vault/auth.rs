//! Where the Vault token comes from, first match wins: `VAULT_TOKEN`; an AppRole login
//! (`VAULT_ROLE_ID` + a secret id); a Kubernetes login (a role + the pod's service-account
//! JWT); the `~/.vault-token` file that `vault login` writes. A login or the ambient token
//! file comes after what was configured for this process on purpose: a developer's stale
//! token must not shadow the role the deployment names. Tokens live in `Token`, whose
//! `Debug` hides them; no message here carries a token, a secret id or a JWT.

use super::error::{Errors, VaultError};
use super::http::Http;
use super::settings::{Login, SecretId, Settings};
use crate::env::hidden::hide;
use crate::env::secretfile;
use serde_json::{json, Value};
use std::fmt;
use std::path::{Path, PathBuf};

pub struct Token(String);

impl Token {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(****)")
    }
}

/// Where the token the launcher uses came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Variable,
    Login { what: String },
    File(PathBuf),
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Variable => f.write_str("VAULT_TOKEN"),
            TokenSource::Login { what } => write!(f, "Vault login at {what}"),
            TokenSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

pub fn token(http: &Http, settings: &Settings) -> Result<(Token, TokenSource), VaultError> {
    if let Some(token) = &settings.token {
        return Ok((Token(token.clone()), TokenSource::Variable));
    }
    let mount = settings.auth_path.as_deref().map(|p| p.trim_matches('/'));
    match &settings.login {
        Some(Login::AppRole { role_id, secret_id }) => {
            let what = format!("auth/{}/login", mount.unwrap_or("approle"));
            let secret_id = match secret_id {
                SecretId::Value(value) => value.clone(),
                SecretId::File(path) => read_credential("AppRole secret id file", path)?,
            };
            let body = json!({ "role_id": role_id, "secret_id": secret_id }).to_string();
            let token = login(http, "AppRole", &what, &body)?;
            return Ok((token, TokenSource::Login { what }));
        }
        Some(Login::Kubernetes { role, jwt_file }) => {
            let what = format!("auth/{}/login", mount.unwrap_or("kubernetes"));
            let jwt = read_credential("Kubernetes service-account token file", jwt_file)?;
            let body = json!({ "role": role, "jwt": jwt }).to_string();
            let token = login(http, "Kubernetes", &what, &body)?;
            return Ok((token, TokenSource::Login { what }));
        }
        None => {}
    }
    let file = settings.home.as_ref().map(|home| home.join(".vault-token"));
    match file.as_deref().and_then(token_file) {
        Some(token) => Ok((Token(token), TokenSource::File(file.expect("just read")))),
        None => Err(VaultError::NoCredentials),
    }
}

/// `POST` to a login endpoint; the token is `auth.client_token` of the answer.
fn login(http: &Http, method: &'static str, what: &str, body: &str) -> Result<Token, VaultError> {
    let answer = http.post_json(what, body)?;
    if answer.status != 200 {
        return Err(login_failure(
            method,
            what,
            answer.status,
            &answer.body,
            answer.tries,
        ));
    }
    match answer
        .json(what)?
        .pointer_mut("/auth/client_token")
        .map(Value::take)
    {
        Some(Value::String(token)) if !token.is_empty() => {
            hide(&token);
            Ok(Token(token))
        }
        _ => Err(VaultError::BadResponse {
            what: what.into(),
            status: answer.status,
            detail: "no auth.client_token in it",
        }),
    }
}

fn login_failure(
    method: &'static str,
    what: &str,
    status: u16,
    body: &str,
    tries: u32,
) -> VaultError {
    let errors = Errors::from_body(body);
    if status == 429 || status >= 500 {
        let tries = super::error::Tries(tries);
        return VaultError::Unavailable {
            what: what.into(),
            status,
            errors,
            tries,
        };
    }
    let hint = match (status, method) {
        (404, _) => "check that the auth method is enabled at that path (VAULT_AUTH_PATH or --vault-auth-path)",
        (_, "AppRole") => "check VAULT_ROLE_ID and the secret id (it may have expired or been used up)",
        _ => "check that the role (VAULT_K8S_ROLE or --vault-k8s-role) exists and is bound to this pod's service account and namespace",
    };
    VaultError::LoginFailed {
        method,
        what: what.into(),
        status,
        errors,
        hint,
    }
}

/// A credential file's contents without its trailing newline.
fn read_credential(what: &'static str, path: &Path) -> Result<String, VaultError> {
    let fail = |reason: String| VaultError::CredentialFile {
        what,
        path: path.display().to_string(),
        reason,
    };
    let bytes = secretfile::read(path).map_err(|err| fail(err.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| fail("it is not UTF-8 text".into()))?;
    let text = text.trim_end_matches(['\n', '\r']).to_string();
    hide(&text);
    match text.is_empty() {
        true => Err(fail("it is empty".into())),
        false => Ok(text),
    }
}

/// The token `vault login` left in `~/.vault-token`, if there is one.
fn token_file(path: &Path) -> Option<String> {
    let token = String::from_utf8(secretfile::read(path).ok()?).ok()?;
    let token = token.trim().to_string();
    hide(&token);
    Some(token).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_hides_the_value() {
        let token = Token("s.very-secret".into());
        assert_eq!(format!("{token:?}"), "Token(****)");
        assert_eq!(token.expose(), "s.very-secret");
    }

    #[test]
    fn credential_files_lose_their_newline_and_must_not_be_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sid");
        std::fs::write(&path, "abc\n").unwrap();
        assert_eq!(read_credential("secret id file", &path).unwrap(), "abc");
        std::fs::write(&path, "\n").unwrap();
        let err = read_credential("secret id file", &path).err().unwrap();
        assert!(err.to_string().ends_with("sid: it is empty"), "{err}");
    }

    #[test]
    fn login_failures_say_what_to_check() {
        let body = r#"{"errors":["invalid role or secret ID"]}"#;
        let err = login_failure("AppRole", "auth/approle/login", 400, body, 1);
        let text = err.to_string();
        assert!(
            text.contains("HTTP 400: invalid role or secret ID"),
            "{text}"
        );
        assert!(text.contains("check VAULT_ROLE_ID"), "{text}");
        let err = login_failure("Kubernetes", "auth/k8s/login", 503, "{}", 3);
        assert!(matches!(err, VaultError::Unavailable { .. }), "{err}");
    }
}
