//! The placeholder gate: values that have the shape of a secret but are obviously not one
//! (templates, environment references, documented example keys, `changeme`, runs of one
//! character or of consecutive characters, trivial defaults such as `postgres`, one group
//! repeated (`1234-1234-1234`), the jwt.io sample token whatever its signature, and a
//! private-key block whose body is not key material).

use super::b64;

/// Documented example credentials published by providers in their own docs.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    // AWS IAM user guide.
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    // Stripe API reference test key.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    // jwt.io's debugger token.
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // The Azurite / storage emulator account key, the same in every install:
    // https://learn.microsoft.com/en-us/azure/storage/common/storage-use-azurite#http-connection-strings
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    // GitHub REST API documentation (OAuth token in examples).
    "gho_16C7e42F292c6912E7710c838347Ae178B4a",
];

/// Substrings (lower-cased) that mark a template or a placeholder.
const MARKERS: &[&str] = &[
    "example",
    "changeme",
    "change_me",
    "change-me",
    "xxxx",
    "****",
    "${",
    "{{",
    "}}",
    "%(",
    "your_",
    "your-",
    "yourkey",
    "placeholder",
    "dummy",
    "redacted",
    "<",
    ">",
    "...",
    "…",
    "replace_me",
    "replaceme",
    "insert_",
    "todo",
    "fixme",
    "password",
    "passwd",
    "notreal",
    "not_real",
    "fake_",
];

/// Whole values that are throw-away defaults, not secrets (CI service containers, docs).
const TRIVIAL: &[&str] = &[
    "password",
    "passw0rd",
    "postgres",
    "root",
    "admin",
    "guest",
    "secret",
    "test",
    "testing",
    "changeit",
    "default",
    "mysql",
    "redis",
    "rabbitmq",
    "user",
    "username",
    "pass",
    "none",
    "null",
    "true",
    "false",
    "anonymous",
    "letmein",
    "qwerty",
    // The classic demo account of Oracle and SQLAlchemy documentation (scott/tiger).
    "tiger",
    "scott",
    "example",
    "sample",
];

