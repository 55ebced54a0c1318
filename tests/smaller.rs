//! Small things found by use: file-level evidence shown (a path, a mode, not `…(4)`), "1
//! finding", the submodule note once (on stderr), one allow decision for every file-level
//! finding about a file, and `--mask` hiding a short secret that `--dry-run` hides.

use crate::gitrepo::{commit_all, git, repo};
use crate::harness::{json, Project};
use crate::run::{launcher, text, write};
use std::os::unix::fs::PermissionsExt;

fn open_env(p: &Project, text: &str) {
    p.write(".env", text);
    std::fs::set_permissions(p.join(".env"), std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn file_level_evidence_is_shown_and_one_finding_is_singular() {
    let p = Project::new();
    open_env(&p, "A=1\n");
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let evidence = |rule: &str| {
        (report["findings"].as_array().unwrap().iter())
            .find(|f| f["rule"] == rule)
            .map(|f| f["secret"].as_str().unwrap().to_string())
    };
    assert_eq!(evidence("env-file-committed").as_deref(), Some(".env"));
    assert_eq!(evidence("env-file-permissions").as_deref(), Some("644"));
    assert_eq!(evidence("gitignore-missing-env").as_deref(), Some(".env"));
    let human = p
        .keyward()
        .args(["scan", "--color", "never"])
        .output()
        .unwrap();
    let human = text(&human.stdout);
    assert!(human.contains("match .env "), "{human}");
    assert!(!human.contains("…(4)"), "{human}");
    let q = Project::new();
    q.write("r.txt", "x\n");
    q.write(".env", "A=1\n");
    q.write(".gitignore", ".env\n");
    std::fs::set_permissions(q.join(".env"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let human = q
        .keyward()
        .args(["scan", "--color", "never"])
        .output()
        .unwrap();
    let human = text(&human.stdout);
    assert!(human.contains("\n1 finding ("), "{human}");
}

#[test]
fn an_allow_marker_on_line_one_covers_every_file_level_finding_of_the_file() {
    // regression: it hid env-file-committed but not env-file-permissions or
    // gitignore-missing-env for the same file
    let p = Project::new();
    open_env(&p, "# keyward:allow\nA=1\n");
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}");
    // another env file without the marker is still reported
    p.write("api/.env", "B=2\n");
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let paths: Vec<&str> = (report["findings"].as_array().unwrap().iter())
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.iter().all(|p| *p == "api/.env"), "{report}");
    assert!(!paths.is_empty());
}

#[test]
fn the_submodule_note_is_printed_once_on_stderr() {
    let p = repo();
    p.write("README.md", "x\n");
    let head = commit_all(&p, "base");
    git(
        p.path(),
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{head},vendor/lib"),
        ],
    );
    git(p.path(), &["commit", "-q", "-m", "add a submodule"]);
    let out = p
        .keyward()
        .args(["history", "--color", "never"])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!stdout.contains("submodule"), "{stdout}");
    assert_eq!(stderr.matches("submodule").count(), 1, "{stderr}");
}

#[test]
fn mask_hides_a_short_secret_that_dry_run_hides() {
    // regression: a 4-character secret was hidden by --dry-run and shown by --mask
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "API_KEY=wxyz\nPORT=8000\n");
    let dry = launcher(dir.path())
        .args(["--dry-run", "--", "true"])
        .output()
        .unwrap();
    assert!(
        text(&dry.stdout).contains("****(4)"),
        "{}",
        text(&dry.stdout)
    );
    let out = launcher(dir.path())
        .args(["--mask", "--", "sh", "-c", "echo key=$API_KEY port=$PORT"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout), "key=**** port=8000\n");
}

#[test]
fn keyward_finds_nothing_in_its_own_repository_outside_the_demo() {
    // regression: the unit tests' Stripe-shaped fixture was reported twice; `.keyward.yaml`
    // keeps the repository clean, and only the demo (samples/, and the root .gitignore not
    // covering its .env) shows findings
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("keyward"))
        .current_dir(root)
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let stray: Vec<String> = (report["findings"].as_array().unwrap().iter())
        .filter(|f| {
            let path = f["path"].as_str().unwrap();
            let demo_gitignore = path == ".gitignore" && f["secret"] == "samples/python-app/.env";
            !(path.starts_with("samples/") || demo_gitignore)
        })
        .map(|f| format!("{} {}:{}", f["rule"], f["path"], f["line"]))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}
