//! The keyword automaton: a dense DFA over the keywords of all rules, ASCII case-insensitive,
//! reporting every occurrence (overlapping ones too: `postgres` inside `postgresql+`).
//!
//! Built here rather than taken from a general library because its inner step is the hottest
//! loop of every scan: one class lookup and one load per byte, with the "a keyword ends here"
//! flag carried in the high bit of the next state's id, so a byte that completes nothing costs
//! no branch on a separate table. Bytes that occur in no keyword share one class, which keeps
//! the table small (about 300 KB for 300 keywords). It builds in about half a millisecond;
//! the automaton of the built-in rules' keywords is built by `build.rs` and its tables used
//! in place (`Parts`, `from_parts`).

use std::borrow::Cow;
use std::collections::VecDeque;

/// Set on a transition whose target state ends at least one keyword.
const MATCH: u32 = 1 << 31;
const NONE: u32 = u32::MAX;

/// The tables are built here, or borrowed from statics that `build.rs` wrote for the built-in
/// keywords (`from_parts`).
#[derive(Debug)]
pub struct KeywordDfa {
    /// Byte → class; ASCII upper-case letters share their lower-case letter's class.
    classes: [u8; 256],
    stride: u32,
    /// `trans[state + class]`: the next state, premultiplied by `stride`, maybe with `MATCH`.
    trans: Cow<'static, [u32]>,
    /// The keywords that end in state `s / stride` are `outs[out_start[s]..out_start[s + 1]]`.
    out_start: Cow<'static, [u32]>,
    outs: Cow<'static, [u32]>,
    lens: Cow<'static, [u32]>,
}

/// A `KeywordDfa`'s tables, borrowed: what `build.rs` writes out as statics, and what
/// `KeywordDfa::from_parts` takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    pub classes: &'a [u8; 256],
    pub stride: u32,
    pub trans: &'a [u32],
    pub out_start: &'a [u32],
    pub outs: &'a [u32],
    pub lens: &'a [u32],
}

impl KeywordDfa {
    /// The start state (no keyword begun).
    pub const START: u32 = 0;

    pub fn new<K: AsRef<[u8]>>(keywords: &[K]) -> Self {
        let classes = byte_classes(keywords);
        let stride = classes.iter().copied().max().unwrap_or(0) as usize + 1;
        let (goto, mut out) = trie(keywords, &classes, stride);
        let delta = determinize(&goto, &mut out, stride);
        let mut trans = Vec::with_capacity(delta.len());
        for &target in &delta {
            let flag = if out[target as usize].is_empty() {
                0
            } else {
                MATCH
            };
            trans.push((target * stride as u32) | flag);
        }
        let mut out_start = Vec::with_capacity(out.len() + 1);
        let mut outs = Vec::new();
        for o in &out {
            out_start.push(outs.len() as u32);
            outs.extend_from_slice(o);
        }
        out_start.push(outs.len() as u32);
        KeywordDfa {
            classes,
            stride: stride as u32,
            trans: trans.into(),
            out_start: out_start.into(),
            outs: outs.into(),
            lens: keywords
                .iter()
                .map(|k| k.as_ref().len() as u32)
                .collect::<Vec<_>>()
                .into(),
        }
    }

    /// The automaton whose tables are `parts` (statics: nothing is copied).
    pub fn from_parts(parts: Parts<'static>) -> Self {
        KeywordDfa {
            classes: *parts.classes,
            stride: parts.stride,
            trans: Cow::Borrowed(parts.trans),
            out_start: Cow::Borrowed(parts.out_start),
            outs: Cow::Borrowed(parts.outs),
            lens: Cow::Borrowed(parts.lens),
        }
    }

    /// The tables, to write out or compare.
    pub fn parts(&self) -> Parts<'_> {
        Parts {
            classes: &self.classes,
            stride: self.stride,
            trans: &self.trans,
            out_start: &self.out_start,
            outs: &self.outs,
            lens: &self.lens,
        }
    }

    /// One step: the raw next state (test it with `ends_keyword`, clean it with `state`).
    #[inline(always)]
    pub fn next(&self, state: u32, byte: u8) -> u32 {
        self.trans[(state + u32::from(self.classes[byte as usize])) as usize]
    }

    #[inline(always)]
    pub fn ends_keyword(raw: u32) -> bool {
        raw & MATCH != 0
    }

    #[inline(always)]
    pub fn state(raw: u32) -> u32 {
        raw & !MATCH
    }

    /// The keywords (by index) that end where the step returning `raw` was taken.
    pub fn keywords_ending(&self, raw: u32) -> &[u32] {
        let s = (Self::state(raw) / self.stride) as usize;
        &self.outs[self.out_start[s] as usize..self.out_start[s + 1] as usize]
    }

    pub fn keyword_len(&self, keyword: u32) -> usize {
        self.lens[keyword as usize] as usize
    }
}

