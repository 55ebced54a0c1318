//! The only file that touches `serde_yaml`, so the YAML crate can be swapped for a maintained
//! fork in one place. Every YAML document keyward reads (rule files, `.keyward.yaml`) is
//! bounded before the parser sees it: its size, its nesting depth, and aliases, which are
//! refused (a few hundred bytes of `*alias` can expand to gigabytes, and keyward's schema has
//! no use for them).

use serde::de::DeserializeOwned;

/// The largest YAML file keyward parses.
pub const MAX_BYTES: usize = 8 << 20;
/// The deepest nesting of flow collections (`[`, `{`) and of block indentation levels.
pub const MAX_DEPTH: usize = 64;

/// Parses `text` as YAML into `T`. The error carries serde_yaml's location (line, column), or
/// the bound the text exceeds.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    check_bounds(text)?;
    serde_yaml::from_str(text).map_err(|e| e.to_string())
}

/// Refuses text over `MAX_BYTES`, nested deeper than `MAX_DEPTH`, or with an alias; the error
/// names the line. A lexical pass (quotes, comments and block scalars are skipped), linear in
/// the text.
pub fn check_bounds(text: &str) -> Result<(), String> {
    if text.len() > MAX_BYTES {
        return Err(format!(
            "refused: {} bytes, over the {} MiB a keyward YAML file may have",
            text.len(),
            MAX_BYTES >> 20
        ));
    }
    let mut lex = Lexer::default();
    for (n, line) in text.lines().enumerate() {
        lex.line(line)
            .map_err(|why| format!("refused at line {}: {why}", n + 1))?;
    }
    Ok(())
}

#[derive(Default)]
struct Lexer {
    /// Open flow collections.
    flow: usize,
    /// Inside a quoted scalar that continues on the next line: its quote.
    quote: Option<u8>,
    /// Inside a block scalar (`|`, `>`): the indentation of the line that opened it.
    block_scalar: Option<usize>,
    /// Indentations of the open block levels.
    indents: Vec<usize>,
}

impl Lexer {
    fn line(&mut self, line: &str) -> Result<(), String> {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let blank = indent == bytes.len() || bytes[indent] == b'#';
        if let Some(opener) = self.block_scalar {
            if blank || indent > opener {
                return Ok(());
            }
            self.block_scalar = None;
        }
        if blank {
            return Ok(());
        }
        if self.flow == 0 && self.quote.is_none() {
            while self.indents.last().is_some_and(|&i| i > indent) {
                self.indents.pop();
            }
            if self.indents.last() != Some(&indent) {
                self.indents.push(indent);
            }
            // `- - - x` opens one level per dash.
            let dashes = bytes[indent..].chunks(2).take_while(|c| c == b"- ").count();
            if self.indents.len() + dashes > MAX_DEPTH {
                return Err(format!("nested deeper than {MAX_DEPTH} levels"));
            }
        }
        self.tokens(bytes, indent)
    }

    fn tokens(&mut self, bytes: &[u8], indent: usize) -> Result<(), String> {
        let mut prev = b' '; // the last significant byte before this one
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = self.quote {
                if b == q && q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                if b == b'\\' && q == b'"' {
                    i += 2;
                    continue;
                }
                if b == q {
                    self.quote = None;
                    prev = b;
                }
                i += 1;
                continue;
            }
            let node_start = matches!(prev, b' ' | b'-' | b':' | b'[' | b',' | b'{' | b'?')
                && (i == 0 || bytes[i - 1] == b' ' || matches!(bytes[i - 1], b'[' | b',' | b'{'));
            match b {
                b'#' if i == 0 || bytes[i - 1] == b' ' => return Ok(()),
                b'\'' | b'"' if node_start => self.quote = Some(b),
                b'[' | b'{' if node_start || self.flow > 0 => {
                    self.flow += 1;
                    if self.flow + self.indents.len() > MAX_DEPTH {
                        return Err(format!("nested deeper than {MAX_DEPTH} levels"));
                    }
                }
                b']' | b'}' if self.flow > 0 => self.flow -= 1,
                b'*' if node_start
                    && bytes
                        .get(i + 1)
                        .is_some_and(|&c| !c.is_ascii_whitespace() && !b",[]{}".contains(&c)) =>
                {
                    return Err(
                        "a YAML alias (*name): aliases are not accepted in keyward files \
                         (write the value out)"
                            .into(),
                    );
                }
                b'|' | b'>' if node_start && self.flow == 0 => {
                    let rest = &bytes[i + 1..];
                    let header = rest
                        .iter()
                        .take_while(|&&c| c != b'#')
                        .all(|&c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b' '));
                    if header {
                        self.block_scalar = Some(indent);
                        return Ok(());
                    }
                }
                _ => {}
            }
            if b != b' ' {
                prev = b;
            }
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_bounds;

    #[test]
    fn ordinary_files_pass() {
        let text = "rules:\n  - id: a\n    regex: '(?i)\\*[a-z]+ *x'\n    keywords: [\"*x\", b]\n    description: |\n      *not an alias* in a block scalar\n      - [ ]\n    note: \"it's *fine*\" # *comment\n    glob: ['**/*.py']\n";
        assert_eq!(check_bounds(text), Ok(()));
    }

    #[test]
    fn aliases_and_deep_nesting_are_refused() {
        let alias = "a: &x [1, 2]\nb: [*x, *x]\n";
        assert!(check_bounds(alias).unwrap_err().contains("line 2"));
        assert!(check_bounds("a: &x 1\nb: *x\n")
            .unwrap_err()
            .contains("alias"));
        let flow = format!("a: {}", "[".repeat(100_000));
        assert!(check_bounds(&flow).unwrap_err().contains("deeper"));
        let block: String = (0..100)
            .map(|d| format!("{}k{d}:\n", " ".repeat(d)))
            .collect();
        assert!(check_bounds(&block).unwrap_err().contains("deeper"));
        assert!(check_bounds(&"- ".repeat(100))
            .unwrap_err()
            .contains("deeper"));
    }
}
