//! `vault://` references and `--vault-path` against the fake Vault: each way to get a token
//! (VAULT_TOKEN, ~/.vault-token, AppRole with the secret id from the environment or a file,
//! Kubernetes), the namespace header on every request, pinned versions, one request per
//! secret with independent secrets read concurrently, and credentials kept from the program.

use super::fakevault::*;
use super::{all_output, child_env, launcher, text, write, PRINT_ENV};
use serde_json::{Map, Value};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

const REFERENCES: &str =
    "DB_PASSWORD=vault://secret/app#db_password\nAPI=vault://secret/app#api_key\n\
                          DB_PORT=vault://secret/app#port\n";

pub fn assert_no_secret(output: &std::process::Output) {
    let all = all_output(output);
    for secret in ALL_SECRETS {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

/// For runs whose program prints its environment: the launcher's own stderr shows nothing
/// secret, and the program saw no Vault credential.
fn assert_credentials_kept(output: &std::process::Output) {
    let stderr = text(&output.stderr);
    for secret in ALL_SECRETS {
        assert!(!stderr.contains(secret), "{secret} leaked: {stderr}");
    }
    let stdout = text(&output.stdout);
    for credential in [ROOT_TOKEN, APPROLE_TOKEN, K8S_TOKEN, SECRET_ID, K8S_JWT] {
        assert!(!stdout.contains(credential), "the program got {credential}");
    }
}

fn assert_resolved(env: &Map<String, Value>) {
    assert_eq!(env["DB_PASSWORD"], DB_PASSWORD);
    assert_eq!(env["API"], API_KEY);
    assert_eq!(env["DB_PORT"], "5432");
}

/// Every request the fake Vault saw carried this namespace header.
fn assert_namespace_everywhere(vault: &FakeVault, namespace: &str) {
    let requests = vault.requests();
    assert!(!requests.is_empty());
    for request in requests {
        let header = request.header("x-vault-namespace");
        assert_eq!(
            header,
            Some(namespace),
            "{} {}",
            request.method,
            request.path
        );
    }
}

#[test]
fn token_auth_resolves_fields_and_withholds_the_token() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", REFERENCES);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .env("VAULT_NAMESPACE", "team-a")
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_resolved(&env);
    assert!(
        !env.contains_key("VAULT_TOKEN"),
        "the token reached the program"
    );
    assert_eq!(env["VAULT_ADDR"].as_str(), Some(vault.addr.as_str()));
    let requests = vault.requests();
    assert_eq!(requests.len(), 1, "one read for three fields");
    assert_eq!(requests[0].path, "/v1/secret/data/app");
    assert_eq!(requests[0].header("x-vault-token"), Some(ROOT_TOKEN));
    assert_namespace_everywhere(&vault, "team-a");
    assert_credentials_kept(&output);
}

#[test]
fn token_file_in_home_is_used() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", REFERENCES);
    write(dir.path(), ".vault-token", &format!("{ROOT_TOKEN}\n"));
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_resolved(&child_env(&output));
    assert_eq!(
        vault.requests()[0].header("x-vault-token"),
        Some(ROOT_TOKEN)
    );
}

#[test]
fn approle_login_with_the_secret_id_from_the_environment() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        &format!("{REFERENCES}VAULT_SECRET_ID={SECRET_ID}\n"),
    );
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_ROLE_ID", ROLE_ID)
        .env("VAULT_NAMESPACE", "team-a/web")
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_resolved(&env);
    assert!(
        !env.contains_key("VAULT_SECRET_ID"),
        "the AppRole secret id reached the program"
    );
    assert!(!env.contains_key("VAULT_TOKEN"));
    assert_eq!(env["VAULT_ROLE_ID"], ROLE_ID);
    let requests = vault.requests();
    assert_eq!(requests.len(), 2, "a login and one read");
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/v1/auth/approle/login")
    );
    assert_eq!(requests[0].header("x-vault-token"), None);
    assert_eq!(requests[1].header("x-vault-token"), Some(APPROLE_TOKEN));
    assert_namespace_everywhere(&vault, "team-a/web");
    assert_credentials_kept(&output);
}

