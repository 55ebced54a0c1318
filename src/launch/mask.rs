//! The streaming redactor behind `--mask`: replaces every occurrence of a secret pattern with
//! `****` in a byte stream that arrives in arbitrary pieces. It holds back only the end of the
//! current line, and only while that end could still be the start of a secret; a newline or
//! the end of the stream releases everything. Pure: bytes in, bytes out; no I/O.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

pub const MASK: &[u8] = b"****";

pub struct Redactor {
    /// Shared by the redactors of stdout and stderr (`another`): built once, held once.
    shared: std::sync::Arc<Shared>,
    pending: Vec<u8>,
}

pub struct Shared {
    matcher: Option<AhoCorasick>,
    /// Sorted, so "is this a proper prefix of some pattern" is a binary search.
    patterns: Vec<Vec<u8>>,
    /// Bytes that start some pattern: most positions are ruled out by one lookup.
    first: [bool; 256],
    longest: usize,
}

impl std::ops::Deref for Redactor {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl Redactor {
    /// Patterns containing a newline are dropped: a newline always releases held output.
    pub fn new(mut patterns: Vec<Vec<u8>>) -> anyhow::Result<Redactor> {
        patterns.retain(|p| !p.is_empty() && !p.contains(&b'\n'));
        patterns.sort();
        patterns.dedup();
        let matcher = match patterns.is_empty() {
            true => None,
            false => Some(
                // An NFA, never a DFA: a DFA's table is its states times the alphabet, which
                // took gigabytes for a few 100 KB secrets, and building it was quadratic in
                // repetitive ones (5000 spaces: 11 s).
                AhoCorasick::builder()
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)?,
            ),
        };
        let mut first = [false; 256];
        for pattern in &patterns {
            first[usize::from(pattern[0])] = true;
        }
        let longest = patterns.iter().map(Vec::len).max().unwrap_or(0);
        let shared = Shared {
            matcher,
            patterns,
            first,
            longest,
        };
        Ok(Redactor {
            shared: std::sync::Arc::new(shared),
            pending: Vec::new(),
        })
    }

    /// A redactor for another stream with the same patterns, sharing this one's automaton.
    pub fn another(&self) -> Redactor {
        Redactor {
            shared: std::sync::Arc::clone(&self.shared),
            pending: Vec::new(),
        }
    }

    /// Takes the next piece of the stream; appends what can be shown already to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.pending.extend_from_slice(input);
        self.emit(out, false);
    }

    /// The stream ended: everything still held is released (masked).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.emit(out, true);
    }

    fn emit(&mut self, out: &mut Vec<u8>, at_end: bool) {
        let shared = std::sync::Arc::clone(&self.shared);
        let Some(matcher) = &shared.matcher else {
            out.append(&mut self.pending);
            return;
        };
        let len = self.pending.len();
        let hold = |from: usize| if at_end { len } else { self.hold_point(from) };
        let mut cut = hold(0);
        let mut shown = 0;
        for found in matcher.find_iter(&self.pending) {
            if found.start() >= cut {
                break;
            }
            out.extend_from_slice(&self.pending[shown..found.start()]);
            out.extend_from_slice(MASK);
            shown = found.end();
            if found.end() > cut {
                cut = hold(found.end());
            }
        }
        out.extend_from_slice(&self.pending[shown..cut]);
        self.pending.drain(..cut);
    }

    /// The earliest position at or after `from`, on the last line, from which the rest of the
    /// pending bytes is a proper prefix of a pattern: output must stop there until more comes.
    fn hold_point(&self, from: usize) -> usize {
        let len = self.pending.len();
        let window = len.saturating_sub(self.longest - 1);
        let line_start =
            memchr::memrchr(b'\n', &self.pending[window..]).map_or(window, |i| window + i + 1);
        (from.max(line_start)..len)
            .find(|&i| {
                self.first[usize::from(self.pending[i])]
                    && self.starts_a_pattern(&self.pending[i..])
            })
            .unwrap_or(len)
    }

    fn starts_a_pattern(&self, tail: &[u8]) -> bool {
        let at = self.patterns.partition_point(|p| p.as_slice() < tail);
        self.patterns[at..]
            .iter()
            .take(2)
            .any(|p| p.len() > tail.len() && p.starts_with(tail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(secrets: &[&str]) -> Redactor {
        Redactor::new(secrets.iter().map(|s| s.as_bytes().to_vec()).collect()).unwrap()
    }

    fn run(secrets: &[&str], pieces: &[&[u8]]) -> String {
        let mut r = redactor(secrets);
        let mut out = Vec::new();
        for piece in pieces {
            r.push(piece, &mut out);
        }
        r.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    const SECRETS: &[&str] = &["hunter22", "hunter22-extended", "tok_ABCDEF", "ABCDEF12"];

    #[test]
    fn masks_whole_stream() {
        let text = b"a hunter22 b tok_ABCDEF12 c hunter22-extended\nhunter2 ok\n";
        assert_eq!(
            run(SECRETS, &[text]),
            "a **** b ****12 c ****\nhunter2 ok\n"
        );
    }

    #[test]
    fn every_split_gives_the_same_output() {
        let text: &[u8] = b"x=hunter22; y=hunter22-extended tok_ABCDEF\nABCDEF12ABCDEF12 hunte\n";
        let whole = run(SECRETS, &[text]);
        for i in 0..=text.len() {
            for j in i..=text.len() {
                let got = run(SECRETS, &[&text[..i], &text[i..j], &text[j..]]);
                assert_eq!(got, whole, "split at {i}, {j}");
            }
        }
        let bytewise: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(run(SECRETS, &bytewise), whole);
        assert!(!whole.contains("hunter22") && !whole.contains("ABCDEF"));
    }

    #[test]
    fn holds_back_only_a_possible_secret_start() {
        let mut r = redactor(SECRETS);
        let mut out = Vec::new();
        r.push(b"log line\nready> hun", &mut out);
        assert_eq!(out, b"log line\nready> ");
        r.push(b"gry\n", &mut out);
        assert_eq!(out, b"log line\nready> hungry\n");
        out.clear();
        r.push(b"prompt: ", &mut out);
        assert_eq!(out, b"prompt: ", "nothing to hold: shown at once");
    }

    #[test]
    fn no_patterns_passes_through() {
        assert_eq!(run(&[], &[b"abc", b"def\n"]), "abcdef\n");
    }
}
