//! `keyward-run` through the real binary with real child processes (sh and python3): the
//! environment the program gets and its precedence, dry runs, exit codes. Submodules cover
//! production refusals, output masking, signals, secret files and Vault Agent env files, and
//! Vault references (`fakevault`: a fake Vault over HTTP and HTTPS).

#![cfg(unix)]

mod dotenv_table;
mod fakevault;
mod half_configured;
mod hostile;
mod leaks;
mod mask;
mod refusals;
mod secret_files;
mod signals;
mod vault;
mod vault_errors;
mod vault_tls;

use assert_cmd::Command;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A python3 program that prints its whole environment as JSON.
pub const PRINT_ENV: [&str; 3] = [
    "python3",
    "-c",
    "import json, os, sys; json.dump(dict(os.environ), sys.stdout)",
];

/// Writes `name` under `dir` with mode 600, as a careful user would.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    set_mode(&path, 0o600);
    path
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `keyward-run` in `dir` with a clean environment: only PATH, and HOME pointing at `dir`.
pub fn launcher(dir: &Path) -> Command {
    Command::from_std(launcher_std(dir))
}

/// The same, for tests that talk to the launcher while it runs.
pub fn launcher_std(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("keyward-run"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", dir);
    cmd
}

/// The environment a `PRINT_ENV` child reported.
pub fn child_env(output: &std::process::Output) -> Map<String, Value> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "status {:?}\nstderr: {stderr}",
        output.status
    );
    match serde_json::from_str(&stdout) {
        Ok(Value::Object(map)) => map,
        _ => panic!("not a JSON environment: {stdout}\nstderr: {stderr}"),
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout and stderr together, for "does this leak" checks.
pub fn all_output(output: &std::process::Output) -> String {
    format!("{}{}", text(&output.stdout), text(&output.stderr))
}

fn get<'a>(env: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    env.get(key).and_then(Value::as_str)
}

#[test]
fn already_set_wins_over_files_and_later_file_wins() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.env", "A=base\nB=base\nC=base\n");
    write(dir.path(), "local.env", "B=local\nC=local\n");
    let output = launcher(dir.path())
        .env("C", "process")
        .args(["-e", "base.env", "-e", "local.env", "--"])
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(get(&env, "A"), Some("base"));
    assert_eq!(
        get(&env, "B"),
        Some("local"),
        "a later file overrides an earlier one"
    );
    assert_eq!(
        get(&env, "C"),
        Some("process"),
        "a variable already set wins"
    );
}

#[test]
fn override_lets_files_replace_variables_already_set() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.env", "C=a\n");
    write(dir.path(), "b.env", "C=b\n");
    let output = launcher(dir.path())
        .env("C", "process")
        .args(["--override", "-e", "a.env", "-e", "b.env", "--"])
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_eq!(get(&child_env(&output), "C"), Some("b"));
}

#[test]
fn dotenv_syntax_reaches_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# comment\nexport HOST=db.internal\nQUOTED=\"a b # not a comment\"\n\
                SINGLE='${HOST} stays'\nURL=postgres://${HOST}:5432/app\nCERT=\"line one\nline two\"\n\
                EMPTY=\nINLINE=value # comment\n";
    write(dir.path(), ".env", text);
    let output = launcher(dir.path())
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(
        get(&env, "HOST"),
        Some("db.internal"),
        ".env is loaded by default"
    );
    assert_eq!(get(&env, "QUOTED"), Some("a b # not a comment"));
    assert_eq!(get(&env, "SINGLE"), Some("${HOST} stays"));
    assert_eq!(get(&env, "URL"), Some("postgres://db.internal:5432/app"));
    assert_eq!(get(&env, "CERT"), Some("line one\nline two"));
    assert_eq!(get(&env, "EMPTY"), Some(""));
    assert_eq!(get(&env, "INLINE"), Some("value"));
}

#[test]
fn expansion_sees_the_process_environment_first() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "HOST=file-host\nURL=http://${HOST}/\n");
    let output = launcher(dir.path())
        .env("HOST", "env-host")
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(get(&env, "URL"), Some("http://env-host/"));
}

#[test]
fn no_env_file_is_fine_but_a_named_missing_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    launcher(dir.path()).args(["--", "true"]).assert().success();
    launcher(dir.path())
        .args(["-e", "missing.env", "--", "true"])
        .assert()
        .code(125)
        .stderr(predicates::str::contains(
            "failed to read env file missing.env",
        ));
}

