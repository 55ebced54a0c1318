//! A fake Vault for the launcher's tests: a std `TcpListener` on 127.0.0.1 (optionally behind
//! rustls, with a CA made in the test by rcgen) that answers as Vault's HTTP API documentation
//! shows — KV v2 reads with their metadata envelope, AppRole and Kubernetes logins with
//! `auth.client_token`, `{"errors": [...]}` bodies, the `sys/internal/ui/mounts` preflight —
//! and logs every request. Each connection gets its own thread, so concurrent reads really
//! are concurrent; tests wrap `vault_api` to script retries, stalls and gates.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const ROOT_TOKEN: &str = "s.root-token-4f9a";
pub const APPROLE_TOKEN: &str = "s.approle-token-77c1";
pub const K8S_TOKEN: &str = "s.kubernetes-token-90d2";
pub const ROLE_ID: &str = "role-web";
pub const SECRET_ID: &str = "approle-secret-id-2b8e";
pub const K8S_ROLE: &str = "web-app";
pub const K8S_JWT: &str = "eyJhbGciOiJSUzI1NiJ9.service-account-jwt-5c1e.sig";
pub const DB_PASSWORD: &str = "vault-db-pass-Qx81";
pub const API_KEY: &str = "vault-api-key-Zm33";
pub const OLD_DB_PASSWORD: &str = "vault-old-db-pass-Lk40";
pub const CFG_DB_PASSWORD: &str = "cfg-db-pass-Wr52";
pub const CFG_API_KEY: &str = "cfg-api-key-Pn07";
/// Credentials and values no output of the launcher may show.
pub const ALL_SECRETS: [&str; 10] = [
    ROOT_TOKEN,
    APPROLE_TOKEN,
    K8S_TOKEN,
    SECRET_ID,
    K8S_JWT,
    DB_PASSWORD,
    API_KEY,
    OLD_DB_PASSWORD,
    CFG_DB_PASSWORD,
    CFG_API_KEY,
];

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent: `/v1/secret/data/app?version=3`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub enum Reply {
    Json(u16, String),
    /// Read the request, then never answer (until the client hangs up).
    Stall,
    /// `429 Too Many Requests` with `Retry-After: SECONDS` (a rate limit quota) and this body.
    Limited(u64, String),
    /// `307 Temporary Redirect` to this URL (what a standby node without request forwarding
    /// answers).
    Redirect(String),
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct FakeVault {
    pub addr: String,
    log: Arc<Mutex<Vec<Request>>>,
    connections: Arc<AtomicUsize>,
}

impl FakeVault {
    /// Plain HTTP, answering as `vault_api`.
    pub fn start() -> FakeVault {
        FakeVault::with(vault_api)
    }

    pub fn with(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FakeVault {
        FakeVault::listen("http", Arc::new(handler), None)
    }

    /// HTTPS with the CA's server certificate for 127.0.0.1, answering as `vault_api`.
    pub fn start_tls(ca: &TestCa) -> FakeVault {
        FakeVault::listen("https", Arc::new(vault_api), Some(ca.server.clone()))
    }

    fn listen(
        scheme: &str,
        handler: Arc<Handler>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> FakeVault {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("{scheme}://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (log2, connections2) = (Arc::clone(&log), Arc::clone(&connections));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                connections2.fetch_add(1, Ordering::SeqCst);
                let (log, handler, tls) = (Arc::clone(&log2), Arc::clone(&handler), tls.clone());
                std::thread::spawn(move || match tls {
                    None => serve(stream, &*handler, &log),
                    Some(config) => {
                        let Ok(conn) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        serve(rustls::StreamOwned::new(conn, stream), &*handler, &log);
                    }
                });
            }
        });
        FakeVault {
            addr,
            log,
            connections,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Requests with this method and path (query included).
    pub fn count(&self, method: &str, path: &str) -> usize {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }

    /// TCP connections accepted, TLS handshakes that failed included.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve(mut stream: impl Read + Write, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    log.lock().unwrap().push(request.clone());
    let (status, body, extra) = match handler(&request) {
        Reply::Json(status, body) => (status, body, String::new()),
        Reply::Redirect(to) => (307, String::new(), format!("Location: {to}\r\n")),
        Reply::Limited(after, body) => (429, body, format!("Retry-After: {after}\r\n")),
        Reply::Stall => {
            let _ = stream.read(&mut [0u8; 1]);
            return;
        }
    };
    let head = format!(
        "HTTP/1.1 {status} {}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body.as_bytes()))
        .and_then(|_| stream.flush());
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn read_request(stream: &mut impl Read) -> Option<Request> {
    let mut reader = BufReader::new(stream);
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

/// Vault's response envelope around `data` or `auth`.
fn envelope(data: Value, auth: Value) -> String {
    json!({
        "request_id": "8f4e2c3a-5b1d-4c6e-9a7f-0d2b3c4e5f60",
        "lease_id": "",
        "renewable": false,
        "lease_duration": 0,
        "data": data,
        "wrap_info": null,
        "warnings": null,
        "auth": auth
    })
    .to_string()
}

/// A KV v2 read answer: `data.data` and `data.metadata`.
pub fn kv2(fields: Value, version: u64, deletion_time: &str, destroyed: bool) -> String {
    let metadata = json!({
        "created_time": "2024-03-22T02:24:06.945319214Z",
        "custom_metadata": null,
        "deletion_time": deletion_time,
        "destroyed": destroyed,
        "version": version
    });
    envelope(json!({ "data": fields, "metadata": metadata }), Value::Null)
}

pub fn errors(texts: &[&str]) -> String {
    json!({ "errors": texts }).to_string()
}

fn login(token: &str, policies: &[&str], metadata: Value) -> String {
    let auth = json!({
        "client_token": token,
        "accessor": "0e9e354a-520f-df04-6867-ee81cae3d42d",
        "policies": policies,
        "token_policies": policies,
        "metadata": metadata,
        "lease_duration": 2764800,
        "renewable": true,
        "entity_id": "7d2e3179-f69b-450c-7179-ac8ee8bd8ca9",
        "token_type": "service",
        "orphan": true
    });
    envelope(Value::Null, auth)
}

/// The fields of `secret/svc/NAME`, for the many-references test: `k1`..`k7`.
pub fn svc_fields(name: &str) -> Value {
    let fields: serde_json::Map<String, Value> = (1..=7)
        .map(|i| (format!("k{i}"), Value::from(format!("{name}-value-{i}"))))
        .collect();
    Value::Object(fields)
}

/// Vault as its API documentation shows it, with these mounts: `secret` (KV v2) holding
/// `app` (version 3; version 2 deleted, version 1 destroyed), `cfg` and `svc/a`..`svc/c`;
/// `kv1` (KV version 1) holding `data/legacy`; AppRole at `auth/approle`, Kubernetes at
/// `auth/kubernetes` and `auth/k8s-prod`.
pub fn vault_api(request: &Request) -> Reply {
    let token = request.header("x-vault-token");
    let authorised = [ROOT_TOKEN, APPROLE_TOKEN, K8S_TOKEN]
        .map(Some)
        .contains(&token);
    let denied = || {
        Reply::Json(
            403,
            errors(&["1 error occurred:\n\t* permission denied\n\n"]),
        )
    };
    let body: Value = serde_json::from_str(&request.body).unwrap_or_default();
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/auth/approle/login") => {
            match body["role_id"] == ROLE_ID && body["secret_id"] == SECRET_ID {
                true => Reply::Json(
                    200,
                    login(
                        APPROLE_TOKEN,
                        &["default", "web"],
                        json!({"role_name": "web"}),
                    ),
                ),
                false => Reply::Json(400, errors(&["invalid role or secret ID"])),
            }
        }
        ("POST", "/v1/auth/kubernetes/login" | "/v1/auth/k8s-prod/login") => {
            match (body["role"] == K8S_ROLE, body["jwt"] == K8S_JWT) {
                (true, true) => {
                    let metadata = json!({"role": K8S_ROLE, "service_account_name": "web",
                                          "service_account_namespace": "default"});
                    Reply::Json(200, login(K8S_TOKEN, &["default", "web"], metadata))
                }
                (false, _) => Reply::Json(400, errors(&["invalid role name \"other\""])),
                (true, false) => denied(),
            }
        }
        (_, _) if !authorised => denied(),
        ("GET", path) => read(path),
        _ => Reply::Json(405, errors(&[])),
    }
}

fn read(path: &str) -> Reply {
    let app = || json!({"db_password": DB_PASSWORD, "api_key": API_KEY, "port": 5432});
    match path {
        "/v1/secret/data/app" | "/v1/secret/data/app?version=3" => {
            Reply::Json(200, kv2(app(), 3, "", false))
        }
        "/v1/secret/data/app?version=2" => Reply::Json(
            404,
            kv2(Value::Null, 2, "2024-05-01T10:00:00.000000000Z", false),
        ),
        "/v1/secret/data/app?version=1" => Reply::Json(404, kv2(Value::Null, 1, "", true)),
        "/v1/secret/data/app?version=4" => Reply::Json(
            200,
            kv2(json!({"db_password": OLD_DB_PASSWORD}), 4, "", false),
        ),
        "/v1/secret/data/cfg" => {
            let fields = json!({"db-password": CFG_DB_PASSWORD, "api.key": CFG_API_KEY, "log_level": "info"});
            Reply::Json(200, kv2(fields, 1, "", false))
        }
        "/v1/kv1/data/legacy" => Reply::Json(
            200,
            envelope(json!({"password": OLD_DB_PASSWORD}), Value::Null),
        ),
        "/v1/sys/internal/ui/mounts/secret" => {
            Reply::Json(200, mount("kv", json!({"version": "2"})))
        }
        "/v1/sys/internal/ui/mounts/kv1" => Reply::Json(200, mount("kv", json!({"version": "1"}))),
        "/v1/sys/internal/ui/mounts/pki" => Reply::Json(200, mount("pki", Value::Null)),
        path => match path.strip_prefix("/v1/secret/data/svc/") {
            Some(name @ ("a" | "b" | "c")) => Reply::Json(200, kv2(svc_fields(name), 1, "", false)),
            _ => Reply::Json(404, errors(&[])),
        },
    }
}

/// `GET /v1/sys/internal/ui/mounts/MOUNT`: the mount's engine type and options.
fn mount(kind: &str, options: Value) -> String {
    let data = json!({"type": kind, "options": options, "path": "mount/", "description": "",
                      "accessor": "kv_aedd93c1", "config": {"default_lease_ttl": 0}});
    envelope(data, Value::Null)
}

/// A CA made for the test and the rustls server config of a certificate it issued for
/// 127.0.0.1 and localhost.
pub struct TestCa {
    pub pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "keyward test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "vault.test");
        let leaf_key = KeyPair::generate().unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![leaf_cert.der().clone()], key.into())
            .unwrap();
        TestCa {
            pem: ca_cert.pem(),
            server: Arc::new(server),
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port_addr() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    addr
}

/// Whether a TCP connection to the fake server is possible (sanity for `closed_port_addr`).
pub fn refuses(addr: &str) -> bool {
    TcpStream::connect(addr.trim_start_matches("http://")).is_err()
}