#[test]
fn approle_login_with_the_secret_id_from_a_file() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", REFERENCES);
    let secret_id = write(dir.path(), "secret-id", &format!("{SECRET_ID}\n"));
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_ROLE_ID", ROLE_ID)
        .arg("--vault-secret-id-file")
        .arg(&secret_id)
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_resolved(&child_env(&output));
    let login: Value = serde_json::from_str(&vault.requests()[0].body).unwrap();
    assert_eq!(
        login["secret_id"], SECRET_ID,
        "the file's newline is not part of the id"
    );
    assert_eq!(login["role_id"], ROLE_ID);
}

#[test]
fn kubernetes_login_with_the_service_account_token() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", REFERENCES);
    let jwt = write(dir.path(), "sa-token", K8S_JWT);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_K8S_ROLE", K8S_ROLE)
        .env("VAULT_K8S_TOKEN_FILE", &jwt)
        .env("VAULT_NAMESPACE", "team-k")
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_resolved(&child_env(&output));
    let requests = vault.requests();
    assert_eq!(requests[0].path, "/v1/auth/kubernetes/login");
    let login: Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(login, serde_json::json!({"role": K8S_ROLE, "jwt": K8S_JWT}));
    assert_eq!(requests[1].header("x-vault-token"), Some(K8S_TOKEN));
    assert_namespace_everywhere(&vault, "team-k");
    assert_credentials_kept(&output);
}

#[test]
fn kubernetes_login_by_flags_at_another_auth_path() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    let jwt = write(dir.path(), "sa-token", &format!("{K8S_JWT}\n"));
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("API", "vault://secret/app#api_key")
        .args([
            "--vault-k8s-role",
            K8S_ROLE,
            "--vault-auth-path",
            "k8s-prod",
        ])
        .arg("--vault-k8s-token-file")
        .arg(&jwt)
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_eq!(child_env(&output)["API"], API_KEY);
    assert_eq!(vault.count("POST", "/v1/auth/k8s-prod/login"), 1);
}

#[test]
fn pass_vault_token_gives_the_program_the_login_token_but_never_the_secret_id() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", REFERENCES);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_ROLE_ID", ROLE_ID)
        .env("VAULT_SECRET_ID", SECRET_ID)
        .args(["--pass-vault-token", "--"])
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(env["VAULT_TOKEN"], APPROLE_TOKEN);
    assert!(!env.contains_key("VAULT_SECRET_ID"));
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["--pass-vault-token", "--"])
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_eq!(child_env(&output)["VAULT_TOKEN"], ROOT_TOKEN);
}

#[test]
fn pinned_versions_send_the_version_query() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    let env =
        "A=vault://secret/app?version=4#db_password\nB=vault://secret/app#db_password?version=4\n\
               C=vault://secret/app#db_password\n";
    write(dir.path(), ".env", env);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(env["A"], OLD_DB_PASSWORD);
    assert_eq!(env["B"], OLD_DB_PASSWORD);
    assert_eq!(env["C"], DB_PASSWORD);
    assert_eq!(
        vault.count("GET", "/v1/secret/data/app?version=4"),
        1,
        "both spellings, one read"
    );
    assert_eq!(vault.count("GET", "/v1/secret/data/app"), 1);
}

/// Holds every read until `expected` reads are in flight at once (or 3 s have passed, so a
/// launcher that reads one at a time still finishes, and fails the assertion), and records
/// the most reads ever in flight together.
struct Gate {
    state: Mutex<(usize, usize)>,
    all_in: Condvar,
    expected: usize,
}

impl Gate {
    fn pass(&self) {
        let mut state = self.state.lock().unwrap();
        state.0 += 1;
        state.1 = state.1.max(state.0);
        self.all_in.notify_all();
        let (mut state, _) = self
            .all_in
            .wait_timeout_while(state, Duration::from_secs(3), |s| s.1 < self.expected)
            .unwrap();
        state.0 -= 1;
    }

    fn most_in_flight(&self) -> usize {
        self.state.lock().unwrap().1
    }
}

