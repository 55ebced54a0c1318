//! Just enough of Python's structure for the hygiene context: whether a byte sits in code, a
//! string (including docstrings) or a comment, and the chain of block openers (`class`, `def`,
//! `if`, `x = {`) above a line, found by indentation. No parsing beyond that; pure functions.

/// Where a byte of a Python file sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Code,
    String,
    Comment,
}

/// The place of byte `offset` in `data`, found by one pass from the start that follows quotes
/// (single, triple, escaped) and `#` comments.
pub fn place_of(data: &[u8], offset: usize) -> Place {
    let mut i = 0;
    let mut quote: Option<(u8, bool)> = None;
    while i < offset.min(data.len()) {
        let c = data[i];
        match quote {
            None if c == b'#' => {
                let end = memchr::memchr(b'\n', &data[i..]).map_or(data.len(), |n| i + n);
                if offset < end {
                    return Place::Comment;
                }
                i = end;
                continue;
            }
            None if c == b'"' || c == b'\'' => {
                let triple = data[i..].starts_with(&[c, c, c]);
                quote = Some((c, triple));
                i += if triple { 3 } else { 1 };
                continue;
            }
            None => {}
            Some(_) if c == b'\\' => i += 1,
            Some((q, true)) if data[i..].starts_with(&[q, q, q]) => {
                quote = None;
                i += 3;
                continue;
            }
            Some((q, false)) if c == q || c == b'\n' => quote = None,
            Some(_) => {}
        }
        i += 1;
    }
    if quote.is_some() {
        Place::String
    } else {
        Place::Code
    }
}

/// The lines (trimmed) that open the blocks around 1-based `line`, innermost first: each
/// earlier non-blank, non-comment line indented less than everything below it so far.
pub fn openers(lines: &[&str], line: usize) -> Vec<String> {
    let mut out = Vec::new();
    let Some(current) = lines.get(line.wrapping_sub(1)) else {
        return out;
    };
    let mut depth = indent(current);
    for candidate in lines[..line - 1].iter().rev() {
        let trimmed = candidate.trim_start();
        if depth == 0 {
            break;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || indent(candidate) >= depth {
            continue;
        }
        depth = indent(candidate);
        out.push(trimmed.to_string());
    }
    out
}

/// The conditions of the `if`/`elif` chain that an `else:` or `elif` opener at `line`
/// (1-based) belongs to: the lines above at the same indent, up to the `if`.
pub fn chain_conditions(lines: &[&str], line: usize) -> Vec<String> {
    let Some(opener) = lines.get(line.wrapping_sub(1)) else {
        return Vec::new();
    };
    let depth = indent(opener);
    let mut out = Vec::new();
    for candidate in lines[..line - 1].iter().rev() {
        let trimmed = candidate.trim_start();
        if trimmed.is_empty() || indent(candidate) > depth || trimmed.starts_with('#') {
            continue;
        }
        if indent(candidate) < depth {
            break;
        }
        if trimmed.starts_with("elif ") {
            out.push(trimmed.to_string());
        } else if trimmed.starts_with("if ") {
            out.push(trimmed.to_string());
            break;
        } else if !trimmed.starts_with("else") {
            break;
        }
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_docstrings_and_comments_are_told_from_code() {
        let src = "x = 1  # verify=False\n\"\"\"Doc:\n    DEBUG = True\n\"\"\"\ns = 'a # b'\ny = \"q\\\"\" + z\n";
        let at = |needle: &str| place_of(src.as_bytes(), src.find(needle).unwrap());
        assert_eq!(at("verify"), Place::Comment);
        assert_eq!(at("DEBUG"), Place::String);
        assert_eq!(at("# b"), Place::String);
        assert_eq!(at("s = "), Place::Code);
        assert_eq!(at("z\n"), Place::Code);
    }

    #[test]
    fn openers_and_if_chains_follow_indentation() {
        let src = "class A:\n    def f(self, v):\n        if v is True:\n            a = 1\n        elif v is None:\n            b = 2\n        else:\n            c = 3\n";
        let lines: Vec<&str> = src.lines().collect();
        assert_eq!(
            openers(&lines, 8),
            vec!["else:", "def f(self, v):", "class A:"]
        );
        assert_eq!(
            chain_conditions(&lines, 7),
            vec!["elif v is None:", "if v is True:"]
        );
    }
}
