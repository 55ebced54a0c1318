//! Values a person typed rather than generated: built only from the key's own name, common
//! words, counting runs and separators (`token123`, `test-token`, `Test1234!`,
//! `abcd1234defg5678`, `12345/6789`), or that are base64 of such text. Fixtures and docs use
//! them; a credential issued by a system never looks like that.

use super::b64;

/// Words that make up hand-written test values (lower case).
const COMMON_WORDS: &[&str] = &[
    "test",
    "tests",
    "testing",
    "demo",
    "sample",
    "example",
    "dummy",
    "fake",
    "mock",
    "stub",
    "my",
    "your",
    "our",
    "the",
    "some",
    "any",
    "new",
    "old",
    "other",
    "another",
    "valid",
    "invalid",
    "wrong",
    "bad",
    "good",
    "correct",
    "incorrect",
    "right",
    "secret",
    "secrets",
    "key",
    "keys",
    "token",
    "tokens",
    "pass",
    "password",
    "passwd",
    "pwd",
    "pw",
    "user",
    "username",
    "admin",
    "root",
    "dev",
    "local",
    "default",
    "value",
    "string",
    "str",
    "foo",
    "bar",
    "baz",
    "qux",
    "hello",
    "world",
    "abc",
    "xyz",
    "app",
    "api",
    "auth",
    "access",
    "client",
    "server",
    "session",
    "random",
    "super",
    "very",
    "long",
    "short",
    "private",
    "public",
    "verifier",
    "salt",
    "data",
    "text",
    "code",
    "id",
    "name",
    "email",
    "one",
    "two",
    "three",
    "first",
    "second",
    "third",
    "qwerty",
    "letmein",
    "hunter",
    "welcome",
    "login",
    "bearer",
    "basic",
    "refresh",
    "raw",
    "plain",
    "simple",
    "hash",
    "sign",
    "signing",
    "encrypt",
    "encryption",
    "shared",
    "master",
    "service",
    "account",
    "bot",
    "web",
    "hook",
    "webhook",
    "db",
    "database",
    "sql",
    "mysql",
    "postgres",
    "redis",
    "aws",
    "this",
    "is",
    "not",
    "a",
    "an",
    "of",
    "for",
    "to",
    "be",
    "sure",
    "change",
    "me",
    "it",
    "here",
    "dont",
    "use",
    "in",
    "production",
    "prod",
    "staging",
    "unit",
    "integration",
    "do",
    "no",
];

/// Whether `value` is made only of the words of `key`, common words, counting or repeated runs
/// (`1234`, `abcd`, `0000`) and separators — or is base64 of text that is.
pub fn is_made_up(key: &str, value: &str) -> bool {
    let own = key_words(key);
    made_of_words(&own, value)
        || b64::printable_text(value.as_bytes()).is_some_and(|text| made_of_words(&own, &text))
}

fn key_words(key: &str) -> Vec<String> {
    pieces(key)
        .into_iter()
        .filter(|p| p.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|p| p.to_ascii_lowercase())
        .collect()
}

fn made_of_words(own: &[String], value: &str) -> bool {
    let parts = pieces(value);
    if parts.is_empty() {
        return false;
    }
    parts.iter().all(|p| {
        let lower = p.to_ascii_lowercase();
        if p.bytes().all(|b| b.is_ascii_digit()) {
            return is_counting(p.as_bytes());
        }
        COMMON_WORDS.contains(&lower.as_str())
            || own.contains(&lower)
            || (lower.len() >= 3 && is_counting(lower.as_bytes()))
    })
}

/// Runs of letters and runs of digits, letters also cut at case changes (`UUIDFilter` →
/// `UUID`, `Filter`); separators and symbols are dropped.
fn pieces(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=b.len() {
        let cut = match (start, b.get(i)) {
            (None, _) | (_, None) => true,
            (Some(_), Some(&c)) => {
                let p = b[i - 1];
                !c.is_ascii_alphanumeric()
                    || p.is_ascii_digit() != c.is_ascii_digit()
                    || (p.is_ascii_lowercase() && c.is_ascii_uppercase())
                    || (p.is_ascii_uppercase()
                        && c.is_ascii_uppercase()
                        && b.get(i + 1).is_some_and(u8::is_ascii_lowercase))
            }
        };
        if cut {
            if let Some(s) = start.take() {
                out.push(&text[s..i]);
            }
            if b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                start = Some(i);
            }
        }
    }
    out
}

/// A digit or letter run that counts up or down by one (`1234`, `9876`, `abcd`) or repeats one
/// character (`0000`); one or two digits are a counter too (`test2`).
fn is_counting(run: &[u8]) -> bool {
    if run.len() <= 2 && run.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let steps = |d: i16| run.windows(2).all(|p| p[1] as i16 - p[0] as i16 == d);
    steps(1) || steps(-1) || steps(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_typed_values_are_made_up() {
        for (key, value) in [
            ("token", "token123"),
            ("raw_token", "test_token1234"),
            ("raw_token2", "test2_token1234"),
            ("auth_token", "test-token"),
            ("user_password", "Test1234!"),
            ("token", "abcd1234defg5678"),
            ("token", "12345/6789"),
            ("PasswordVerifier", "TXlWZXJpZmllclN0cmluZw"),
            ("authorizationToken", "YWJjOjEyMw=="),
            ("api_key", "1234-1234-1234-1234"),
            ("SECRET", "my-super-secret-key"),
        ] {
            assert!(is_made_up(key, value), "{key}={value}");
        }
    }

    #[test]
    fn generated_values_are_not() {
        for (key, value) in [
            ("password", "JgCXIr5xGG"),
            ("access_token", "FeHkE_QbuU3cYy1a1eQUrCE5jRcUnBK3"),
            ("POSTGRES_PASSWORD", "FmTKs5vX52ufKR1rd8tn4MoSP7zvCJwb"),
            ("ExportToken", "export-token-cu4lg26ofcziixny"),
            (
                "ServicePassword",
                "k1zPZM6uVxMQ3oxqgoYlNuJPyRTZ1vREs76zTQE3eJk=",
            ),
            ("token", "test_9f3Kq2Lx"),
            ("secret", "2024-token-8734"),
        ] {
            assert!(!is_made_up(key, value), "{key}={value}");
        }
    }

    #[test]
    fn pieces_split_case_digits_and_acronyms() {
        assert_eq!(pieces("UUIDFilterInput"), vec!["UUID", "Filter", "Input"]);
        assert_eq!(
            pieces("test2_token1234"),
            vec!["test", "2", "token", "1234"]
        );
    }
}
