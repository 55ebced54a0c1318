//! Which values are secrets (`holds_secret`: what `--mask` hides and `--check-history` looks
//! for), and in which spellings `--mask` hides them: values resolved from references, values of
//! secret-named variables and token-like values: as written whatever their length (what
//! `--dry-run` hides, `--mask` hides), and, from 6 characters, base64-encoded (at each of the
//! three byte alignments, standard and URL-safe alphabets) and URL-encoded, plus the password of
//! any `scheme://user:password@host` value. Inherited secrets shorter than 6 are left alone.
//! Produces byte patterns for `mask`.

use super::names;
use super::plan::{Plan, Var, WITHHELD};

/// What to mask: `patterns` wherever they occur; the ends of `plain` values (secrets as written,
/// line by line) also where a line starts with them. Built here, used by the launcher's mask.
#[derive(Default)]
pub struct Spellings {
    pub patterns: Vec<Vec<u8>>,
    pub plain: Vec<Vec<u8>>,
}

/// Shorter values would mask common words; they are left alone.
pub const MIN_LEN: usize = 6;

/// Whether the launcher treats `var` (named `key`) as a secret: a resolved reference, a
/// secret-named variable, or a value that is one by its shape whatever its name (a generated
/// credential, a private key, an `Authorization` header, a connection string's password).
pub fn holds_secret(key: &str, var: &Var) -> bool {
    var.reference.is_some() || names::is_secret_name(key) || secret_shaped(&var.value)
}

/// A value that is a secret by what it holds, not by its variable's name.
pub fn secret_shaped(value: &str) -> bool {
    token_like(value)
        || private_key(value)
        || auth_credential(value).is_some()
        || keyed_password(value).is_some()
}

/// A PEM private key (`-----BEGIN RSA PRIVATE KEY-----`, `BEGIN OPENSSH PRIVATE KEY`, ...).
fn private_key(value: &str) -> bool {
    value
        .lines()
        .any(|line| line.trim().starts_with("-----BEGIN ") && line.contains("PRIVATE KEY-----"))
}

/// The credential of an HTTP `Authorization` value: `Bearer eyJ…`, `Basic dXNl…`, `Token …`.
pub fn auth_credential(value: &str) -> Option<&str> {
    // Most values hold no space; the launcher asks this of every inherited one.
    if !value.contains(' ') {
        return None;
    }
    let value = value.trim();
    let (scheme, credential) = value.split_once(' ')?;
    let known = ["bearer", "basic", "token", "digest", "negotiate"];
    let credential = credential.trim();
    (known.iter().any(|known| scheme.eq_ignore_ascii_case(known))
        && credential.len() >= MIN_LEN
        && !credential.contains(char::is_whitespace))
    .then_some(credential)
}

/// The password of a `key=value;…` connection string (ADO.NET, ODBC, JDBC properties, libpq
/// `password=…`): `Server=db;User Id=app;Password=s3cret;`.
pub fn keyed_password(value: &str) -> Option<&str> {
    // Most values hold no `=`; the launcher asks this of every inherited one.
    if !value.contains('=') {
        return None;
    }
    let keys = [
        "password", "pwd", "passwd", "pass", "secret", "token", "apikey", "api_key",
    ];
    value
        .split([';', '&', ' ', '\n'])
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| {
            keys.iter()
                .any(|known| key.trim().eq_ignore_ascii_case(known))
        })
        .map(|(_, password)| password.trim().trim_matches(['\'', '"', '{', '}']))
        .filter(|password| password.len() >= 4)
}

/// A value that reads like a generated credential whatever its variable is called: 20 or more
/// characters without spaces, letters and digits mixed, not a URL or a path.
fn token_like(value: &str) -> bool {
    value.len() >= 20
        && !value.contains("://")
        && !value.starts_with(['/', '.', '~'])
        && !value.bytes().any(|b| b.is_ascii_whitespace())
        && value.bytes().any(|b| b.is_ascii_digit())
        && value.bytes().any(|b| b.is_ascii_alphabetic())
        && value.bytes().filter(|&b| b == b'.').count() < 2
}

