//! python-dotenv's env-file grammar, read the way its `dotenv_values` reads it: where each
//! binding starts (line and column), its key, the quote around its value and the value after
//! python-dotenv's escape decoding. Lines python-dotenv would skip come back as `Skipped` with
//! the column where its reading stopped. Expansion (`${…}`) is not done here (`expand`), nor
//! any judgement about what keyward accepts (`envfile`). No I/O; nothing here prints.

/// A place in the file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    None,
    Single,
    Double,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub quote: Quote,
    /// The value as python-dotenv reads it, before expansion.
    pub text: String,
    /// The value's source text, quotes included (for a second reading by dotenvy).
    pub source: String,
    /// Where the value starts (its opening quote, when quoted).
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `KEY=value`, or a bare `KEY` (`value` is `None`: python-dotenv sets nothing).
    Binding {
        key: String,
        pos: Pos,
        value: Option<Value>,
    },
    /// A line python-dotenv cannot read and skips: where its reading stopped, and why.
    Skipped { pos: Pos, reason: &'static str },
}

/// Every binding and skipped line, in file order (comments and blank lines are left out).
pub fn read(text: &str) -> Vec<Item> {
    let mut reader = Reader {
        text,
        at: 0,
        counted: Counted::default(),
        unclosed: [None; 2],
    };
    let mut items = Vec::new();
    while reader.at < text.len() {
        if let Some(item) = reader.binding() {
            items.push(item);
        }
    }
    items
}

/// Python's `str.isspace`, which its `\s` follows: Rust's whitespace plus `\x1c`..`\x1f`.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `[^\S\r\n]`: whitespace that does not end a line.
fn is_blank(c: char) -> bool {
    is_py_space(c) && c != '\r' && c != '\n'
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    counted: Counted,
    /// Per quote kind (single, double): where a body ran to the end of the file unclosed,
    /// and the last backslash-quote after it.
    unclosed: [Option<(usize, Option<usize>)>; 2],
}

/// How far lines have been counted, so that placing each binding costs only the text since
/// the last one (counting from the start every time would be quadratic in the file's size).
#[derive(Default, Clone, Copy)]
struct Counted {
    at: usize,
    lines: usize,
    line_start: usize,
}

