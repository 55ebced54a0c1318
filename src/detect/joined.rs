//! Values written in several pieces: Python strings concatenated implicitly or continued inside
//! parentheses (`API_KEY = (\n    "first"\n    "second"\n)`), YAML quoted and plain scalars
//! continued on the next lines, YAML block scalars of several lines. The rules read a line and
//! see a piece; this module gives the whole value and where it starts (where the rules saw its
//! first piece), so the engine can judge the value once, on its joined text. Pure text work:
//! no rules.

use super::lineindex::LineIndex;
use crate::rules::pattern::RulePattern;
use std::sync::OnceLock;

/// A value of more pieces or lines than this is not one credential (a long SQL statement, a
/// certificate, prose); stopping there also keeps a file of many unclosed values linear.
const MAX_PIECES: usize = 64;

/// One value written in pieces.
#[derive(Debug, PartialEq, Eq)]
pub struct Joined {
    /// The key it is assigned to, and the key's byte offset.
    pub key: String,
    pub key_offset: usize,
    /// The value as the language reads it.
    pub value: String,
    /// Byte offset, 1-based line and column of the value's first character.
    pub offset: usize,
    pub line: u32,
    pub column: u32,
    /// The line of its last piece.
    pub last_line: u32,
    /// Whether the rules judge `key = "value"`: not for block scalars of several lines, whose
    /// text keeps its line breaks and whose lines the rules already read where they are.
    pub judge: bool,
}

/// Which reader applies to a file at `path` (two paths with the same answer are judged alike).
pub fn language(path: &str) -> Option<Language> {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("py" | "pyi") => Some(Language::Python),
        Some("yaml" | "yml") => Some(Language::Yaml),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Yaml,
}

/// The values in pieces of a file at `path`. In Python, only the keys within `spans` (sorted
/// byte ranges: where the keyword walk met a secret word) are looked at.
pub fn values(path: &str, data: &[u8], spans: &[(usize, usize)]) -> Vec<Joined> {
    let Some(language) = language(path) else {
        return Vec::new();
    };
    // A Python file is read only on the lines where a value in pieces may start, and not at
    // all when there are none (the check of its text as UTF-8 is a pass over the whole file).
    let lines: Vec<(usize, usize)> = match language {
        Language::Python => (whole_lines(data, spans).into_iter())
            .filter(|&(start, end)| may_join(&data[start..end]))
            .collect(),
        Language::Yaml => Vec::new(),
    };
    if language == Language::Python && lines.is_empty() {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return Vec::new();
    };
    match language {
        Language::Python => python_values(text, &lines),
        Language::Yaml => yaml_values(text, &LineIndex::new(data)),
    }
}

/// Whether a key may name a secret (loose: the rules decide on the joined value).
fn secret_named(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "token",
        "secret",
        "apikey",
        "accesskey",
        "authkey",
        "credential",
        "privatekey",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// `KEY = (`, `KEY: str = `, `"key": `, `key=` in a call: where a Python value starts. An
/// ASCII pattern on bytes, compiled like the rules' (`rules::pattern`: no Unicode classes or
/// case folding, no prefilter), which is cheaper to build and to run than a Unicode one.
fn python_head() -> &'static RulePattern {
    static HEAD: OnceLock<RulePattern> = OnceLock::new();
    HEAD.get_or_init(|| {
        crate::rules::build_regex(
            r#"(?i)(?:^|[^A-Za-z0-9_.:/-])(?P<key>[A-Za-z0-9_.-]{0,40}(?:password|passwd|pwd|passphrase|token|secret|api_?key|access_?key|auth_?key|credential|private_?key)[A-Za-z0-9_.-]{0,20})["']?[ \t]*(?::[ \t]*[A-Za-z_][A-Za-z0-9_.\[\] |]{0,60}?[ \t]*=|=|:)[ \t]*"#,
        )
        .expect("the Python head pattern compiles")
    })
}