/// Every value the program's output must not show.
pub fn secret_values(plan: &Plan) -> Vec<&str> {
    let mut values = Vec::new();
    for (key, var) in &plan.vars {
        if holds_secret(key, var) {
            values.push(var.value.as_str());
        }
    }
    // The inherited environment's secrets are hidden too, but not its short values
    // (`PASSWORD_STORE_ENABLE_EXTENSIONS=true` must not mask every `true`): keyward-run did not
    // choose them, and `--dry-run` does not list them.
    for (key, value) in &plan.process {
        if value.len() >= MIN_LEN
            && (names::is_secret_name(key) || WITHHELD.contains(&key.as_str()))
            && !plan.vars.contains_key(key)
        {
            values.push(value.as_str());
        }
    }
    fn passwords(value: &str) -> [Option<&str>; 3] {
        [
            url_password(value),
            keyed_password(value),
            auth_credential(value),
        ]
    }
    values.extend(
        plan.vars
            .values()
            .flat_map(|var| passwords(&var.value))
            .flatten(),
    );
    let inherited = plan.process.values().flat_map(|v| passwords(v)).flatten();
    values.extend(inherited.filter(|p| p.len() >= MIN_LEN));
    values
}

/// Values longer than this are masked as written, not in their encoded forms: the forms are
/// ten times the value, and the mask's automaton grows with them (five 100 KB secret files
/// would cost hundreds of MB). Keys and certificates in PEM are well under it.
pub const MAX_ENCODED: usize = 8 * 1024;

/// Values up to this long are also masked in base64 wrapped into lines (`base64.encodebytes`,
/// MIME and `base64(1)` at 76 columns, PEM and `openssl base64` at 64): every piece a line
/// break can leave, at any alignment. The pieces cost about 40 times the value.
pub const MAX_WRAPPED: usize = 1024;

/// The line widths of wrapped base64.
const WRAP_WIDTHS: [usize; 2] = [64, 76];

/// The byte patterns to mask, sorted and without duplicates, and the plain values (their
/// ends are masked at line starts; up to `MAX_ENCODED` bytes). None contains a newline: a
/// multi-line value is masked line by line (and whole, in its encoded forms, up to
/// `MAX_ENCODED` bytes).
pub fn patterns(values: &[&str]) -> Spellings {
    let mut patterns = Vec::new();
    let mut plain = Vec::new();
    for value in values {
        if !value.contains('\n') {
            // Hidden whatever its length, as `--dry-run` hides it: one decision.
            let written = value.trim_end_matches('\r');
            if !written.is_empty() {
                patterns.push(written.as_bytes().to_vec());
            }
        }
        for line in value.split('\n') {
            let line = line.trim_end_matches('\r').as_bytes();
            push(&mut patterns, line.to_vec());
            if value.len() <= MAX_ENCODED {
                push(&mut plain, line.to_vec());
            }
        }
        if value.len() <= MAX_ENCODED {
            patterns.extend(encoded_forms(value.as_bytes()));
        }
        if value.len() <= MAX_WRAPPED {
            wrapped_forms(value.as_bytes(), &mut patterns);
        }
    }
    patterns.sort();
    patterns.dedup();
    Spellings { patterns, plain }
}

/// The value's base64 and URL-encoded spellings (not the value itself), each at least
/// `MIN_LEN` bytes; none for a value shorter than that.
pub fn encoded_forms(value: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = Vec::new();
    if value.len() >= MIN_LEN {
        base64_forms(value, &mut forms);
        push(&mut forms, url_encoded(value, false));
        push(&mut forms, url_encoded(value, true));
    }
    forms
}

