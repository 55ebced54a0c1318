//! Resolves references and loads `--vault-path` secrets into the plan before the program
//! starts. Secret files go first, so `VAULT_TOKEN=file:///run/secrets/vault-token` works;
//! then one Vault session: one login, each distinct secret read once (several at a time), and
//! every variable given its field. What fails or deserves a warning comes back as a `Problem`
//! naming the variable, where it was set and the reference, never a value.

use super::plan::{Origin, Plan};
use super::problems::{self, Level, Problem};
use super::refs::{self, PathSpec, Reference};
use super::vault::{SecretPath, Settings, Vault, VaultError, VaultFlags, VaultSecret};
use std::collections::BTreeMap;

/// What the resolver needs from the command line.
pub struct Options<'a> {
    pub flags: &'a VaultFlags,
    pub paths: &'a [PathSpec],
    /// `--profile production`: Vault's certificate must be checked.
    pub strict: bool,
}

pub fn resolve_all(plan: &mut Plan, options: &Options) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut pending: Vec<(String, SecretPath, String)> = Vec::new();
    let keys: Vec<String> = plan.vars.keys().cloned().collect();
    for key in keys {
        match refs::parse(&plan.vars[&key].value) {
            None => {}
            Some(Err(why)) => problems.push(fatal(format!(
                "cannot resolve {}: {why}",
                target(plan, &key)
            ))),
            Some(Ok(Reference::File(path))) => resolve_file(plan, &key, &path, &mut problems),
            Some(Ok(Reference::Vault { secret, field })) => pending.push((key, secret, field)),
        }
    }
    if !pending.is_empty() || !options.paths.is_empty() {
        resolve_vault(plan, &pending, options, &mut problems);
    }
    problems
}

fn resolve_file(plan: &mut Plan, key: &str, path: &std::path::Path, problems: &mut Vec<Problem>) {
    let used_by = format!("{key}, {}", plan.vars[key].origin);
    problems.extend(problems::secret_file_problems(path, &used_by));
    match read_secret_file(path) {
        Ok(secret) => set(plan, key, secret),
        Err(why) => problems.push(fatal(format!(
            "cannot resolve {}: {why}",
            target(plan, key)
        ))),
    }
}

fn resolve_vault(
    plan: &mut Plan,
    pending: &[(String, SecretPath, String)],
    options: &Options,
    problems: &mut Vec<Problem>,
) {
    let vault = match connect(plan, options, problems) {
        Ok(vault) => vault,
        Err(err) => {
            let mut targets: Vec<String> =
                pending.iter().map(|(key, ..)| target(plan, key)).collect();
            targets.extend(
                options
                    .paths
                    .iter()
                    .map(|spec| format!("--vault-path {}", spec.text)),
            );
            problems.push(fatal(format!(
                "cannot resolve {}: {err}",
                targets.join(", ")
            )));
            return;
        }
    };
    if plan.pass_vault_token {
        plan.pass_token(vault.token(), vault.token_source().to_string());
    }
    let mut secrets: Vec<SecretPath> = pending
        .iter()
        .map(|(_, secret, _)| secret.clone())
        .collect();
    secrets.extend(options.paths.iter().map(|spec| spec.secret.clone()));
    secrets.sort();
    secrets.dedup();
    let read: BTreeMap<SecretPath, Result<VaultSecret, VaultError>> = secrets
        .iter()
        .cloned()
        .zip(vault.read_all(&secrets))
        .collect();
    assign_fields(plan, pending, &read, problems);
    for spec in options.paths {
        load_path(plan, spec, &read[&spec.secret], problems);
    }
}

/// Vault's settings from the flags and the merged environment, then the login.
fn connect(
    plan: &Plan,
    options: &Options,
    problems: &mut Vec<Problem>,
) -> Result<Vault, VaultError> {
    let settings = Settings::read(
        options.flags,
        |key| plan.get(key).map(str::to_string),
        options.strict,
    )?;
    if settings.skip_verify {
        problems.push(Problem {
            level: Level::Warning,
            message:
                "VAULT_SKIP_VERIFY is set: Vault's TLS certificate is not checked, so whoever \
                      sits between here and Vault can read the token and the secrets; set \
                      VAULT_CACERT or VAULT_CAPATH instead"
                    .into(),
        });
    }
    Vault::connect(&settings)
}

