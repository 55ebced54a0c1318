//! Small judgements about names and values, shared by both binaries (no scanner rule is
//! involved): which variable names hold secrets, which values are placeholders,
//! and which spell "true". Pure functions; nothing here reads or prints.

/// Words that mark a variable as holding a secret wherever they appear in its name.
const SECRET_WORDS: &[&str] = &[
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "PRIVATE_KEY",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
];

/// Endings that mark a secret only at the end of a name (`STRIPE_KEY`, `DB_PASS`), so that
/// `PASSWORD_MIN_LENGTH`-like names are caught by the words above and `KEYBOARD` is not.
const SECRET_SUFFIXES: &[&str] = &["_KEY", "_PASS", "_PWD", "_DSN"];

/// The first letters of `SECRET_WORDS`, one bit per letter (all are upper-case ASCII: a word
/// starting otherwise does not compile).
const FIRST_LETTERS: u32 = {
    let mut mask = 0u32;
    let mut i = 0;
    while i < SECRET_WORDS.len() {
        let first = SECRET_WORDS[i].as_bytes()[0];
        assert!(first.is_ascii_uppercase());
        mask |= 1 << (first - b'A');
        i += 1;
    }
    mask
};

/// True for names such as `DB_PASSWORD`, `STRIPE_API_KEY`, `github_token`. It compares in
/// place, trying the words only where one of their first letters stands: the launcher asks
/// this of every inherited variable before it starts the program.
pub fn is_secret_name(key: &str) -> bool {
    let key = key.as_bytes();
    let word_at = |at: usize, word: &str| {
        key.get(at..at + word.len())
            .is_some_and(|part| part.eq_ignore_ascii_case(word.as_bytes()))
    };
    let mut contains_word = false;
    for (at, byte) in key.iter().enumerate() {
        let upper = byte.to_ascii_uppercase();
        if !upper.is_ascii_uppercase() || FIRST_LETTERS & (1 << (upper - b'A')) == 0 {
            continue;
        }
        contains_word = SECRET_WORDS
            .iter()
            .any(|word| word.as_bytes()[0] == upper && word_at(at, word));
        if contains_word {
            break;
        }
    }
    contains_word
        || SECRET_SUFFIXES
            .iter()
            .any(|suffix| key.len() >= suffix.len() && word_at(key.len() - suffix.len(), suffix))
}

/// True for values left in from a template: `changeme`, `xxx`, `<your key>`, `TODO`.
pub fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let exact = matches!(
        lower.as_str(),
        "todo" | "fixme" | "tbd" | "replaceme" | "replace_me" | "placeholder"
    );
    exact
        || lower.contains("changeme")
        || lower.contains("change_me")
        || lower.contains("change-me")
        || starts_with_word(&lower, "todo")
        || (value.len() >= 3 && value.bytes().all(|b| b == b'x' || b == b'X'))
        || has_run_of_x(value, 6)
        || (value.len() >= 3 && value.starts_with('<') && value.ends_with('>'))
}

/// `TODO: set me` and `todo-fill-in`, but not `todolist`.
fn starts_with_word(lower: &str, word: &str) -> bool {
    lower
        .strip_prefix(word)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|next| !next.is_ascii_alphanumeric())
}

/// `sk_live_xxxxxxxxxxxx`: a run of `x` that no random token has by chance.
fn has_run_of_x(value: &str, run: usize) -> bool {
    let mut current = 0;
    for byte in value.bytes() {
        current = if byte == b'x' || byte == b'X' {
            current + 1
        } else {
            0
        };
        if current >= run {
            return true;
        }
    }
    false
}

/// `1`, `true`, `yes`, `on` (any case): what Flask, Django settings and most `.env` readers
/// take as true.
pub fn is_truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on" | "y" | "t"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "stripe_api_key",
            "GITHUB_TOKEN",
            "SECRET_KEY",
            "SMTP_PASS",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["PATH", "PWD", "DATABASE_HOST", "KEYBOARD", "PORT", "DEBUG"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    /// The in-place search answers as searching the upper-cased name does, over every name of
    /// up to three pieces (mixed case, split words, non-ASCII letters).
    #[test]
    fn secret_names_as_an_upper_case_search_finds_them() {
        let reference = |key: &str| {
            let upper = key.to_ascii_uppercase();
            SECRET_WORDS.iter().any(|word| upper.contains(word))
                || SECRET_SUFFIXES.iter().any(|suffix| upper.ends_with(suffix))
        };
        let pieces = [
            "db",
            "PASS",
            "word",
            "_",
            "Secret",
            "tok",
            "en",
            "api",
            "KEY",
            "é",
            "x",
            "Phrase",
            "ACCESS_key",
            "dsn",
            "pwd",
            "Credential",
            "private_",
            "s",
        ];
        let mut names = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = names
                .iter()
                .flat_map(|name| pieces.iter().map(move |piece| format!("{name}{piece}")))
                .collect();
            names.extend(longer);
        }
        let mut secret = 0;
        for name in &names {
            assert_eq!(is_secret_name(name), reference(name), "{name}");
            secret += usize::from(reference(name));
        }
        assert!(secret > 1000 && secret < names.len() - 1000, "{secret}");
    }

    #[test]
    fn placeholders() {
        for value in [
            "changeme",
            "CHANGE_ME",
            "xxx",
            "XXXXXXXX",
            "<your-key>",
            "TODO",
            "TODO: fill",
        ] {
            assert!(is_placeholder(value), "{value}");
        }
        assert!(is_placeholder("sk_live_xxxxxxxxxxxxxxxx"));
        for value in [
            "",
            "hunter2-but-long",
            "todolist",
            "exxon",
            "<a",
            "8000",
            "x",
        ] {
            assert!(!is_placeholder(value), "{value}");
        }
    }

    #[test]
    fn truthy() {
        for value in ["1", "True", "yes", "ON"] {
            assert!(is_truthy(value));
        }
        for value in ["0", "false", "", "off", "no", "2"] {
            assert!(!is_truthy(value));
        }
    }
}