/// `spans` widened to whole lines, sorted and merged: `python_head` matches within a line
/// (neither a key nor what follows it crosses one).
fn whole_lines(b: &[u8], spans: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut lines: Vec<(usize, usize)> = Vec::new();
    for &(start, end) in spans {
        let (start, end) = (start.min(b.len()), end.min(b.len()));
        let from = memchr::memrchr(b'\n', &b[..start]).map_or(0, |i| i + 1);
        let to = memchr::memchr(b'\n', &b[end..]).map_or(b.len(), |i| end + i);
        match lines.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => lines.push((from, to)),
        }
    }
    lines
}

/// Whether a value assigned on `lines` may be in pieces: only a line with a parenthesis, a
/// backslash (a continued line) or two string literals (four quotes) can start one; the
/// others hold at most one piece on the key's line, which the rules already judge.
fn may_join(lines: &[u8]) -> bool {
    memchr::memchr2(b'(', b'\\', lines).is_some()
        || memchr::memchr2_iter(b'"', b'\'', lines).nth(3).is_some()
}

/// The values in pieces whose key is on `lines` (whole lines, sorted, each of which
/// `may_join`).
fn python_values(text: &str, lines: &[(usize, usize)]) -> Vec<Joined> {
    let mut out = Vec::new();
    let mut index: Option<LineIndex> = None;
    // Most of these lines hold no head: the pattern's filter says so for far less than the
    // search for its groups costs.
    let heads = lines.iter().flat_map(|&(start, end)| {
        let line = &text.as_bytes()[start..end];
        let head = python_head();
        (if head.may_match(line) {
            head.captures_iter(line)
        } else {
            Vec::new()
        })
        .into_iter()
        .map(move |caps| (start, caps))
    });
    for (start, caps) in heads {
        let Some(k) = caps.name("key") else {
            continue;
        };
        // The key's characters are ASCII: its ends are character boundaries.
        let key = &text[start + k.start()..start + k.end()];
        let head_end = start + caps.get(0).map_or(0, |m| m.end());
        let Some(pieces) = python_pieces(text, head_end) else {
            continue;
        };
        let key_offset = start + k.start();
        let index = index.get_or_insert_with(|| LineIndex::new(text.as_bytes()));
        let key_line = index.locate(text.as_bytes(), key_offset).0;
        let (line, column) = index.locate(text.as_bytes(), pieces[0].0);
        let last_line = index.locate(text.as_bytes(), pieces[pieces.len() - 1].0).0;
        if pieces.len() < 2 && line == key_line {
            continue;
        }
        out.push(Joined {
            key: key.to_string(),
            key_offset,
            value: pieces.iter().map(|&(s, e)| &text[s..e]).collect(),
            offset: pieces[0].0,
            line,
            last_line,
            column,
            judge: true,
        });
    }
    out
}

/// The contents (byte ranges) of the string literals that make up the value at `at`: one or
/// more literals side by side, inside parentheses across lines (comments allowed) or on one
/// line. `None` when the value is anything else (an expression, an f-string, a triple-quoted
/// string, literals joined by `+`).
fn python_pieces(text: &str, mut at: usize) -> Option<Vec<(usize, usize)>> {
    let b = text.as_bytes();
    let paren = b.get(at) == Some(&b'(');
    if paren {
        at += 1;
    }
    let mut pieces = Vec::new();
    loop {
        at = skip_python_space(b, at, paren);
        match python_literal(b, at) {
            Literal::At(_, _) if pieces.len() == MAX_PIECES => return None,
            Literal::At(start, end) => {
                pieces.push((start, end));
                at = end + 1;
            }
            Literal::Absent => break,
            Literal::Unread => return None,
        }
    }
    at = skip_python_space(b, at, paren);
    let closed = match b.get(at) {
        _ if pieces.is_empty() => false,
        Some(b')') => true,
        _ if paren => false,
        None => true,
        Some(c) => b"\r\n#,}]".contains(c),
    };
    closed.then_some(pieces)
}

