//! The syntax of secret references and `--vault-path` arguments, parsed into values; no I/O.
//!
//! - `vault://MOUNT/PATH#FIELD`, optionally pinned: `vault://MOUNT/PATH?version=N#FIELD`
//!   (URL order, the documented form) or `vault://MOUNT/PATH#FIELD?version=N` (accepted).
//! - `file:///ABSOLUTE/PATH` (Docker and Kubernetes secret files).
//! - `--vault-path [PREFIX=]MOUNT/PATH[?version=N]`: every field of one secret, each as the
//!   variable PREFIX + the field name upper-cased (characters other than letters, digits and
//!   `_` become `_`).

use super::vault::SecretPath;
use std::path::PathBuf;

#[derive(Debug, PartialEq, Eq)]
pub enum Reference {
    Vault { secret: SecretPath, field: String },
    File(PathBuf),
}

const VAULT_SYNTAX: &str =
    "expected vault://MOUNT/PATH#FIELD or vault://MOUNT/PATH?version=N#FIELD";

pub fn is_reference(value: &str) -> bool {
    value.starts_with("vault://") || value.starts_with("file://")
}

/// `None` when the value is not a reference; an error when it is one but malformed.
pub fn parse(value: &str) -> Option<Result<Reference, String>> {
    if let Some(rest) = value.strip_prefix("vault://") {
        return Some(parse_vault(rest));
    }
    let rest = value.strip_prefix("file://")?;
    Some(match rest.starts_with('/') {
        true => Ok(Reference::File(PathBuf::from(rest))),
        false => Err("expected file:///ABSOLUTE/PATH".to_string()),
    })
}

fn parse_vault(rest: &str) -> Result<Reference, String> {
    let (location, field) = rest.split_once('#').ok_or(VAULT_SYNTAX)?;
    let (location, version) = split_version(location)?;
    let (field, trailing) = match field.rsplit_once("?version=") {
        Some((field, number)) => (field, Some(version_number(number)?)),
        None => (field, None),
    };
    if version.is_some() && trailing.is_some() {
        return Err("give ?version=N once".into());
    }
    let secret = secret_path(location, version.or(trailing)).ok_or(VAULT_SYNTAX)?;
    if field.is_empty() {
        return Err(VAULT_SYNTAX.into());
    }
    Ok(Reference::Vault {
        secret,
        field: field.into(),
    })
}

/// `MOUNT/PATH?version=N` into the location and the version.
fn split_version(location: &str) -> Result<(&str, Option<u64>), String> {
    match location.split_once('?') {
        None => Ok((location, None)),
        Some((location, query)) => match query.strip_prefix("version=") {
            Some(number) => Ok((location, Some(version_number(number)?))),
            None => Err(format!(
                "unknown query ?{query}; only ?version=N is understood"
            )),
        },
    }
}

fn version_number(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(version) if version > 0 => Ok(version),
        _ => Err(format!("version {text} is not a positive whole number")),
    }
}

/// The mount is the first segment; the rest is the secret's path in it.
fn secret_path(location: &str, version: Option<u64>) -> Option<SecretPath> {
    let (mount, path) = location.trim_matches('/').split_once('/')?;
    let path = path.trim_matches('/');
    (!mount.is_empty() && !path.is_empty()).then(|| SecretPath {
        mount: mount.into(),
        path: path.into(),
        version,
    })
}

/// One `--vault-path`: which secret, and the prefix of its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSpec {
    pub prefix: String,
    pub secret: SecretPath,
    /// The argument as given, for messages and `--dry-run`.
    pub text: String,
}

impl PathSpec {
    /// `[PREFIX=]MOUNT/PATH[?version=N]`; a `=` counts as the prefix's only before any `/`.
    pub fn parse(text: &str) -> Result<PathSpec, String> {
        let (prefix, location) = match text.split_once('=') {
            Some((prefix, location)) if !prefix.contains(['/', '?']) => (prefix, location),
            _ => ("", text),
        };
        let valid = prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid || prefix.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("--vault-path {text}: prefix {prefix} is not a variable name prefix (letters, digits, _)"));
        }
        let (location, version) =
            split_version(location).map_err(|why| format!("--vault-path {text}: {why}"))?;
        let secret = secret_path(location, version).ok_or_else(|| {
            format!("--vault-path {text}: expected [PREFIX=]MOUNT/PATH[?version=N]")
        })?;
        Ok(PathSpec {
            prefix: prefix.into(),
            secret,
            text: text.into(),
        })
    }

    /// The variable a field becomes: `db-password` with prefix `APP_` is `APP_DB_PASSWORD`.
    pub fn variable(&self, field: &str) -> String {
        let name: String = field
            .chars()
            .map(|c| match c.is_ascii_alphanumeric() {
                true => c.to_ascii_uppercase(),
                false => '_',
            })
            .collect();
        format!("{}{name}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(path: &str, version: Option<u64>, field: &str) -> Reference {
        let secret = SecretPath {
            mount: "secret".into(),
            path: path.into(),
            version,
        };
        Reference::Vault {
            secret,
            field: field.into(),
        }
    }

    #[test]
    fn parses_references() {
        assert_eq!(
            parse("vault://secret/team/app#db"),
            Some(Ok(vault("team/app", None, "db")))
        );
        assert_eq!(
            parse("file:///run/secrets/x"),
            Some(Ok(Reference::File("/run/secrets/x".into())))
        );
        assert!(parse("vault://secret#db").unwrap().is_err());
        assert!(parse("vault://secret/app").unwrap().is_err());
        assert!(parse("vault://secret/app#").unwrap().is_err());
        assert!(parse("file://relative").unwrap().is_err());
        assert_eq!(parse("postgres://u:p@h/db"), None);
    }

    #[test]
    fn versions_in_either_place() {
        let pinned = Some(Ok(vault("app", Some(3), "db")));
        assert_eq!(parse("vault://secret/app?version=3#db"), pinned);
        assert_eq!(parse("vault://secret/app#db?version=3"), pinned);
        assert!(parse("vault://secret/app?version=3#db?version=4")
            .unwrap()
            .is_err());
        assert!(parse("vault://secret/app?version=0#db").unwrap().is_err());
        assert!(parse("vault://secret/app?version=x#db").unwrap().is_err());
        let err = parse("vault://secret/app?v=3#db").unwrap().unwrap_err();
        assert!(err.contains("only ?version=N"), "{err}");
    }

    #[test]
    fn path_specs_and_variable_names() {
        let spec = PathSpec::parse("APP_=secret/team/app?version=2").unwrap();
        assert_eq!(spec.prefix, "APP_");
        assert_eq!(spec.secret.to_string(), "secret/team/app?version=2");
        assert_eq!(spec.variable("db-password"), "APP_DB_PASSWORD");
        let spec = PathSpec::parse("secret/app").unwrap();
        assert_eq!(spec.prefix, "");
        assert_eq!(spec.variable("api.key"), "API_KEY");
        assert!(PathSpec::parse("secret").is_err());
        assert!(PathSpec::parse("A-B=secret/app").is_err());
        assert!(PathSpec::parse("1A=secret/app").is_err());
    }
}
