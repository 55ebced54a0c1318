//! `env-file-committed`: an env file (`.env`, `.env.production`…, not a template) in the tree
//! or in a commit. A file whose variables are all empty is a template under another name and
//! is not reported; one real value is enough.

use super::paths::is_env_file;
use crate::detect::catalog::check;
use crate::finding::Finding;

pub fn check_env_file(path: &str, data: &[u8]) -> Option<Finding> {
    (is_env_file(path) && has_a_value(data)).then(|| check("env-file-committed").file_finding(path))
}

/// Whether any `KEY=value` line (optionally `export`-ed) has a non-empty value.
fn has_a_value(data: &[u8]) -> bool {
    String::from_utf8_lossy(data).lines().any(|line| {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        if line.starts_with('#') {
            return false;
        }
        let Some((key, value)) = line.split_once('=') else {
            return false;
        };
        let key = key.trim();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        is_env_key(key) && !value.is_empty() && !value.starts_with('#')
    })
}

fn is_env_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_env_file_with_a_value_is_reported_at_line_one() {
        let f = check_env_file(".env", b"# local\nFLASK_APP=app.main\n").unwrap();
        assert_eq!(
            (f.rule.as_str(), f.line, f.column),
            ("env-file-committed", 1, 1)
        );
        assert!(check_env_file("svc/.env.production", b"export TOKEN='abc'\n").is_some());
    }

    #[test]
    fn templates_and_empty_env_files_are_quiet() {
        let template = b"DATABASE_URL=\nSTRIPE_KEY=<your key>\n";
        assert!(check_env_file(".env.example", template).is_none());
        assert!(check_env_file(".env.sample", b"A=1\n").is_none());
        assert!(check_env_file(".env", b"# fill in\nDATABASE_URL=\nAPI_KEY=\"\"\n").is_none());
        assert!(check_env_file(".env", b"").is_none());
        assert!(check_env_file("env.py", b"A=1\n").is_none());
    }
}
