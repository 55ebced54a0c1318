//! What a secret-sounding key names: the secret itself (`api_key`, `sessionToken`) or
//! something about it or beside it (`TOKEN_URL`, `SecretId`, `NextToken`, `ChangeToken`,
//! `X-Amz-Credential`). Pure string work on the key of an assignment.

/// Suffixes of a secret-sounding key that name something that is not the secret itself.
const NON_SECRET_KEY_SUFFIXES: &[&str] = &[
    "url",
    "uri",
    "arn",
    "time",
    "date",
    "expiration",
    "endpoint",
    "header",
    "name",
    "file",
    "path",
    "dir",
    "type",
    "ttl",
    "length",
    "len",
    "size",
    "count",
    "field",
    "param",
    "prefix",
    "env",
    "var",
    "policy",
    "expiry",
    "expires",
    "timeout",
    "format",
    "hash",
    "hasher",
    "hashers",
    "validators",
    "id",
    "mode",
    "backend",
    "class",
    "ref",
    "host",
    "port",
    "user",
    "username",
    "email",
    "salt",
    "label",
    "min",
    "max",
    "regex",
    "pattern",
    "scheme",
    "method",
    "version",
];

/// Keys whose value is not a credential although their name says "token" or "secret":
/// pagination and idempotency tokens, CSRF tokens (normalised: lower case, no separators).
const NON_SECRET_KEYS: &[&str] = &[
    "nexttoken",
    "pagetoken",
    "nextpagetoken",
    "paginationtoken",
    "continuationtoken",
    "starttoken",
    "synctoken",
    "clienttoken",
    "clientrequesttoken",
    "idempotencytoken",
    "csrftoken",
    "xsrftoken",
    "csrfmiddlewaretoken",
    "maxtokens",
    "tokenizer",
    // AWS SigV4 `X-Amz-Credential`: the access key id and its scope, not the secret key.
    "amzcredential",
];

/// Words that, right before a final `token`, make it a handle an API hands out (pagination
/// cursors `nextForwardToken`, optimistic-lock and import/export handles `ChangeToken`,
/// `PolicyUpdateToken`, `ExportToken`, `WorkUnitToken`), not a credential.
const HANDLE_WORDS: &[&str] = &[
    "next",
    "prev",
    "previous",
    "page",
    "forward",
    "backward",
    "continuation",
    "start",
    "sync",
    "change",
    "update",
    "export",
    "import",
    "unit",
    "pagination",
    "idempotency",
    "request",
    "marker",
    "cursor",
    "resume",
    "upload",
    "lock",
];

/// Whether a secret-sounding key names the secret itself, not something about it
/// (`TOKEN_URL`, `SecretId`, `NextToken`). Splits on `_ - .` and camelCase.
pub fn secret_key_name(key: &str) -> bool {
    let normalised: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    if NON_SECRET_KEYS.iter().any(|k| normalised.ends_with(k)) {
        return false;
    }
    let words = key_words(key);
    let last = words.last().map_or("", String::as_str);
    let before_last = words.len().checked_sub(2).map_or("", |i| words[i].as_str());
    // `SubjectFromWebIdentityToken`: something taken from a token, not the token.
    let derived = words.iter().any(|w| w == "from");
    let handle = matches!(last, "token" | "tokens") && HANDLE_WORDS.contains(&before_last);
    !NON_SECRET_KEY_SUFFIXES.contains(&last) && !derived && !handle
}

/// The lower-case words of a key, split at `_ - . :` and lower→upper case changes.
fn key_words(key: &str) -> Vec<String> {
    let mut words = vec![String::new()];
    let mut prev_lower = false;
    for c in key.chars() {
        let camel_break = c.is_ascii_uppercase() && prev_lower;
        if !c.is_ascii_alphanumeric() || camel_break {
            words.push(String::new());
        }
        if c.is_ascii_alphanumeric() {
            words.last_mut().unwrap().push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    words.retain(|w| !w.is_empty());
    words
}

#[cfg(test)]
mod tests {
    use super::secret_key_name;

    #[test]
    fn handles_and_attributes_are_not_the_secret() {
        for key in [
            "nextForwardToken",
            "ExportToken",
            "PolicyUpdateToken",
            "ChangeToken",
            "WorkUnitToken",
            "SubjectFromWebIdentityToken",
            "X-Amz-Credential",
            "OAUTH_TOKEN_URL",
            "SecretId",
        ] {
            assert!(!secret_key_name(key), "{key}");
        }
        for key in [
            "sessionToken",
            "api_key",
            "TokenValue",
            "CLIENT_SECRET",
            "raw_token2",
        ] {
            assert!(secret_key_name(key), "{key}");
        }
    }
}
