//! Escapes control characters (from scanned content, paths, commit messages) before they reach
//! a terminal, so a crafted file cannot move the cursor or rewrite the screen.

pub fn escape(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(escape("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\ny"), "x\\ny");
        assert_eq!(escape("plain/path.py"), "plain/path.py");
        assert_eq!(escape("evil\u{202e}txt"), "evil\\u{202e}txt");
    }
}
