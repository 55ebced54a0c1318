//! Hostile inputs (issue "keyward-run under attack"): foreign text that echoes credentials,
//! Vault servers that trickle, special files behind `file://`, oversized answers, and what the
//! launcher's messages say about them. Each test failed before its fix.

use super::fakevault::*;
use super::{launcher, text, write};
use std::time::Duration;

/// Runs `touch ran` under `.env` holding `env_file`, with these variables; expects the
/// refusal (125) and gives stderr.
fn refused_with(env_file: &str, vars: &[(&str, &str)], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", env_file);
    let output = launcher(dir.path())
        .envs(vars.iter().copied())
        .args(args)
        .args(["--", "touch", "ran"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert!(!dir.path().join("ran").exists(), "the program ran");
    stderr
}

// regression: a Vault error body that echoed the token was printed verbatim.
#[test]
fn vault_errors_that_echo_credentials_are_redacted() {
    let vault = FakeVault::with(|request| match request.path.as_str() {
        "/v1/auth/approle/login" => {
            let echoed = format!("invalid secret id {SECRET_ID} for role web");
            Reply::Json(400, errors(&[&echoed]))
        }
        _ => {
            let echoed = format!("permission denied: token {ROOT_TOKEN} lacks read");
            Reply::Json(403, errors(&[&echoed]))
        }
    });
    let env_file = "DB_PASSWORD=vault://secret/app#db_password\n";
    let stderr = refused_with(
        env_file,
        &[("VAULT_ADDR", &vault.addr), ("VAULT_TOKEN", ROOT_TOKEN)],
        &[],
    );
    assert!(!stderr.contains(ROOT_TOKEN), "{stderr}");
    assert!(
        stderr.contains("permission denied: token **** lacks read"),
        "{stderr}"
    );
    let stderr = refused_with(
        env_file,
        &[
            ("VAULT_ADDR", &vault.addr),
            ("VAULT_ROLE_ID", "web"),
            ("VAULT_SECRET_ID", SECRET_ID),
        ],
        &[],
    );
    assert!(!stderr.contains(SECRET_ID), "{stderr}");
    assert!(
        stderr.contains("invalid secret id **** for role"),
        "{stderr}"
    );
}

// regression: `VAULT_ADDR=http://admin:P@host` was printed in every connection error.
#[test]
fn vault_addr_userinfo_is_redacted() {
    let addr = closed_port_addr().replace("http://", "http://admin:Addr-Pass-77@");
    let stderr = refused_with(
        "DB_PASSWORD=vault://secret/app#db_password\n",
        &[("VAULT_ADDR", &addr), ("VAULT_TOKEN", ROOT_TOKEN)],
        &["--vault-timeout", "2"],
    );
    assert!(
        stderr.contains("cannot connect to Vault at http://****@127.0.0.1"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Addr-Pass-77") && !stderr.contains("admin"),
        "{stderr}"
    );
}