/// Past spaces; inside parentheses also past line breaks and comments; outside them past a
/// backslash line continuation.
fn skip_python_space(b: &[u8], mut at: usize, paren: bool) -> usize {
    loop {
        match b.get(at) {
            Some(b' ' | b'\t') => at += 1,
            Some(b'\r' | b'\n') if paren => at += 1,
            Some(b'#') if paren => {
                at = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |i| at + i);
            }
            Some(b'\\') if !paren && matches!(b.get(at + 1), Some(b'\n' | b'\r')) => {
                at += 2;
                if b.get(at - 1) == Some(&b'\r') && b.get(at) == Some(&b'\n') {
                    at += 1;
                }
            }
            _ => return at,
        }
    }
}

/// What sits at a place where a string literal may start.
enum Literal {
    /// A literal whose contents are this byte range.
    At(usize, usize),
    /// Something else (the value ends or is an expression).
    Absent,
    /// A literal this reader does not judge.
    Unread,
}

/// The string literal at `at`, if any. F-strings, triple-quoted strings and literals not
/// closed on their line are not read.
fn python_literal(b: &[u8], at: usize) -> Literal {
    let prefix = b[at.min(b.len())..]
        .iter()
        .take(3)
        .take_while(|c| b"rRbBuUfF".contains(c))
        .count();
    let Some(&quote) = b.get(at + prefix).filter(|c| matches!(c, b'"' | b'\'')) else {
        return Literal::Absent;
    };
    if prefix > 2 || b[at..at + prefix].iter().any(|c| matches!(c, b'f' | b'F')) {
        return Literal::Unread;
    }
    let start = at + prefix + 1;
    if b.get(start) == Some(&quote) && b.get(start + 1) == Some(&quote) {
        return Literal::Unread;
    }
    let mut i = start;
    loop {
        match b.get(i) {
            Some(&c) if c == quote => return Literal::At(start, i),
            Some(b'\\') => i += 2,
            None | Some(b'\n') => return Literal::Unread,
            Some(_) => i += 1,
        }
    }
}

fn yaml_values(text: &str, index: &LineIndex) -> Vec<Joined> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let at = |piece: &str| piece.as_ptr() as usize - text.as_ptr() as usize;
    for (i, row) in lines.iter().enumerate() {
        let Some((key, indent, rest)) = yaml_key(row) else {
            continue;
        };
        if !secret_named(key) {
            continue;
        }
        let joined = match rest.as_bytes().first() {
            Some(b'"' | b'\'') => yaml_quoted(&lines, i, rest),
            Some(b'|' | b'>') => yaml_block(&lines, i, indent, rest),
            Some(c) if !b"{[&*!%@`#".contains(c) => yaml_plain(&lines, i, indent, rest),
            _ => None,
        };
        let Some((value, start, last)) = joined else {
            continue;
        };
        let last_line = index.locate(text.as_bytes(), at(last)).0;
        let offset = at(start);
        let (line, column) = index.locate(text.as_bytes(), offset);
        out.push(Joined {
            key: key.to_string(),
            key_offset: at(row),
            judge: !rest.starts_with(['|', '>']),
            value,
            offset,
            line,
            last_line,
            column,
        });
    }
    out
}

/// `key: rest` of a mapping line (maybe a sequence item): the key unquoted, the column where
/// the key starts, and what follows the colon, trimmed.
fn yaml_key(line: &str) -> Option<(&str, usize, &str)> {
    let body = line.trim_start();
    let body = body.strip_prefix("- ").map_or(body, str::trim_start);
    if body.starts_with('#') {
        return None;
    }
    let indent = line.len() - body.len();
    let (key, rest) = body.split_once(':')?;
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let key = key.trim().trim_matches(['"', '\'']);
    Some((key, indent, rest.trim()))
}

