//! How Vault failures refuse to start the program: exit 125, a message that names the
//! variable, where it was set, the reference, Vault's status and `errors` text and what to
//! check, and never a token or a value. Also the retry policy (503 and 429 are retried, 403 is
//! not, three tries at most) and the timeout of a server that never answers.

use super::fakevault::*;
use super::text;
use super::vault::assert_no_secret;
use super::{launcher, write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `touch ran` with `env_file` as .env against `addr` with the root token, and checks
/// that the launcher refused (125), ran nothing and showed no secret. Returns stderr.
fn refused(addr: &str, env_file: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", env_file);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(args)
        .args(["--", "touch", "ran"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert!(!dir.path().join("ran").exists(), "the program ran");
    assert_no_secret(&output);
    stderr
}

/// A fake Vault that answers the first `failures` reads of secret/app with `status` and
/// `body`, then as usual; the counter tells how many reads it saw.
fn flaky(failures: usize, status: u16, body: String) -> (FakeVault, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let vault = FakeVault::with(move |request| {
        if request.path != "/v1/secret/data/app" {
            return vault_api(request);
        }
        match counter.fetch_add(1, Ordering::SeqCst) < failures {
            true => Reply::Json(status, body.clone()),
            false => vault_api(request),
        }
    });
    (vault, seen)
}

#[test]
fn a_403_names_the_policy_and_vaults_errors_and_is_not_retried() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        "PORT=1\nDB_PASSWORD=vault://secret/app#db_password\n",
    );
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", "s.wrong-token-0000")
        .args(["--", "touch", "ran"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    let stderr = text(&output.stderr);
    let expected =
        "refused: cannot resolve DB_PASSWORD (.env:2) = vault://secret/app#db_password: \
                    Vault denied reading secret/data/app (HTTP 403: 1 error occurred: * permission \
                    denied); check that the token's policies grant `read` on secret/data/app";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("s.wrong-token-0000"), "{stderr}");
    assert_eq!(
        vault.count("GET", "/v1/secret/data/app"),
        1,
        "a 403 is not retried"
    );
}

/// One reference to the field every test reads.
const ONE_REFERENCE: &str = "DB_PASSWORD=vault://secret/app#db_password\n";

/// Runs `echo $DB_PASSWORD` with `ONE_REFERENCE` as .env against `addr` with the root token,
/// and checks that the program started and got the value.
fn served(addr: &str) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", ONE_REFERENCE);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["--", "sh", "-c", "echo $DB_PASSWORD"])
        .output()
        .unwrap();
    assert_eq!(
        text(&output.stdout).trim(),
        DB_PASSWORD,
        "{}",
        text(&output.stderr)
    );
}

/// The first read answers `status`, the second answers as Vault does: the program gets the
/// value, after exactly two requests.
fn retried_once_then_served(status: u16, message: &str) {
    let (vault, seen) = flaky(1, status, errors(&[message]));
    served(&vault.addr);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

#[test]
fn a_503_then_200_is_retried() {
    retried_once_then_served(503, "Vault is sealed");
}

#[test]
fn a_429_then_200_is_retried() {
    retried_once_then_served(
        429,
        "request path \"secret/data/app\": rate limit quota exceeded",
    );
}

#[test]
fn a_503_every_time_gives_up_after_three_tries() {
    let (vault, seen) = flaky(usize::MAX, 503, errors(&["Vault is sealed"]));
    let stderr = refused(&vault.addr, ONE_REFERENCE, &[]);
    let expected = "cannot resolve DB_PASSWORD (.env:1) = vault://secret/app#db_password: Vault \
                    could not answer secret/data/app (HTTP 503: Vault is sealed; 3 tries); check \
                    that Vault is unsealed";
    assert!(stderr.contains(expected), "{stderr}");
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}

#[test]
fn a_missing_path_says_to_check_the_path_and_the_mount() {
    let vault = FakeVault::start();
    let stderr = refused(&vault.addr, "X=vault://secret/nowhere#x\n", &[]);
    let expected = "cannot resolve X (.env:1) = vault://secret/nowhere#x: Vault has no secret at \
                    secret/data/nowhere (HTTP 404); check the path, and that secret is the mount \
                    of a KV version 2 secrets engine";
    assert!(stderr.contains(expected), "{stderr}");
    assert_eq!(vault.count("GET", "/v1/sys/internal/ui/mounts/secret"), 1);
}

#[test]
fn a_kv_version_1_mount_is_named_as_such() {
    let vault = FakeVault::start();
    let stderr = refused(
        &vault.addr,
        "X=vault://kv1/app#x\nY=vault://kv1/legacy#password\n",
        &[],
    );
    let by_404 = "cannot resolve X (.env:1) = vault://kv1/app#x: kv1 is a KV version 1 mount \
                  (Vault has no kv1/data/app); keyward-run reads KV version 2: upgrade the mount \
                  with `vault kv enable-versioning kv1`";
    assert!(stderr.contains(by_404), "{stderr}");
    let by_shape = "cannot resolve Y (.env:2) = vault://kv1/legacy#password: Vault's answer for \
                    kv1/data/legacy has no data.data or data.metadata object, so kv1 looks like a \
                    KV version 1 mount";
    assert!(stderr.contains(by_shape), "{stderr}");
    let stderr = refused(&vault.addr, "X=vault://pki/app#x\n", &[]);
    assert!(
        stderr.contains("pki is a pki secrets engine, not KV version 2"),
        "{stderr}"
    );
}

#[test]
fn a_missing_field_names_the_fields_there_are() {
    let vault = FakeVault::start();
    let stderr = refused(
        &vault.addr,
        "DB_PASSWORD=vault://secret/app#db_password\nAPI=vault://secret/app#nope\n",
        &[],
    );
    let expected = "cannot resolve API (.env:2) = vault://secret/app#nope: the secret at \
                    secret/data/app has no field nope (it has api_key, db_password, port)";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("DB_PASSWORD"), "{stderr}");
    assert_eq!(vault.requests().len(), 1);
}

#[test]
fn deleted_and_destroyed_versions_say_so() {
    let vault = FakeVault::start();
    let stderr = refused(
        &vault.addr,
        "A=vault://secret/app?version=2#db_password\nB=vault://secret/app?version=1#db_password\n",
        &[],
    );
    let deleted = "cannot resolve A (.env:1) = vault://secret/app?version=2#db_password: version \
                   2 of secret/data/app?version=2 was deleted at 2024-05-01T10:00:00.000000000Z; \
                   undelete it";
    assert!(stderr.contains(deleted), "{stderr}");
    let destroyed = "version 1 of secret/data/app?version=1 was destroyed and cannot be read";
    assert!(stderr.contains(destroyed), "{stderr}");
}

#[test]
fn an_answer_that_is_not_json_is_reported_without_quoting_it() {
    let vault = FakeVault::with(|request| match request.path.as_str() {
        "/v1/secret/data/app" => {
            Reply::Json(200, format!("<html>proxy error {DB_PASSWORD}</html>"))
        }
        _ => vault_api(request),
    });
    let stderr = refused(&vault.addr, "X=vault://secret/app#db_password\n", &[]);
    let expected =
        "Vault's answer for secret/data/app (HTTP 200) is not what its API returns: not JSON";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("proxy error"), "{stderr}");
}

