//! The Vault client's settings, from the command line and the merged environment (so an env
//! file can set them): a flag wins over its variable, a variable over the default. Parsing
//! only: no file is read and no connection made here.

use super::error::VaultError;
use std::path::PathBuf;
use std::time::Duration;

/// Where Kubernetes mounts a pod's service-account token.
pub const K8S_TOKEN_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// Connect and read timeout when neither `--vault-timeout` nor `VAULT_CLIENT_TIMEOUT` is set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The Vault options of the command line, as plain data.
#[derive(Debug, Default, Clone)]
pub struct VaultFlags {
    pub secret_id_file: Option<PathBuf>,
    pub k8s_role: Option<String>,
    pub k8s_token_file: Option<PathBuf>,
    pub auth_path: Option<String>,
    pub timeout: Option<Duration>,
}

/// Which certificates Vault's TLS certificate is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// The web PKI roots built into the binary.
    WebPki,
    /// `VAULT_CACERT`: one PEM file.
    File(PathBuf),
    /// `VAULT_CAPATH`: every PEM file in a directory.
    Dir(PathBuf),
}

/// How to log in when no token is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    AppRole {
        role_id: String,
        secret_id: SecretId,
    },
    Kubernetes {
        role: String,
        jwt_file: PathBuf,
    },
}

/// The AppRole secret id, or the file that holds it.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretId {
    Value(String),
    File(PathBuf),
}

impl std::fmt::Debug for SecretId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretId::Value(_) => f.write_str("SecretId(****)"),
            SecretId::File(path) => write!(f, "SecretId::File({})", path.display()),
        }
    }
}

pub struct Settings {
    pub addr: String,
    pub namespace: Option<String>,
    pub roots: Roots,
    pub skip_verify: bool,
    pub timeout: Duration,
    /// `VAULT_TOKEN`, if set.
    pub token: Option<String>,
    /// The login to make when there is no `VAULT_TOKEN`.
    pub login: Option<Login>,
    /// The auth method's mount when it is not the default (`approle`, `kubernetes`).
    pub auth_path: Option<String>,
    /// `$HOME`, for `~/.vault-token`.
    pub home: Option<PathBuf>,
}

impl Settings {
    /// `env` looks a variable up in the merged environment. `strict` is `--profile production`,
    /// which refuses `VAULT_SKIP_VERIFY`.
    pub fn read(
        flags: &VaultFlags,
        env: impl Fn(&str) -> Option<String>,
        strict: bool,
    ) -> Result<Settings, VaultError> {
        let var = |name: &str| env(name).filter(|value| !value.is_empty());
        let addr = var("VAULT_ADDR").ok_or(VaultError::NoAddress)?;
        let addr = addr.trim_end_matches('/').to_string();
        if !(addr.starts_with("http://") || addr.starts_with("https://")) {
            return Err(VaultError::BadAddress { addr });
        }
        let skip_verify = match var("VAULT_SKIP_VERIFY") {
            Some(value) => parse_bool(&value).ok_or(VaultError::BadSetting {
                name: "VAULT_SKIP_VERIFY",
                value,
                expected: "true or false",
            })?,
            None => false,
        };
        if skip_verify && strict {
            return Err(VaultError::SkipVerifyRefused);
        }
        let timeout = match (flags.timeout, var("VAULT_CLIENT_TIMEOUT")) {
            (Some(timeout), _) => timeout,
            (None, Some(value)) => parse_duration(&value).ok_or(VaultError::BadSetting {
                name: "VAULT_CLIENT_TIMEOUT",
                value,
                expected: TIMEOUT_FORMS,
            })?,
            (None, None) => DEFAULT_TIMEOUT,
        };
        let roots = match (var("VAULT_CACERT"), var("VAULT_CAPATH")) {
            (Some(file), _) => Roots::File(file.into()),
            (None, Some(dir)) => Roots::Dir(dir.into()),
            (None, None) => Roots::WebPki,
        };
        let token = var("VAULT_TOKEN");
        let login = login(flags, &var)?;
        // From here on no message may show them, whatever Vault echoes back.
        let hide = crate::env::hidden::hide;
        token.as_deref().map(hide);
        if let Some(Login::AppRole {
            secret_id: SecretId::Value(value),
            ..
        }) = &login
        {
            hide(value);
        }
        Ok(Settings {
            addr,
            namespace: var("VAULT_NAMESPACE"),
            roots,
            skip_verify,
            timeout,
            token,
            login,
            auth_path: flags.auth_path.clone().or_else(|| var("VAULT_AUTH_PATH")),
            home: var("HOME").map(PathBuf::from),
        })
    }
}

