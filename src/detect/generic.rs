//! Extra checks for the generic detector (secret-named assignments such as
//! `password = "…"`, `api_key: …`, `--password=…`): the value must look like a credential,
//! not a reference, a template, a hash, an identifier, a URL, a path or prose.

use super::entropy::shannon;
use super::keyname::secret_key_name;
use super::{b64, made};

/// Whether `key` (the secret-named key) and `value` look like a hard-coded credential.
/// In source code an unquoted value is an expression (a variable, a call), not a literal.
pub fn plausible(key: &[u8], quoted: bool, value: &[u8], path: &str) -> bool {
    if is_lock_file(path) || (!quoted && is_code_file(path)) {
        return false;
    }
    if !secret_key_name(&String::from_utf8_lossy(key)) {
        return false;
    }
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    // An unquoted `checkoutToken: UUIDFilterInput` is a type annotation (GraphQL, Python,
    // TypeScript), not a value.
    if !quoted && is_type_name(value) {
        return false;
    }
    plausible_value(value)
        && !made::is_made_up(&String::from_utf8_lossy(key), value)
        && b64::printable_text(value.as_bytes()).is_none_or(|text| plausible_decoded(&text))
}

/// A value that is base64 of text (an HTTP Basic `user:password`, a wrapped password) is
/// judged by the password it hides: `Aladdin:open sesame` is the RFC 7617 example, not a leak.
fn plausible_decoded(text: &str) -> bool {
    let secret = text.split_once(':').map_or(text, |(_, password)| password);
    plausible_value(secret)
}

/// `UUIDFilterInput`, `SecretStr`, `String!`: letters only, starting upper case, every word
/// capitalised or an acronym of at least two letters.
fn is_type_name(value: &str) -> bool {
    let name = value.trim_end_matches(['!', '?']);
    if !name.starts_with(|c: char| c.is_ascii_uppercase())
        || !name.bytes().all(|c| c.is_ascii_alphabetic())
    {
        return false;
    }
    let b = name.as_bytes();
    let mut words: Vec<&str> = Vec::new();
    let mut start = 0;
    for i in 1..b.len() {
        let lower_to_upper = b[i - 1].is_ascii_lowercase() && b[i].is_ascii_uppercase();
        let acronym_end = b[i - 1].is_ascii_uppercase()
            && b[i].is_ascii_uppercase()
            && b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        if lower_to_upper || acronym_end {
            words.push(&name[start..i]);
            start = i;
        }
    }
    words.push(&name[start..]);
    words.iter().all(|w| {
        w.len() >= 2
            && (w.bytes().all(|c| c.is_ascii_uppercase())
                || w.bytes().skip(1).all(|c| c.is_ascii_lowercase()))
    })
}

/// In Python and TypeScript a quoted type name after an unquoted key and a `:` is a string
/// annotation (a forward reference such as a `private_key` parameter annotated with the string
/// `_RSAPrivateKey`; a literal type), not a value. A type name here is letters only, starting
/// upper case after any leading `_`, every word capitalised or an acronym; of a generic
/// (`Optional[str]` in quotes) the rules see the name before the bracket. Narrow on purpose: in
/// YAML, JSON or after `=` the same text is a value and judged as one. The verdict depends on
/// the match alone (separator and value), so a rejection may be remembered.
pub fn is_string_annotation(separator: &[u8], value: &[u8], path: &str) -> bool {
    const ANNOTATED: &[&str] = &["py", "pyi", "ipynb", "ts", "tsx", "mts", "cts"];
    let annotated_language = path
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ANNOTATED.contains(&ext));
    let operator: Vec<u8> = separator
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if !annotated_language || !matches!(operator.as_slice(), b":\"" | b":'") {
        return false;
    }
    std::str::from_utf8(value).is_ok_and(|v| is_type_name(v.trim_start_matches('_')))
}

fn plausible_value(value: &str) -> bool {
    let len = value.chars().count();
    if !(8..=256).contains(&len) || value.chars().any(char::is_whitespace) {
        return false;
    }
    if is_reference(value)
        || is_identifier_shaped(value)
        || is_hash_shaped(value)
        || is_wordy(value)
    {
        return false;
    }
    classes(value) >= 2 && shannon(value.as_bytes()) >= 3.0
}

