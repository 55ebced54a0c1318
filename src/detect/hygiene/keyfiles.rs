//! `private-key-file` and `credentials-file`: files whose very presence in a repository is the
//! leak. Key files are recognised by name (`id_rsa`, `*.ppk`, `*.p12`, `*.pfx`) or by content
//! (a `.pem`/`.key` holding a private key, or any file that starts with one); credentials files
//! by name and a credential field in them (a `.netrc` with only `machine` lines is quiet). The
//! secret rules report the key material itself; these report the file.

use super::paths::file_name;
use crate::detect::catalog::check;
use crate::finding::Finding;

/// OpenSSH's default identity file names.
const SSH_IDENTITIES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
];

/// Extensions that are key containers whatever their content (PKCS#12, PuTTY).
const KEY_CONTAINERS: &[&str] = &[".p12", ".pfx", ".ppk"];

/// Extensions whose files are reported when they hold a private key anywhere in them.
const KEY_EXTENSIONS: &[&str] = &[".pem", ".key"];

/// Path-only check for files that are not scanned for content (binary PKCS#12 bundles).
pub fn check_key_name(path: &str) -> Option<Finding> {
    let lower = file_name(path).to_ascii_lowercase();
    let by_name = SSH_IDENTITIES.contains(&lower.as_str())
        || KEY_CONTAINERS.iter().any(|ext| lower.ends_with(ext));
    by_name.then(|| check("private-key-file").file_finding(path))
}

pub fn check_key_file(path: &str, data: &[u8]) -> Option<Finding> {
    if data.trim_ascii().is_empty() {
        return None;
    }
    if let Some(f) = check_key_name(path) {
        return Some(f);
    }
    let lower = file_name(path).to_ascii_lowercase();
    let keyed_ext = KEY_EXTENSIONS.iter().any(|ext| lower.ends_with(ext));
    let found = if keyed_ext {
        contains_private_key(data)
    } else {
        starts_with_private_key(data)
    };
    found.then(|| check("private-key-file").file_finding(path))
}

fn is_private_key_header(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    line.starts_with(b"PuTTY-User-Key-File-")
        || (line.starts_with(b"-----BEGIN ") && line.ends_with(b"PRIVATE KEY-----"))
}

fn contains_private_key(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n').any(is_private_key_header)
}

fn starts_with_private_key(data: &[u8]) -> bool {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    data.split(|&b| b == b'\n')
        .find(|l| !l.trim_ascii().is_empty())
        .is_some_and(is_private_key_header)
}

/// Which credentials file `path` is, by name.
fn credentials_kind(path: &str) -> Option<&'static str> {
    let name = file_name(path);
    let parent = path.rsplit('/').nth(1).unwrap_or("");
    match name {
        ".netrc" | "_netrc" => Some("netrc"),
        ".pgpass" => Some("pgpass"),
        ".git-credentials" => Some("git-credentials"),
        ".pypirc" => Some("pypirc"),
        "credentials" if parent == ".aws" => Some("aws"),
        _ => None,
    }
}

pub fn check_credentials_file(path: &str, data: &[u8]) -> Option<Finding> {
    let kind = credentials_kind(path)?;
    let text = String::from_utf8_lossy(data);
    let has_credential = match kind {
        "netrc" => text.split_whitespace().any(|w| w == "password"),
        "pypirc" => text.lines().any(|l| l.trim_start().starts_with("password")),
        "pgpass" => text
            .lines()
            .any(|l| !l.trim_start().starts_with('#') && l.matches(':').count() >= 4),
        "git-credentials" => text.lines().any(|l| l.contains("://") && l.contains('@')),
        _ => text.to_ascii_lowercase().contains("aws_secret_access_key"),
    };
    has_credential.then(|| check("credentials-file").file_finding(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &[u8] =
        b"-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";

    #[test]
    fn key_files_by_name_and_content() {
        assert!(
            check_key_file("deploy/id_rsa", b"-----BEGIN OPENSSH PRIVATE KEY-----\n").is_some()
        );
        assert!(check_key_file("deploy/keys/deploy_key.pem", RSA).is_some());
        assert!(check_key_file(
            "certs/bundle.pem",
            &[
                b"-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n",
                RSA
            ]
            .concat()
        )
        .is_some());
        assert!(check_key_file("deploy/key_without_ext", RSA).is_some());
        assert!(
            check_key_file("win/server.ppk", b"PuTTY-User-Key-File-3: ssh-ed25519\n").is_some()
        );
        assert!(check_key_name("certs/client.p12").is_some());
        let f = check_key_file("deploy/id_ed25519", b"x").unwrap();
        assert_eq!((f.rule.as_str(), f.line), ("private-key-file", 1));
    }

    #[test]
    fn public_keys_certificates_and_code_are_quiet() {
        assert!(check_key_file("deploy/id_rsa.pub", b"ssh-rsa AAAAB3Nza user@host\n").is_none());
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(check_key_file("certs/ca.pem", cert).is_none());
        let pubkey = b"-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
        assert!(check_key_file("keys/signing.key", pubkey).is_none());
        let code = [b"KEY = \"\"\"\n".as_slice(), RSA, b"\"\"\"\n"].concat();
        assert!(check_key_file("app/signing.py", &code).is_none());
        assert!(check_key_file("deploy/id_rsa", b"\n").is_none());
    }

    #[test]
    fn credentials_files_need_a_credential() {
        let netrc = b"machine example.com\n  login bot\n  password s3cr3t\n";
        assert!(check_credentials_file(".netrc", netrc).is_some());
        assert!(check_credentials_file(".netrc", b"machine example.com login bot\n").is_none());
        assert!(check_credentials_file(".pgpass", b"db:5432:app:app:pw\n").is_some());
        assert!(check_credentials_file(".pgpass", b"# host:port:db:user:password\n").is_none());
        let aws = b"[default]\naws_access_key_id = AKIA\naws_secret_access_key = abc\n";
        assert!(check_credentials_file("ci/.aws/credentials", aws).is_some());
        assert!(check_credentials_file("docs/credentials", aws).is_none());
        assert!(check_credentials_file(".git-credentials", b"https://u:t@github.com\n").is_some());
        let pypirc = b"[pypi]\nusername = __token__\npassword = pypi-Ag\n";
        assert!(check_credentials_file(".pypirc", pypirc).is_some());
        assert!(
            check_credentials_file(".pypirc", b"[distutils]\nindex-servers = pypi\n").is_none()
        );
    }
}
