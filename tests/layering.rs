//! The module layering, enforced rather than remembered: reads `src/`, builds the graph of
//! `crate::…`, `super::…` and `keyward::…` paths between modules, and fails naming the edge
//! when a module imports what its layer may not (`LAYERS`), when anything but `keyward-run`
//! reaches `launch`, or when sibling modules (the top-level ones, or those of one folder)
//! import each other in a cycle. docs/architecture.md says the same in prose.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and the top-level modules it may import. A new module
/// must be added here, in its layer.
const LAYERS: &[(&str, &[&str])] = &[
    // Leaves: depend on nothing of the crate, or on other leaves only.
    ("dates", &[]),
    ("secret", &[]),
    ("sanitize", &[]),
    ("gitindex", &[]),
    ("severity", &[]),
    ("finding", &["secret", "severity"]),
    ("messages", &["sanitize"]),
    // Shared by both binaries: env files, references, Vault, which values are secrets.
    ("env", &["gitindex", "sanitize", "secret"]),
    // The scanner pipeline, in order.
    ("cli", &[]),
    ("rules", &["finding", "secret"]),
    ("source", &["dates", "finding", "gitindex", "messages"]),
    (
        "detect",
        &["env", "finding", "messages", "rules", "sanitize", "secret"],
    ),
    (
        "report",
        &["dates", "detect", "finding", "rules", "sanitize", "secret"],
    ),
    (
        "config",
        &[
            "cli", "detect", "env", "finding", "messages", "report", "rules", "sanitize", "secret",
        ],
    ),
    (
        "scan",
        &[
            "config", "dates", "detect", "env", "finding", "messages", "report", "rules",
            "sanitize", "secret", "source",
        ],
    ),
    (
        "app",
        &[
            "cli", "config", "detect", "finding", "messages", "report", "rules", "scan", "source",
        ],
    ),
    // The launcher: only `keyward-run` uses it; it uses no scanner stage.
    ("launch", &["env", "gitindex", "sanitize", "secret"]),
];

/// A module (`["detect", "engine"]`) and the modules it names.
type Graph = BTreeMap<Vec<String>, BTreeSet<Vec<String>>>;

#[test]
fn modules_import_only_their_layers_and_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = layering_problems(&src);
    assert!(
        problems.is_empty(),
        "the module layering is broken (see docs/architecture.md):\n  {}",
        problems.join("\n  ")
    );
}

/// Proof that the check can fail: a tree with a forbidden edge and a cycle is rejected, naming
/// both.
#[test]
fn a_forbidden_edge_and_a_cycle_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "pub mod detect;\npub mod rules;\npub mod launch;\n",
    );
    write("main.rs", "fn main() { keyward::launch::run(); }\n");
    write("launch/mod.rs", "pub fn run() {}\n");
    write("rules/mod.rs", "use crate::detect::engine::passes;\n");
    write(
        "detect/mod.rs",
        "pub mod engine;\npub mod known;\npub mod catalog;\n",
    );
    write(
        "detect/engine.rs",
        "use super::known::Hit;\nuse crate::rules::Rule;\n",
    );
    write(
        "detect/known.rs",
        "use super::catalog;\nfn f() { crate::launch::run() }\n",
    );
    write("detect/catalog.rs", "use crate::detect::{engine::x, y};\n");
    let problems = layering_problems(dir.path()).join("\n");
    assert!(problems.contains("`rules` imports `detect`"), "{problems}");
    assert!(problems.contains("`detect` imports `launch`"), "{problems}");
    assert!(
        problems.contains("import cycle: detect -> rules -> detect"),
        "{problems}"
    );
    assert!(
        problems.contains("detect::catalog -> detect::engine -> detect::known -> detect::catalog"),
        "{problems}"
    );
    assert!(
        problems.contains("src/main.rs imports `launch`"),
        "{problems}"
    );
}

fn layering_problems(src: &Path) -> Vec<String> {
    let graph = module_graph(src);
    let mut problems = forbidden_edges(&graph);
    problems.extend(sibling_cycles(&graph));
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap_or_default();
    if code_of(&main).contains("keyward::launch") {
        problems.push("src/main.rs imports `launch` (the scanner binary must not)".into());
    }
    problems
}

