//! Inline suppression: `keyward:allow` (and, for people migrating, `gitleaks:allow` and
//! `pragma: allowlist secret`) on the line of a finding, or on a comment-only line just
//! before it (a trailing comment on the previous line belongs to that line, not this one).

use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

const MARKERS: &[&str] = &[
    "keyward:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

fn markers() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(MARKERS)
            .expect("static markers compile")
    })
}

/// Whether the line containing `offset`, or a comment line before it, carries an allow marker.
pub fn is_allowed(data: &[u8], offset: usize) -> bool {
    let offset = offset.min(data.len());
    let line_start = memchr::memrchr(b'\n', &data[..offset]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &data[offset..]).map_or(data.len(), |i| offset + i);
    if markers().is_match(&data[line_start..line_end]) {
        return true;
    }
    if line_start == 0 {
        return false;
    }
    let prev_start = memchr::memrchr(b'\n', &data[..line_start - 1]).map_or(0, |i| i + 1);
    let prev = &data[prev_start..line_start - 1];
    is_comment_line(prev) && markers().is_match(prev)
}

fn is_comment_line(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii_start();
    ["#", "//", "--", ";", "<!--", "/*", "*", "%", "rem ", "REM "]
        .iter()
        .any(|c| trimmed.starts_with(c.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::is_allowed;

    #[test]
    fn marker_on_same_or_previous_line() {
        let text = b"a = 1\n# keyward:allow\nkey = 'x'\nother = 'y'\n";
        let key = text.windows(3).position(|w| w == b"key").unwrap();
        let other = text.windows(5).position(|w| w == b"other").unwrap();
        assert!(is_allowed(text, key));
        assert!(!is_allowed(text, other));
        assert!(is_allowed(b"token = 'abc' # pragma: allowlist secret", 3));
        assert!(!is_allowed(b"token = 'abc'", 3));
        // a trailing marker covers its own line only
        let text = b"a = 'x'  # keyward:allow\nb = 'y'\n";
        assert!(is_allowed(text, 0));
        assert!(!is_allowed(text, text.len() - 3));
    }
}
