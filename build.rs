//! Embeds every `patterns/**/*.yaml` file in the binary: parses each once here and writes its
//! rules as Rust statics (`rules::builtin::BUILTIN_RULES`), so start-up parses nothing (the
//! pre-commit hook runs on every commit). A file that is not valid YAML, or whose rules do not
//! follow the schema (an unknown key, a value of the wrong type), fails the build, naming the
//! file; `cargo test` checks that the statics are what the strict YAML loader reads. It also
//! builds the keyword automaton of the built-in rules' keywords and writes its tables
//! (`rules::builtin::BUILTIN_DFA`), which the common case (no user rules with new keywords)
//! uses instead of building it at every start.

// Cargo reads its instructions from a build script's stdout.
#![allow(clippy::disallowed_macros)]

#[path = "src/rules/yaml.rs"]
mod yaml;

/// The rule schema itself (`RuleFile`, `RuleSyntax`, `BuiltinRule`), so the keys read here are
/// the ones the run time reads; it names its field types through `crate::finding`.
#[path = "src/rules/schema.rs"]
#[allow(dead_code)]
mod schema;

#[path = "src/severity.rs"]
#[allow(dead_code)]
mod severity;

mod finding {
    pub use super::severity::{Kind, Severity};
}

/// The run-time automaton builder itself, so that the tables written here are the ones it
/// would build (`cargo test` compares them too).
#[path = "src/rules/automaton.rs"]
#[allow(dead_code)]
mod automaton;

/// What every match of a pattern needs, found here for the built-in rules so that a scan
/// does not parse their patterns to know it.
#[path = "src/rules/needs.rs"]
#[allow(dead_code)]
mod needs;

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

/// A rule's keywords, lower-cased, each added once in first-seen order: the order in which
/// `RuleSet::new` numbers them.
fn add_keywords(rule: &schema::RuleSyntax, keywords: &mut Vec<String>) {
    for keyword in rule.keywords.iter() {
        let keyword = schema::normalize_keyword(keyword);
        if !keywords.contains(&keyword) {
            keywords.push(keyword);
        }
    }
}

/// For each keyword (in `keywords` order), the built-in rules that listed it, and the rules
/// with no keyword, as `RuleSet::new` numbers them: as statics (`RuleSet::new` takes them
/// instead of indexing the rules again when the rules are exactly the built-in ones).
fn keyword_rule_statics(rules: &[schema::RuleSyntax], keywords: &[String]) -> String {
    let mut per_keyword: Vec<Vec<u32>> = vec![Vec::new(); keywords.len()];
    let mut keywordless = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if rule.keywords.is_empty() {
            keywordless.push(i as u32);
        }
        for keyword in rule.keywords.iter() {
            let key = schema::normalize_keyword(keyword);
            let slot = keywords.iter().position(|k| *k == key).unwrap();
            if !per_keyword[slot].contains(&(i as u32)) {
                per_keyword[slot].push(i as u32);
            }
        }
    }
    let mut start = vec![0u32];
    let mut list = Vec::new();
    for rules in &per_keyword {
        list.extend_from_slice(rules);
        start.push(list.len() as u32);
    }
    let join = |items: &[u32]| {
        items
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "pub static BUILTIN_KEYWORD_RULE_START: &[u32] = &[{}];\n\
         pub static BUILTIN_KEYWORD_RULES: &[u32] = &[{}];\n\
         pub static BUILTIN_KEYWORDLESS: &[u32] = &[{}];\n",
        join(&start),
        join(&list),
        join(&keywordless),
    )
}

/// Each built-in rule's runs (`rules::needs`), in rule order, as statics.
fn needs_statics(rules: &[schema::RuleSyntax]) -> String {
    let mut out = String::from("pub static BUILTIN_NEEDS: &[&[Run]] = &[\n");
    for rule in rules {
        let runs: Vec<String> = needs::of_pattern(&rule.pattern, &rule.keywords)
            .iter()
            .map(|run| format!("Run {{ set: {:?}, len: {} }}", run.set, run.len))
            .collect();
        out.push_str(&format!("    &[{}],\n", runs.join(", ")));
    }
    out.push_str("];\n");
    out
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
    let names: Vec<String> = keywords
        .iter()
        .map(|k| format!("Cow::Borrowed({k:?})"))
        .collect();
    format!(
        "pub static BUILTIN_KEYWORDS: &[Cow<'static, str>] = &[{}];\n\
         pub static BUILTIN_DFA: Parts<'static> = Parts {{\n    classes: &[{}],\n    \
         stride: {},\n    trans: {},\n    first_match: {},\n    out_start: {},\n    outs: {},\n    lens: {},\n}};\n",
        names.join(", "),
        classes.join(","),
        parts.stride,
        list(parts.trans),
        parts.first_match,
        list(parts.out_start),
        list(parts.outs),
        list(parts.lens),
    )
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let patterns = root.join("patterns");
    println!("cargo:rerun-if-changed=patterns");
    println!("cargo:rerun-if-changed=src/rules/automaton.rs");
    println!("cargo:rerun-if-changed=src/rules/needs.rs");
    println!("cargo:rerun-if-changed=src/rules/schema.rs");
    println!("cargo:rerun-if-changed=src/severity.rs");
    let mut files = Vec::new();
    collect(&patterns, &mut files);
    files.sort();
    let mut table = String::from("pub static BUILTIN_RULES: &[BuiltinRule] = &[\n");
    let mut keywords: Vec<String> = Vec::new();
    let mut all = Vec::new();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let parsed: schema::RuleFile = yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{rel}: not a rule file (the patterns/*.yaml schema): {e}"));
        for rule in &parsed.rules {
            table.push_str(&rule.builtin_expr(&rel));
            add_keywords(rule, &mut keywords);
        }
        all.extend(parsed.rules);
    }
    table.push_str("];\n");
    table.push_str(&dfa_statics(&keywords));
    table.push_str(&keyword_rule_statics(&all, &keywords));
    table.push_str(&needs_statics(&all));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    fs::write(out, table).unwrap();
}