fn push(patterns: &mut Vec<Vec<u8>>, pattern: Vec<u8>) {
    if pattern.len() >= MIN_LEN && !pattern.contains(&b'\n') {
        patterns.push(pattern);
    }
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The value as it appears inside any base64 text: encoded after 0, 1 or 2 other bytes, with
/// the characters that depend on those neighbours cut off. The whole padded encoding is kept
/// too, since that is what `base64.b64encode(value)` prints.
fn base64_forms(value: &[u8], patterns: &mut Vec<Vec<u8>>) {
    for alphabet in [STANDARD, URL_SAFE] {
        let mut padded = base64(value, alphabet);
        let pad = (3 - value.len() % 3) % 3;
        padded.extend(std::iter::repeat_n(b'=', pad));
        push(patterns, padded);
        for offset in 0..3 {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(value);
            let encoded = base64(&shifted, alphabet);
            let head = [0, 2, 3][offset];
            let tail = usize::from(shifted.len() % 3 != 0);
            if encoded.len() > head + tail {
                push(patterns, encoded[head..encoded.len() - tail].to_vec());
            }
        }
    }
}

/// The pieces of the value's base64 that wrapping at `WRAP_WIDTHS` can leave on a line: a
/// line break falls on a 4-character group boundary, so a piece starts at the value's first
/// character or on a boundary, and ends at its last character (padding included when the value
/// ends the data) or on a boundary. Pieces shorter than `MIN_LEN` are not kept.
fn wrapped_forms(value: &[u8], patterns: &mut Vec<Vec<u8>>) {
    for alphabet in [STANDARD, URL_SAFE] {
        for offset in 0..3 {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(value);
            let mut encoded = base64(&shifted, alphabet);
            let head = [0, 2, 3][offset];
            let cut_end = encoded.len() - usize::from(shifted.len() % 3 != 0);
            let pad = (3 - shifted.len() % 3) % 3;
            encoded.extend(std::iter::repeat_n(b'=', pad));
            let boundaries: Vec<usize> = (head..=encoded.len()).filter(|b| b % 4 == 0).collect();
            for width in WRAP_WIDTHS {
                for &start in std::iter::once(&head).chain(&boundaries) {
                    // A piece ends on a boundary, at the cut end, or (padded) at the very end.
                    let ends = boundaries
                        .iter()
                        .copied()
                        .chain([cut_end, encoded.len()])
                        .filter(|&end| end > start && end - start <= width)
                        .filter(|&end| end <= cut_end || end == encoded.len());
                    for end in ends {
                        if start == head || end - start == width || end >= cut_end {
                            push(patterns, encoded[start..end].to_vec());
                        }
                    }
                }
            }
        }
    }
}

/// Unpadded base64.
fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i)) as usize & 63]);
        }
    }
    out
}

/// Percent-encoding of everything but unreserved characters (`quote(value, safe="")`), or
/// with `+` for spaces as HTML forms encode them.
fn url_encoded(value: &[u8], form: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() * 3);
    for &byte in value {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte),
            b' ' if form => out.push(b'+'),
            _ => out.extend_from_slice(format!("%{byte:02X}").as_bytes()),
        }
    }
    out
}

