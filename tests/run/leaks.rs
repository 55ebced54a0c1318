//! `keyward-run --check-history`: the values about to be injected (literal, and resolved from
//! Vault) looked for in the history of a repository built here, warned about or refused by
//! profile, with `--allow-leaked`, a cache that holds no value, and a repository that cannot be
//! read; and the scanner's own `--known-secrets` resolving `vault://` references against the
//! fake Vault. No output shows a value.

use super::fakevault::{FakeVault, DB_PASSWORD as VAULT_DB_PASSWORD, ROOT_TOKEN};
use super::{all_output, launcher, text, write};
use crate::gitrepo::{commit_all, repo};
use crate::harness::Project;

const PASSWORD: &str = "current-db-pass-93kd";
const TOKEN: &str = "current-api-token-71xq";

/// A repository whose second commit put PASSWORD in app/settings.py at line 2.
fn leaky_repo() -> (Project, String) {
    let p = repo();
    p.write("app/settings.py", "import os\n");
    commit_all(&p, "Initial commit");
    p.write(
        "app/settings.py",
        format!("import os\nDATABASES = {{'password': '{PASSWORD}'}}\n"),
    );
    let id = commit_all(&p, "Configure the database");
    p.write("app/settings.py", "import os\n");
    commit_all(&p, "Read the password from the environment");
    (p, id)
}

/// A repository whose one commit holds the fake Vault's DB_PASSWORD value in deploy.py.
fn deployed_vault_value() -> (Project, String) {
    let p = repo();
    p.write("deploy.py", format!("PW = '{VAULT_DB_PASSWORD}'\n"));
    let id = commit_all(&p, "Deploy script");
    (p, id)
}

fn run(p: &Project, env: &str, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let env_file = write(dir.path(), ".env", env);
    launcher(p.path())
        .arg("-e")
        .arg(&env_file)
        .args(args)
        .args(["--", "sh", "-c", "echo program-started"])
        .output()
        .unwrap()
}

fn assert_no_value(output: &std::process::Output) {
    let all = all_output(output);
    for value in [PASSWORD, TOKEN, VAULT_DB_PASSWORD, ROOT_TOKEN] {
        assert!(!all.contains(value), "{value} shown: {all}");
    }
}

#[test]
fn a_committed_value_is_named_with_its_commit_and_warned_about() {
    let (p, id) = leaky_repo();
    let env = format!("DB_PASSWORD={PASSWORD}\nAPI_TOKEN={TOKEN}\nPORT=5432\n");
    let output = run(&p, &env, &["--check-history"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("program-started"));
    let stderr = text(&output.stderr);
    let date = &crate::gitrepo::git(p.path(), &["log", "-1", "--format=%cs", &id]);
    let expected = format!(
        "warning: DB_PASSWORD's current value was committed in {} ({date}, \
         app/settings.py:2): rotate it",
        &id[..7]
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(!stderr.contains("API_TOKEN"), "never committed: {stderr}");
    assert_no_value(&output);
}

#[test]
fn production_refuses_a_leaked_value_unless_allowed() {
    let (p, _) = leaky_repo();
    let env = format!("DB_PASSWORD={PASSWORD}\n");
    let output = run(&p, &env, &["--check-history", "--profile", "production"]);
    assert_eq!(output.status.code(), Some(125));
    assert!(!text(&output.stdout).contains("program-started"));
    assert!(text(&output.stderr).contains("refused: DB_PASSWORD's current value"));
    assert_no_value(&output);

    let output = run(
        &p,
        &env,
        &[
            "--check-history",
            "--profile",
            "production",
            "--allow-leaked",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stderr).contains("warning: DB_PASSWORD's current value"));
}

#[test]
fn values_never_committed_start_cleanly_in_production() {
    let (p, _) = leaky_repo();
    let env = format!("API_TOKEN={TOKEN}\n");
    let output = run(&p, &env, &["--check-history", "--profile", "production"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "");
}

#[test]
fn a_value_from_vault_is_checked_as_the_program_gets_it() {
    let (p, id) = deployed_vault_value();
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    let env_file = write(
        dir.path(),
        ".env",
        "DB_PASSWORD=vault://secret/app#db_password\n",
    );
    let output = launcher(p.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .arg("-e")
        .arg(&env_file)
        .args(["--check-history", ".", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "DB_PASSWORD's current value was committed in {}",
            &id[..7]
        )),
        "{stderr}"
    );
    assert_no_value(&output);
}

#[test]
fn the_second_start_reuses_a_cache_that_holds_no_value() {
    let (p, _) = leaky_repo();
    let env = format!("DB_PASSWORD={PASSWORD}\n");
    let first = run(&p, &env, &["--check-history"]);
    let cache = p.join(".git/keyward/known-history.json");
    let written = std::fs::metadata(&cache).unwrap().modified().unwrap();
    let cached = std::fs::read_to_string(&cache).unwrap();
    assert!(cached.contains("DB_PASSWORD") && !cached.contains(PASSWORD));
    let second = run(&p, &env, &["--check-history"]);
    assert_eq!(text(&first.stderr), text(&second.stderr));
    // Reused, not rewritten.
    assert_eq!(
        std::fs::metadata(&cache).unwrap().modified().unwrap(),
        written
    );
}

#[test]
fn a_repository_that_cannot_be_checked_is_a_warning_or_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let p = Project::new();
    let env_file = write(dir.path(), ".env", &format!("DB_PASSWORD={PASSWORD}\n"));
    let missing = dir.path().join("no-such-repo");
    for (profile, code) in [("default", 0), ("production", 125)] {
        let output = launcher(p.path())
            .arg("-e")
            .arg(&env_file)
            .arg("--check-history")
            .arg(&missing)
            .args(["--profile", profile, "--", "true"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(code), "{profile}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("cannot check the history of") && stderr.contains("no-such-repo"),
            "{stderr}"
        );
        assert_no_value(&output);
    }
}

#[test]
fn the_scanner_resolves_vault_references_in_known_secrets_files() {
    let (p, id) = deployed_vault_value();
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    let env_file = write(
        dir.path(),
        ".env.production",
        "DB_PASSWORD=vault://secret/app#db_password\nAPI_KEY=vault://secret/app#api_key\n",
    );
    let output = p
        .keyward()
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["history", "--format", "json", "--known-secrets"])
        .arg(&env_file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = crate::harness::json(&output.stdout);
    let f = &report["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["secret"].as_str(), f["path"].as_str()),
        (Some("known-secret"), Some("DB_PASSWORD"), Some("deploy.py"))
    );
    assert_eq!(f["commit"]["id"], id.as_str());
    assert_eq!(vault.requests().len(), 1, "one read for both fields");
    assert_no_value(&output);
}

#[test]
fn a_committed_database_url_with_a_short_password_is_found() {
    // regression: the URL and its password were sent under one name; the password, too short
    // to look for, replaced the URL, and the committed URL was never reported
    let url = "postgresql://app:pw-1234@db.internal:5432/app";
    let p = repo();
    p.write("app/settings.py", format!("DATABASE_URL = \"{url}\"\n"));
    let id = commit_all(&p, "Configure the database");
    let output = run(&p, &format!("DATABASE_URL={url}\n"), &["--check-history"]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("DATABASE_URL's current value was committed in")
            && stderr.contains(&id[..7]),
        "{stderr}"
    );
    assert!(!all_output(&output).contains("pw-1234"), "{stderr}");
}
