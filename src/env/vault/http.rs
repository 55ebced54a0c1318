//! The wire side of the Vault client: one ureq agent (rustls; the CA roots of
//! `VAULT_CACERT`/`VAULT_CAPATH`, or no certificate check for `VAULT_SKIP_VERIFY`), no
//! redirects, `X-Vault-Namespace` on every request, and the retry policy: three tries in all,
//! with backoff (or the server's `Retry-After`, up to 5 s), on connection errors, timeouts, 429
//! and 5xx; none on any other answer. Time is bounded twice: each request, from connecting to
//! the body's last byte, gets the timeout (a server that trickles a byte at a time cannot
//! stretch it), and all of Vault's work for one start (login, reads, retries and waits) gets
//! `DEADLINE_FACTOR` times it. It hands back status and body; what an answer means is for `kv`
//! and `auth`.

use super::error::{Tries, VaultError};
use super::settings::{Roots, Settings};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use ureq::http::Response;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Body};

/// Requests per call, the first included.
pub const TRIES: u32 = 3;

/// Wait before the second try; doubled before the third.
const BACKOFF: Duration = Duration::from_millis(250);

/// The longest `Retry-After` honoured: a start-up waits this long at most per retry.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// All of Vault's work for one start gets this many timeouts.
pub const DEADLINE_FACTOR: u32 = 4;

/// The largest answer read (ureq's default limit, named so that the message can say it).
const MAX_BODY: u64 = 10 * 1024 * 1024;

pub struct Http {
    agent: Agent,
    addr: String,
    namespace: Option<String>,
    timeout: Duration,
    /// When the whole resolution gives up.
    deadline: Instant,
}

/// One answer from Vault, whatever its status.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub tries: u32,
}

impl Answer {
    /// The body as JSON; `what` names the request in the error.
    pub fn json(&self, what: &str) -> Result<Value, VaultError> {
        serde_json::from_str(&self.body).map_err(|_| VaultError::BadResponse {
            what: what.into(),
            status: self.status,
            detail: "not JSON",
        })
    }
}

impl Http {
    pub fn new(settings: &Settings) -> Result<Http, VaultError> {
        let timeout = settings.timeout;
        let tls = tls_config(&settings.roots, settings.skip_verify)?;
        // No redirect is followed: the token would go with it to whatever host it names. A
        // standby node that redirects is reported (HTTP 307): point VAULT_ADDR at the active
        // node or the cluster's load balancer.
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .tls_config(tls)
            .build();
        Ok(Http {
            agent: config.into(),
            addr: settings.addr.clone(),
            namespace: settings.namespace.clone(),
            timeout,
            deadline: Instant::now() + timeout * DEADLINE_FACTOR,
        })
    }

    /// `GET /v1/{what}` with the token.
    pub fn get(&self, what: &str, token: &str) -> Result<Answer, VaultError> {
        let url = format!("{}/v1/{what}", self.addr);
        self.send(what, |budget| {
            let mut request = self.agent.get(&url).header("X-Vault-Token", token);
            if let Some(namespace) = &self.namespace {
                request = request.header("X-Vault-Namespace", namespace);
            }
            request.config().timeout_global(Some(budget)).build().call()
        })
    }

    /// `POST /v1/{what}` with a JSON body and no token (logins).
    pub fn post_json(&self, what: &str, body: &str) -> Result<Answer, VaultError> {
        let url = format!("{}/v1/{what}", self.addr);
        self.send(what, |budget| {
            let mut request = self.agent.post(&url).content_type("application/json");
            if let Some(namespace) = &self.namespace {
                request = request.header("X-Vault-Namespace", namespace);
            }
            request
                .config()
                .timeout_global(Some(budget))
                .build()
                .send(body)
        })
    }

    fn send(
        &self,
        what: &str,
        call: impl Fn(Duration) -> Result<Response<Body>, ureq::Error>,
    ) -> Result<Answer, VaultError> {
        let mut tries = 0;
        loop {
            let Some(left) = self.left() else {
                return Err(self.past_deadline(what, tries));
            };
            tries += 1;
            let mut retry_after = None;
            let outcome = call(left.min(self.timeout)).and_then(|mut response| {
                let status = response.status().as_u16();
                retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_BODY)
                    .read_to_string()?;
                Ok((status, body))
            });
            let again = match &outcome {
                Ok((status, _)) => *status == 429 || *status >= 500,
                Err(err) => transient(err),
            };
            if again && tries < TRIES {
                let wait = wait_before(tries, retry_after);
                if self.left().is_some_and(|left| left > wait) {
                    std::thread::sleep(wait);
                    continue;
                }
            }
            return match outcome {
                Ok((status, body)) => Ok(Answer {
                    status,
                    body,
                    tries,
                }),
                Err(err) => Err(self.failure(what, err, tries)),
            };
        }
    }

    /// Time left before the deadline, if any.
    fn left(&self) -> Option<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    fn past_deadline(&self, what: &str, tries: u32) -> VaultError {
        VaultError::Deadline {
            what: what.into(),
            addr: self.addr.clone(),
            after: format!("{:?}", self.timeout * DEADLINE_FACTOR),
            tries: Tries(tries),
        }
    }

    fn failure(&self, what: &str, err: ureq::Error, tries: u32) -> VaultError {
        let (what, addr, tries) = (what.to_string(), self.addr.clone(), Tries(tries));
        match err {
            ureq::Error::BodyExceedsLimit(_) => VaultError::TooLarge {
                what,
                addr,
                limit: MAX_BODY >> 20,
            },
            ureq::Error::Timeout(stage) => VaultError::Timeout {
                what,
                addr,
                after: format!("{:?}", self.timeout),
                stage: match stage {
                    ureq::Timeout::Global => "request".to_string(),
                    other => other.to_string(),
                },
                tries,
            },
            ureq::Error::Io(err) if is_tls(&err) => VaultError::Tls {
                what,
                addr,
                reason: err.to_string(),
            },
            ureq::Error::Rustls(err) => VaultError::Tls {
                what,
                addr,
                reason: err.to_string(),
            },
            ureq::Error::Tls(reason) => VaultError::Tls {
                what,
                addr,
                reason: reason.into(),
            },
            ureq::Error::Io(err) => VaultError::Connect {
                what,
                addr,
                reason: err.to_string(),
                tries,
            },
            other => VaultError::Connect {
                what,
                addr,
                reason: other.to_string(),
                tries,
            },
        }
    }
}

