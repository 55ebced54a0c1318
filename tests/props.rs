//! Property tests through the real binary, on files generated from the sample project's lines
//! and generated tokens (seeded: `KEYWARD_PROP_SEED`; `KEYWARD_PROP_CASES` cases, default 12):
//! scanning a file equals scanning its content from stdin; a finding's reported line holds its
//! reported match; adding unrelated lines never removes a finding; the history of a repository
//! gives the same findings loose, after `git repack -adf` and after `git gc --aggressive`.

use crate::gitrepo::{commit_all, git, github_pat, repo};
use crate::harness::{json, random_text, Project};
use std::collections::BTreeSet;

fn cases() -> u64 {
    std::env::var("KEYWARD_PROP_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12)
}

fn base_seed() -> u64 {
    std::env::var("KEYWARD_PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(17)
}

/// Self-contained blocks of text (each ends in a newline): lines of the sample project's
/// Python and env files, generated tokens and key-shaped values, and noise.
fn pool() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/python-app");
    let mut blocks: Vec<String> = Vec::new();
    for file in ["app/settings.py", "app/notify.py", "app/safe.py", ".env"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        blocks.extend(
            text.lines()
                .filter(|l| !l.starts_with(' ') && !l.ends_with('{') && !l.ends_with('('))
                .map(|l| format!("{l}\n")),
        );
    }
    blocks
}

/// A generated file: `n` blocks from the pool, tokens and noise, chosen by `seed`.
fn generate(seed: u64, n: usize) -> Vec<String> {
    let pool = pool();
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| match next() % 6 {
            0 => format!(
                "GITHUB_TOKEN = \"{}\"\n",
                github_pat(seed * 1000 + i as u64)
            ),
            1 => format!("note_{i} = \"{}\"\n", random_text(next(), 12)),
            2 => format!("# {}\n", random_text(next(), 30)),
            _ => pool[(next() % pool.len() as u64) as usize].clone(),
        })
        .collect()
}

/// (rule, line, column, secret) of every finding of `keyward ARGS --show-secrets`.
fn findings_of(cmd: &mut assert_cmd::Command) -> BTreeSet<(String, u64, u64, String)> {
    let out = cmd
        .args([
            "--format",
            "json",
            "--show-secrets",
            "--max-findings-per-rule",
            "0",
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out.stdout);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn scan_file(p: &Project, name: &str, text: &str) -> BTreeSet<(String, u64, u64, String)> {
    p.write(name, text);
    findings_of(p.keyward().args(["scan", name]))
}

#[test]
fn scanning_a_file_equals_scanning_its_content_from_stdin() {
    let p = Project::new();
    for case in 0..cases() {
        let text: String = generate(base_seed() + case, 30).concat();
        // No extension: path-based judgements are the same for `gen` and `-`.
        let from_file = scan_file(&p, "gen", &text);
        let from_stdin = findings_of(p.keyward().args(["scan", "-"]).write_stdin(text.clone()));
        assert_eq!(from_file, from_stdin, "case {case}:\n{text}");
    }
}

#[test]
fn a_findings_line_holds_its_match() {
    let p = Project::new();
    let mut checked = 0;
    for case in 0..cases() {
        let text: String = generate(base_seed() + 100 + case, 30).concat();
        let lines: Vec<&str> = text.lines().collect();
        for (rule, line, column, secret) in scan_file(&p, "gen.py", &text) {
            if secret.is_empty() || line == 0 {
                continue;
            }
            let held: String = lines[line as usize - 1]
                .chars()
                .skip(column as usize - 1)
                .collect();
            let first = secret.lines().next().unwrap_or("");
            assert!(
                held.starts_with(first),
                "case {case}: {rule} at {line}:{column} reports {first:?}, the line holds {held:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no finding was checked");
}

#[test]
fn adding_unrelated_lines_never_removes_a_finding() {
    let p = Project::new();
    for case in 0..cases() {
        let blocks = generate(base_seed() + 200 + case, 25);
        let before: BTreeSet<(String, String)> = scan_file(&p, "gen.py", &blocks.concat())
            .into_iter()
            .map(|(rule, _, _, secret)| (rule, secret))
            .collect();
        let mut padded = String::new();
        for (i, block) in blocks.iter().enumerate() {
            match (case + i as u64) % 4 {
                0 => padded.push_str(&format!("counter_{i} = {i}\n")),
                1 => padded.push('\n'),
                2 => padded.push_str("# unrelated comment\n"),
                _ => {}
            }
            padded.push_str(block);
        }
        let after: BTreeSet<(String, String)> = scan_file(&p, "gen.py", &padded)
            .into_iter()
            .map(|(rule, _, _, secret)| (rule, secret))
            .collect();
        let lost: Vec<_> = before.difference(&after).collect();
        assert!(lost.is_empty(), "case {case}: lost {lost:?}\n{padded}");
    }
}

/// (path, line, rule, fingerprint, commit) of every finding of `keyward history`.
fn history_findings(p: &Project) -> Vec<(String, u64, String, String, String)> {
    let out = p
        .keyward()
        .args([
            "history",
            "--format",
            "json",
            "--max-findings-per-rule",
            "0",
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out.stdout);
    let mut found: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
            (
                s(&f["path"]),
                f["line"].as_u64().unwrap(),
                s(&f["rule"]),
                s(&f["fingerprint"]),
                s(&f["commit"]["id"]),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn history_is_the_same_loose_repacked_and_gc_aggressive() {
    for case in 0..cases().div_ceil(4) {
        let p = repo();
        for commit in 0..4u64 {
            let seed = base_seed() + 300 + case * 10 + commit;
            for (f, name) in ["app/a.py", "app/b.py", "conf/c.py"].iter().enumerate() {
                if !(seed + f as u64).is_multiple_of(3) {
                    p.write(name, generate(seed * 7 + f as u64, 12).concat());
                }
            }
            commit_all(&p, &format!("Commit {commit}"));
        }
        let loose = history_findings(&p);
        assert!(!loose.is_empty(), "case {case}: nothing found");
        git(p.path(), &["repack", "-adf", "-q"]);
        assert_eq!(
            history_findings(&p),
            loose,
            "case {case}: after git repack -adf"
        );
        git(p.path(), &["gc", "--aggressive", "-q"]);
        assert_eq!(
            history_findings(&p),
            loose,
            "case {case}: after git gc --aggressive"
        );
    }
}
