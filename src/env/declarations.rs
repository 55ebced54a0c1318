//! A light reader of env-file syntax that dotenvy does not expose: on which line each key is
//! declared, and the comments around it, for reading an `.env.example` schema. It never
//! interprets values: `dialect` reads those (and the line and column of each entry).

/// One `KEY=value` (or bare `KEY`) line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decl {
    pub key: String,
    /// 1-based line where the declaration starts.
    pub line: usize,
    /// A `# comment` after the value on the same line, without the `#`.
    pub trailing: Option<String>,
    /// The comment line right above the declaration, without the `#`.
    pub above: Option<String>,
}

/// Every declaration in file order; multi-line quoted values are stepped over.
pub fn declarations(text: &str) -> Vec<Decl> {
    let mut decls = Vec::new();
    let mut open_quote: Option<char> = None;
    let mut above: Option<String> = None;
    for (index, line) in text.lines().enumerate() {
        if let Some(quote) = open_quote {
            if closing_quote(line, quote).is_some() {
                open_quote = None;
            }
            continue;
        }
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            above = Some(comment.trim().to_string());
            continue;
        }
        if let Some((decl, quote)) = declaration(trimmed, index + 1, above.take()) {
            decls.push(decl);
            open_quote = quote;
        }
    }
    decls
}

/// Parses one line; also returns the quote left open when a value continues on later lines.
fn declaration(line: &str, number: usize, above: Option<String>) -> Option<(Decl, Option<char>)> {
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    let key_len = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .unwrap_or(line.len());
    if key_len == 0 {
        return None;
    }
    let key = line[..key_len].to_string();
    let rest = line[key_len..].trim_start();
    let (trailing, open) = match rest.strip_prefix('=') {
        Some(value) => value_tail(value.trim_start()),
        None if rest.is_empty() => (None, None),
        None => return None,
    };
    let decl = Decl {
        key,
        line: number,
        trailing,
        above,
    };
    Some((decl, open))
}

/// The trailing comment of a value, and the quote it leaves open, if any.
fn value_tail(value: &str) -> (Option<String>, Option<char>) {
    let after = match value.chars().next() {
        Some(quote @ ('"' | '\'')) => match closing_quote(&value[1..], quote) {
            Some(end) => &value[1 + end + 1..],
            None => return (None, Some(quote)),
        },
        _ => value,
    };
    let comment = after
        .find(" #")
        .map(|i| &after[i + 1..])
        .or_else(|| after.strip_prefix('#').map(|_| after))
        .map(|c| c.trim_start_matches('#').trim().to_string());
    (comment, None)
}

/// Byte offset of the quote that closes a value, honouring `\"` inside double quotes.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_lines_and_comments() {
        let text =
            "# the database\nexport DB=postgres # main\n\nKEY='a # b'\nBARE\n  # optional\nOPT=\n";
        let decls = declarations(text);
        let keys: Vec<_> = decls.iter().map(|d| (d.key.as_str(), d.line)).collect();
        assert_eq!(keys, [("DB", 2), ("KEY", 4), ("BARE", 5), ("OPT", 7)]);
        assert_eq!(decls[0].above.as_deref(), Some("the database"));
        assert_eq!(decls[0].trailing.as_deref(), Some("main"));
        assert_eq!(decls[1].trailing, None);
        assert_eq!(decls[3].above.as_deref(), Some("optional"));
    }

    #[test]
    fn steps_over_multi_line_values() {
        let text = "CERT=\"-----BEGIN\nFAKE=1\n-----END\"\nNEXT=2\n";
        let keys: Vec<_> = declarations(text)
            .into_iter()
            .map(|d| (d.key, d.line))
            .collect();
        assert_eq!(keys, [("CERT".to_string(), 1), ("NEXT".to_string(), 4)]);
    }
}
