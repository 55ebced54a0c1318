//! The placeholder gate: values that have the shape of a secret but are obviously not one
//! (templates, environment references, documented example keys, `changeme`, runs of one
//! character or of consecutive characters, trivial defaults such as `postgres`).

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
    if DOCUMENTED_EXAMPLES.iter().any(|e| text.contains(e)) {
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