/// AppRole when `VAULT_ROLE_ID` is set, else Kubernetes when a role is given, else none.
fn login(
    flags: &VaultFlags,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Login>, VaultError> {
    if let Some(role_id) = var("VAULT_ROLE_ID") {
        let secret_id = match (&flags.secret_id_file, var("VAULT_SECRET_ID")) {
            (Some(file), _) => SecretId::File(file.clone()),
            (None, Some(value)) => SecretId::Value(value),
            (None, None) => return Err(VaultError::NoSecretId),
        };
        return Ok(Some(Login::AppRole { role_id, secret_id }));
    }
    let role = flags.k8s_role.clone().or_else(|| var("VAULT_K8S_ROLE"));
    Ok(role.map(|role| {
        let jwt_file = flags
            .k8s_token_file
            .clone()
            .or_else(|| var("VAULT_K8S_TOKEN_FILE").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(K8S_TOKEN_FILE));
        Login::Kubernetes { role, jwt_file }
    }))
}

/// Go's `strconv.ParseBool`, which the vault CLI uses for `VAULT_SKIP_VERIFY`, plus yes/no.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "yes" | "on" => Some(true),
        "0" | "f" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// What a timeout may be, for messages.
pub const TIMEOUT_FORMS: &str = "seconds, or a duration such as 500ms, 10s or 1m, from 1ms to 1h";

/// The longest timeout taken: it bounds every wait for Vault, and deadlines built from it.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// `5` (seconds, as `VAULT_CLIENT_TIMEOUT` takes it), or a number with one unit: `500ms`,
/// `10s`, `2m`. Zero is not a timeout, and nothing over `MAX_TIMEOUT` is one.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let duration = match unit {
        "" | "s" => Duration::from_secs(number),
        "ms" => Duration::from_millis(number),
        "m" => Duration::from_secs(number.checked_mul(60)?),
        _ => return None,
    };
    Some(duration).filter(|d| !d.is_zero() && *d <= MAX_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)], flags: &VaultFlags) -> Result<Settings, VaultError> {
        let env = |key: &str| {
            let found = pairs.iter().find(|(k, _)| *k == key);
            found.map(|(_, v)| v.to_string())
        };
        Settings::read(flags, env, false)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("750ms"), Some(Duration::from_millis(750)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), None);
        assert_eq!(parse_duration("5 seconds"), None);
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration("60m"), Some(MAX_TIMEOUT));
        assert_eq!(parse_duration("61m"), None);
        assert_eq!(parse_duration("18446744073709551615"), None);
        assert_eq!(parse_duration("18446744073709551615m"), None);
        assert_eq!(parse_duration("99999999999999999999999"), None);
    }

    #[test]
    fn flags_win_over_variables() {
        let flags = VaultFlags {
            timeout: Some(Duration::from_secs(1)),
            secret_id_file: Some("/run/secrets/sid".into()),
            ..VaultFlags::default()
        };
        let env = [
            ("VAULT_ADDR", "https://vault:8200/"),
            ("VAULT_CLIENT_TIMEOUT", "9"),
            ("VAULT_ROLE_ID", "web"),
            ("VAULT_SECRET_ID", "from-env"),
            ("VAULT_CACERT", "/ca.pem"),
            ("VAULT_CAPATH", "/certs"),
        ];
        let settings = read(&env, &flags).unwrap();
        assert_eq!(settings.addr, "https://vault:8200");
        assert_eq!(settings.timeout, Duration::from_secs(1));
        assert_eq!(settings.roots, Roots::File("/ca.pem".into()));
        let Some(Login::AppRole { secret_id, .. }) = settings.login else {
            panic!("AppRole expected");
        };
        assert_eq!(secret_id, SecretId::File("/run/secrets/sid".into()));
    }

    #[test]
    fn kubernetes_login_and_bad_settings() {
        let env = [("VAULT_ADDR", "http://v"), ("VAULT_K8S_ROLE", "web")];
        let settings = read(&env, &VaultFlags::default()).unwrap();
        let expected = Login::Kubernetes {
            role: "web".into(),
            jwt_file: K8S_TOKEN_FILE.into(),
        };
        assert_eq!(settings.login, Some(expected));
        let env = [("VAULT_ADDR", "http://v"), ("VAULT_SKIP_VERIFY", "maybe")];
        assert!(read(&env, &VaultFlags::default()).is_err());
        let env = [("VAULT_ADDR", "vault:8200")];
        let err = read(&env, &VaultFlags::default()).err().unwrap();
        assert!(matches!(err, VaultError::BadAddress { .. }), "{err}");
        let env = [("VAULT_ADDR", "http://v"), ("VAULT_ROLE_ID", "web")];
        let err = read(&env, &VaultFlags::default()).err().unwrap();
        assert!(matches!(err, VaultError::NoSecretId), "{err}");
    }

    #[test]
    fn skip_verify_is_refused_when_strict() {
        let env = |key: &str| match key {
            "VAULT_ADDR" => Some("https://v".to_string()),
            "VAULT_SKIP_VERIFY" => Some("true".to_string()),
            _ => None,
        };
        assert!(Settings::read(&VaultFlags::default(), env, false).is_ok_and(|s| s.skip_verify));
        let err = Settings::read(&VaultFlags::default(), env, true)
            .err()
            .unwrap();
        assert!(matches!(err, VaultError::SkipVerifyRefused));
    }
}