pub fn is_placeholder(value: &[u8]) -> bool {
    if value.is_empty() {
        return true;
    }
    let text = String::from_utf8_lossy(value);
    if DOCUMENTED_EXAMPLES.iter().any(|e| text.contains(e)) || has_sample_jwt(&text) {
        return true;
    }
    if is_key_block(&text) && !has_key_material(&text) {
        return true;
    }
    if is_repeated_group(&text) {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if TRIVIAL.contains(&lower.as_str()) {
        return true;
    }
    // Long random bodies (key blocks, JWTs) contain short markers such as `todo` by chance:
    // only template syntax and elisions mark them as placeholders.
    let markers = if value.len() <= LONG {
        MARKERS
    } else {
        LONG_MARKERS
    };
    if markers.iter().any(|m| lower.contains(m)) || text.contains("EXAMPLE") {
        return true;
    }
    if is_variable(&text) || lower.starts_with("os.environ") || lower.starts_with("env(") {
        return true;
    }
    // Long values (key blocks, certificates) carry structured runs such as `AAAAAA`.
    value.len() <= LONG && (has_run(value, 6) || has_sequence(value, 6))
}

/// jwt.io's sample claims (`"sub": "1234567890", "name": "John Doe"`): the debugger shows them
/// signed with many secrets and algorithms, so the signature cannot identify the token. Every
/// rule that captures a JWT (or text holding one) sees the same decision.
fn has_sample_jwt(text: &str) -> bool {
    text.match_indices("eyJ").any(|(i, _)| {
        let token = &text[i..];
        let end = token
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .unwrap_or(token.len());
        let mut parts = token[..end].split('.');
        let claims = parts.nth(1).and_then(|p| b64::decode(p.as_bytes()));
        claims.is_some_and(|c| {
            let c: String = String::from_utf8_lossy(&c).split_whitespace().collect();
            c.contains("\"sub\":\"1234567890\"") && c.contains("\"name\":\"JohnDoe\"")
        })
    })
}

/// `1234-1234-1234-1234`, `abcd.abcd.abcd`: one group typed again and again.
fn is_repeated_group(text: &str) -> bool {
    let groups: Vec<&str> = text.split(['-', '_', '.', ':', ' ', '/']).collect();
    groups.len() >= 3 && groups[0].len() >= 2 && groups.iter().all(|g| *g == groups[0])
}

fn is_key_block(text: &str) -> bool {
    text.starts_with("-----BEGIN ") && text.contains("PRIVATE KEY-----")
}

/// Whether a PEM private-key block holds key material: every body line is base64 (a line of
/// words, `anything goes here`, is prose) and the body does not decode to printable text.
/// Blocks with headers (`Proc-Type`, legacy encrypted PEM) are kept as they are.
fn has_key_material(block: &str) -> bool {
    if block.contains(": ") {
        return true;
    }
    let body = block
        .split_once("KEY-----")
        .map_or("", |(_, rest)| rest)
        .split("-----END")
        .next()
        .unwrap_or("")
        .replace("\\n", "\n")
        .replace("\\r", "\n");
    let mut joined = String::new();
    for line in body.lines() {
        let line = line.trim_matches(|c: char| c.is_whitespace() || "\"',\\+".contains(c));
        let base64 = line
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='));
        if !base64 {
            return false;
        }
        joined.push_str(line);
    }
    b64::printable_text(joined.trim_end_matches('=').as_bytes()).is_none()
}

/// Values longer than this are judged as key material, with fewer markers.
const LONG: usize = 128;
const LONG_MARKERS: &[&str] = &["${", "{{", "...", "…", "placeholder", "redacted", "your_"];

/// `$VAR`, `${VAR}`, `$(cmd)`: a shell or template variable, not a `$6$…` crypt hash.
fn is_variable(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('$') else {
        return false;
    };
    let rest = rest
        .trim_start_matches(['{', '('])
        .trim_end_matches(['}', ')']);
    !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !rest.starts_with(|c: char| c.is_ascii_digit())
}

/// A run of `n` identical alphanumeric characters (`000000`, `aaaaaa`).
fn has_run(value: &[u8], n: usize) -> bool {
    value
        .windows(n)
        .any(|w| w[0].is_ascii_alphanumeric() && w.iter().all(|&b| b == w[0]))
}

/// `n` consecutive ascending or descending alphanumerics, in any case (`123456`, `abcdef`,
/// `UvWxYz`).
fn has_sequence(value: &[u8], n: usize) -> bool {
    let lower = value.to_ascii_lowercase();
    let step_run = |delta: i16| {
        lower.windows(n).any(|w| {
            w.iter().all(|b| b.is_ascii_alphanumeric())
                && w.windows(2).all(|p| p[1] as i16 - p[0] as i16 == delta)
        })
    };
    step_run(1) || step_run(-1)
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;

    #[test]
    fn placeholders_are_recognised() {
        for v in [
            "AKIAIOSFODNN7EXAMPLE",
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
            "changeme",
            "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
            "<YOUR_KEY>",
            "${DB_PASSWORD}",
            "{{ vault_token }}",
            "%(SMTP_PASSWORD)s",
            "xoxb-1234567890-abcdefghij",
            "000000000000",
            "postgres",
            "your_api_key_here",
            "AB1C2defGHijkLMNo3PqQRstUvwxyzaBCDEfghh4ijklMN5opq",
            "password123",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn one_group_repeated_is_a_placeholder() {
        assert!(is_placeholder(b"1234-1234-1234-1234"));
        assert!(is_placeholder(b"ab12.ab12.ab12"));
        assert!(!is_placeholder(b"8f3k-2Lq9-x7Vm-4tPa"));
    }

    #[test]
    fn the_jwt_io_sample_is_one_decision_whatever_the_signature() {
        let sample_claims = "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0";
        let other_claims = "eyJzdWIiOiJiNzNjYTM2Mzk2ODk1NjNhNjRlYjYwNTQifQ";
        let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
        let sig = "KMUFsIDTnFmyG3nMiGM6H9FNFUROf3wh7SmqJp-QV30";
        assert!(is_placeholder(
            format!("{header}.{sample_claims}.{sig}").as_bytes()
        ));
        assert!(is_placeholder(
            format!("Bearer {header}.{sample_claims}.{sig}").as_bytes()
        ));
        assert!(!is_placeholder(
            format!("{header}.{other_claims}.{sig}").as_bytes()
        ));
    }

    #[test]
    fn a_key_block_needs_key_material() {
        let fake = "-----BEGIN RSA PRIVATE KEY-----\nanything goes here, this is not a key at all, just some words for a test\n-----END RSA PRIVATE KEY-----";
        assert!(is_placeholder(fake.as_bytes()));
        let der = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----";
        let words = "-----BEGIN PRIVATE KEY-----\nYW55dGhpbmcgZ29lcyBoZXJlLCB0aGlzIGlzIG5vdCBhIGtleQ==\n-----END PRIVATE KEY-----";
        assert!(is_placeholder(words.as_bytes()));
        assert!(!is_placeholder(der.as_bytes()));
        let escaped = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj\\n-----END PRIVATE KEY-----";
        assert!(!is_placeholder(escaped.as_bytes()));
        // keyward:allow (a truncated OpenSSH key block, test data)
        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";
        assert!(!is_placeholder(openssh.as_bytes()));
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17\n\nx9Qw0vZ\n-----END RSA PRIVATE KEY-----";
        assert!(!is_placeholder(legacy.as_bytes()));
    }

    #[test]
    fn random_values_pass() {
        for v in [
            "$6$rounds=5000$Qx8bT2$Lm3kP9vZr7",
            "$apr1$Zr7pQ2vL$3kT8qZwN5vR2mLx7q9",
            "ghp_R2b8Kq0ZpLx7Vt4nWm9Yc3Hd6Jf1Gs5Ua2Qe", // keyward:allow (test value)
            "Q40RebSZLYy4rSIspnvdtZPO",
            "1sFg3Y7/a9qyeGEeo8WjZJ9TxbEUjhQDUetmVJLE",
        ] {
            assert!(!is_placeholder(v.as_bytes()), "{v}");
        }
    }
}
