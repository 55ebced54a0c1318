//! `keyward scan` through the real binary: the JSON contract, redaction in every format,
//! suppression, ignore handling, binary/large/unreadable files, stdin, notebooks, exit codes,
//! and the differential checks (prefilter on/off, 1 vs N threads).

use crate::harness::{found, github_pat, json, random_text, Project};
use predicates::prelude::*;
use predicates::str::contains;

fn password(seed: u64) -> String {
    format!("{}9x", random_text(seed, 18))
}

#[test]
fn json_report_follows_the_contract() {
    let p = Project::new();
    let token = github_pat(1);
    p.write(
        "app/settings.py",
        format!("import os\n\nGITHUB_TOKEN = \"{token}\"\n"),
    );
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .assert()
        .code(1);
    let report = json(&out.get_output().stdout);
    assert_eq!(report["tool"]["name"], "keyward");
    let f = &report["findings"][0];
    assert_eq!(f["rule"], "github-pat");
    assert_eq!(f["kind"], "secret");
    assert_eq!(f["path"], "app/settings.py");
    assert_eq!(f["line"], 3);
    assert_eq!(f["column"], 17);
    assert!(f["commit"].is_null());
    assert_eq!(f["secret"], "ghp_…(40)");
    assert_eq!(
        f["fingerprint"],
        keyward::secret::fingerprint("github-pat", token.as_bytes())
    );
    assert!(f["remediation"].as_str().unwrap().len() > 10);
    assert_eq!(report["stats"]["files"], 1);
    assert_eq!(report["stats"]["errors"], 0);
}

/// `--show-secrets` opts in to full values. (That no format prints a secret without it is
/// `sarif::no_ci_output_prints_a_secret_unless_asked`, over every format.)
#[test]
fn show_secrets_opts_in_to_full_values() {
    let p = Project::new();
    let token = github_pat(2);
    let pw = password(3);
    p.write("a.py", format!("TOKEN = '{token}'\n"));
    p.write("b.yaml", format!("db:\n  password: \"{pw}\"\n"));
    let out = p
        .keyward()
        .args(["scan", "--format", "json", "--show-secrets"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&token) && text.contains(&pw));
}

#[test]
fn inline_allow_markers_suppress() {
    let p = Project::new();
    p.write(
        "a.py",
        format!(
            "A = '{}'  # keyward:allow\n# gitleaks:allow\nB = '{}'\nC = '{}'  # pragma: allowlist secret\nD = '{}'\n",
            github_pat(4),
            github_pat(5),
            github_pat(6),
            github_pat(7)
        ),
    );
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .assert()
        .code(1);
    let lines: Vec<u64> = found(&json(&out.get_output().stdout))
        .iter()
        .map(|f| f.1)
        .collect();
    assert_eq!(lines, vec![5]);
}

#[test]
fn gitignore_is_honoured_unless_no_ignore() {
    let p = Project::new();
    p.git_init();
    p.write(".gitignore", "build/\n");
    p.write("build/out.py", format!("T = '{}'\n", github_pat(8)));
    p.keyward().args(["scan"]).assert().success();
    p.keyward().args(["scan", "--no-ignore"]).assert().code(1);
}

#[test]
fn a_tracked_file_is_scanned_even_when_gitignore_matches_it() {
    // regression guard: a committed .env hidden by a later .gitignore entry is exactly the leak
    let p = Project::new();
    p.git_init();
    p.write(".env", format!("DB_PASSWORD={}\n", password(9)));
    p.commit("add env");
    p.write(".gitignore", ".env\n");
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .assert()
        .code(1);
    let paths: Vec<String> = found(&json(&out.get_output().stdout))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(paths.contains(&".env".to_string()), "{paths:?}");
}

#[test]
fn tracked_files_are_scanned_once_however_the_root_is_spelled() {
    let p = Project::new();
    p.git_init();
    p.write("app/settings.py", format!("T = '{}'\n", github_pat(12)));
    p.write("app/.env", format!("DB_PASSWORD={}\n", password(13)));
    p.commit("add app");
    p.write(".gitignore", "app/.env\n");
    for root in [
        ".",
        "./",
        "app",
        "app/",
        "./app",
        "app/settings.py",
        "app/.env",
    ] {
        let out = p
            .keyward()
            .args(["scan", "--format", "json", root])
            .assert()
            .code(1);
        let f = found(&json(&out.get_output().stdout));
        let mut paths: Vec<String> = f.iter().map(|f| f.0.clone()).collect();
        paths.dedup();
        let want: &[&str] = match root {
            "app/settings.py" => &["app/settings.py"],
            "app/.env" => &["app/.env"],
            _ => &["app/.env", "app/settings.py"],
        };
        assert_eq!(paths, want, "{root}: {f:?}");
        let mut once = f.clone();
        once.sort();
        once.dedup();
        assert_eq!(once.len(), f.len(), "{root}: a file scanned twice: {f:?}");
    }
}

#[test]
fn binary_files_are_skipped_and_invalid_utf8_is_scanned() {
    let p = Project::new();
    let mut bin = b"\x89PNG\r\n\x1a\n\0\0\0".to_vec();
    bin.extend_from_slice(format!("T = '{}'", github_pat(10)).as_bytes());
    p.write("logo.png", bin);
    let mut latin1 = b"# caf\xe9\n".to_vec();
    latin1.extend_from_slice(format!("T = '{}'\n", github_pat(11)).as_bytes());
    p.write("legacy.py", latin1);
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .assert()
        .code(1);
    let f = found(&json(&out.get_output().stdout));
    assert_eq!(
        f,
        vec![("legacy.py".to_string(), 2, "github-pat".to_string())]
    );
}