#[test]
fn many_references_one_request_per_secret_read_concurrently() {
    let gate = Arc::new(Gate {
        state: Mutex::new((0, 0)),
        all_in: Condvar::new(),
        expected: 3,
    });
    let held = Arc::clone(&gate);
    let vault = FakeVault::with(move |request| {
        if request.path.starts_with("/v1/secret/data/svc/") {
            held.pass();
        }
        vault_api(request)
    });
    let dir = tempfile::tempdir().unwrap();
    let mut env = String::new();
    let mut expected = Vec::new();
    for i in 0..20 {
        let (name, field) = (["a", "b", "c"][i % 3], 1 + i % 7);
        env.push_str(&format!("VAR_{i}=vault://secret/svc/{name}#k{field}\n"));
        expected.push((format!("VAR_{i}"), format!("{name}-value-{field}")));
    }
    write(dir.path(), ".env", &env);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["--vault-timeout", "20", "--"])
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    for (key, value) in expected {
        assert_eq!(env[&key], value.as_str(), "{key}");
    }
    for name in ["a", "b", "c"] {
        assert_eq!(
            vault.count("GET", &format!("/v1/secret/data/svc/{name}")),
            1,
            "svc/{name}"
        );
    }
    assert_eq!(vault.requests().len(), 3);
    assert_eq!(
        gate.most_in_flight(),
        3,
        "the three secrets were not read concurrently"
    );
}

#[test]
fn vault_path_loads_every_field_upper_cased_with_a_prefix() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        "APP_LOG_LEVEL=from-file\nAPP_API_KEY=from-file\n",
    );
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .env("APP_API_KEY", "from-process")
        .args([
            "--vault-path",
            "APP_=secret/cfg",
            "--vault-path",
            "secret/app?version=3",
            "--",
        ])
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(env["APP_DB_PASSWORD"], CFG_DB_PASSWORD);
    assert_eq!(
        env["APP_LOG_LEVEL"], "info",
        "--vault-path wins over an env file"
    );
    assert_eq!(
        env["APP_API_KEY"], "from-process",
        "the process environment wins"
    );
    assert_eq!(env["DB_PASSWORD"], DB_PASSWORD);
    assert_eq!(env["API_KEY"], API_KEY);
    assert_eq!(env["PORT"], "5432");
    assert_eq!(vault.count("GET", "/v1/secret/data/cfg"), 1);
    assert_eq!(vault.count("GET", "/v1/secret/data/app?version=3"), 1);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .env("APP_API_KEY", "from-process")
        .args(["--override", "--vault-path", "APP_=secret/cfg", "--"])
        .args(PRINT_ENV)
        .output()
        .unwrap();
    assert_eq!(child_env(&output)["APP_API_KEY"], CFG_API_KEY, "--override");
}

#[test]
fn vault_path_values_are_secrets_for_dry_run_and_mask() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["--dry-run", "--vault-path", "APP_=secret/cfg"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    let api = row("APP_API_KEY");
    assert!(
        api.contains("--vault-path APP_=secret/cfg -> vault://secret/cfg#api.key"),
        "{stdout}"
    );
    assert!(api.contains("****(16)"), "{stdout}");
    assert!(
        row("APP_LOG_LEVEL").contains("****(4)"),
        "a --vault-path value is a secret whatever its name: {stdout}"
    );
    assert_no_secret(&output);
    let echo = "echo $APP_DB_PASSWORD; printf %s \"$APP_API_KEY\" | base64";
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args([
            "--mask",
            "--vault-path",
            "APP_=secret/cfg",
            "--",
            "sh",
            "-c",
            echo,
        ])
        .output()
        .unwrap();
    assert_eq!(text(&output.stdout), "****\n****\n");
}

#[test]
fn references_in_the_process_environment_and_a_token_from_a_secret_file() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    let token_file = write(dir.path(), "vault-token", &format!("{ROOT_TOKEN}\n"));
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", format!("file://{}", token_file.display()))
        .env("DB_PASSWORD", "vault://secret/app#db_password")
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(env["DB_PASSWORD"], DB_PASSWORD);
    assert!(!env.contains_key("VAULT_TOKEN"));
}

#[test]
fn dry_run_names_the_reference_and_masks_the_value() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", REFERENCES);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["--dry-run", "--", "true"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("DB_PASSWORD"))
        .unwrap();
    assert!(
        row.contains(".env:1 -> vault://secret/app#db_password") && row.contains("****(18)"),
        "{row}"
    );
    assert_no_secret(&output);
}

#[test]
fn masked_output_hides_vault_values_and_credentials() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", REFERENCES);
    let echo = format!("echo $DB_PASSWORD $API; echo {ROOT_TOKEN} >&2");
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["--mask", "--", "sh", "-c", &echo])
        .output()
        .unwrap();
    assert_eq!(text(&output.stdout), "**** ****\n");
    assert_eq!(text(&output.stderr), "****\n");
}