/// A quoted scalar that starts in `rest` (on line `i`) and ends on a later line: its value
/// folded as YAML folds it (a line break is a space, an empty line a line break, an escaped
/// line break nothing), the text from its first character and the piece on its last line.
fn yaml_quoted<'a>(
    lines: &[&'a str],
    i: usize,
    rest: &'a str,
) -> Option<(String, &'a str, &'a str)> {
    let quote = rest.chars().next()?;
    let mut value = String::new();
    let mut first: Option<&'a str> = None;
    let mut piece = &rest[1..];
    let mut escaped_break = false;
    for (n, line) in lines[i..].iter().take(MAX_PIECES).enumerate() {
        if n > 0 {
            piece = line.trim_start();
            if piece.is_empty() {
                value.push('\n');
                continue;
            }
            if !escaped_break && !value.is_empty() && !value.ends_with('\n') {
                value.push(' ');
            }
        }
        if first.is_none() && !piece.trim().is_empty() {
            first = Some(piece.trim_start());
        }
        match read_quoted(piece, quote, &mut value) {
            Closed::Here if n == 0 => return None,
            Closed::Here => return Some((value, first?, piece)),
            Closed::Open { escaped } => {
                escaped_break = escaped;
                if !escaped {
                    let kept = value.trim_end_matches([' ', '\t']).len();
                    value.truncate(kept);
                }
            }
        }
    }
    None
}

enum Closed {
    Here,
    Open { escaped: bool },
}

/// Reads `piece` into `value` up to the closing quote.
fn read_quoted(piece: &str, quote: char, value: &mut String) -> Closed {
    let mut chars = piece.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quote == '"' => match chars.next() {
                None => return Closed::Open { escaped: true },
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(other) => value.push(other),
            },
            '\'' if quote == '\'' && chars.peek() == Some(&'\'') => {
                chars.next();
                value.push('\'');
            }
            c if c == quote => return Closed::Here,
            c => value.push(c),
        }
    }
    Closed::Open { escaped: false }
}

/// A plain (unquoted) scalar continued on more indented lines that are not keys, items or
/// comments: its value folded (a line break is a space, an empty line a line break), its
/// first piece and its last.
fn yaml_plain<'a>(
    lines: &[&'a str],
    i: usize,
    indent: usize,
    rest: &'a str,
) -> Option<(String, &'a str, &'a str)> {
    let piece = |l: &'a str| l.split(" #").next().unwrap_or(l).trim();
    let mut value = piece(rest).to_string();
    let mut last = None;
    let mut blank = 0;
    for line in lines[i + 1..].iter().take(MAX_PIECES) {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        let text = piece(line);
        let continues = line.len() - line.trim_start().len() > indent
            && !text.is_empty()
            && !text.starts_with(['#', '-'])
            && !text.contains(": ")
            && !text.ends_with(':');
        if !continues {
            break;
        }
        value.push_str(&if blank > 0 {
            "\n".repeat(blank)
        } else {
            " ".into()
        });
        value.push_str(text);
        blank = 0;
        last = Some(text);
    }
    last.map(|last| (value, rest, last))
}

