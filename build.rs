//! Embeds every `patterns/**/*.yaml` file in the binary: parses each once here and writes a
//! table of (relative path, the file as JSON) that `rules::builtin` includes, so start-up parses
//! compact JSON instead of YAML (the pre-commit hook runs on every commit). A file that is not
//! valid YAML fails the build, naming the file; the rule schema is checked when loading.

#[path = "src/rules/yaml.rs"]
mod yaml;

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let patterns = root.join("patterns");
    println!("cargo:rerun-if-changed=patterns");
    let mut files = Vec::new();
    collect(&patterns, &mut files);
    files.sort();
    let mut table = String::from("pub static BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let value: serde_json::Value =
            yaml::from_str(&text).unwrap_or_else(|e| panic!("{rel}: not valid YAML: {e}"));
        table.push_str(&format!("    ({rel:?}, {:?}),\n", value.to_string()));
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    fs::write(out, table).unwrap();
}
