//! The streaming redactor behind `--mask`: replaces every occurrence of a secret pattern with
//! `****` in a byte stream that arrives in arbitrary pieces. It holds back only the end of the
//! current line, and only while that end could still be the start of a secret (or, at a line's
//! start, the rest of one); a newline or the end of the stream releases everything. Pure: bytes
//! in, bytes out; no I/O.
//!
//! A secret cut by a line's edge is masked too, so that a value a program writes half to stdout
//! and half to stderr (or half before a newline) shows neither half: a line that ends with the
//! start of a pattern, or starts with the end of a plain value, loses that piece when it is at
//! least `MIN_FRAGMENT` bytes. Each stream is redacted on its own: a piece shorter than that
//! at a line's edge stays visible.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::sync::Arc;

pub const MASK: &[u8] = b"****";

/// The shortest piece of a secret masked at a line's edge.
pub const MIN_FRAGMENT: usize = 6;

/// Suffixes looked at per line start, at most (a low-variety value such as 5000 spaces has
/// thousands that begin alike).
const MAX_CANDIDATES: usize = 64;

pub use crate::env::sensitive::Spellings;

pub struct Redactor {
    /// Shared by the redactors of stdout and stderr (`another`): built once, held once.
    shared: Arc<Shared>,
    pending: Vec<u8>,
    /// Whether `pending` starts a line.
    line_start: bool,
}

struct Shared {
    matcher: Option<AhoCorasick>,
    /// Sorted, so "is this a proper prefix of some pattern" is a binary search.
    patterns: Vec<Vec<u8>>,
    /// Bytes that start some pattern: most positions are ruled out by one lookup.
    first: [bool; 256],
    longest: usize,
    /// Sorted, like `patterns`.
    plain: Vec<Vec<u8>>,
    longest_plain: usize,
    /// The first `MIN_FRAGMENT` bytes of each plain value: where a cut-off start may begin.
    heads: Option<AhoCorasick>,
    /// The proper suffixes of `plain` values, `MIN_FRAGMENT` bytes or longer, as (first
    /// `MIN_FRAGMENT` bytes, value, offset), sorted: one entry per byte of the values.
    suffixes: Vec<([u8; MIN_FRAGMENT], u32, u32)>,
}

/// Whether a line starts with the end of a plain value.
enum Start {
    /// Yes, this many bytes.
    Masked(usize),
    No,
    /// Not known until more of the line comes.
    Undecided,
}

impl Redactor {
    /// Patterns containing a newline are dropped: a newline always releases held output.
    pub fn new(spellings: Spellings) -> anyhow::Result<Redactor> {
        let Spellings {
            mut patterns,
            mut plain,
        } = spellings;
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
        plain.retain(|p| p.len() > MIN_FRAGMENT && !p.contains(&b'\n'));
        plain.sort();
        plain.dedup();
        let suffixes = suffix_index(&plain);
        let heads: Vec<&[u8]> = plain.iter().map(|p| &p[..MIN_FRAGMENT]).collect();
        let heads = match heads.is_empty() {
            true => None,
            false => Some(AhoCorasick::builder().build(&heads)?),
        };
        let shared = Shared {
            matcher,
            patterns,
            first,
            longest,
            longest_plain: plain.iter().map(Vec::len).max().unwrap_or(0),
            plain,
            heads,
            suffixes,
        };
        Ok(Redactor {
            shared: Arc::new(shared),
            pending: Vec::new(),
            line_start: true,
        })
    }

    /// A redactor for another stream with the same patterns, sharing this one's automaton.
    pub fn another(&self) -> Redactor {
        Redactor {
            shared: Arc::clone(&self.shared),
            pending: Vec::new(),
            line_start: true,
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
        let shared = Arc::clone(&self.shared);
        let Some(matcher) = &shared.matcher else {
            out.append(&mut self.pending);
            return;
        };
        let len = self.pending.len();
        let (spans, undecided) = self.spans(matcher, at_end);
        let hold = |from: usize| match at_end {
            true => len,
            false => shared
                .prefix_start(&self.pending, from, len)
                .unwrap_or(len)
                .min(undecided.filter(|&at| at >= from).unwrap_or(len)),
        };
        let mut cut = hold(0);
        let mut shown = 0;
        for (start, end) in spans {
            if start >= cut {
                break;
            }
            out.extend_from_slice(&self.pending[shown..start]);
            out.extend_from_slice(MASK);
            shown = end;
            if end > cut {
                cut = hold(end);
            }
        }
        out.extend_from_slice(&self.pending[shown..cut]);
        if cut > 0 {
            self.line_start = self.pending[cut - 1] == b'\n';
        }
        self.pending.drain(..cut);
    }

    /// The pieces of `pending` to mask, in order and not overlapping: pattern matches, and
    /// secrets cut by a line's edge. Also where the last line's start is still undecided.
    fn spans(&self, matcher: &AhoCorasick, at_end: bool) -> (Vec<(usize, usize)>, Option<usize>) {
        let pending = &self.pending;
        let mut spans: Vec<(usize, usize)> = matcher
            .find_iter(pending)
            .map(|found| (found.start(), found.end()))
            .collect();
        let mut undecided = None;
        let mut line = self.line_start.then_some(0);
        let mut from = 0;
        loop {
            let newline = memchr::memchr(b'\n', &pending[from..]).map(|i| from + i);
            let end = newline.unwrap_or(pending.len());
            let complete = newline.is_some() || at_end;
            if let Some(start) = line {
                match self.starts_with_an_end(&pending[start..end], complete) {
                    Start::Masked(n) => spans.push((start, start + n)),
                    Start::No => {}
                    Start::Undecided => undecided = Some(start),
                }
            }
            if complete {
                if let Some(at) = self.shared.cut_off_start(pending, from, end) {
                    spans.push((at, end));
                }
            }
            let Some(newline) = newline else { break };
            from = newline + 1;
            line = Some(from);
        }
        (union(spans), undecided)
    }

    /// Whether `line` (all of it when `complete`) starts with a proper suffix of a plain value.
    fn starts_with_an_end(&self, line: &[u8], complete: bool) -> Start {
        let suffixes = &self.shared.suffixes;
        let head = &line[..line.len().min(MIN_FRAGMENT)];
        let from = suffixes.partition_point(|(h, ..)| h.as_slice() < head);
        let candidates = suffixes[from..]
            .iter()
            .take_while(|(h, ..)| h.starts_with(head))
            .take(MAX_CANDIDATES);
        let mut best = None;
        let mut waiting = false;
        for &(_, value, offset) in candidates {
            let end = &self.shared.plain[value as usize][offset as usize..];
            if line.starts_with(end) {
                best = best.max(Some(end.len()));
            } else if !complete && end.starts_with(line) {
                waiting = true;
            }
        }
        match (waiting, best) {
            (true, _) => Start::Undecided,
            (false, Some(n)) => Start::Masked(n),
            (false, None) => Start::No,
        }
    }
}

impl Shared {
    /// The earliest position in `from..end`, on the last line of `bytes[..end]`, from which the
    /// rest up to `end` is a proper prefix of a pattern: the start of a secret cut off at `end`.
    fn prefix_start(&self, bytes: &[u8], from: usize, end: usize) -> Option<usize> {
        let window = end.saturating_sub(self.longest.saturating_sub(1));
        let line_start =
            memchr::memrchr(b'\n', &bytes[window..end]).map_or(window, |i| window + i + 1);
        (from.max(line_start)..end)
            .find(|&i| self.first[usize::from(bytes[i])] && self.starts_a_pattern(&bytes[i..end]))
    }

