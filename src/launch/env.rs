//! The environment the program will get, with provenance. Merges the process environment and
//! the env files under the documented precedence, remembers which source won and which it
//! shadowed, and tells which variables the launcher itself must set or withhold. It never
//! mutates the process environment: the result is given to `Command::envs`.

use super::envfile::EnvFile;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Credentials the launcher uses to reach Vault and never passes on to the program.
pub const WITHHELD: [&str; 2] = ["VAULT_TOKEN", "VAULT_SECRET_ID"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File { path: PathBuf, line: usize },
    Process,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Process => f.write_str("process environment"),
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
}

impl Plan {
    /// Later files override earlier ones; the process environment wins over every file unless
    /// `override_existing`.
    pub fn new(
        process: BTreeMap<String, String>,
        files: &[EnvFile],
        override_existing: bool,
    ) -> Plan {
        let mut vars: BTreeMap<String, Var> = BTreeMap::new();
        for file in files {
            for entry in &file.entries {
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
        let mut plan = Plan { vars, process };
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
            .filter(|(key, var)| var.set_by_launcher() && !WITHHELD.contains(&key.as_str()))
            .map(|(key, var)| (key.as_str(), var.value.as_str()))
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
    use crate::launch::envfile::Entry;

    fn file(name: &str, pairs: &[(&str, &str)]) -> EnvFile {
        let entries = pairs
            .iter()
            .enumerate()
            .map(|(i, (k, v))| Entry {
                key: k.to_string(),
                value: v.to_string(),
                line: i + 1,
            })
            .collect();
        EnvFile {
            path: PathBuf::from(name),
            entries,
        }
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
}