/// Gives each reference its field. A secret that could not be read fails once, naming every
/// variable that refers to it; a missing field fails its own variable.
fn assign_fields(
    plan: &mut Plan,
    pending: &[(String, SecretPath, String)],
    read: &BTreeMap<SecretPath, Result<VaultSecret, VaultError>>,
    problems: &mut Vec<Problem>,
) {
    let mut unreadable: BTreeMap<&SecretPath, Vec<String>> = BTreeMap::new();
    for (key, secret, field) in pending {
        match &read[secret] {
            Err(_) => unreadable
                .entry(secret)
                .or_default()
                .push(target(plan, key)),
            Ok(found) => match found.field(field) {
                Ok(value) => set(plan, key, value),
                Err(err) => problems.push(fatal(format!(
                    "cannot resolve {}: {err}",
                    target(plan, key)
                ))),
            },
        }
    }
    for (secret, targets) in unreadable {
        if let Err(err) = &read[secret] {
            problems.push(fatal(format!(
                "cannot resolve {}: {err}",
                targets.join(", ")
            )));
        }
    }
}

/// Every field of one `--vault-path` secret, as variables under the plan's precedence.
fn load_path(
    plan: &mut Plan,
    spec: &PathSpec,
    read: &Result<VaultSecret, VaultError>,
    problems: &mut Vec<Problem>,
) {
    let secret = match read {
        Ok(secret) => secret,
        Err(err) => {
            problems.push(fatal(format!(
                "cannot load --vault-path {}: {err}",
                spec.text
            )));
            return;
        }
    };
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (field, value) in secret.values() {
        let key = spec.variable(&field);
        if let Some(other) = names.insert(key.clone(), field.clone()) {
            let message = format!(
                "cannot load --vault-path {}: fields {other} and {field} would both be {key}",
                spec.text
            );
            problems.push(fatal(message));
            continue;
        }
        super::hidden::hide(&value);
        let origin = Origin::Vault(format!("--vault-path {}", spec.text));
        let reference = format!("vault://{}#{field}", spec.secret);
        plan.layer(&key, value, origin, reference);
    }
}

fn set(plan: &mut Plan, key: &str, secret: String) {
    super::hidden::hide(&secret);
    let var = plan.vars.get_mut(key).expect("key comes from the plan");
    let reference = std::mem::replace(&mut var.value, secret);
    var.reference = Some(reference);
}

/// `DB_PASSWORD (.env:3) = vault://secret/app#db`: the variable, where it was set, the
/// reference (still the value: references are replaced only once resolved).
fn target(plan: &Plan, key: &str) -> String {
    let var = &plan.vars[key];
    format!("{key} ({}) = {}", var.origin, var.value)
}

fn fatal(message: String) -> Problem {
    Problem {
        level: Level::Fatal,
        message,
    }
}

/// The file's contents without one trailing newline (`echo secret > file` adds one).
fn read_secret_file(path: &std::path::Path) -> Result<String, String> {
    let bytes = super::secretfile::read(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
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
    fn secret_file_loses_one_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "s3cr3t-value\n\n").unwrap();
        assert_eq!(read_secret_file(&path).unwrap(), "s3cr3t-value\n");
    }

    #[test]
    fn malformed_references_name_the_variable() {
        let process = [("DB".to_string(), "vault://secret#db".to_string())].into();
        let mut plan = Plan::new(process, &[], false);
        let options = Options {
            flags: &VaultFlags::default(),
            paths: &[],
            strict: false,
        };
        let problems = resolve_all(&mut plan, &options);
        assert_eq!(problems.len(), 1);
        let message = &problems[0].message;
        assert!(
            message.starts_with(
                "cannot resolve DB (process environment) = vault://secret#db: expected"
            ),
            "{message}"
        );
    }
}
