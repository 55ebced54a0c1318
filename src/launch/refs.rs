//! Secret references in values, resolved at start: `vault://MOUNT/PATH#FIELD` (HashiCorp Vault
//! KV v2) and `file:///run/secrets/name` (Docker and Kubernetes secret files). A reference that
//! cannot be resolved is reported by variable, origin and reference, never by value.

use super::env::Plan;
use super::vault::Vault;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, PartialEq, Eq)]
pub enum Reference {
    Vault {
        mount: String,
        path: String,
        field: String,
    },
    File(PathBuf),
}

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
    let malformed = || "expected vault://MOUNT/PATH#FIELD".to_string();
    let (location, field) = rest.split_once('#').ok_or_else(malformed)?;
    let (mount, path) = location.split_once('/').ok_or_else(malformed)?;
    if mount.is_empty() || path.is_empty() || field.is_empty() {
        return Err(malformed());
    }
    Ok(Reference::Vault {
        mount: mount.into(),
        path: path.into(),
        field: field.into(),
    })
}

/// Resolves every reference in the plan; returns one message per variable that failed.
/// File references go first, so `VAULT_TOKEN=file:///run/secrets/vault-token` works.
pub fn resolve_all(plan: &mut Plan) -> Vec<String> {
    let mut failures = Vec::new();
    let mut pending: Vec<(String, Reference)> = Vec::new();
    let keys: Vec<String> = plan.vars.keys().cloned().collect();
    for key in keys {
        let value = &plan.vars[&key].value;
        match parse(value) {
            None => {}
            Some(Err(why)) => failures.push(failure(plan, &key, &why)),
            Some(Ok(Reference::File(path))) => match read_secret_file(&path) {
                Ok(secret) => set(plan, &key, secret),
                Err(why) => failures.push(failure(plan, &key, &why)),
            },
            Some(Ok(vault)) => pending.push((key, vault)),
        }
    }
    if !pending.is_empty() {
        resolve_vault(plan, pending, &mut failures);
    }
    failures
}

fn resolve_vault(plan: &mut Plan, pending: Vec<(String, Reference)>, failures: &mut Vec<String>) {
    let vault = match Vault::connect(|key| plan.get(key).map(str::to_string)) {
        Ok(vault) => vault,
        Err(err) => {
            let why = err.to_string();
            failures.extend(pending.iter().map(|(key, _)| failure(plan, key, &why)));
            return;
        }
    };
    let mut cache = HashMap::new();
    for (key, reference) in pending {
        let Reference::Vault { mount, path, field } = reference else {
            continue;
        };
        match vault.field(&mut cache, &mount, &path, &field) {
            Ok(secret) => set(plan, &key, secret),
            Err(err) => failures.push(failure(plan, &key, &err.to_string())),
        }
    }
}

fn set(plan: &mut Plan, key: &str, secret: String) {
    let var = plan.vars.get_mut(key).expect("key comes from the plan");
    let reference = std::mem::replace(&mut var.value, secret);
    var.reference = Some(reference);
}

fn failure(plan: &Plan, key: &str, why: &str) -> String {
    let var = &plan.vars[key];
    format!(
        "cannot resolve {key} ({}) = {}: {why}",
        var.origin, var.value
    )
}

/// The file's contents without one trailing newline (`echo secret > file` adds one).
fn read_secret_file(path: &std::path::Path) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let mut text =
        String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.contains('\0') {
        return Err(format!(
            "{} holds a NUL byte, which no environment variable can",
            path.display()
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let vault = Reference::Vault {
            mount: "secret".into(),
            path: "team/app".into(),
            field: "db".into(),
        };
        assert_eq!(parse("vault://secret/team/app#db"), Some(Ok(vault)));
        assert_eq!(
            parse("file:///run/secrets/x"),
            Some(Ok(Reference::File("/run/secrets/x".into())))
        );
        assert!(parse("vault://secret#db").unwrap().is_err());
        assert!(parse("vault://secret/app").unwrap().is_err());
        assert!(parse("file://relative").unwrap().is_err());
        assert_eq!(parse("postgres://u:p@h/db"), None);
    }

    #[test]
    fn secret_file_loses_one_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "s3cr3t-value\n\n").unwrap();
        assert_eq!(read_secret_file(&path).unwrap(), "s3cr3t-value\n");
    }
}