impl Reader<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_while(&mut self, keep: impl Fn(char) -> bool) {
        let len = self.rest().find(|c| !keep(c)).unwrap_or(self.rest().len());
        self.at += len;
    }

    fn pos(&mut self) -> Pos {
        if self.counted.at > self.at {
            self.counted = Counted::default();
        }
        let bytes = self.text.as_bytes();
        for i in self.counted.at..self.at {
            if ends_line(bytes, i) {
                self.counted.lines += 1;
                self.counted.line_start = i + 1;
            }
        }
        self.counted.at = self.at;
        let column = self.text[self.counted.line_start..self.at].chars().count() + 1;
        Pos {
            line: self.counted.lines + 1,
            column,
        }
    }

    /// One `parse_binding` of python-dotenv; `None` for comments, blank lines and the end.
    fn binding(&mut self) -> Option<Item> {
        self.skip_while(is_py_space);
        if self.at >= self.text.len() {
            return None;
        }
        match self.try_binding() {
            Ok(item) => item,
            Err(reason) => {
                let pos = self.pos();
                self.skip_rest_of_line();
                Some(Item::Skipped { pos, reason })
            }
        }
    }

    fn try_binding(&mut self) -> Result<Option<Item>, &'static str> {
        self.skip_export();
        let start = self.pos();
        let key = self.key()?;
        self.skip_while(is_blank);
        let value = match self.peek() {
            Some('=') if key.is_some() => {
                self.at += 1;
                self.skip_while(is_blank);
                Some(self.value()?)
            }
            _ => None,
        };
        self.skip_comment();
        self.end_of_line().map_err(|why| match (&key, &value) {
            (Some(_), None) => "expected = after the key",
            _ => why,
        })?;
        Ok(key.map(|key| Item::Binding {
            key,
            pos: start,
            value,
        }))
    }

    /// `(?:export[^\S\r\n]+)?`
    fn skip_export(&mut self) {
        if let Some(after) = self.rest().strip_prefix("export") {
            if after.starts_with(is_blank) {
                self.at += "export".len();
                self.skip_while(is_blank);
            }
        }
    }

    /// A key, `None` at a comment.
    fn key(&mut self) -> Result<Option<String>, &'static str> {
        match self.peek() {
            Some('#') => Ok(None),
            Some('\'') => {
                let body = &self.rest()[1..];
                let end = body.find('\'').filter(|&end| end > 0);
                let end = end.ok_or("a quoted key is not closed")?;
                let key = body[..end].to_string();
                self.at += end + 2;
                Ok(Some(key))
            }
            _ => {
                let len = self
                    .rest()
                    .find(|c: char| c == '=' || c == '#' || is_py_space(c))
                    .unwrap_or(self.rest().len());
                if len == 0 {
                    return Err("a line must start with a key (NAME=value)");
                }
                let key = self.rest()[..len].to_string();
                self.at += len;
                Ok(Some(key))
            }
        }
    }

    fn value(&mut self) -> Result<Value, &'static str> {
        let pos = self.pos();
        let start = self.at;
        let (quote, text) = match self.peek() {
            Some(q @ ('\'' | '"')) => {
                let body_len = self.body(q).ok_or("a quoted value is not closed")?;
                let body = &self.text[self.at + 1..self.at + 1 + body_len];
                let text = match q {
                    '\'' => (Quote::Single, decode(body, "\\'")),
                    _ => (Quote::Double, decode(body, "\\'\"abfnrtv")),
                };
                self.at += body_len + 2;
                text
            }
            _ => {
                let len = self.rest().find(['\r', '\n']).unwrap_or(self.rest().len());
                let text = unquoted(&self.rest()[..len]);
                self.at += len;
                (Quote::None, text)
            }
        };
        let source = self.text[start..self.at].to_string();
        Ok(Value {
            quote,
            text,
            source,
            pos,
        })
    }

    /// The body length of the value quoted with `quote` that opens here. Once a body has run
    /// to the end of the file without a plain closing quote, no later one of the same kind
    /// can find one either: remembering that keeps a file of unclosed quotes linear.
    fn body(&mut self, quote: char) -> Option<usize> {
        let kind = usize::from(quote == '"');
        let start = self.at + 1;
        if let Some((from, last_escaped)) = self.unclosed[kind] {
            if start >= from {
                return last_escaped.filter(|&at| at > start).map(|at| at - start);
            }
        }
        let found = quoted_body(&self.text[start..], quote);
        let closed = found.is_some_and(|len| {
            self.text[start + len..].starts_with(quote) && !self.text[..start + len].ends_with('\\')
        });
        if !closed {
            self.unclosed[kind] = Some((start, found.map(|len| start + len)));
        }
        found
    }

    /// `(?:[^\S\r\n]*#[^\r\n]*)?`
    fn skip_comment(&mut self) {
        let blank = self
            .rest()
            .find(|c| !is_blank(c))
            .unwrap_or(self.rest().len());
        if self.rest()[blank..].starts_with('#') {
            self.at += blank;
            self.skip_while(|c| c != '\r' && c != '\n');
        }
    }

    /// `[^\S\r\n]*(?:\r\n|\n|\r|$)`
    fn end_of_line(&mut self) -> Result<(), &'static str> {
        let blank = self
            .rest()
            .find(|c| !is_blank(c))
            .unwrap_or(self.rest().len());
        let after = &self.rest()[blank..];
        let newline = if after.starts_with("\r\n") {
            2
        } else if after.is_empty() || after.starts_with(['\r', '\n']) {
            after.len().min(1)
        } else {
            self.at += blank;
            return Err("unexpected text after the value");
        };
        self.at += blank + newline;
        Ok(())
    }

    /// `[^\r\n]*(?:\r|\n|\r\n)?`
    fn skip_rest_of_line(&mut self) {
        self.skip_while(|c| c != '\r' && c != '\n');
        if self.peek().is_some() {
            self.at += 1;
        }
    }
}

