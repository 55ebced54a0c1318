//! The environment the program will get, with provenance. Merges the process environment and
//! the env files under the documented precedence, remembers which source won and which it
//! shadowed, and tells which variables the launcher itself must set or withhold. Secrets that
//! `--vault-path` loads are layered in later, under the same precedence (`layer`). It never
//! mutates the process environment: the result is given to `Command::envs`.

use super::dotenv::DotenvFile;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Credentials the launcher uses to reach Vault and does not pass on to the program
/// (`--pass-vault-token` lets the token through; the AppRole secret id never goes).
pub const WITHHELD: [&str; 2] = ["VAULT_TOKEN", "VAULT_SECRET_ID"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File {
        path: PathBuf,
        line: usize,
    },
    Process,
    /// Produced by the launcher from Vault: `--vault-path APP_=secret/app`, or the token of a
    /// login (`--pass-vault-token`).
    Vault(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Process => f.write_str("process environment"),
            Origin::Vault(source) => f.write_str(source),
        }
    }
}

pub struct Var {
    pub value: String,
    pub origin: Origin,
    /// Sources that also set this key but lost, earliest first.
    pub shadowed: Vec<Origin>,
    /// The reference the value was resolved from (`vault://…`, `file://…`), if any.
    pub reference: Option<String>,
}

impl Var {
    /// Whether the value differs from what the program would inherit anyway.
    pub fn set_by_launcher(&self) -> bool {
        self.origin != Origin::Process || self.reference.is_some()
    }
}

/// Every variable an env file declared, plus process variables that hold references.
pub struct Plan {
    pub vars: BTreeMap<String, Var>,
    pub process: BTreeMap<String, String>,
    /// `--override`: launcher-set values win over the process environment too.
    pub override_existing: bool,
    /// `--pass-vault-token`: the program gets `VAULT_TOKEN`.
    pub pass_vault_token: bool,
}

impl Plan {
    /// Later files override earlier ones; the process environment wins over every file unless
    /// `override_existing`.
    pub fn new(
        process: BTreeMap<String, String>,
        files: &[DotenvFile],
        override_existing: bool,
    ) -> Plan {
        let mut vars: BTreeMap<String, Var> = BTreeMap::new();
        for file in files {
            for entry in file.entries.iter().filter(|entry| !entry.bare) {
                let origin = Origin::File {
                    path: file.path.clone(),
                    line: entry.line,
                };
                let var = Var {
                    value: entry.value.clone(),
                    origin,
                    shadowed: Vec::new(),
                    reference: None,
                };
                if let Some(old) = vars.insert(entry.key.clone(), var) {
                    let new = vars.get_mut(&entry.key).expect("just inserted");
                    new.shadowed = old.shadowed;
                    new.shadowed.push(old.origin);
                }
            }
        }
        for (key, var) in vars.iter_mut() {
            if let Some(value) = process.get(key) {
                apply_process(var, value, override_existing);
            }
        }
        let mut plan = Plan {
            vars,
            process,
            override_existing,
            pass_vault_token: false,
        };
        plan.adopt_process_references();
        plan
    }

    /// Process variables whose value is a reference are resolved like file values.
    fn adopt_process_references(&mut self) {
        for (key, value) in &self.process {
            if !self.vars.contains_key(key) && super::refs::is_reference(value) {
                let var = Var {
                    value: value.clone(),
                    origin: Origin::Process,
                    shadowed: Vec::new(),
                    reference: None,
                };
                self.vars.insert(key.clone(), var);
            }
        }
    }

    /// The value the program will see for `key` (withheld credentials included).
    pub fn get(&self, key: &str) -> Option<&str> {
        match self.vars.get(key) {
            Some(var) => Some(&var.value),
            None => self.process.get(key).map(String::as_str),
        }
    }

    /// The variables to give to `Command::envs`.
    pub fn changes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .filter(|(key, var)| var.set_by_launcher() && !self.withheld().contains(&key.as_str()))
            .map(|(key, var)| (key.as_str(), var.value.as_str()))
    }

    /// The credentials to remove from the program's environment.
    pub fn withheld(&self) -> &'static [&'static str] {
        match self.pass_vault_token {
            true => &WITHHELD[1..],
            false => &WITHHELD,
        }
    }

    /// Adds a value the launcher produced (a `--vault-path` field) above the env files: it
    /// replaces a file's value, and loses to the process environment unless `--override`.
    pub fn layer(&mut self, key: &str, value: String, origin: Origin, reference: String) {
        let new = Var {
            value,
            origin,
            shadowed: Vec::new(),
            reference: Some(reference),
        };
        let old = match self.vars.remove(key) {
            Some(old) => old,
            None => match self.process.get(key) {
                Some(value) => Var {
                    value: value.clone(),
                    origin: Origin::Process,
                    shadowed: Vec::new(),
                    reference: None,
                },
                None => {
                    self.vars.insert(key.to_string(), new);
                    return;
                }
            },
        };
        let (mut winner, loser) = match old.origin == Origin::Process && !self.override_existing {
            true => (old, new),
            false => (new, old),
        };
        winner.shadowed.extend(loser.shadowed);
        winner.shadowed.push(loser.origin);
        self.vars.insert(key.to_string(), winner);
    }

    /// Gives the program the token the launcher used, when it is not already in its
    /// environment (it came from a login or from `~/.vault-token`).
    pub fn pass_token(&mut self, token: &str, source: String) {
        if self.get("VAULT_TOKEN") == Some(token) {
            return;
        }
        let var = Var {
            value: token.to_string(),
            origin: Origin::Vault(source),
            shadowed: Vec::new(),
            reference: None,
        };
        self.vars.insert("VAULT_TOKEN".to_string(), var);
    }
}

