//! The rules under `patterns/` as the recall set needs them: id, kind, the file that holds
//! each one, and the checksum validator a rule declares (`validate:`), read straight from the
//! YAML so that a rule added or changed is seen without any list kept here.

use std::path::{Path, PathBuf};

pub struct RuleInfo {
    pub id: String,
    pub kind: String,
    /// Relative to `patterns/`, e.g. `code/github.yaml`.
    pub file: String,
    pub validate: Option<String>,
}

impl RuleInfo {
    /// A provider-token rule: a secret rule whose format a provider documents, i.e. every
    /// secret rule but the generic assignment rules, connection strings, credential files
    /// and hygiene.
    pub fn needs_spec(&self) -> bool {
        self.kind == "secret"
            && self.file != "generic.yaml"
            && !["databases/", "files/", "hygiene/"]
                .iter()
                .any(|dir| self.file.starts_with(dir))
    }
}

impl RuleInfo {
    /// The generic assignment rules (any high-entropy value in a secret-named variable).
    pub fn is_generic(&self) -> bool {
        self.file == "generic.yaml"
    }
}

pub fn patterns_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns")
}

pub fn load() -> Vec<RuleInfo> {
    let root = patterns_dir();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut rules = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("failed to read patterns/{rel}: {e}"));
        let doc: serde_yaml::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("failed to parse patterns/{rel}: {e}"));
        let list = doc["rules"].as_sequence().cloned().unwrap_or_default();
        for rule in list {
            let field = |k: &str| rule[k].as_str().map(str::to_string);
            rules.push(RuleInfo {
                id: field("id").unwrap_or_default(),
                kind: field("kind").unwrap_or_default(),
                file: rel.clone(),
                validate: field("validate"),
            });
        }
    }
    rules
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}