/// Length of a quoted value's body, as python-dotenv's `'((?:\\'|[^'])*)'` finds it: the
/// longest run where a quote counts only after a backslash; when no plain quote closes it,
/// the last backslash-quote does.
fn quoted_body(text: &str, quote: char) -> Option<usize> {
    let mut last_escaped = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some(i);
        }
        if c == '\\' && chars.peek().is_some_and(|&(_, next)| next == quote) {
            let (quote_at, _) = chars.next().expect("peeked");
            last_escaped = Some(quote_at);
        }
    }
    last_escaped
}

/// python-dotenv's escape decoding: a backslash before one of `escapes` (left to right).
fn decode(body: &str, escapes: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && escapes.contains(next) => {
                chars.next();
                out.push(match next {
                    'a' => '\x07',
                    'b' => '\x08',
                    'f' => '\x0c',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\x0b',
                    other => other,
                });
            }
            _ => out.push(c),
        }
    }
    out
}

/// An unquoted value: up to the first whitespace-then-`#`, trailing whitespace removed.
fn unquoted(line: &str) -> String {
    let mut cut = line.len();
    let mut run_start = None;
    for (i, c) in line.char_indices() {
        if is_py_space(c) {
            run_start.get_or_insert(i);
        } else if c == '#' && run_start.is_some() {
            cut = run_start.expect("checked");
            break;
        } else {
            run_start = None;
        }
    }
    line[..cut].trim_end_matches(is_py_space).to_string()
}

/// Whether the byte at `i` ends a line (`\r\n`, `\n` and `\r` each end one).
fn ends_line(bytes: &[u8], i: usize) -> bool {
    bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// `1 character`, `7 characters`: how long a reading is, never what it is.
pub fn characters(count: usize) -> String {
    match count {
        1 => "1 character".to_string(),
        _ => format!("{count} characters"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, Option<String>)> {
        read(text)
            .into_iter()
            .filter_map(|item| match item {
                Item::Binding { key, value, .. } => Some((key, value.map(|v| v.text))),
                Item::Skipped { .. } => None,
            })
            .collect()
    }

    #[test]
    fn reads_like_python_dotenv() {
        let got = values("A=My App # c\nexport B = 'it\\'s'\nC=\"a\\tb\"\nD\nMY-KEY=x\n");
        let want = [
            ("A", Some("My App")),
            ("B", Some("it's")),
            ("C", Some("a\tb")),
            ("D", None),
            ("MY-KEY", Some("x")),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn skipped_lines_say_where() {
        let items = read("A=\"open\nB=1\n");
        assert_eq!(
            items[0],
            Item::Skipped {
                pos: Pos { line: 1, column: 3 },
                reason: "a quoted value is not closed"
            }
        );
        assert!(matches!(&items[1], Item::Binding { key, .. } if key == "B"));
        let items = read("OK=1\r\nC=\"x\" y\n");
        assert!(matches!(
            items[1],
            Item::Skipped {
                pos: Pos { line: 2, column: 7 },
                ..
            }
        ));
        // The first quote after the value's start closes it, lines later.
        let items = read("A=\"open\nB=1\nC=\"x\" y\n");
        assert!(matches!(
            items[0],
            Item::Skipped {
                pos: Pos { line: 3, column: 4 },
                ..
            }
        ));
    }

    #[test]
    fn a_backslash_quote_closes_when_nothing_else_does() {
        assert_eq!(values("A='a\\'\n")[0].1.as_deref(), Some("a\\"));
        assert_eq!(values("A='a\\' b'\n")[0].1.as_deref(), Some("a' b"));
    }
}
