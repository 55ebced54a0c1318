//! `file://` secret files (Docker and Kubernetes secrets) and Vault Agent rendered env files:
//! values reach the program, one trailing newline is trimmed, and a file others can read (or
//! that another user owns) is warned about, and refused under `--profile production`.

use super::{child_env, launcher, set_mode, text, write, PRINT_ENV};

#[test]
fn file_references_are_read_and_a_missing_one_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let secret = write(dir.path(), "db_password", "from-file-Zz9\n");
    write(
        dir.path(),
        ".env",
        &format!("DB_PASSWORD=file://{}\n", secret.display()),
    );
    let output = launcher(dir.path())
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_eq!(child_env(&output)["DB_PASSWORD"], "from-file-Zz9");
    assert!(
        !text(&output.stderr).contains("warning"),
        "{}",
        text(&output.stderr)
    );
    write(
        dir.path(),
        ".env",
        "PORT=1\nDB_PASSWORD=file:///run/secrets/keyward-test-missing\n",
    );
    launcher(dir.path())
        .args(["--", "true"])
        .assert()
        .code(125)
        .stderr(predicates::str::contains(
            "cannot resolve DB_PASSWORD (.env:2) = file:///run/secrets/keyward-test-missing: cannot read",
        ));
}

#[test]
fn a_secret_file_others_can_read_is_warned_about_and_refused_in_production() {
    let dir = tempfile::tempdir().unwrap();
    let secret = write(dir.path(), "api_key", "from-file-Qp4\n");
    set_mode(&secret, 0o644);
    write(
        dir.path(),
        ".env",
        &format!("PORT=1\nAPI_KEY=file://{}\n", secret.display()),
    );
    let output = launcher(dir.path())
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_eq!(child_env(&output)["API_KEY"], "from-file-Qp4");
    let stderr = text(&output.stderr);
    let expected = format!(
        "warning: secret file {} (API_KEY, .env:2) can be read or written by group or others (mode 644); run `chmod 600",
        secret.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    let output = launcher(dir.path())
        .args(["--profile", "production", "--", "touch", "ran"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(!dir.path().join("ran").exists());
    assert!(
        text(&output.stderr).contains("refused: secret file"),
        "{}",
        text(&output.stderr)
    );
    assert!(!super::all_output(&output).contains("from-file-Qp4"));
}

#[test]
fn a_secret_file_owned_by_another_user_is_warned_about_but_root_may_own_it() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return; // only root can give a file away
    }
    let dir = tempfile::tempdir().unwrap();
    let secret = write(dir.path(), "token", "from-file-Ow1\n");
    std::os::unix::fs::chown(&secret, Some(65534), None).unwrap();
    write(
        dir.path(),
        ".env",
        &format!("TOKEN=file://{}\n", secret.display()),
    );
    let output = launcher(dir.path()).args(["--", "true"]).output().unwrap();
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("(TOKEN, .env:1) is owned by uid 65534"),
        "{stderr}"
    );
    std::os::unix::fs::chown(&secret, Some(0), None).unwrap();
    let output = launcher(dir.path()).args(["--", "true"]).output().unwrap();
    assert!(output.status.success());
    assert!(
        !text(&output.stderr).contains("owned by"),
        "{}",
        text(&output.stderr)
    );
}

/// What a Vault Agent `template` stanza renders for an app, e.g. from
/// `{{ with secret "secret/data/app" }}export DB_PASSWORD="{{ .Data.data.db_password }}"{{ end }}`.
const AGENT_RENDERED: &str = "# rendered by vault agent\n\
                              export DB_PASSWORD=\"agent-db-pass-Hs62\"\n\
                              export API_KEY='agent-api-key-Tb19'\n\
                              DATABASE_URL=\"postgres://app:agent-db-pass-Hs62@db:5432/app\"\n";

#[test]
fn a_vault_agent_rendered_file_is_an_env_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.env", AGENT_RENDERED);
    let output = launcher(dir.path())
        .args(["-e", "app.env", "--"])
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(env["DB_PASSWORD"], "agent-db-pass-Hs62");
    assert_eq!(env["API_KEY"], "agent-api-key-Tb19");
    assert_eq!(
        env["DATABASE_URL"],
        "postgres://app:agent-db-pass-Hs62@db:5432/app"
    );
    assert!(text(&output.stderr).is_empty(), "{}", text(&output.stderr));
    let output = launcher(dir.path())
        .args([
            "--mask",
            "-e",
            "app.env",
            "--",
            "sh",
            "-c",
            "echo $DB_PASSWORD $DATABASE_URL",
        ])
        .output()
        .unwrap();
    assert_eq!(
        text(&output.stdout),
        "**** postgres://app:****@db:5432/app\n"
    );
}

#[test]
fn a_vault_agent_file_rendered_with_default_perms_is_refused_in_production() {
    // Vault Agent renders templates with mode 0644 unless the stanza sets `perms`.
    let dir = tempfile::tempdir().unwrap();
    let rendered = write(dir.path(), "app.env", AGENT_RENDERED);
    set_mode(&rendered, 0o644);
    let output = launcher(dir.path())
        .args(["--profile", "production", "-e", "app.env", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "refused: env file app.env can be read or written by group or others (mode 644)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("agent-db-pass"), "{stderr}");
}
