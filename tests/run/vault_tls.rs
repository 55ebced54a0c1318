//! Vault over HTTPS: a CA made in the test (rcgen) signs the fake Vault's certificate
//! (rustls). The launcher trusts it through VAULT_CACERT or VAULT_CAPATH, refuses it without
//! them, and with VAULT_SKIP_VERIFY connects anyway with a warning, except under
//! `--profile production`, which refuses before connecting.

use super::fakevault::*;
use super::vault::assert_no_secret;
use super::{child_env, launcher, text, write, PRINT_ENV};

const REFERENCE: &str = "DB_PASSWORD=vault://secret/app#db_password\n";

fn run(
    vault: &FakeVault,
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    write(dir, ".env", REFERENCE);
    let mut cmd = launcher(dir);
    cmd.env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN);
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.args(args).output().unwrap()
}

#[test]
fn tls_with_vault_cacert() {
    let ca = TestCa::new();
    let vault = FakeVault::start_tls(&ca);
    assert!(vault.addr.starts_with("https://127.0.0.1:"));
    let dir = tempfile::tempdir().unwrap();
    let cacert = write(dir.path(), "ca.pem", &ca.pem);
    let cacert = cacert.to_str().unwrap();
    let mut args = vec!["--"];
    args.extend(PRINT_ENV);
    let output = run(&vault, dir.path(), &[("VAULT_CACERT", cacert)], &args);
    assert_eq!(child_env(&output)["DB_PASSWORD"], DB_PASSWORD);
    assert_eq!(vault.count("GET", "/v1/secret/data/app"), 1);
}

#[test]
fn tls_with_vault_capath() {
    let ca = TestCa::new();
    let vault = FakeVault::start_tls(&ca);
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    write(&certs, "README", "CA certificates for Vault\n");
    write(&certs, "vault-ca.pem", &ca.pem);
    let mut args = vec!["--"];
    args.extend(PRINT_ENV);
    let output = run(
        &vault,
        dir.path(),
        &[("VAULT_CAPATH", certs.to_str().unwrap())],
        &args,
    );
    assert_eq!(child_env(&output)["DB_PASSWORD"], DB_PASSWORD);
}

#[test]
fn tls_without_the_ca_is_refused_and_not_retried() {
    let ca = TestCa::new();
    let vault = FakeVault::start_tls(&ca);
    let dir = tempfile::tempdir().unwrap();
    let output = run(&vault, dir.path(), &[], &["--", "touch", "ran"]);
    assert_eq!(output.status.code(), Some(125));
    assert!(!dir.path().join("ran").exists());
    let stderr = text(&output.stderr);
    let expected = format!(
        "cannot resolve DB_PASSWORD (.env:1) = vault://secret/app#db_password: TLS with Vault at \
         {} failed (secret/data/app): invalid peer certificate: UnknownIssuer; if Vault's \
         certificate comes from a private CA, set VAULT_CACERT",
        vault.addr
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(
        vault.connections(),
        1,
        "a certificate failure is not retried"
    );
    assert!(
        vault.requests().is_empty(),
        "the token was sent to an unverified server"
    );
    assert_no_secret(&output);
}

#[test]
fn skip_verify_connects_with_a_warning_and_is_refused_in_production() {
    let ca = TestCa::new();
    let vault = FakeVault::start_tls(&ca);
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--"];
    args.extend(PRINT_ENV);
    let output = run(&vault, dir.path(), &[("VAULT_SKIP_VERIFY", "true")], &args);
    assert_eq!(child_env(&output)["DB_PASSWORD"], DB_PASSWORD);
    let stderr = text(&output.stderr);
    assert!(
        stderr
            .contains("warning: VAULT_SKIP_VERIFY is set: Vault's TLS certificate is not checked"),
        "{stderr}"
    );
    let before = vault.connections();
    let output = run(
        &vault,
        dir.path(),
        &[("VAULT_SKIP_VERIFY", "1")],
        &["--profile", "production", "--", "touch", "ran"],
    );
    assert_eq!(output.status.code(), Some(125));
    assert!(!dir.path().join("ran").exists());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("VAULT_SKIP_VERIFY is set, and --profile production does not talk to Vault without checking its certificate"),
        "{stderr}"
    );
    assert_eq!(
        vault.connections(),
        before,
        "production connected with VAULT_SKIP_VERIFY"
    );
    assert_no_secret(&output);
}