/// A block scalar (`|`, `>`, with indicators) under line `i` with at least two lines of text:
/// its text (its first `MAX_PIECES` lines), the text from its first character and its last
/// line read.
fn yaml_block<'a>(
    lines: &[&'a str],
    i: usize,
    indent: usize,
    rest: &str,
) -> Option<(String, &'a str, &'a str)> {
    let header = rest.split(" #").next().unwrap_or(rest).trim_end();
    if header.len() > 3 || !header[1..].bytes().all(|c| b"-+123456789".contains(&c)) {
        return None;
    }
    let body: Vec<&'a str> = lines[i + 1..]
        .iter()
        .take(MAX_PIECES)
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if body.len() < 2 {
        return None;
    }
    let glue = if rest.starts_with('|') { "\n" } else { " " };
    Some((body.join(glue), body[0], body[body.len() - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(path: &str, text: &str) -> Vec<(String, String, u32, u32, bool)> {
        values(path, text.as_bytes(), &[(0, text.len())])
            .into_iter()
            .map(|j| (j.key, j.value, j.line, j.column, j.judge))
            .collect()
    }

    fn row(
        key: &str,
        value: &str,
        line: u32,
        column: u32,
        judge: bool,
    ) -> (String, String, u32, u32, bool) {
        (key.to_string(), value.to_string(), line, column, judge)
    }

    #[test]
    fn python_strings_in_parentheses_and_side_by_side_are_joined() {
        let text = "API_KEY = (\n    \"Aq7Lz2Xv9R\"  # first half\n    'kP4mWn8bYc'\n)\nDB_PASSWORD = (\n    \"Hq7Lz2Xv9RkP4mWn\"\n)\nSMTP_PASSWORD = (\"Hq7Lz2\" \"Xv9RkP4mWn\")\nconnect(token=\"Tq7Lz2\" \\\n    \"Xv9RkP4mWn\", port=1)\nSIGNING_KEY_SECRET: Final[str] = (\n    \"Sq7Lz2\"\n    \"Xv9RkP4mWn\"\n)\n";
        assert_eq!(
            found("settings.py", text),
            vec![
                row("API_KEY", "Aq7Lz2Xv9RkP4mWn8bYc", 2, 6, true),
                row("DB_PASSWORD", "Hq7Lz2Xv9RkP4mWn", 6, 6, true),
                row("SMTP_PASSWORD", "Hq7Lz2Xv9RkP4mWn", 8, 19, true),
                row("token", "Tq7Lz2Xv9RkP4mWn", 9, 16, true),
                row("SIGNING_KEY_SECRET", "Sq7Lz2Xv9RkP4mWn", 12, 6, true),
            ]
        );
        // The key is read whole, as the rules read it (`X-Amz-Credential`, not `Credential`).
        let header =
            "q = {'X-Amz-Credential': (\n    'access_key%2F20160818'\n    '%2Fus-east-1')}\n";
        assert_eq!(found("t.py", header)[0].0, "X-Amz-Credential".to_string());
    }

    #[test]
    fn python_values_in_one_piece_or_built_at_run_time_are_left_to_the_rules() {
        for text in [
            "API_KEY = \"Aq7Lz2Xv9RkP4mWn8bYc\"\n",
            "API_KEY = (\"Aq7Lz2Xv9RkP4mWn8bYc\")\n",
            "API_KEY = (\n    \"Aq7Lz2Xv9R\" + suffix\n)\n",
            "API_KEY = (\n    f\"Aq7Lz2{x}\"\n    \"kP4mWn8bYc\"\n)\n",
            "API_KEY = \"Aq7Lz2\" \"Xv9RkP4mWn\".strip()\n",
            "API_KEY = \"\"\"Aq7Lz2\nXv9RkP4mWn\"\"\"\n",
            "if token == (\n    \"Aq7Lz2Xv9R\"\n):\n",
            "NAME = (\n    \"Aq7Lz2Xv9R\"\n    \"kP4mWn8bYc\"\n)\n",
            // The value of the next key is not this key's.
            "d = {\"token\": foo, x: (\"Aq7Lz2Xv9R\" \"kP4mWn8bYc\")}\n",
        ] {
            assert_eq!(found("app.py", text), vec![], "{text}");
        }
        // Other languages are not read as Python.
        assert_eq!(
            found("app.js", "API_KEY = (\n  \"Aq7Lz2Xv9R\"\n)\n"),
            vec![]
        );
    }

    // regression guard: many unclosed values must not each read to the end of the file.
    #[test]
    fn only_lines_that_can_start_a_value_in_pieces_are_read() {
        assert!(super::may_join(br#"API_KEY = ("#));
        assert!(super::may_join(br#"TOKEN = "ab" "cd""#));
        assert!(super::may_join(b"SECRET = \\"));
        assert!(!super::may_join(br#"password = "hunter22""#));
        assert!(!super::may_join(b"token = settings.TOKEN"));
        // Two pieces on the key's line are read; one is left to the rules.
        let two = "API_TOKEN = \"Zq7Lx2Vk9RtP4mWn\" \"Hq3Ty8Bc6NdF1sJe\"\n";
        let spans = [(0, 9)];
        assert_eq!(super::values("a.py", two.as_bytes(), &spans).len(), 1);
        let one = "API_TOKEN = \"Zq7Lx2Vk9RtP4mWnHq3Ty8Bc6NdF1sJe\"\n";
        assert!(super::values("a.py", one.as_bytes(), &spans).is_empty());
    }

    #[test]
    fn values_of_too_many_pieces_are_not_read() {
        let many: String = (0..=MAX_PIECES).map(|_| "    \"Aq7L\"\n").collect();
        assert_eq!(found("a.py", &format!("API_KEY = (\n{many})\n")), vec![]);
        let quoted =
            |lines: usize| format!("password: \"Aq7L\n{}  Zq\"\n", "  more\n".repeat(lines));
        assert_eq!(found("v.yaml", &quoted(3)).len(), 1);
        assert_eq!(found("v.yaml", &quoted(MAX_PIECES)), vec![]);
    }

    #[test]
    fn yaml_quoted_values_across_lines_are_folded_as_yaml_reads_them() {
        let text = "db:\n  password: \"Tq7Lz2Xv9R\\\n    kP4mWn\"\n  api_token: 'Uq7Lz2\n    Xv9RkP4mWn8b'\n  - secret: \"Vq7Lz2\n\n    Xv9R\"\n  name: \"a\n    b\"\n  token: \"one line\"\n";
        assert_eq!(
            found("values.yaml", text),
            vec![
                row("password", "Tq7Lz2Xv9RkP4mWn", 2, 14, true),
                row("api_token", "Uq7Lz2 Xv9RkP4mWn8b", 4, 15, true),
                row("secret", "Vq7Lz2\nXv9R", 6, 14, true),
            ]
        );
    }

    #[test]
    fn yaml_plain_values_continued_on_more_indented_lines_are_folded() {
        let text = "db:\n  password: Tq7Lz2Xv9R\n    kP4mWn\n  api_token: Uq7Lz2Xv9RkP4mWn\n  nested:\n    secret: Vq7Lz2Xv9RkP4mWn  # one line\n    token: Wq7Lz2\n\n      Xv9R\n  other: x\n";
        assert_eq!(
            found("values.yaml", text),
            vec![
                row("password", "Tq7Lz2Xv9R kP4mWn", 2, 13, true),
                row("token", "Wq7Lz2\nXv9R", 7, 12, true),
            ]
        );
        // A more indented key, item or comment is not a continuation.
        let mapping = "auth:\n  token: Tq7Lz2Xv9R\n    - item\n  secret: Uq7Lz2Xv9R\n      # note\n  password: Vq7Lz2\n    nested: x\n";
        assert_eq!(found("values.yaml", mapping), vec![]);
    }

    #[test]
    fn yaml_block_scalars_of_several_lines_are_whole_values() {
        let text = "a:\n  private_key: |\n    Tq7Lz2Xv9R\n    kP4mWn\n  secret: >-\n    Uq7Lz2Xv9RkP4mWn\n  token: >\n    one\n\n    two\n  note: |\n    x\n    y\n";
        assert_eq!(
            found("values.yml", text),
            vec![
                row("private_key", "Tq7Lz2Xv9R\nkP4mWn", 3, 5, false),
                row("token", "one two", 8, 5, false),
            ]
        );
    }
}