#[test]
fn connection_refused_is_retried_then_explained() {
    let addr = closed_port_addr();
    assert!(refuses(&addr));
    let stderr = refused(&addr, "X=vault://secret/app#x\n", &[]);
    let expected = format!("cannot connect to Vault at {addr} (secret/data/app; 3 tries): ");
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(stderr.contains("check VAULT_ADDR"), "{stderr}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let vault = FakeVault::with(|_| Reply::Stall);
    // The flag wins over VAULT_CLIENT_TIMEOUT; were it ignored, 30 s per try would outlast
    // the 60 s guard in `refused` and fail the test.
    let stderr = refused(
        &vault.addr,
        "VAULT_CLIENT_TIMEOUT=30\nX=vault://secret/app#x\n",
        &["--vault-timeout", "1"],
    );
    let expected = format!("timed out after 1s waiting for Vault at {}", vault.addr);
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("3 tries"), "{stderr}");
    assert_eq!(
        vault.count("GET", "/v1/secret/data/app"),
        3,
        "a timeout is retried"
    );
}

#[test]
fn a_failed_approle_login_names_the_role_and_not_the_secret_id() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        "A=vault://secret/app#api_key\nB=vault://secret/app#port\n",
    );
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_ROLE_ID", ROLE_ID)
        .env("VAULT_SECRET_ID", "wrong-secret-id-31ac")
        .args(["--vault-path", "secret/cfg", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    let stderr = text(&output.stderr);
    let expected = "cannot resolve A (.env:1) = vault://secret/app#api_key, B (.env:2) = \
                    vault://secret/app#port, --vault-path secret/cfg: AppRole login at \
                    auth/approle/login failed (HTTP 400: invalid role or secret ID); check \
                    VAULT_ROLE_ID and the secret id";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("wrong-secret-id-31ac"), "{stderr}");
    assert_eq!(
        stderr.matches("refused:").count(),
        1,
        "one message for one failed login"
    );
    assert_eq!(
        vault.count("POST", "/v1/auth/approle/login"),
        1,
        "a 400 is not retried"
    );
}

#[test]
fn a_missing_service_account_token_file_is_named() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("X", "vault://secret/app#api_key")
        .args([
            "--vault-k8s-role",
            K8S_ROLE,
            "--vault-k8s-token-file",
            "/nonexistent/sa-token",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "cannot read the Kubernetes service-account token file /nonexistent/sa-token"
        ),
        "{stderr}"
    );
    assert!(vault.requests().is_empty());
}

#[test]
fn vault_reference_without_vault_addr_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", ONE_REFERENCE);
    let output = launcher(dir.path())
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(text(&output.stderr).contains("export VAULT_ADDR"));
    assert_no_secret(&output);
}

#[test]
fn a_redirect_is_not_followed_so_the_token_stays_with_vault_addr() {
    // Another server, which must never see the token.
    let elsewhere = FakeVault::start();
    let target = format!("{}/v1/secret/data/app", elsewhere.addr);
    let vault = FakeVault::with(move |_| Reply::Redirect(target.clone()));
    let stderr = refused(&vault.addr, ONE_REFERENCE, &[]);
    assert!(
        stderr.contains("redirected the request for secret/data/app (HTTP 307)"),
        "{stderr}"
    );
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
}

#[test]
fn a_rate_limit_is_retried_after_the_wait_vault_asks_for() {
    let seen: Arc<Mutex<Vec<std::time::Instant>>> = Arc::default();
    let log = Arc::clone(&seen);
    let vault = FakeVault::with(move |request| {
        if request.path != "/v1/secret/data/app" {
            return vault_api(request);
        }
        let mut times = log.lock().unwrap();
        times.push(std::time::Instant::now());
        match times.len() {
            1 => Reply::Limited(1, errors(&["rate limit quota exceeded"])),
            _ => vault_api(request),
        }
    });
    served(&vault.addr);
    let times = seen.lock().unwrap();
    assert_eq!(times.len(), 2);
    // Retry-After: 1 was honoured over the 250 ms backoff (a lower bound, not a speed test).
    assert!(times[1] - times[0] >= std::time::Duration::from_millis(950));
}