/// Environment lookups, templating and URLs/paths that other rules own.
fn is_reference(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    v.starts_with('$')
        || v.starts_with('%')
        || v.starts_with('@')
        || v.starts_with('/')
        || v.starts_with("./")
        || lower.contains("://")
        || lower.starts_with("data:")
        || lower.starts_with("arn:")
        // base64 of a JSON object (`{"…`) without the dots of a JWT: an opaque page token
        || (v.starts_with("eyJ") && v.matches('.').count() < 2)
        || lower.starts_with("os.")
        || lower.starts_with("env.")
        || lower.starts_with("settings.")
        || lower.starts_with("config.")
        || lower.starts_with("secrets.")
        || v.contains("(")
        || v.ends_with(')')
}

/// UUIDs, dotted module paths (`django.contrib.auth.hashers.X`), bare words with dashes.
fn is_identifier_shaped(v: &str) -> bool {
    let b = v.as_bytes();
    let uuid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    let dotted = v.contains('.')
        && v.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|c| c.is_ascii_alphabetic() || c == b'_')
        });
    let words = v
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c == b'-' || c == b'_')
        || v.split(['-', '_']).all(|w| {
            w.bytes().all(|c| c.is_ascii_alphabetic())
                && w.bytes().skip(1).all(|c| c.is_ascii_lowercase())
        });
    let image = v.starts_with("iVBORw0KGgo") || v.starts_with("/9j/") || v.starts_with("R0lGOD");
    uuid || dotted || words || image
}

/// Words joined by separators or digits (`test_schema_2`, `pass%2Bword`, `Orange-2`,
/// `apples/oranges`): documentation and fixtures, not generated credentials. Random strings
/// mix case inside a run of letters or carry many digits.
fn is_wordy(v: &str) -> bool {
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    if digits > 2 {
        return false;
    }
    camel_words(v).all(|w| {
        w.bytes().skip(1).all(|c| c.is_ascii_lowercase())
            || w.bytes().all(|c| c.is_ascii_uppercase())
    })
}

/// The runs of letters of `v`, also split where a lower-case letter meets an upper-case one
/// (`nextPageToken` → `next`, `Page`, `Token`).
fn camel_words(v: &str) -> impl Iterator<Item = &str> {
    let mut cuts = vec![0];
    let bytes = v.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i - 1].is_ascii_lowercase() && bytes[i].is_ascii_uppercase() {
            cuts.push(i);
        }
    }
    cuts.push(v.len());
    cuts.windows(2)
        .flat_map(move |w| v[w[0]..w[1]].split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

/// Hex digests of common hash lengths other than 32 (git SHA-1 40, SHA-256 64, SHA-512 128),
/// and `sha256:`/`sha512-` style integrity strings.
fn is_hash_shaped(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if ["sha1:", "sha256:", "sha384-", "sha512-", "sha256-", "md5:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return true;
    }
    let hex = v.bytes().all(|c| c.is_ascii_hexdigit());
    // Short hex strings are ids and digests; credentials in hex are 20 characters or more.
    hex && (v.len() < 20 || matches!(v.len(), 40 | 64 | 128))
        || [
            "$2a$", "$2b$", "$2y$", "$argon2", "pbkdf2_", "$6$", "$5$", "$1$", "$apr1$",
        ]
        .iter()
        .any(|p| v.starts_with(p))
}

/// Number of character classes among lower, upper, digit, symbol.
fn classes(v: &str) -> usize {
    let lower = v.bytes().any(|c| c.is_ascii_lowercase());
    let upper = v.bytes().any(|c| c.is_ascii_uppercase());
    let digit = v.bytes().any(|c| c.is_ascii_digit());
    let symbol = v.bytes().any(|c| !c.is_ascii_alphanumeric());
    [lower, upper, digit, symbol].iter().filter(|&&x| x).count()
}

/// A password in a URL (`scheme://user:PASSWORD@host`), given the bytes after it: weak
/// passwords for local or documentation hosts (`scott:tiger@localhost`) are development
/// defaults; anything else is reported.
pub fn url_password_plausible(password: &[u8], tail: &[u8]) -> bool {
    let host = tail.strip_prefix(b"@").unwrap_or(tail);
    let end = host
        .iter()
        .position(|c| b":/?#\"'`<> \t\r\n,;)".contains(c))
        .unwrap_or(host.len());
    let host = String::from_utf8_lossy(&host[..end]).to_ascii_lowercase();
    let strength = shannon(password);
    let text = String::from_utf8_lossy(password);
    if is_wordy(&text) || (password.len() <= 12 && strength < 3.0) {
        return false;
    }
    !is_local_or_doc_host(&host) || strength >= 3.5
}

fn is_local_or_doc_host(host: &str) -> bool {
    matches!(
        host,
        "localhost" | "0.0.0.0" | "[::1]" | "host" | "hostname" | "server" | ""
    ) || host.starts_with("127.")
        || [
            ".localhost",
            ".local",
            ".test",
            ".example",
            ".invalid",
            "example.com",
            "example.org",
            "example.net",
        ]
        .iter()
        .any(|suffix| host.ends_with(suffix))
}

/// What `plausible` reads from a path: (lock file, code file). Two paths with the same
/// class are judged alike.
pub fn path_class(path: &str) -> (bool, bool) {
    (is_lock_file(path), is_code_file(path))
}

/// Source files where a literal is always quoted.
fn is_code_file(path: &str) -> bool {
    const EXTS: &[&str] = &[
        "py", "pyi", "ipynb", "js", "jsx", "ts", "tsx", "mjs", "cjs", "rb", "go", "java", "kt",
        "php", "cs", "rs", "swift", "scala", "c", "cc", "cpp", "h", "hpp", "m", "dart", "lua",
    ];
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| EXTS.contains(&ext))
}