    /// Where, in `from..end`, a plain value starts that `end` cuts off (`MIN_FRAGMENT` bytes
    /// or more of it, not all): the earliest such position.
    fn cut_off_start(&self, bytes: &[u8], from: usize, end: usize) -> Option<usize> {
        let heads = self.heads.as_ref()?;
        let window = from.max(end.saturating_sub(self.longest_plain.saturating_sub(1)));
        heads
            .find_overlapping_iter(&bytes[window..end])
            .map(|found| window + found.start())
            .find(|&at| {
                let tail = &bytes[at..end];
                let next = self.plain.partition_point(|p| p.as_slice() < tail);
                self.plain[next..]
                    .iter()
                    .take(2)
                    .any(|p| p.len() > tail.len() && p.starts_with(tail))
            })
    }

    fn starts_a_pattern(&self, tail: &[u8]) -> bool {
        let at = self.patterns.partition_point(|p| p.as_slice() < tail);
        self.patterns[at..]
            .iter()
            .take(2)
            .any(|p| p.len() > tail.len() && p.starts_with(tail))
    }
}

/// Every proper suffix of each value, `MIN_FRAGMENT` bytes or longer, by its first bytes.
fn suffix_index(plain: &[Vec<u8>]) -> Vec<([u8; MIN_FRAGMENT], u32, u32)> {
    let mut index = Vec::new();
    for (value, bytes) in plain.iter().enumerate() {
        for offset in 1..=bytes.len() - MIN_FRAGMENT {
            let mut head = [0u8; MIN_FRAGMENT];
            head.copy_from_slice(&bytes[offset..offset + MIN_FRAGMENT]);
            index.push((head, value as u32, offset as u32));
        }
    }
    // Longest suffix first among equal heads, so the cap keeps the longest.
    index.sort_unstable_by_key(|&(head, _, offset)| (head, offset));
    index
}

/// Overlapping spans merged; the result sorted by start.
fn union(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start < last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(secrets: &[&str]) -> Redactor {
        let patterns: Vec<Vec<u8>> = secrets.iter().map(|s| s.as_bytes().to_vec()).collect();
        let spellings = Spellings {
            plain: patterns.clone(),
            patterns,
        };
        Redactor::new(spellings).unwrap()
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
    fn secrets_cut_by_a_line_edge_are_masked() {
        let secrets = &["sk_live_51Hq-Mask/Me+42"];
        // The start at a line's end, the rest at a line's start (another stream's, or the next
        // line): neither piece shows; pieces under MIN_FRAGMENT do; mid-line pieces are words.
        assert_eq!(run(secrets, &[b"key: sk_live_51"]), "key: ****");
        assert_eq!(run(secrets, &[b"Hq-Mask/Me+42 was it\n"]), "**** was it\n");
        assert_eq!(
            run(secrets, &[b"a sk_live_51\nHq-Mask/Me+42\n"]),
            "a ****\n****\n"
        );
        assert_eq!(run(secrets, &[b"sk_li\ne+42\n"]), "sk_li\ne+42\n");
        let words = "the sk_live_ prefix; Mask/Me+42 ok\n";
        assert_eq!(run(secrets, &[words.as_bytes()]), words);
        let text: &[u8] = b"x sk_live_51Hq\nMask/Me+42 y\nsk_live_51Hq-Mask/Me+42\nsk_live_5";
        let whole = run(secrets, &[text]);
        assert_eq!(whole, "x ****\n**** y\n****\n****");
        for i in 0..=text.len() {
            for j in i..=text.len() {
                let got = run(secrets, &[&text[..i], &text[i..j], &text[j..]]);
                assert_eq!(got, whole, "split at {i}, {j}");
            }
        }
    }

    #[test]
    fn no_patterns_passes_through() {
        assert_eq!(run(&[], &[b"abc", b"def\n"]), "abcdef\n");
    }
}
