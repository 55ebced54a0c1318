//! Reads a `--schema` file (an `.env.example`): the keys it lists are required, except those
//! a comment marks optional, on the same line (`SENTRY_DSN=  # optional`) or on the comment
//! line right above. Values in the schema are ignored.

use crate::env::declarations as lines;
use anyhow::{Context, Result};
use std::path::Path;

/// Keys the schema requires, in file order.
pub fn required_keys(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read schema {}", path.display()))?;
    Ok(required_in(&text))
}

fn required_in(text: &str) -> Vec<String> {
    lines::declarations(text)
        .into_iter()
        .filter(|decl| !marks_optional(&decl.trailing) && !marks_optional(&decl.above))
        .map(|decl| decl.key)
        .collect()
}

fn marks_optional(comment: &Option<String>) -> bool {
    comment
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().contains("optional"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn optional_keys_are_left_out() {
        let text = "DATABASE_URL=\nSECRET_KEY=changeme\nSENTRY_DSN= # optional\n\
                    # Optional: only for S3\nAWS_BUCKET=\nPORT=8000 # port\n";
        assert_eq!(
            super::required_in(text),
            ["DATABASE_URL", "SECRET_KEY", "PORT"]
        );
    }
}