#[test]
fn large_files_are_reported_not_silently_skipped() {
    let p = Project::new();
    p.write(
        "big.py",
        format!("T = '{}'\n{}", github_pat(12), "#\n".repeat(600)),
    );
    p.keyward()
        .args(["scan", "--max-file-size", "1000"])
        .assert()
        .code(2)
        .stderr(contains("big.py: skipped"));
}

#[test]
fn an_unreadable_input_is_reported_and_the_scan_goes_on() {
    let p = Project::new();
    p.write("a.py", format!("T = '{}'\n", github_pat(13)));
    let out = p
        .keyward()
        .args(["scan", "a.py", "missing.py", "--format", "json"])
        .assert()
        .code(2)
        .stderr(contains("missing.py: "));
    let report = json(&out.get_output().stdout);
    assert_eq!(found(&report).len(), 1);
    assert_eq!(report["stats"]["errors"], 1);
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed() {
    let outside = Project::new();
    outside.write("secret.py", format!("T = '{}'\n", github_pat(14)));
    let p = Project::new();
    p.write("ok.py", "x = 1\n");
    std::os::unix::fs::symlink(outside.join("secret.py"), p.join("link.py")).unwrap();
    p.keyward().args(["scan"]).assert().success();
}

#[test]
fn stdin_is_scanned() {
    let p = Project::new();
    p.keyward()
        .args(["scan", "-", "--format", "jsonl"])
        .write_stdin(format!("token: {}\n", github_pat(15)))
        .assert()
        .code(1)
        .stdout(contains("\"path\":\"-\""));
}

#[test]
fn notebooks_report_real_lines_and_skip_images() {
    let p = Project::new();
    let token = github_pat(16);
    let nb = format!(
        r#"{{
 "cells": [
  {{
   "cell_type": "code",
   "source": [
    "import os\n",
    "gh = Github(\"{token}\")\n"
   ],
   "outputs": [
    {{
     "data": {{
      "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk{}",
      "text/plain": ["<Figure>"]
     }}
    }}
   ]
  }}
 ]
}}"#,
        github_pat(17)
    );
    p.write("analysis.ipynb", nb);
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .assert()
        .code(1);
    assert_eq!(
        found(&json(&out.get_output().stdout)),
        vec![("analysis.ipynb".to_string(), 7, "github-pat".to_string())]
    );
}

#[test]
fn exit_codes_follow_fail_on() {
    let p = Project::new();
    p.write("clean.py", "x = 1\n");
    p.keyward().args(["scan"]).assert().code(0);
    p.write("cfg.yaml", format!("password: \"{}\"\n", password(18)));
    p.keyward().args(["scan"]).assert().code(1);
    p.keyward()
        .args(["scan", "--fail-on", "critical"])
        .assert()
        .code(0);
    p.keyward()
        .args(["scan", "--format", "nope"])
        .assert()
        .code(2);
}

#[test]
fn control_characters_from_content_are_escaped() {
    let p = Project::new();
    p.write("we\x1b[2Jird.py", format!("T = '{}'\n", github_pat(19)));
    let out = p
        .keyward()
        .args(["scan", "--color", "never"])
        .assert()
        .code(1);
    let stdout = &out.get_output().stdout;
    assert!(!stdout.contains(&0x1b), "raw ESC reached the terminal");
    assert!(String::from_utf8_lossy(stdout).contains("we\\u{1b}[2Jird.py"));
}

#[test]
fn colour_follows_no_color_and_flag() {
    let p = Project::new();
    p.write("a.py", format!("T = '{}'\n", github_pat(20)));
    let coloured = p
        .keyward()
        .args(["scan", "--color", "always"])
        .output()
        .unwrap();
    assert!(coloured.stdout.contains(&0x1b));
    let plain = p.keyward().args(["scan"]).output().unwrap();
    assert!(!plain.stdout.contains(&0x1b));
}

/// A tree with many kinds of findings: the bundled samples, plus the shared corpus when present.
fn differential_roots() -> Vec<std::path::PathBuf> {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![manifest.join("samples")];
    let corpus = manifest.join("../shared/corpus/project");
    if corpus.is_dir() {
        roots.push(corpus);
    }
    roots
}

fn scan_json(root: &std::path::Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let p = Project::new();
    let out = p
        .keyward()
        .arg("scan")
        .arg(root)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut report = json(&out.stdout);
    report["findings"]
        .as_array_mut()
        .unwrap()
        .drain(..)
        .collect()
}

#[test]
fn prefilter_and_thread_count_do_not_change_findings() {
    for root in differential_roots() {
        let base = scan_json(&root, &["--threads", "1"]);
        assert!(base.len() >= 5, "too few findings in {}", root.display());
        assert_eq!(
            base,
            scan_json(&root, &["--threads", "1", "--no-prefilter"]),
            "prefilter"
        );
        assert_eq!(base, scan_json(&root, &["--threads", "4"]), "threads");
        assert_eq!(
            base,
            scan_json(&root, &["--threads", "4", "--no-prefilter"]),
            "both"
        );
    }
}

#[test]
fn samples_show_findings_and_no_false_positive_in_safe_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/python-app");
    let findings = scan_json(&root, &[]);
    assert!(findings.len() >= 8);
    assert!(
        findings.iter().all(|f| f["path"] != "app/safe.py"),
        "{findings:?}"
    );
    assert!(!predicate::str::contains("sk_live_").eval(&format!("{findings:?}")));
}