#[test]
fn dry_run_shows_sources_and_masked_values_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.env",
        "DB_PASSWORD=s3cret-dry-run-value\nPORT=8000\nMODE=fast\n",
    );
    write(dir.path(), "b.env", "MODE=careful-mode\n");
    let output = launcher(dir.path())
        .env("PORT", "9000")
        .env("VAULT_TOKEN", "s.vault-token-dry")
        .args([
            "--dry-run",
            "-e",
            "a.env",
            "-e",
            "b.env",
            "--",
            "touch",
            "ran",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        !dir.path().join("ran").exists(),
        "--dry-run must not run the program"
    );
    let shown = text(&output.stdout);
    let row = |name: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row("DB_PASSWORD ").contains("a.env:1") && row("DB_PASSWORD").contains("****(20)"),
        "{shown}"
    );
    assert!(
        row("PORT").contains("process environment (over a.env:2)"),
        "{shown}"
    );
    assert!(
        row("MODE").contains("b.env:1 (over a.env:3)") && row("MODE").contains("ca…(12)"),
        "{shown}"
    );
    assert!(row("VAULT_TOKEN").contains("withheld"), "{shown}");
    let all = all_output(&output);
    assert!(
        !all.contains("s3cret")
            && !all.contains("vault-token-dry")
            && !all.contains("careful-mode")
    );
}

#[test]
fn exit_codes_follow_env1() {
    let dir = tempfile::tempdir().unwrap();
    launcher(dir.path())
        .args(["--", "sh", "-c", "exit 42"])
        .assert()
        .code(42);
    launcher(dir.path())
        .args(["--", "no-such-program-kw"])
        .assert()
        .code(127)
        .stderr(predicates::str::contains(
            "no-such-program-kw: command not found",
        ));
    let script = write(dir.path(), "script.sh", "#!/bin/sh\necho hi\n");
    launcher(dir.path())
        .arg("--")
        .arg(&script)
        .assert()
        .code(126)
        .stderr(predicates::str::contains("cannot execute"));
    launcher(dir.path())
        .arg("--no-such-option")
        .assert()
        .code(125);
    launcher(dir.path())
        .assert()
        .code(125)
        .stderr(predicates::str::contains("no program given"));
}

#[test]
fn the_program_replaces_the_launcher() {
    // exec, not spawn: the pid the test started is the program's own pid.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = launcher_std(dir.path());
    let child = cmd
        .args(["--", "sh", "-c", "echo $$"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    assert_eq!(text(&output.stdout).trim(), pid.to_string());
}

#[test]
fn program_arguments_are_passed_verbatim_without_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let output = launcher(dir.path())
        .args([
            "--",
            "python3",
            "-c",
            "import sys; print(sys.argv[1:])",
            "$HOME",
            "a b",
            "--mask",
            ";",
        ])
        .output()
        .unwrap();
    assert_eq!(
        text(&output.stdout).trim(),
        "['$HOME', 'a b', '--mask', ';']"
    );
}

#[test]
fn no_value_in_any_output_of_the_launcher() {
    let secret = "Zq7-launcher-must-not-print";
    let dir = tempfile::tempdir().unwrap();
    let env = write(
        dir.path(),
        ".env",
        &format!("DB_PASSWORD={secret}\nDEBUG=1\nNOTE=also-{secret}\n"),
    );
    set_mode(&env, 0o664);
    let runs: [&[&str]; 5] = [
        &["--", "true"],
        &["--dry-run"],
        &["--profile", "production", "--", "true"],
        &["--require", "MISSING", "--", "true"],
        &["--", "no-such-program-kw"],
    ];
    for args in runs {
        let output = launcher(dir.path()).args(args).output().unwrap();
        assert!(
            !all_output(&output).contains(secret),
            "{args:?}: {}",
            all_output(&output)
        );
    }
    // An entry dotenvy cannot parse: its error would quote the line, value included.
    write(
        dir.path(),
        ".env",
        &format!("DB_PASSWORD=\"{secret}\nNEVER_CLOSED=1\n"),
    );
    let output = launcher(dir.path()).args(["--", "true"]).output().unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(
        text(&output.stderr).contains("failed to parse env file .env:1"),
        "{}",
        text(&output.stderr)
    );
    assert!(!all_output(&output).contains(secret));
}
