//! Embeds every `patterns/**/*.yaml` file in the binary: parses each once here and writes its
//! rules as Rust statics (`rules::builtin::BUILTIN_RULES`), so start-up parses nothing (the
//! pre-commit hook runs on every commit). A file that is not valid YAML, or whose rules do not
//! follow the schema (an unknown key, a value of the wrong type), fails the build, naming the
//! file; `cargo test` checks that the statics are what the strict YAML loader reads. It also
//! builds the keyword automaton of the built-in rules' keywords and writes its tables
//! (`rules::builtin::BUILTIN_DFA`), which the common case (no user rules with new keywords)
//! uses instead of building it at every start.

#[path = "src/rules/yaml.rs"]
mod yaml;

/// The run-time automaton builder itself, so that the tables written here are the ones it
/// would build (`cargo test` compares them too).
#[path = "src/rules/automaton.rs"]
#[allow(dead_code)]
mod automaton;

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

/// The keys of a rule, and whether each holds a list of strings (else a string, except
/// `min_entropy`, a number).
const KEYS: &[(&str, bool)] = &[
    ("id", false),
    ("title", false),
    ("kind", false),
    ("severity", false),
    ("keywords", true),
    ("pattern", false),
    ("min_entropy", false),
    ("paths", true),
    ("remediation", false),
    ("references", true),
    ("examples", true),
    ("negative_examples", true),
];

/// One rule as a `BuiltinRule` expression; panics (failing the build) on a schema error.
fn rule_expr(rel: &str, rule: &serde_json::Value) -> String {
    let fields = rule
        .as_object()
        .unwrap_or_else(|| panic!("{rel}: a rule is not a mapping"));
    let id = fields.get("id").and_then(|v| v.as_str()).unwrap_or("?");
    let fail = |msg: String| -> ! { panic!("{rel}: rule `{id}`: {msg}") };
    if let Some(bad) = fields
        .keys()
        .find(|k| !KEYS.iter().any(|(key, _)| key == k))
    {
        fail(format!("unknown key `{bad}`"));
    }
    let mut out = format!("    BuiltinRule {{\n        file: {rel:?},\n");
    for (key, list) in KEYS {
        let value = fields.get(*key);
        let expr = match (*key, value) {
            ("min_entropy", None) => "None".to_string(),
            ("min_entropy", Some(v)) => match v.as_f64() {
                Some(n) => format!("Some({n:?})"),
                None => fail("min_entropy is not a number".into()),
            },
            ("kind", Some(v)) => variant(v, &["secret", "hygiene"], "Kind")
                .unwrap_or_else(|| fail(format!("bad kind {v}"))),
            ("severity", Some(v)) => variant(v, &["low", "medium", "high", "critical"], "Severity")
                .unwrap_or_else(|| fail(format!("bad severity {v}"))),
            (_, None) if *list => "&[]".to_string(),
            (_, None) => fail(format!("missing `{key}`")),
            (_, Some(v)) if *list => match v.as_array() {
                Some(items) => {
                    let items: Option<Vec<String>> = items
                        .iter()
                        .map(|i| i.as_str().map(|s| format!("{s:?}")))
                        .collect();
                    let items =
                        items.unwrap_or_else(|| fail(format!("`{key}` holds a non-string")));
                    format!("&[{}]", items.join(", "))
                }
                None => fail(format!("`{key}` is not a list")),
            },
            (_, Some(v)) => match v.as_str() {
                Some(text) => format!("{text:?}"),
                None => fail(format!("`{key}` is not a string")),
            },
        };
        out.push_str(&format!("        {key}: {expr},\n"));
    }
    out.push_str("    },\n");
    out
}

/// A rule's keywords, lower-cased, each added once in first-seen order: the order in which
/// `RuleSet::new` numbers them.
fn add_keywords(rule: &serde_json::Value, keywords: &mut Vec<String>) {
    let listed = rule.get("keywords").and_then(|k| k.as_array());
    for keyword in listed.into_iter().flatten().filter_map(|k| k.as_str()) {
        let keyword = keyword.to_ascii_lowercase();
        if !keywords.contains(&keyword) {
            keywords.push(keyword);
        }
    }
}

/// The keywords and the tables of their automaton as statics.
fn dfa_statics(keywords: &[String]) -> String {
    let dfa = automaton::KeywordDfa::new(keywords);
    let parts = dfa.parts();
    let list = |items: &[u32]| {
        let items: Vec<String> = items.iter().map(u32::to_string).collect();
        format!("&[{}]", items.join(","))
    };
    let classes: Vec<String> = parts.classes.iter().map(u8::to_string).collect();
    let names: Vec<String> = keywords.iter().map(|k| format!("{k:?}")).collect();
    format!(
        "pub static BUILTIN_KEYWORDS: &[&str] = &[{}];\n\
         pub static BUILTIN_DFA: Parts<'static> = Parts {{\n    classes: &[{}],\n    \
         stride: {},\n    trans: {},\n    out_start: {},\n    outs: {},\n    lens: {},\n}};\n",
        names.join(", "),
        classes.join(","),
        parts.stride,
        list(parts.trans),
        list(parts.out_start),
        list(parts.outs),
        list(parts.lens),
    )
}

/// `Type::Variant` for a lower-case name among `names`.
fn variant(value: &serde_json::Value, names: &[&str], ty: &str) -> Option<String> {
    let name = names.iter().find(|n| Some(**n) == value.as_str())?;
    let mut title = name.to_string();
    title[..1].make_ascii_uppercase();
    Some(format!("{ty}::{title}"))
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let patterns = root.join("patterns");
    println!("cargo:rerun-if-changed=patterns");
    println!("cargo:rerun-if-changed=src/rules/automaton.rs");
    let mut files = Vec::new();
    collect(&patterns, &mut files);
    files.sort();
    let mut table = String::from("pub static BUILTIN_RULES: &[BuiltinRule] = &[\n");
    let mut keywords: Vec<String> = Vec::new();
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
        let top = value
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get("rules"))
            .and_then(|r| r.as_array())
            .unwrap_or_else(|| panic!("{rel}: expected one key, `rules`, holding a list"));
        for rule in top {
            table.push_str(&rule_expr(&rel, rule));
            add_keywords(rule, &mut keywords);
        }
    }
    table.push_str("];\n");
    table.push_str(&dfa_statics(&keywords));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    fs::write(out, table).unwrap();
}
