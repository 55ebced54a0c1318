//! Secret references: `file://` secret files, and `vault://` against a fake Vault (a std
//! `TcpListener` on 127.0.0.1 serving KV v2 JSON and AppRole logins, checking the token
//! header). Failures refuse to start the program and name variable, location and reference,
//! never a value or a token.

use super::{all_output, child_env, launcher, text, write, PRINT_ENV};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const ROOT_TOKEN: &str = "s.root-token-4f9a";
const APPROLE_TOKEN: &str = "s.approle-token-77c1";
const ROLE_ID: &str = "role-web";
const SECRET_ID: &str = "approle-secret-id-2b8e";
const DB_PASSWORD: &str = "vault-db-pass-Qx81";
const API_KEY: &str = "vault-api-key-Zm33";
const ALL_SECRETS: [&str; 5] = [ROOT_TOKEN, APPROLE_TOKEN, SECRET_ID, DB_PASSWORD, API_KEY];

#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct FakeVault {
    addr: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeVault {
    fn start() -> FakeVault {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve(stream, &log);
            }
        });
        FakeVault { addr, requests }
    }

    fn requests(&self, method: &str) -> Vec<(String, Option<String>)> {
        let log = self.requests.lock().unwrap();
        let with = log.iter().filter(|r| r.method == method);
        with.map(|r| {
            (
                r.path.clone(),
                r.header("x-vault-token").map(str::to_string),
            )
        })
        .collect()
    }
}

fn serve(mut stream: TcpStream, log: &Mutex<Vec<Request>>) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let (status, body) = respond(&request);
    log.lock().unwrap().push(request);
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body.as_bytes()));
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: String::new(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    request.body = String::from_utf8(body).ok()?;
    Some(request)
}

fn respond(request: &Request) -> (&'static str, String) {
    let token = request.header("x-vault-token");
    let authorised = token == Some(ROOT_TOKEN) || token == Some(APPROLE_TOKEN);
    let denied = json!({"errors": ["permission denied"]}).to_string();
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/auth/approle/login") => {
            let body: Value = serde_json::from_str(&request.body).unwrap_or_default();
            match body["role_id"] == ROLE_ID && body["secret_id"] == SECRET_ID {
                true => (
                    "200 OK",
                    json!({"auth": {"client_token": APPROLE_TOKEN}}).to_string(),
                ),
                false => ("400 Bad Request", denied),
            }
        }
        ("GET", "/v1/secret/data/app") if authorised => {
            let data = json!({"db_password": DB_PASSWORD, "api_key": API_KEY, "port": 5432});
            (
                "200 OK",
                json!({"data": {"data": data, "metadata": {"version": 3}}}).to_string(),
            )
        }
        ("GET", "/v1/secret/data/app") => ("403 Forbidden", denied),
        _ => ("404 Not Found", json!({"errors": []}).to_string()),
    }
}

const REFERENCES: &str =
    "DB_PASSWORD=vault://secret/app#db_password\nAPI=vault://secret/app#api_key\n\
                          DB_PORT=vault://secret/app#port\n";

fn assert_no_secret(output: &std::process::Output) {
    let all = all_output(output);
    for secret in ALL_SECRETS {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
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
    assert_eq!(env["DB_PASSWORD"], DB_PASSWORD);
    assert_eq!(env["API"], API_KEY);
    assert_eq!(env["DB_PORT"], "5432");
    assert!(
        !env.contains_key("VAULT_TOKEN"),
        "the token reached the program"
    );
    assert_eq!(env["VAULT_ADDR"].as_str(), Some(vault.addr.as_str()));
    let reads = vault.requests("GET");
    assert_eq!(
        reads,
        [(
            "/v1/secret/data/app".to_string(),
            Some(ROOT_TOKEN.to_string())
        )],
        "one read for three fields"
    );
    let log = vault.requests.lock().unwrap();
    assert_eq!(log[0].header("x-vault-namespace"), Some("team-a"));
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
    assert_eq!(child_env(&output)["DB_PASSWORD"], DB_PASSWORD);
}

#[test]
fn approle_login_and_the_secret_id_is_withheld() {
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
        .arg("--")
        .args(PRINT_ENV)
        .output()
        .unwrap();
    let env = child_env(&output);
    assert_eq!(env["API"], API_KEY);
    assert!(
        !env.contains_key("VAULT_SECRET_ID"),
        "the AppRole secret id reached the program"
    );
    assert_eq!(env["VAULT_ROLE_ID"], ROLE_ID);
    assert_eq!(vault.requests("POST").len(), 1);
    assert_eq!(vault.requests("GET")[0].1.as_deref(), Some(APPROLE_TOKEN));
}

#[test]
fn a_missing_field_refuses_naming_variable_location_and_reference() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        "DB_PASSWORD=vault://secret/app#db_password\nAPI=vault://secret/app#nope\n",
    );
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .args(["--", "touch", "ran"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(!dir.path().join("ran").exists());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot resolve API (.env:2) = vault://secret/app#nope"),
        "{stderr}"
    );
    assert!(stderr.contains("has no field nope"), "{stderr}");
    assert!(!stderr.contains("DB_PASSWORD"), "{stderr}");
    assert_no_secret(&output);
}

#[test]
fn a_403_refuses_without_showing_the_token() {
    let vault = FakeVault::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", REFERENCES);
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", "s.wrong-token-0000")
        .args(["--", "touch", "ran"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("denied reading secret/data/app (HTTP 403: permission denied)"),
        "{stderr}"
    );
    assert!(!stderr.contains("s.wrong-token-0000"), "{stderr}");
    assert!(!dir.path().join("ran").exists());
}

#[test]
fn vault_reference_without_vault_addr_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        "DB_PASSWORD=vault://secret/app#db_password\n",
    );
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
