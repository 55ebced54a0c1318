//! Production profile: every refusal stops the program before it runs (exit 125, no marker
//! file), names the problem and never the value; the default profile warns and starts.

use super::{all_output, launcher, set_mode, text, write};
use std::path::Path;

/// Runs `touch ran` under the production profile with `args` before `--`; returns stderr
/// after checking that the launcher refused and the program did not run.
fn refused(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let output = launcher(dir)
        .envs(env.iter().copied())
        .args(["--profile", "production"])
        .args(args)
        .args(["--", "touch", "ran"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "stderr: {stderr}");
    assert!(
        !dir.join("ran").exists(),
        "the program ran despite: {stderr}"
    );
    assert!(stderr.contains("refusing to start touch"), "{stderr}");
    stderr
}

#[test]
fn env_file_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), ".env", "DB_PASSWORD=perm-secret-123\n");
    set_mode(&path, 0o644);
    let stderr = refused(dir.path(), &[], &[]);
    assert!(
        stderr.contains(".env can be read or written by group or others (mode 644)"),
        "{stderr}"
    );
    assert!(!stderr.contains("perm-secret-123"));
    // The default profile warns by name and starts the program.
    let output = launcher(dir.path())
        .args(["--", "touch", "ran"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(dir.path().join("ran").exists());
    assert!(text(&output.stderr).contains("warning: env file .env can be read"));
    assert!(!all_output(&output).contains("perm-secret-123"));
}

#[test]
fn env_file_owned_by_another_user() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: giving a file to another user needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), ".env", "A=1\n");
    std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
    let stderr = refused(dir.path(), &[], &[]);
    assert!(stderr.contains(".env is owned by uid 65534"), "{stderr}");
}

#[test]
fn env_file_tracked_by_git() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "A=1\n");
    crate::gitrepo::git(dir.path(), &["init", "-q"]);
    crate::gitrepo::git(dir.path(), &["add", ".env"]);
    let stderr = refused(dir.path(), &[], &[]);
    assert!(stderr.contains(".env is tracked by git"), "{stderr}");
    assert!(stderr.contains("git rm --cached .env"), "{stderr}");
}

#[test]
fn debug_switches_and_flask_development() {
    let cases = [
        ("DEBUG", "true", "DEBUG is set to a true value"),
        ("FLASK_DEBUG", "1", "FLASK_DEBUG is set to a true value"),
        ("DJANGO_DEBUG", "yes", "DJANGO_DEBUG is set to a true value"),
        ("FLASK_ENV", "development", "FLASK_ENV is development"),
    ];
    for (key, value, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".env", &format!("{key}={value}\n"));
        let stderr = refused(dir.path(), &[], &[]);
        assert!(
            stderr.contains(message) && stderr.contains("(.env:1)"),
            "{key}: {stderr}"
        );
        // From the process environment too.
        let dir = tempfile::tempdir().unwrap();
        let stderr = refused(dir.path(), &[(key, value)], &[]);
        assert!(stderr.contains(message), "{key}: {stderr}");
        // Off in the default profile: no warning, the program runs.
        launcher(dir.path())
            .env(key, value)
            .args(["--", "touch", "ran"])
            .assert()
            .success();
    }
}

#[test]
fn placeholder_values() {
    for value in ["changeme", "xxx", "<your-api-key>", "TODO"] {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            ".env",
            &format!("PORT=8000\nSTRIPE_API_KEY={value}\n"),
        );
        let stderr = refused(dir.path(), &[], &[]);
        assert!(
            stderr.contains("STRIPE_API_KEY holds a placeholder value (.env:2)"),
            "{value}: {stderr}"
        );
        assert!(!stderr.contains("PORT"), "{stderr}");
    }
}

#[test]
fn missing_required_keys_refuse_in_every_profile() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "SET=1\nEMPTY=\n");
    let stderr = refused(
        dir.path(),
        &[],
        &["--require", "SET", "--require", "ABSENT"],
    );
    assert!(
        stderr.contains("required variable ABSENT is not set"),
        "{stderr}"
    );
    let output = launcher(dir.path())
        .args(["--require", "EMPTY", "--", "touch", "ran"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(text(&output.stderr).contains("required variable EMPTY is empty"));
    assert!(!dir.path().join("ran").exists());
}

#[test]
fn schema_keys_are_required_unless_marked_optional() {
    let dir = tempfile::tempdir().unwrap();
    let example = "DATABASE_URL=\nSECRET_KEY=\nSENTRY_DSN= # optional\n# optional\nS3_BUCKET=\n";
    write(dir.path(), ".env.example", example);
    write(dir.path(), ".env", "DATABASE_URL=sqlite:///db\n");
    let stderr = refused(dir.path(), &[], &["--schema", ".env.example"]);
    assert!(
        stderr.contains("required variable SECRET_KEY is not set"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("SENTRY_DSN") && !stderr.contains("S3_BUCKET"),
        "{stderr}"
    );
    launcher(dir.path())
        .env("SECRET_KEY", "a-real-secret-key")
        .args([
            "--profile",
            "production",
            "--schema",
            ".env.example",
            "--",
            "touch",
            "ran",
        ])
        .assert()
        .success();
    assert!(dir.path().join("ran").exists());
}

#[test]
fn keyward_profile_variable_selects_production() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "DEBUG=1\n");
    let output = launcher(dir.path())
        .env("KEYWARD_PROFILE", "production")
        .args(["--", "touch", "ran"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(!dir.path().join("ran").exists());
}

#[test]
fn every_problem_is_listed_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), ".env", "DEBUG=1\nAPI_TOKEN=changeme\n");
    set_mode(&path, 0o640);
    let stderr = refused(dir.path(), &[], &["--require", "MISSING"]);
    assert_eq!(stderr.matches("refused:").count(), 4, "{stderr}");
}