/// Lock files hold hashes by the hundred and never credentials worth the noise.
pub fn is_lock_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".lock")
        || matches!(
            name,
            "package-lock.json"
                | "npm-shrinkwrap.json"
                | "pnpm-lock.yaml"
                | "go.sum"
                | "Pipfile.lock"
        )
}

#[cfg(test)]
mod tests {
    use super::plausible;

    #[test]
    fn credentials_pass() {
        assert!(plausible(
            b"password",
            true,
            b"Q40RebSZLYy4rSIspnvdtZPO",
            "config.yaml"
        ));
        assert!(plausible(
            b"api_key",
            false,
            b"029554f760ec9f9c2f6c3c162c2d7f2e",
            "services.yaml"
        ));
        assert!(plausible(
            b"PGPASSWORD",
            true,
            b"2NT69H2rKI1LqIjsQc01m6",
            "backup.sh"
        ));
    }

    #[test]
    fn url_passwords_for_local_hosts_need_strength() {
        use super::url_password_plausible as ok;
        assert!(!ok(b"tiger", b"@localhost/test"));
        assert!(!ok(b"tiger^5HHH", b"@127.0.0.1:1433/test"));
        assert!(!ok(b"tiger^5HHH", b"@mssql2022:1433/test"));
        assert!(!ok(b"some_pass", b"@db.prod.internal:5432/x"));
        assert!(ok(b"jTwn7gnunhAPjx9h", b"@legacy-db:3306/billing"));
        assert!(ok(b"RcEXIsqV0Qjxw6SmjSrO", b"@localhost:5432/x"));
    }