fn forbidden_edges(graph: &Graph) -> Vec<String> {
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut problems = Vec::new();
    for (from, targets) in graph {
        let Some(top) = from.first() else { continue };
        let Some(allowed) = layers.get(top.as_str()) else {
            problems.push(format!(
                "`{top}` is not in tests/layering.rs LAYERS: add it"
            ));
            continue;
        };
        for to in targets {
            let target = &to[0];
            if target != top && !allowed.contains(&target.as_str()) {
                problems.push(format!(
                    "`{top}` imports `{target}` ({} -> {}), which its layer may not",
                    from.join("::"),
                    to.join("::")
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// Cycles among the children of each module: an edge `a::x::y -> a::z` counts as `a::x ->
/// a::z` among the children of `a`.
fn sibling_cycles(graph: &Graph) -> Vec<String> {
    let mut by_parent: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, targets) in graph {
        for to in targets {
            let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue; // a module and its own ancestor or descendant
            }
            let parent = from[..common].to_vec();
            by_parent
                .entry(parent)
                .or_default()
                .entry(from[common].clone())
                .or_default()
                .insert(to[common].clone());
        }
    }
    let mut problems = Vec::new();
    for (parent, edges) in &by_parent {
        for cycle in cycles(edges) {
            let names: Vec<String> = cycle
                .iter()
                .map(|m| {
                    let mut path = parent.clone();
                    path.push(m.clone());
                    path.join("::")
                })
                .collect();
            problems.push(format!("import cycle: {}", names.join(" -> ")));
        }
    }
    problems
}

/// One cycle per strongly connected group of more than one module, starting from its
/// smallest name.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reaches = |from: &str, to: &str| -> Option<Vec<String>> {
        // Breadth-first, so the cycle named is a shortest one.
        let mut prev: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from.to_string()]);
        while let Some(node) = queue.pop_front() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == to {
                    let mut path = vec![to.to_string(), node.clone()];
                    let mut at = node.clone();
                    while let Some(p) = prev.get(&at) {
                        path.push(p.clone());
                        at = p.clone();
                    }
                    path.reverse();
                    return Some(path);
                }
                if !prev.contains_key(next) && next != from {
                    prev.insert(next.clone(), node.clone());
                    queue.push_back(next.clone());
                }
            }
        }
        None
    };
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut found = Vec::new();
    for node in edges.keys() {
        if seen.contains(node) {
            continue;
        }
        if let Some(cycle) = reaches(node, node) {
            seen.extend(cycle.iter().cloned());
            found.push(cycle);
        }
    }
    found
}

/// Every module of the crate (from its files and inline `mod name {`) and the modules its
/// paths name, each cut to the longest prefix that is a module.
fn module_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    collect(src, &mut files);
    let mut modules: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut texts = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Some(module) = module_of(&rel) else {
            continue;
        };
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for (name, start, _) in inline_modules(&code) {
            let mut m = module_at(&module, &inline_modules(&code), start);
            m.push(name);
            modules.insert(m);
        }
        modules.insert(module.clone());
        texts.push((module, code));
    }
    let mut graph = Graph::new();
    for (module, code) in texts {
        let targets = graph.entry(module.clone()).or_default();
        for path in paths_in(&module, &code) {
            let known = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p));
            if let Some(target) = known {
                if target != module {
                    targets.insert(target);
                }
            }
        }
    }
    graph
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `detect/engine.rs` → `["detect", "engine"]`; `lib.rs` → `[]`; the binaries → `None`.
fn module_of(rel: &str) -> Option<Vec<String>> {
    if rel == "main.rs" || rel.starts_with("bin/") {
        return None;
    }
    let stem = rel.strip_suffix(".rs")?;
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    Some(parts)
}

