//! Loads one env file with dotenvy (quotes, multi-line values, `export`, `${VAR}` expansion)
//! and attaches the line each key came from. Errors name the file and line, never the text of
//! the entry: dotenvy's own parse error quotes the whole line, value included.

use super::declarations;
use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};

/// The entries of one env file, in file order.
pub struct DotenvFile {
    pub path: PathBuf,
    pub entries: Vec<DotenvEntry>,
}

pub struct DotenvEntry {
    pub key: String,
    pub value: String,
    /// 1-based line of the last declaration of the key (0 when it could not be told).
    pub line: usize,
}

impl DotenvFile {
    /// A file named `name` with these entries on lines 1, 2, …: for tests.
    #[cfg(test)]
    pub fn from_pairs(name: &str, pairs: &[(&str, &str)]) -> DotenvFile {
        let entries = pairs
            .iter()
            .enumerate()
            .map(|(i, (key, value))| DotenvEntry {
                key: key.to_string(),
                value: value.to_string(),
                line: i + 1,
            })
            .collect();
        DotenvFile {
            path: PathBuf::from(name),
            entries,
        }
    }
}

pub fn load(path: &Path) -> Result<DotenvFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read env file {}", path.display()))?;
    parse(path, &text)
}

/// Parses env-file `text`; `path` names it in errors and origins (`-` for stdin).
pub fn parse(path: &Path, text: &str) -> Result<DotenvFile> {
    let lines = declarations::last_lines(text);
    let mut entries = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (key, value) = item.map_err(|err| parse_error(path, text, err))?;
        let line = lines.get(&key).copied().unwrap_or(0);
        entries.push(DotenvEntry { key, value, line });
    }
    Ok(DotenvFile {
        path: path.to_path_buf(),
        entries,
    })
}

fn parse_error(path: &Path, text: &str, err: dotenvy::Error) -> anyhow::Error {
    match err {
        dotenvy::Error::LineParse(entry, index) => {
            let line = text
                .find(entry.as_str())
                .map_or(0, |at| text[..at].matches('\n').count() + 1);
            anyhow!(
                "failed to parse env file {}:{line}: unexpected character at position {} of the \
                 entry (the entry is not shown, it may hold a secret)",
                path.display(),
                index + 1
            )
        }
        dotenvy::Error::Io(io) => anyhow!("failed to read env file {}: {io}", path.display()),
        _ => anyhow!("failed to load env file {}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<DotenvFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, text).unwrap();
        load(&path)
    }

    #[test]
    fn reads_values_with_lines() {
        let file = load_text("# c\nexport A=1\nB=\"two\nlines\"\nC='${A}'\nD=${A}x\n").unwrap();
        let got: Vec<_> = file
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            [
                ("A", "1", 2),
                ("B", "two\nlines", 3),
                ("C", "${A}", 5),
                ("D", "1x", 6)
            ]
        );
    }

    #[test]
    fn parse_error_names_line_but_not_value() {
        let err = load_text("A=1\nB=\"hunter2-secret\nnever closed\n")
            .err()
            .unwrap();
        let message = format!("{err:#}");
        assert!(message.contains(".env:"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
