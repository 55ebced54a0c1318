//! `--known-secrets`: the exact values of env files found in history, the tree and the staged
//! change, on repositories built here with `git`, with the values kept out of every report.

use crate::gitrepo::{commit_all, git, repo};
use crate::harness::{json, run_json, Project};
use std::path::{Path, PathBuf};

/// A value no rule finds: low entropy, and assigned to a name no rule keys on.
const DB_PASSWORD: &str = "correct horse battery 9";
const API_TOKEN: &str = "tok-77c1-3f9a-Bb02";
const NEVER_COMMITTED: &str = "never-committed-value-41";

/// An env file outside the repository holding the known values; returns its directory too.
fn known_env(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env.production");
    let text = format!(
        "DB_PASSWORD='{DB_PASSWORD}'\nAPI_TOKEN={API_TOKEN}\nOTHER_SECRET={NEVER_COMMITTED}\n\
         PORT=5432\nSHORT_KEY=abc\n{extra}"
    );
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn known_history(p: &Project, env: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut cmd = p.keyward();
    cmd.args(["history", "--format", "json", "--known-secrets"])
        .arg(env)
        .args(extra);
    run_json(&mut cmd)
}

/// (path, line, secret label, commit summary) of each known-secret finding.
fn known_found(report: &serde_json::Value) -> Vec<(String, u64, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "known-secret")
        .map(|f| {
            assert_eq!(f["severity"], "critical");
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["secret"].as_str().unwrap().to_string(),
                f["commit"]["summary"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn assert_no_value(text: &str) {
    for value in [DB_PASSWORD, API_TOKEN, NEVER_COMMITTED, "abc\n"] {
        assert!(!text.contains(value), "{value:?} in output: {text}");
    }
}

#[test]
fn a_value_committed_then_removed_is_found_at_its_introducing_commit() {
    let p = repo();
    p.write("app/settings.py", "DEBUG = False\n");
    commit_all(&p, "Initial commit");
    p.write(
        "app/settings.py",
        format!("DEBUG = False\nconn_args = {{'pw': '{DB_PASSWORD}'}}\n"),
    );
    let added = commit_all(&p, "Connect to the database");
    p.write("app/settings.py", "DEBUG = False\nconn_args = {}\n");
    commit_all(&p, "Read the password from the environment");
    let (_dir, env) = known_env("");

    let (code, report) = known_history(&p, &env, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        known_found(&report),
        [(
            "app/settings.py".into(),
            2,
            "DB_PASSWORD".into(),
            "Connect to the database".into()
        )]
    );
    let f = &report["findings"][0];
    assert_eq!(f["commit"]["id"], added.as_str());
    assert!(f["title"].as_str().unwrap().contains("DB_PASSWORD"));
    // Without --known-secrets no rule finds this value.
    let mut plain = p.keyward();
    let (code, _) = run_json(plain.args(["history", "--format", "json"]));
    assert_eq!(code, Some(0));
}

#[test]
fn a_value_only_in_a_deleted_branch_still_reachable_from_a_ref_is_found() {
    let p = repo();
    p.write("README.md", "# app\n");
    commit_all(&p, "Initial commit");
    git(p.path(), &["checkout", "-q", "-b", "experiment"]);
    p.write("scripts/try.py", format!("TOKEN = \"{API_TOKEN}\"\n"));
    let tip = commit_all(&p, "Try the API");
    git(p.path(), &["checkout", "-q", "main"]);
    git(
        p.path(),
        &["update-ref", "refs/remotes/origin/experiment", &tip],
    );
    git(p.path(), &["branch", "-q", "-D", "experiment"]);
    let (_dir, env) = known_env("");

    let (_, report) = known_history(&p, &env, &[]);
    assert_eq!(
        known_found(&report),
        [(
            "scripts/try.py".into(),
            1,
            "API_TOKEN".into(),
            "Try the API".into()
        )]
    );
}

#[test]
fn encoded_forms_are_found() {
    let p = repo();
    let b64 = "Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IDk="; // base64 of DB_PASSWORD
    let url = "correct%20horse%20battery%209";
    let basic = base64_of(&format!("svc:{API_TOKEN}")); // an Authorization: Basic header
    p.write(
        "deploy/values.yaml",
        format!("password: {b64}\nurl: https://h/?pw={url}\nauth: Basic {basic}\n"),
    );
    commit_all(&p, "Deploy values");
    let (_dir, env) = known_env("");

    let (_, report) = known_history(&p, &env, &[]);
    let found = known_found(&report);
    let labels: Vec<(u64, &str)> = found.iter().map(|f| (f.1, f.2.as_str())).collect();
    assert_eq!(
        labels,
        [(1, "DB_PASSWORD"), (2, "DB_PASSWORD"), (3, "API_TOKEN")]
    );
    let titles: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "known-secret")
        .map(|f| f["title"].as_str().unwrap())
        .collect();
    assert!(titles.iter().all(|t| t.contains("encoded")), "{titles:?}");
}

#[test]
fn a_value_never_committed_gives_nothing() {
    let p = repo();
    p.write(
        "app.py",
        "import os\nPASSWORD = os.environ['DB_PASSWORD']\n",
    );
    commit_all(&p, "Initial commit");
    let (_dir, env) = known_env("");
    let out = p
        .keyward()
        .args(["history", "--known-secrets"])
        .arg(&env)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("shorter than 8 characters: SHORT_KEY"),
        "{stderr}"
    );
    assert_no_value(&stderr);
}

#[test]
fn no_report_format_contains_a_value_even_with_show_secrets() {
    let p = repo();
    p.write(
        "config.py",
        format!("A = '{DB_PASSWORD}'\nB = '{API_TOKEN}'\n"),
    );
    commit_all(&p, "Config");
    let (_dir, env) = known_env("");
    for format in ["human", "json", "jsonl", "sarif", "junit"] {
        for show in [false, true] {
            let mut cmd = p.keyward();
            cmd.args(["history", "--format", format, "--known-secrets"])
                .arg(&env);
            if show {
                cmd.arg("--show-secrets");
            }
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{format}");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(all.contains("DB_PASSWORD"), "{format}: {all}");
            assert_no_value(&all);
        }
    }
}

#[test]
fn tree_and_staged_scans_and_file_references() {
    let p = repo();
    p.write("README.md", "# app\n");
    commit_all(&p, "Initial commit");
    let (dir, env) = known_env("");
    // A value given as a file:// reference counts like a literal one.
    let secret_file = dir.path().join("stripe_key");
    std::fs::write(&secret_file, "rk_test_0a9b8c7d6e5f4g3h\n").unwrap();
    let with_ref = dir.path().join("refs.env");
    std::fs::write(
        &with_ref,
        format!("STRIPE_KEY=file://{}\n", secret_file.display()),
    )
    .unwrap();
    p.write(
        "billing.py",
        format!("KEY = 'rk_test_0a9b8c7d6e5f4g3h'\nPW = '{DB_PASSWORD}'\n"),
    );
    let mut scan = p.keyward();
    scan.args(["scan", ".", "--format", "json", "--known-secrets"])
        .arg(&env)
        .arg("--known-secrets")
        .arg(&with_ref);
    let (_, report) = run_json(&mut scan);
    let labels: Vec<String> = known_found(&report).into_iter().map(|f| f.2).collect();
    assert_eq!(labels, ["STRIPE_KEY", "DB_PASSWORD"]);

    git(p.path(), &["add", "billing.py"]);
    let mut staged = p.keyward();
    staged
        .args(["staged", "--format", "json", "--known-secrets"])
        .arg(&env);
    let (code, report) = run_json(&mut staged);
    assert_eq!(code, Some(1));
    assert_eq!(
        known_found(&report)
            .into_iter()
            .map(|f| (f.1, f.2))
            .collect::<Vec<_>>(),
        [(2, "DB_PASSWORD".to_string())]
    );
}

#[test]
fn a_known_secrets_file_that_cannot_be_read_or_resolved_is_an_error() {
    let p = repo();
    p.write("a.py", "x = 1\n");
    commit_all(&p, "Initial commit");
    let out = p
        .keyward()
        .args(["history", "--known-secrets", "missing.env"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.env"));

    let (dir, _) = known_env("");
    let broken = dir.path().join("broken.env");
    std::fs::write(&broken, "DB_PASSWORD=file:///nonexistent/secret\n").unwrap();
    let out = p
        .keyward()
        .args(["history", "--known-secrets"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DB_PASSWORD"), "{stderr}");
    assert!(stderr.contains("/nonexistent/secret"), "{stderr}");
}

#[test]
fn known_secrets_from_standard_input() {
    let p = repo();
    p.write("a.py", format!("x = '{API_TOKEN}'\n"));
    commit_all(&p, "Initial commit");
    let out = p
        .keyward()
        .args(["history", "--format", "json", "--known-secrets", "-"])
        .write_stdin(format!("API_TOKEN='{API_TOKEN}'\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out.stdout);
    assert_eq!(known_found(&report)[0].2, "API_TOKEN");
}

fn base64_of(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn the_keyword_walk_finds_what_a_walk_of_its_own_finds() {
    // Values at every offset of a large file (so across the cuts of the three-lane walk), next
    // to rule keywords, with and without the prefilter, on one thread and on four.
    let p = Project::new();
    let mut text = String::new();
    for i in 0..3000 {
        let value = [DB_PASSWORD, API_TOKEN][i % 2];
        text.push_str(&format!(
            "{} password = '{value}' # {i}\n",
            "x".repeat(i % 37)
        ));
    }
    p.write("big.py", &text);
    let (_dir, env) = known_env("");
    let run = |extra: &[&str]| {
        let mut cmd = p.keyward();
        cmd.args(["scan", ".", "--format", "json", "--known-secrets-only"])
            .args(["--max-findings-per-rule", "0"])
            .args(extra)
            .arg("--known-secrets")
            .arg(&env);
        known_found(&run_json(&mut cmd).1)
    };
    let reference = run(&["--no-prefilter", "--threads", "1"]);
    assert_eq!(reference.len(), 3000);
    assert_eq!(run(&[]), reference);
    assert_eq!(run(&["--threads", "4"]), reference);
}

#[test]
fn allowed_paths_do_not_hide_a_known_value_but_a_disabled_rule_does() {
    let p = repo();
    p.write(
        ".keyward.yaml",
        "allow:\n  paths: ['tests/**']\n  values: ['.*']\n",
    );
    p.write("tests/fixtures.py", format!("TOKEN = '{API_TOKEN}'\n"));
    commit_all(&p, "Fixtures");
    let (_dir, env) = known_env("");
    let (_, report) = known_history(&p, &env, &[]);
    assert_eq!(known_found(&report).len(), 1);

    p.write(
        ".keyward.yaml",
        "allow:\n  paths: ['tests/**']\n  rules: [known-secret]\n",
    );
    let (code, report) = known_history(&p, &env, &[]);
    assert_eq!((code, known_found(&report).len()), (Some(0), 0));
}

#[test]
fn the_cache_holds_no_value_and_is_dropped_when_a_ref_or_a_value_changes() {
    let p = repo();
    p.write("a.py", format!("x = '{API_TOKEN}'\n"));
    commit_all(&p, "First");
    let (dir, env) = known_env("");
    let check = |env: &Path| {
        let out = p
            .keyward()
            .args([
                "history",
                "--format",
                "json",
                "--known-secrets-only",
                "--cache",
            ])
            .arg("--known-secrets")
            .arg(env)
            .output()
            .unwrap();
        let reused = String::from_utf8_lossy(&out.stderr).contains("result reused");
        (known_found(&json(&out.stdout)), reused)
    };
    let (first, reused) = check(&env);
    assert_eq!((first.len(), reused), (1, false));
    assert_eq!(check(&env), (first.clone(), true));
    let cache = std::fs::read_to_string(p.join(".git/keyward/known-history.json")).unwrap();
    assert!(cache.contains("API_TOKEN"));
    assert_no_value(&cache);

    // A new commit on a new branch moves a ref: scanned again, and its finding is there.
    git(p.path(), &["checkout", "-q", "-b", "side"]);
    p.write("b.py", format!("y = '{DB_PASSWORD}'\n"));
    commit_all(&p, "Second");
    let (second, reused) = check(&env);
    assert_eq!((second.len(), reused), (2, false));

    // Another value set: scanned again.
    let other = dir.path().join("other.env");
    std::fs::write(&other, format!("DB_PASSWORD='{DB_PASSWORD}'\n")).unwrap();
    let (third, reused) = check(&other);
    assert_eq!((third.len(), reused), (1, false));
}

#[test]
fn a_value_inside_a_committed_binary_file_is_found() {
    // A compiled settings module keeps its string constants verbatim between binary bytes.
    let p = repo();
    let mut pyc = b"\x6f\x0d\x0d\x0a\x00\x00\x00\x00\xe3\x00\x00\x00".to_vec();
    pyc.extend_from_slice(b"\xda\x17");
    pyc.extend_from_slice(DB_PASSWORD.as_bytes());
    pyc.extend_from_slice(b"\x4e\x00\x29\x01");
    p.write("app/__pycache__/settings.cpython-311.pyc", &pyc);
    commit_all(&p, "Oops, bytecode");
    let (_dir, env) = known_env("");
    let (_, report) = known_history(&p, &env, &[]);
    assert_eq!(
        known_found(&report),
        [(
            "app/__pycache__/settings.cpython-311.pyc".into(),
            2, // the magic number holds a \n
            "DB_PASSWORD".into(),
            "Oops, bytecode".into()
        )]
    );
    let mut scan = p.keyward();
    scan.args(["scan", ".", "--format", "json", "--known-secrets"])
        .arg(&env);
    assert_eq!(known_found(&run_json(&mut scan).1).len(), 1);
}

#[test]
fn the_project_file_can_name_known_secrets_and_the_env_file_itself_is_not_reported() {
    let p = Project::new();
    p.write(
        ".keyward.yaml",
        "known_secrets: [.env, missing/.env.production, config]\n",
    );
    std::fs::create_dir(p.path().join("config")).unwrap();
    p.write(".env", format!("API_TOKEN={API_TOKEN}\n"));
    p.write("client.py", format!("TOKEN = '{API_TOKEN}'\n"));
    let out = p
        .keyward()
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let found: Vec<String> = known_found(&json(&out.stdout))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(found, ["client.py"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("missing/.env.production (no such file)"),
        "{stderr}"
    );
    // regression: a directory was reported as "no such file".
    assert!(
        stderr.contains("config (a directory, not a file)"),
        "{stderr}"
    );
}

#[test]
fn with_known_secrets_in_the_project_file_the_hook_guards_the_local_env() {
    let p = repo();
    p.write(".gitignore", ".env\n");
    p.write(".keyward.yaml", "known_secrets: [.env]\n");
    p.write(".env", format!("DB_PASSWORD='{DB_PASSWORD}'\n"));
    commit_all(&p, "Initial commit");
    p.write("db.py", format!("password = \"{DB_PASSWORD}\"\n"));
    git(p.path(), &["add", "db.py"]);
    let mut staged = p.keyward();
    let (code, report) = run_json(staged.args(["staged", "--format", "json"]));
    assert_eq!(code, Some(1));
    let found: Vec<(String, u64, String)> = known_found(&report)
        .into_iter()
        .map(|f| (f.0, f.1, f.2))
        .collect();
    assert_eq!(found, [("db.py".into(), 1, "DB_PASSWORD".into())]);
}

#[test]
fn one_file_per_known_secrets_flag_and_the_repository_after_it() {
    // regression: `--known-secrets FILE REPO` read REPO as a second env file
    let p = repo();
    p.write("deploy.py", format!("PW = '{DB_PASSWORD}'\n"));
    commit_all(&p, "Deploy script");
    let (_dir, env) = known_env("");
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = crate::harness::Project::new().keyward();
    cmd.current_dir(elsewhere.path())
        .args(["history", "--format", "json", "--known-secrets"])
        .arg(&env)
        .arg(p.path());
    let (code, report) = run_json(&mut cmd);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(known_found(&report).len(), 1);
    // repeated, each flag takes one file
    let (_dir2, second) = known_env("");
    let mut cmd = p.keyward();
    cmd.args(["history", "--format", "json", "--known-secrets"])
        .arg(&env)
        .arg("--known-secrets")
        .arg(&second)
        .arg(".");
    let (code, _) = run_json(&mut cmd);
    assert_eq!(code, Some(1));
}
