//! Loads one env file as python-dotenv reads it (`dialect`), with the line and column each
//! value comes from. Where python-dotenv's reading is unambiguous it is taken; a line
//! python-dotenv would skip, or a key no environment can hold, is refused with its line,
//! column, both readings and what to write instead. dotenvy reads every value a second time:
//! where its reading (keyward's before python-dotenv compatibility) differs, a note says so.
//! Expansion of `${…}` happens later (`expand`). Messages name the file, line, column and key,
//! never the text of a value.

use super::dialect::{self, Item, Pos, Quote};
use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};

/// The entries of one env file, in file order.
pub struct DotenvFile {
    pub path: PathBuf,
    pub entries: Vec<DotenvEntry>,
    /// Lines keyward reads as python-dotenv does where another reader differs: advisories.
    pub notes: Vec<String>,
}

pub struct DotenvEntry {
    pub key: String,
    /// The value as read, before `${…}` expansion (`expand` replaces it).
    pub value: String,
    /// 1-based line of the declaration.
    pub line: usize,
    /// Where the value starts (its opening quote, when quoted).
    pub at: Pos,
    pub quote: Quote,
    /// A bare `KEY`: nothing is set, but python-dotenv's expansion reads it as empty.
    pub bare: bool,
}

impl DotenvFile {
    /// A file named `name` with these literal entries on lines 1, 2, …: for tests.
    #[cfg(test)]
    pub fn from_pairs(name: &str, pairs: &[(&str, &str)]) -> DotenvFile {
        let entries = pairs
            .iter()
            .enumerate()
            .map(|(i, (key, value))| DotenvEntry {
                key: key.to_string(),
                value: value.to_string(),
                line: i + 1,
                at: Pos {
                    line: i + 1,
                    column: key.len() + 2,
                },
                quote: Quote::Single,
                bare: false,
            })
            .collect();
        DotenvFile {
            path: PathBuf::from(name),
            entries,
            notes: Vec::new(),
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
    let mut notes = Vec::new();
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            notes.push(format!(
                "{}:1:1: the file starts with a byte-order mark; keyward ignores it, python-dotenv \
                 makes it part of the first key; save the file as UTF-8 without BOM",
                path.display()
            ));
            rest
        }
        None => text,
    };
    let mut entries = Vec::new();
    for item in dialect::read(text) {
        let (key, pos, value) = match item {
            Item::Skipped { pos, reason } => return Err(skipped(path, pos, reason)),
            Item::Binding { key, pos, value } => (key, pos, value),
        };
        check_key(path, &key, pos)?;
        // A bare `KEY` sets nothing, for python-dotenv as for keyward.
        let Some(value) = value else {
            entries.push(DotenvEntry {
                key,
                value: String::new(),
                line: pos.line,
                at: pos,
                quote: Quote::None,
                bare: true,
            });
            continue;
        };
        notes.extend(second_reading(path, &key, &value));
        entries.push(DotenvEntry {
            key,
            value: value.text,
            line: pos.line,
            at: value.pos,
            quote: value.quote,
            bare: false,
        });
    }
    Ok(DotenvFile {
        path: path.to_path_buf(),
        entries,
        notes,
    })
}

/// A line python-dotenv skips: refused, with where and what to write instead.
fn skipped(path: &Path, pos: Pos, reason: &str) -> anyhow::Error {
    let advice = match reason {
        "a quoted value is not closed" => {
            "close the quote where the value ends (inside the value, write \\\" for a double \
             quote between double quotes, \\' for a single quote between single quotes)"
        }
        "unexpected text after the value" => {
            "put the whole value inside the quotes, or start a comment with ` #`"
        }
        "expected = after the key" => "write KEY=value, or quote a value holding spaces",
        _ => "write KEY=value, with an optional `export ` before it",
    };
    anyhow!(
        "failed to parse env file {}:{}:{}: {reason}; python-dotenv skips this line (the program \
         would get nothing from it), keyward refuses; {advice} (the line is not shown, it may \
         hold a secret)",
        path.display(),
        pos.line,
        pos.column
    )
}

/// Keys are letters, digits, `_`, `.` and `-`: what python-dotenv reads and a program can
/// look up. Anything else (a quote, a `$`, a space) is refused at its column.
fn check_key(path: &Path, key: &str, pos: Pos) -> Result<()> {
    let bad = key
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')));
    match bad {
        None => Ok(()),
        Some((at, c)) => Err(anyhow!(
            "failed to parse env file {}:{}:{}: the key holds {}, which python-dotenv keeps as \
             part of the name and no program looks up; keyward refuses; name variables with \
             letters, digits, `_`, `.` and `-`",
            path.display(),
            pos.line,
            pos.column + key[..at].chars().count(),
            crate::sanitize::escape(&format!("`{c}`")),
        )),
    }
}