/// One class per distinct (case-folded) keyword byte, starting at 1; every other byte is 0.
fn byte_classes<K: AsRef<[u8]>>(keywords: &[K]) -> [u8; 256] {
    let mut classes = [0u8; 256];
    let mut next = 1u8;
    for k in keywords {
        for &b in k.as_ref() {
            let folded = b.to_ascii_lowercase() as usize;
            if classes[folded] == 0 {
                classes[folded] = next;
                next = next
                    .checked_add(1)
                    .expect("at most 255 distinct keyword bytes");
            }
        }
    }
    for b in b'A'..=b'Z' {
        classes[b as usize] = classes[b.to_ascii_lowercase() as usize];
    }
    classes
}

/// The keyword trie, flat: `goto[state * stride + class]` (or `NONE`), and the keywords
/// ending in each state.
fn trie<K: AsRef<[u8]>>(
    keywords: &[K],
    classes: &[u8; 256],
    stride: usize,
) -> (Vec<u32>, Vec<Vec<u32>>) {
    let mut goto = vec![NONE; stride];
    let mut out: Vec<Vec<u32>> = vec![Vec::new()];
    for (i, k) in keywords.iter().enumerate() {
        let mut s = 0;
        for &b in k.as_ref() {
            let at = s * stride + classes[b as usize] as usize;
            if goto[at] == NONE {
                goto[at] = out.len() as u32;
                goto.resize(goto.len() + stride, NONE);
                out.push(Vec::new());
            }
            s = goto[at] as usize;
        }
        out[s].push(i as u32);
    }
    (goto, out)
}

/// Aho-Corasick failure links, breadth first, folded into a full transition table
/// (`delta[state * stride + class]`); each state's outputs gain those of its failure state.
fn determinize(goto: &[u32], out: &mut [Vec<u32>], stride: usize) -> Vec<u32> {
    let states = out.len();
    let mut fail = vec![0u32; states];
    let mut delta = vec![0u32; states * stride];
    let mut queue = VecDeque::with_capacity(states);
    for c in 0..stride {
        let t = goto[c];
        if t != NONE {
            delta[c] = t;
            queue.push_back(t as usize);
        }
    }
    while let Some(s) = queue.pop_front() {
        let f = fail[s] as usize;
        if !out[f].is_empty() {
            let inherited = out[f].clone();
            out[s].extend(inherited);
        }
        for c in 0..stride {
            let t = goto[s * stride + c];
            if t == NONE {
                delta[s * stride + c] = delta[f * stride + c];
            } else {
                fail[t as usize] = delta[f * stride + c];
                delta[s * stride + c] = t;
                queue.push_back(t as usize);
            }
        }
    }
    delta
}

#[cfg(test)]
mod tests {
    use super::KeywordDfa;
    use aho_corasick::{AhoCorasick, MatchKind};

    /// Every (end, keyword) of a walk from the start state.
    fn walk(dfa: &KeywordDfa, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut state = KeywordDfa::START;
        let mut found = Vec::new();
        for (i, &b) in hay.iter().enumerate() {
            let raw = dfa.next(state, b);
            if KeywordDfa::ends_keyword(raw) {
                found.extend(
                    dfa.keywords_ending(raw)
                        .iter()
                        .map(|&k| (i + 1, k as usize)),
                );
            }
            state = KeywordDfa::state(raw);
        }
        found.sort_unstable();
        found
    }

    #[test]
    fn finds_what_an_overlapping_aho_corasick_search_finds() {
        let keywords = [
            "ghp_", "gh", "password", "PASS", "://", "q~", "sk_live_", "e", "é",
        ];
        let hay = "GHP_x passWORD://sk_LIVE_q~ ghp ghpass é E".as_bytes();
        let reference = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .unwrap();
        let mut want: Vec<(usize, usize)> = reference
            .find_overlapping_iter(hay)
            .map(|m| (m.end(), m.pattern().as_usize()))
            .collect();
        want.sort_unstable();
        let dfa = KeywordDfa::new(&keywords);
        assert_eq!(walk(&dfa, hay), want);
        assert_eq!(dfa.keyword_len(2), 8);
    }

    #[test]
    fn no_keywords_match_nothing() {
        let dfa = KeywordDfa::new::<&str>(&[]);
        assert!(walk(&dfa, b"anything at all").is_empty());
    }
}