/// The wait before try `tries + 1`: what the server asked for with `Retry-After` (a rate
/// limit quota sends it with 429), at most `MAX_RETRY_AFTER`, else the doubling backoff.
fn wait_before(tries: u32, retry_after: Option<Duration>) -> Duration {
    let backoff = BACKOFF * 2u32.pow(tries - 1);
    retry_after.map_or(backoff, |asked| asked.clamp(backoff, MAX_RETRY_AFTER))
}

/// Worth another try: the network or the server may be back in a moment. A TLS failure is a
/// configuration problem and is not retried.
fn transient(err: &ureq::Error) -> bool {
    match err {
        ureq::Error::Io(err) => !is_tls(err),
        ureq::Error::Timeout(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::BodyStalled => true,
        _ => false,
    }
}

/// rustls reports a failed handshake (an unknown issuer, a name mismatch) as invalid data.
fn is_tls(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::InvalidData
}

fn tls_config(roots: &Roots, skip_verify: bool) -> Result<TlsConfig, VaultError> {
    let mut config = TlsConfig::builder().disable_verification(skip_verify);
    match roots {
        Roots::WebPki => {}
        Roots::File(path) => {
            let certs = file_certificates(path).map_err(|reason| VaultError::CaCert {
                setting: "VAULT_CACERT",
                path: path.display().to_string(),
                reason,
            })?;
            config = config.root_certs(RootCerts::new_with_certs(&certs));
        }
        Roots::Dir(dir) => {
            let certs = dir_certificates(dir).map_err(|reason| VaultError::CaCert {
                setting: "VAULT_CAPATH",
                path: dir.display().to_string(),
                reason,
            })?;
            config = config.root_certs(RootCerts::new_with_certs(&certs));
        }
    }
    Ok(config.build())
}

fn file_certificates(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let certs = pem_certificates(path)?;
    match certs.is_empty() {
        true => Err("no PEM certificate in it".into()),
        false => Ok(certs),
    }
}

/// Every certificate in the directory's regular files (sorted by name); files that hold no
/// PEM certificate, such as a README, are passed over, as the vault CLI does.
fn dir_certificates(dir: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let entries = std::fs::read_dir(dir).map_err(|err| err.to_string())?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let mut certs = Vec::new();
    for path in paths {
        certs.extend(pem_certificates(&path).unwrap_or_default());
    }
    match certs.is_empty() {
        true => Err("no PEM certificate in any file of it".into()),
        false => Ok(certs),
    }
}

fn pem_certificates(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let pem = crate::env::secretfile::read(path).map_err(|err| err.to_string())?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let ureq::tls::PemItem::Certificate(cert) = item.map_err(|err| err.to_string())? {
            certs.push(cert);
        }
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let ms = Duration::from_millis;
        assert_eq!(wait_before(1, None), ms(250));
        assert_eq!(wait_before(2, None), ms(500));
        assert_eq!(wait_before(1, Some(Duration::from_secs(2))), ms(2000));
        assert_eq!(wait_before(1, Some(Duration::from_secs(0))), ms(250));
        assert_eq!(wait_before(1, Some(Duration::from_secs(3600))), ms(5000));
    }

    #[test]
    fn bad_ca_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = tls_config(&Roots::File(path), false).err().unwrap();
        assert!(err.to_string().contains("VAULT_CACERT="), "{err}");
        assert!(
            err.to_string().contains("ca.pem: no PEM certificate"),
            "{err}"
        );
        let err = tls_config(&Roots::Dir(dir.path().into()), false)
            .err()
            .unwrap();
        assert!(err.to_string().contains("VAULT_CAPATH="), "{err}");
        let missing = dir.path().join("missing");
        assert!(tls_config(&Roots::Dir(missing), false).is_err());
    }
}