/// What dotenvy (and keyward before python-dotenv compatibility) reads differently, and bare
/// `$NAME`s python-dotenv keeps literal. Values holding a `$` other than `\$` are not given
/// to dotenvy: it would look names up in the launcher's own environment.
fn second_reading(path: &Path, key: &str, value: &dialect::Value) -> Option<String> {
    if plain(value) == Some(value.text.as_str()) {
        return None;
    }
    let here = format!("{}:{}:{}", path.display(), value.pos.line, value.pos.column);
    let chars = dialect::characters(value.text.chars().count());
    if value.quote != Quote::Single && has_bare_name(&value.text) {
        return Some(format!(
            "{here}: in {key}, a `$` before a name stays literal ({chars}), as \
             python-dotenv reads it; dotenvy, docker compose and shells would substitute a \
             variable; write ${{NAME}} to substitute one"
        ));
    }
    if value.source.replace("\\$", "").contains('$') {
        return None;
    }
    let entry = format!("K={}", value.source);
    let (_, other) = dotenvy::from_read_iter(entry.as_bytes()).next()?.ok()?;
    if other == value.text {
        return None;
    }
    let hint = match value.quote {
        Quote::None => "a backslash is literal in an unquoted value; write \"…\" with \\n for a line break",
        Quote::Double => "between double quotes python-dotenv decodes only \\\\ \\' \\\" \\a \\b \\f \\n \\r \\t \\v",
        Quote::Single => "between single quotes python-dotenv decodes only \\\\ and \\'",
    };
    Some(format!(
        "{here}: {key} is read as python-dotenv reads it ({chars}); dotenvy, which keyward \
         used before, reads {}; {hint}",
        dialect::characters(other.chars().count())
    ))
}

/// The value between its quotes (the whole source when unquoted) when it holds only characters
/// that no reader treats specially: printable ASCII but quotes, `\`, `$` and `#`. dotenvy
/// reads such a value as written, so when python-dotenv does too there is nothing to compare,
/// and the launcher does not pay for a second parser at start (`plain_values_read_alike`).
fn plain(value: &dialect::Value) -> Option<&str> {
    let inner = match value.quote {
        Quote::None => value.source.as_str(),
        Quote::Single | Quote::Double => value.source.get(1..value.source.len().checked_sub(1)?)?,
    };
    let ordinary = |b: u8| b.is_ascii_graphic() && !matches!(b, b'\'' | b'"' | b'\\' | b'$' | b'#');
    (!inner.is_empty() && inner.bytes().all(ordinary)).then_some(inner)
}

/// `$NAME` (not `${`): a shell-style reference python-dotenv does not expand.
fn has_bare_name(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_'))
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
        // Not expanded yet: `expand` does that.
        assert_eq!(
            got,
            [
                ("A", "1", 2),
                ("B", "two\nlines", 3),
                ("C", "${A}", 5),
                ("D", "${A}x", 6)
            ]
        );
    }

    #[test]
    fn parse_error_names_line_and_column_but_not_value() {
        let err = load_text("A=1\nB=\"hunter2-secret\nnever closed\n")
            .err()
            .unwrap();
        let message = format!("{err:#}");
        assert!(message.contains(".env:2:3: a quoted value"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    /// Every value of up to three characters from an alphabet of ordinary and special ones,
    /// unquoted and in both quotes: wherever `plain` lets a value skip dotenvy's reading,
    /// dotenvy reads it exactly as python-dotenv does.
    #[test]
    fn plain_values_read_alike() {
        let alphabet = [
            "a", "Z", "7", "=", "{", "}", "-", ":", "/", "@", "'", "\"", "\\", "$", "#", " ", "\t",
            "é",
        ];
        let mut bodies = Vec::new();
        let mut level = vec![String::new()];
        for _ in 0..3 {
            level = level
                .iter()
                .flat_map(|body| alphabet.iter().map(move |c| format!("{body}{c}")))
                .collect();
            bodies.extend(level.iter().cloned());
        }
        let mut skipped = 0;
        for body in &bodies {
            for quote in ["", "'", "\""] {
                let line = format!("K={quote}{body}{quote}\n");
                let Some(Item::Binding {
                    value: Some(value), ..
                }) = dialect::read(&line).into_iter().next()
                else {
                    continue;
                };
                if plain(&value) != Some(value.text.as_str()) {
                    continue;
                }
                skipped += 1;
                // What `second_reading` gives dotenvy.
                let entry = format!("K={}", value.source);
                let (_, other) = dotenvy::from_read_iter(entry.as_bytes())
                    .next()
                    .unwrap()
                    .unwrap();
                assert_eq!(other, value.text, "{line:?}");
            }
        }
        assert!(skipped > 1000, "{skipped}");
    }

    #[test]
    fn notes_where_dotenvy_reads_otherwise() {
        let file = load_text("A=a\\nb\nB=\"cost \\$5\"\nC=plain\n").unwrap();
        assert_eq!(file.entries[0].value, "a\\nb");
        assert_eq!(file.entries[1].value, "cost \\$5");
        assert_eq!(file.notes.len(), 2, "{:?}", file.notes);
        assert!(file.notes[0].contains(".env:1:3: A"), "{:?}", file.notes);
        assert!(file.notes[1].contains(".env:2:3: B"), "{:?}", file.notes);
    }
}