/// The password in `postgres://user:password@host/db`.
pub fn url_password(value: &str) -> Option<&str> {
    // Most values hold no `:`; the launcher asks this of every inherited one.
    if !value.contains(':') {
        return None;
    }
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    Some(password).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(patterns: &[Vec<u8>], text: &str) -> bool {
        patterns
            .iter()
            .any(|p| text.as_bytes().windows(p.len()).any(|w| w == p.as_slice()))
    }

    #[test]
    fn base64_matches_known_encodings() {
        assert_eq!(base64(b"hello!!", STANDARD), b"aGVsbG8hIQ");
        assert_eq!(base64(b"\xfb\xff", URL_SAFE), b"-_8");
    }

    #[test]
    fn base64_forms_survive_any_alignment() {
        let secret = "s3cr3t-Value/42"; // keyward:allow (test value)
        let patterns = patterns(&[secret]).patterns;
        for prefix in ["", "a", "ab", "abc", "user:"] {
            let mut text = prefix.as_bytes().to_vec();
            text.extend_from_slice(secret.as_bytes());
            text.extend_from_slice(b"\nmore");
            let encoded = String::from_utf8(base64(&text, STANDARD)).unwrap();
            assert!(
                contains(&patterns, &encoded),
                "prefix {prefix:?}: {encoded}"
            );
        }
    }

    /// Python's `base64.encodebytes`: 76 columns, each line ending in a newline.
    fn encodebytes(bytes: &[u8]) -> String {
        let mut encoded = base64(bytes, STANDARD);
        encoded.extend(std::iter::repeat_n(b'=', (3 - bytes.len() % 3) % 3));
        let lines: Vec<&[u8]> = encoded.chunks(76).collect();
        lines
            .iter()
            .map(|l| format!("{}\n", String::from_utf8_lossy(l)))
            .collect()
    }

    #[test]
    fn wrapped_base64_is_masked_line_by_line() {
        let secret: String = (0..150)
            .map(|i| char::from(b'!' + (i * 7 % 90) as u8))
            .collect();
        let patterns = patterns(&[&secret]).patterns;
        for prefix in ["", "a", "ab", "abc", "user:", &"p".repeat(50)] {
            let mut data = prefix.as_bytes().to_vec();
            data.extend_from_slice(secret.as_bytes());
            data.extend_from_slice(b"-tail");
            let wrapped = encodebytes(&data);
            let unwrapped = String::from_utf8(base64(&data, STANDARD)).unwrap();
            let secret_part = &unwrapped[(prefix.len() * 4).div_ceil(3) + 1..unwrapped.len() - 9];
            for line in wrapped.lines() {
                // Every line that holds 6 or more characters of the secret's encoding must hold
                // a pattern: the pieces cover all of it.
                let held = (0..line.len().saturating_sub(5))
                    .any(|i| secret_part.contains(&line[i..i + 6]));
                assert!(
                    !held || contains(&patterns, line),
                    "prefix {prefix:?}: {line}"
                );
            }
        }
    }

    #[test]
    fn url_forms_and_short_values() {
        // regression: `--mask` left a 4-character secret visible that `--dry-run` hid
        let patterns = patterns(&["p@ss word&x", "pin4", "line one\nab\nline three"]).patterns;
        assert!(contains(&patterns, "q=p%40ss%20word%26x"));
        assert!(contains(&patterns, "q=p%40ss+word%26x"));
        assert!(contains(&patterns, "pin4"));
        // the short lines of a multi-line value are not masked everywhere
        assert!(!patterns.iter().any(|p| p == b"ab"));
        assert!(patterns.iter().all(|p| !p.contains(&b'\n')));
    }

    #[test]
    fn the_launchers_short_secrets_are_masked_not_the_inherited_short_ones() {
        let process = std::collections::BTreeMap::from([
            (
                "PASSWORD_STORE_ENABLE_EXTENSIONS".to_string(),
                "true".to_string(),
            ),
            ("PARENT_TOKEN".to_string(), "parent-token-value".to_string()),
        ]);
        let file = crate::env::dotenv::DotenvFile::from_pairs(".env", &[("API_KEY", "abcd")]);
        let plan = Plan::new(process, &[file], true);
        let values = secret_values(&plan);
        assert!(values.contains(&"abcd"));
        assert!(values.contains(&"parent-token-value"));
        assert!(!values.contains(&"true"));
    }

    #[test]
    fn secrets_by_shape() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
        assert!(secret_shaped(pem));
        assert!(secret_shaped("Bearer abc.def-ghi"));
        assert_eq!(auth_credential("Basic dXNlcjpwYXNz"), Some("dXNlcjpwYXNz"));
        let conn = "Server=db;Database=app;User Id=app;Password=Conn-Pass-1;";
        assert!(secret_shaped(conn));
        assert_eq!(keyed_password(conn), Some("Conn-Pass-1"));
        assert_eq!(
            keyed_password("host=db password='pq-pass-9'"),
            Some("pq-pass-9")
        );
        for plain in [
            "production",
            "Bearer",
            "the basic plan",
            "a=b;c=d",
            "Token ring",
        ] {
            assert!(!secret_shaped(plain), "{plain}");
        }
    }

    #[test]
    fn url_passwords() {
        assert_eq!(
            url_password("postgres://app:hunter22@db:5432/x"),
            Some("hunter22")
        );
        assert_eq!(url_password("redis://:pw123456@cache/0"), Some("pw123456"));
        assert_eq!(url_password("https://example.com/a@b:c"), None);
        assert_eq!(url_password("plain"), None);
    }
}