fn apply_process(var: &mut Var, value: &str, override_existing: bool) {
    if override_existing {
        var.shadowed.push(Origin::Process);
    } else {
        let file_origin = std::mem::replace(&mut var.origin, Origin::Process);
        var.shadowed.push(file_origin);
        var.value = value.to_string();
    }
}

/// The process environment, as far as it is UTF-8 (other variables pass through untouched).
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, pairs: &[(&str, &str)]) -> DotenvFile {
        DotenvFile::from_pairs(name, pairs)
    }

    fn process(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn precedence() {
        let files = [
            file("a", &[("X", "a"), ("Y", "a")]),
            file("b", &[("Y", "b"), ("Z", "b")]),
        ];
        let plan = Plan::new(process(&[("Z", "env")]), &files, false);
        assert_eq!(plan.get("X"), Some("a"));
        assert_eq!(plan.get("Y"), Some("b"));
        assert_eq!(plan.get("Z"), Some("env"));
        assert_eq!(
            plan.vars["Y"].shadowed,
            [Origin::File {
                path: "a".into(),
                line: 2
            }]
        );
        let changes: Vec<_> = plan.changes().collect();
        assert_eq!(changes, [("X", "a"), ("Y", "b")]);

        let plan = Plan::new(process(&[("Z", "env")]), &files, true);
        assert_eq!(plan.get("Z"), Some("b"));
        assert_eq!(plan.vars["Z"].shadowed, [Origin::Process]);
    }

    #[test]
    fn process_references_are_adopted_and_credentials_withheld() {
        let env = process(&[
            ("DB", "vault://secret/app#db"),
            ("VAULT_TOKEN", "t"),
            ("HOME", "/h"),
        ]);
        let plan = Plan::new(env, &[file("a", &[("VAULT_SECRET_ID", "s")])], false);
        assert!(plan.vars.contains_key("DB"));
        assert!(!plan.vars.contains_key("HOME"));
        assert!(plan.changes().all(|(k, _)| k != "VAULT_SECRET_ID"));
    }

    #[test]
    fn layered_values_beat_files_but_not_the_process_unless_override() {
        let files = [file("a", &[("A", "file"), ("B", "file")])];
        let vault = || Origin::Vault("--vault-path secret/app".into());
        for override_existing in [false, true] {
            let mut plan = Plan::new(
                process(&[("B", "env"), ("C", "env")]),
                &files,
                override_existing,
            );
            for key in ["A", "B", "C", "D"] {
                plan.layer(
                    key,
                    "vault".into(),
                    vault(),
                    format!("vault://secret/app#{key}"),
                );
            }
            assert_eq!(plan.get("A"), Some("vault"));
            assert_eq!(
                plan.vars["A"].shadowed,
                [Origin::File {
                    path: "a".into(),
                    line: 1
                }]
            );
            assert_eq!(plan.get("D"), Some("vault"));
            let expected = if override_existing { "vault" } else { "env" };
            assert_eq!(plan.get("B"), Some(expected));
            assert_eq!(plan.get("C"), Some(expected));
            let changes: Vec<_> = plan.changes().map(|(k, _)| k).collect();
            let expected: &[&str] = if override_existing {
                &["A", "B", "C", "D"]
            } else {
                &["A", "D"]
            };
            assert_eq!(changes, expected);
        }
    }

    #[test]
    fn a_passed_token_is_not_withheld() {
        let mut plan = Plan::new(process(&[("VAULT_SECRET_ID", "s")]), &[], false);
        plan.pass_vault_token = true;
        plan.pass_token("s.tok", "Vault login at auth/approle/login".into());
        let changes: Vec<_> = plan.changes().collect();
        assert_eq!(changes, [("VAULT_TOKEN", "s.tok")]);
        assert_eq!(plan.withheld(), ["VAULT_SECRET_ID"]);
    }
}