    #[test]
    fn non_credentials_fail() {
        let cases: &[(&str, &str)] = &[
            ("RESET_TOKEN_SALT", "password-reset"),
            ("API_KEY_HEADER", "X-Api-Key"),
            ("OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token"),
            (
                "SESSION_KEY_EXAMPLE",
                "4f79bc02-216d-4cd9-a2ef-6e1fc142161a",
            ),
            (
                "PASSWORD_HASHERS",
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            ),
            (
                "token",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ("password", "hunter2"),
            (
                "password",
                "$2b$12$KIXQJ8r9z1eVtW3fQeQ6UOaZ8nB2yYk1pQ7mX5cR0sT9uV4wL6eGa",
            ),
            ("token", "os.environ.get(\"TOKEN\")"),
            ("PWD", "pass%2Bword"),
            ("password", "apples@oranges@@"),
            ("token", "Orange-2x"),
            ("schema_token", "test_schema_2"),
            ("NextToken", "eyJDdXN0b21lckFjY291bnRJZCI6IjI3MDIwNTQw"),
            ("output_token", "nextPageToken"),
            ("AWS::MSK::BatchScramSecret", "ff2b807a577495b0"),
            ("SecretId", "Q40RebSZLYy4rSIspnvdtZPO"),
            ("client_token", "Q40RebSZLYy4rSIspnvdtZPO"),
        ];
        for (k, v) in cases {
            assert!(
                !plausible(k.as_bytes(), true, v.as_bytes(), "app/auth.py"),
                "{k}={v}"
            );
        }
        assert!(!plausible(
            b"password",
            true,
            b"Q40RebSZLYy4rSIspnvdtZPO",
            "poetry.lock"
        ));
    }

    #[test]
    fn api_handles_named_token_are_not_credentials() {
        for key in [
            "nextForwardToken",
            "nextBackwardToken",
            "ExportToken",
            "ImportToken",
            "PolicyUpdateToken",
            "ChangeToken",
            "WorkUnitToken",
            "SubjectFromWebIdentityToken",
            "X-Amz-Credential",
        ] {
            assert!(
                !plausible(key.as_bytes(), true, b"Q40RebSZLYy4rSIspnvdtZPO", "r.json"),
                "{key}"
            );
        }
        for key in [
            "sessionToken",
            "authorizationToken",
            "refresh_token",
            "TokenValue",
        ] {
            assert!(
                plausible(key.as_bytes(), true, b"Q40RebSZLYy4rSIspnvdtZPO", "r.json"),
                "{key}"
            );
        }
    }

    #[test]
    fn type_annotations_are_not_values() {
        assert!(!plausible(
            b"checkoutToken",
            false,
            b"UUIDFilterInput",
            "schema.graphql"
        ));
        assert!(!plausible(
            b"api_key",
            false,
            b"SecretString!",
            "schema.graphql"
        ));
        // Quoted, the same letters are a value.
        assert!(!super::is_type_name("Q40RebSZLYy4rSIspnvdtZPO"));
        assert!(plausible(
            b"api_key",
            false,
            b"kT8qZwN5vR2mLx7q9",
            "settings.yaml"
        ));
    }

    #[test]
    fn quoted_type_names_after_an_annotation_colon_are_not_values() {
        use super::is_string_annotation as annotation;
        let colon = b": \"";
        assert!(annotation(colon, b"_RSAPrivateKey", "crypto/rsa.py"));
        assert!(annotation(colon, b"SecretStr", "app/models.py"));
        assert!(annotation(b":'", b"Optional", "stubs/auth.pyi"));
        assert!(annotation(colon, b"HTTPBasicAuth", "src/client.ts"));
        // Not an annotation: a dict or JSON key (quoted), an assignment, another language.
        assert!(!annotation(b"\": \"", b"_RSAPrivateKey", "app.py"));
        assert!(!annotation(b" = \"", b"_RSAPrivateKey", "app.py"));
        assert!(!annotation(colon, b"_RSAPrivateKey", "config.yaml"));
        assert!(!annotation(b": ", b"SecretStr", "app.py"));
        // Not a type name: digits, symbols, lower-case start, a mixed-case run.
        for value in [
            "Hunter2Secret",
            "Kq7Lz2Xv9RkP4mWn",
            "sk_live_abc",
            "qrTkWmZpLxVn",
        ] {
            assert!(!annotation(colon, value.as_bytes(), "app.py"), "{value}");
        }
    }

    #[test]
    fn values_made_from_words_and_counting_runs_are_fixtures() {
        for (k, v) in [
            ("token", "token123"),
            ("raw_token", "test_token1234"),
            ("user_password", "Test1234!"),
            ("token", "abcd1234defg5678"),
            ("PasswordVerifier", "TXlWZXJpZmllclN0cmluZw"),
        ] {
            assert!(
                !plausible(k.as_bytes(), true, v.as_bytes(), "t.py"),
                "{k}={v}"
            );
        }
        assert!(plausible(b"password", true, b"JgCXIr5xGG", "t.py"));
    }

    #[test]
    fn base64_of_text_is_judged_by_the_password_inside() {
        // RFC 7617's example, `Aladdin:open sesame`.
        assert!(!plausible(
            b"Authorization",
            true,
            b"QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            "t.py"
        ));
        // `admin:Q40RebSZLYy4rSIs`.
        assert!(plausible(
            b"Authorization",
            true,
            b"YWRtaW46UTQwUmViU1pMWXk0clNJcw==",
            "t.py"
        ));
    }
}