/// The text without comments and string literals, so a path in a doc comment or a message
/// is not an import.
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            // A raw string: `r"…"`, `r#"…"#` (only where `r` does not end an identifier).
            'r' if raw_start(&out, chars.clone()) => {
                let hashes = chars.clone().take_while(|c| *c == '#').count();
                let closing: String = std::iter::once('"')
                    .chain("#".repeat(hashes).chars())
                    .collect();
                let rest: String = chars.clone().collect();
                let body = &rest[hashes + 1..];
                let len = body
                    .find(&closing)
                    .map_or(body.len(), |i| i + closing.len());
                for _ in 0..hashes + 1 + len {
                    chars.next();
                }
                out.push_str("\"\"");
            }
            // A char literal (`'{'`, `'\\''`), not a lifetime.
            '\'' if chars.clone().nth(1) == Some('\'') || chars.peek() == Some(&'\\') => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '\'' => break,
                        _ => {}
                    }
                }
                out.push_str("' '");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether an `r` just read starts a raw string literal.
fn raw_start(before: &str, mut after: impl Iterator<Item = char>) -> bool {
    let ident = before
        .chars()
        .last()
        .is_some_and(|c| c.is_alphanumeric() || c == '_');
    !ident && after.find(|c| *c != '#') == Some('"')
}

/// Inline modules (`mod tests { … }`): name and the byte span of their body.
fn inline_modules(code: &str) -> Vec<(String, usize, usize)> {
    let mut spans = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        let after = &code[at + 4..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let body = after[name.len()..].trim_start();
        if name.is_empty() || !body.starts_with('{') {
            continue;
        }
        let open = code.len() - body.len();
        let mut depth = 0;
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        spans.push((name.clone(), open, open + i));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    spans
}

/// The module at byte `at` of a file of module `module`, inside its inline modules.
fn module_at(module: &[String], spans: &[(String, usize, usize)], at: usize) -> Vec<String> {
    let mut path = module.to_vec();
    for (name, start, end) in spans {
        if *start < at && at < *end {
            path.push(name.clone());
        }
    }
    path
}

/// The module paths in `code` (of module `module`), absolute, each as far as it is spelled:
/// `crate::a::b`, `super::x`, `keyward::a`, and each item of `crate::{a::{self, b}, c}`.
fn paths_in(module: &[String], code: &str) -> Vec<Vec<String>> {
    let spans = inline_modules(code);
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for (at, _) in code.match_indices("::") {
        // The start of the path this `::` belongs to.
        let mut start = at;
        while start > 0 {
            let c = bytes[start - 1];
            if c.is_ascii_alphanumeric() || c == b'_' || c == b':' {
                start -= 1;
            } else {
                break;
            }
        }
        if start > 0 && bytes[start - 1] == b'}' {
            continue;
        }
        let head = &code[start..at];
        if head.contains("::") {
            continue; // not the first `::` of its path
        }
        let base: Vec<String> = match head {
            "crate" | "keyward" => Vec::new(),
            "super" => {
                let mut up = module_at(module, &spans, at);
                up.pop();
                up
            }
            "self" => module_at(module, &spans, at),
            _ => continue,
        };
        expand(&base, &code[at + 2..], &mut found);
    }
    found
}

/// Appends the paths spelled at the start of `rest` below `base`: `a::b::C`, `{a, b::c}`,
/// `super::x` (one level up per `super`).
fn expand(base: &[String], rest: &str, out: &mut Vec<Vec<String>>) {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        for item in split_group(inner) {
            expand(base, item, out);
        }
        return;
    }
    let mut path = base.to_vec();
    let mut tail = rest;
    loop {
        let name: String = tail
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        tail = &tail[name.len()..];
        match name.as_str() {
            "super" => {
                path.pop();
            }
            "self" => {}
            _ => path.push(name),
        }
        match tail.strip_prefix("::") {
            Some(next) if next.trim_start().starts_with('{') => {
                return expand(&path, next, out);
            }
            Some(next) => tail = next,
            None => break,
        }
    }
    out.push(path);
}

/// The top-level items of a `{…}` group (up to its closing brace).
fn split_group(inner: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut from = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&inner[from..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    items
}
