//! The keyword automaton: a dense DFA over the keywords of all rules, ASCII case-insensitive,
//! reporting every occurrence (overlapping ones too: `postgres` inside `postgresql+`).
//!
//! Built here rather than taken from a general library because its inner step is the hottest
//! loop of every scan: one lookup of the byte's column and one load per byte. A state is the
//! byte offset of its row in the table, so the load that gives the next state is addressed by
//! the state plus a column address that does not depend on it: the chain of dependent work
//! from byte to byte is that one load. The states that end a keyword are laid out last,
//! from an offset that is a power of two (`first_match`), so "a keyword ends here" is one
//! comparison, and also holds of the bitwise `|` of several states (`any_ends_keyword`), which
//! lets a walk of several lanes test them once a round. Bytes that occur in no keyword share
//! one class, which keeps the table small (about 1 MB for the 800-odd keywords of the
//! built-in rules). The automaton of the built-in rules' keywords is built by `build.rs` and
//! its tables used in place (`Parts`, `from_parts`).

use std::borrow::Cow;
use std::collections::VecDeque;

const NONE: u32 = u32::MAX;

/// The tables are built here, or borrowed from statics that `build.rs` wrote for the built-in
/// keywords (`from_parts`).
#[derive(Debug)]
pub struct KeywordDfa {
    /// Byte → class; ASCII upper-case letters share their lower-case letter's class.
    classes: [u8; 256],
    /// Byte → the address of its class's column in `trans` (`trans` plus 4 × class, in
    /// bytes): a step loads the `u32` at this address plus the state.
    columns: [*const u8; 256],
    stride: u32,
    /// The rows of the states, `stride` entries each; an entry is the byte offset of the next
    /// state's row (which is that state). Every entry plus `4 × stride` is at most the table's
    /// size in bytes (see `in_bounds`), so every step is in bounds.
    trans: Cow<'static, [u32]>,
    /// The states from this byte offset on (a power of two) end at least one keyword; no other
    /// does. The entries below it after the last state that ends none are padding, never read.
    first_match: usize,
    /// The keywords that end in the `i`-th state from `first_match` are
    /// `outs[out_start[i]..out_start[i + 1]]`.
    out_start: Cow<'static, [u32]>,
    outs: Cow<'static, [u32]>,
    lens: Cow<'static, [u32]>,
}

// SAFETY: `columns` points into `trans`, which is never changed after the automaton is made
// and lives as long as it does (a `Vec` owned by it, whose buffer does not move with it, or a
// static); the automaton is read-only, like a `&[u32]`.
unsafe impl Send for KeywordDfa {}
unsafe impl Sync for KeywordDfa {}

/// A `KeywordDfa`'s tables, borrowed: what `build.rs` writes out as statics, and what
/// `KeywordDfa::from_parts` takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    pub classes: &'a [u8; 256],
    pub stride: u32,
    pub trans: &'a [u32],
    pub first_match: u32,
    pub out_start: &'a [u32],
    pub outs: &'a [u32],
    pub lens: &'a [u32],
}

impl KeywordDfa {
    /// The start state (no keyword begun).
    pub const START: usize = 0;

    /// The automaton over `keywords` (an empty keyword occurs nowhere).
    pub fn new<K: AsRef<[u8]>>(keywords: &[K]) -> Self {
        let classes = byte_classes(keywords);
        let stride = classes.iter().copied().max().unwrap_or(0) as usize + 1;
        let (goto, mut out) = trie(keywords, &classes, stride);
        let delta = determinize(&goto, &mut out, stride);
        // New places: the start state first (it ends nothing), then the other states that
        // end nothing, then from a power of two on those that end a keyword, each group in
        // breadth-first order.
        let order: Vec<usize> = (0..out.len())
            .filter(|&s| out[s].is_empty())
            .chain((0..out.len()).filter(|&s| !out[s].is_empty()))
            .collect();
        let ending_none = out.iter().filter(|o| o.is_empty()).count();
        let row = 4 * stride;
        let first_match = (ending_none * row).next_power_of_two();
        let place = |nth: usize| match nth < ending_none {
            true => nth * row,
            false => first_match + (nth - ending_none) * row,
        };
        let mut offset = vec![0u32; out.len()];
        for (nth, &old) in order.iter().enumerate() {
            offset[old] = u32::try_from(place(nth)).expect("keyword automaton under 4 GiB");
        }
        let mut trans = vec![0u32; place(out.len()) / 4];
        let mut out_start = Vec::with_capacity(out.len() - ending_none + 1);
        let mut outs = Vec::new();
        for (nth, &old) in order.iter().enumerate() {
            let at = place(nth) / 4;
            let targets = delta[old * stride..(old + 1) * stride].iter();
            for (entry, &target) in trans[at..at + stride].iter_mut().zip(targets) {
                *entry = offset[target as usize];
            }
            if nth >= ending_none {
                out_start.push(outs.len() as u32);
                outs.extend_from_slice(&out[old]);
            }
        }
        out_start.push(outs.len() as u32);
        let lens: Vec<u32> = keywords.iter().map(|k| k.as_ref().len() as u32).collect();
        Self::assemble(Parts {
            classes: &classes,
            stride: stride as u32,
            trans: &[],
            first_match: first_match as u32,
            out_start: &[],
            outs: &[],
            lens: &[],
        })
        .with_tables(trans.into(), out_start.into(), outs.into(), lens.into())
    }

    /// The automaton whose tables are `parts` (statics: nothing is copied).
    ///
    /// # Safety
    ///
    /// `parts` must be the tables of an automaton that `new` built (`KeywordDfa::parts`, or
    /// statics written from them): `next` relies on their every step staying in bounds. Not
    /// checked here in release builds: a check reads the whole table (about 1 MB), which the
    /// pre-commit hook would pay at every commit while its walk touches a few rows.
    pub unsafe fn from_parts(parts: Parts<'static>) -> Self {
        debug_assert!(in_bounds(&parts), "keyword automaton tables out of bounds");
        Self::assemble(parts).with_tables(
            Cow::Borrowed(parts.trans),
            Cow::Borrowed(parts.out_start),
            Cow::Borrowed(parts.outs),
            Cow::Borrowed(parts.lens),
        )
    }

    /// The automaton of `parts`' classes, stride and `first_match`, with empty tables.
    fn assemble(parts: Parts) -> Self {
        KeywordDfa {
            classes: *parts.classes,
            columns: [std::ptr::null(); 256],
            stride: parts.stride,
            trans: Cow::Borrowed(&[]),
            first_match: parts.first_match as usize,
            out_start: Cow::Borrowed(&[]),
            outs: Cow::Borrowed(&[]),
            lens: Cow::Borrowed(&[]),
        }
    }

    /// Takes its tables, and points each byte's column into `trans`.
    fn with_tables(
        mut self,
        trans: Cow<'static, [u32]>,
        out_start: Cow<'static, [u32]>,
        outs: Cow<'static, [u32]>,
        lens: Cow<'static, [u32]>,
    ) -> Self {
        self.trans = trans;
        let base = self.trans.as_ptr().cast::<u8>();
        // `wrapping_add`: computing the address is safe; `next` reads it only within `trans`.
        self.columns = std::array::from_fn(|b| base.wrapping_add(4 * usize::from(self.classes[b])));
        self.out_start = out_start;
        self.outs = outs;
        self.lens = lens;
        self
    }

    /// The tables, to write out or compare.
    pub fn parts(&self) -> Parts<'_> {
        Parts {
            classes: &self.classes,
            stride: self.stride,
            trans: &self.trans,
            first_match: self.first_match as u32,
            out_start: &self.out_start,
            outs: &self.outs,
            lens: &self.lens,
        }
    }

    /// One step: the next state (test it with `ends_keyword`).
    #[inline(always)]
    pub fn next(&self, state: usize, byte: u8) -> usize {
        let column = self.columns[usize::from(byte)];
        debug_assert!(
            state + 4 * usize::from(self.classes[usize::from(byte)]) < 4 * self.trans.len()
        );
        // SAFETY: `state` is 0 or an entry of `trans`, and every entry plus `4 × stride` is at
        // most the table's size in bytes while every class is below `stride` (`in_bounds`:
        // true of what `new` builds, and `from_parts` takes only that): the `u32` read is
        // inside `trans`, and aligned (entries and columns are multiples of 4). The check
        // this skips was a third of the per-byte work of the keyword walk.
        unsafe { column.add(state).cast::<u32>().read() as usize }
    }

    /// Whether `state` (returned by `next`) ends at least one keyword.
    #[inline(always)]
    pub fn ends_keyword(&self, state: usize) -> bool {
        state >= self.first_match
    }

    /// Whether one of the states whose bitwise `|` is `states` ends a keyword: the states
    /// that do are exactly those with a bit at or above `first_match`, a power of two.
    #[inline(always)]
    pub fn any_ends_keyword(&self, states: usize) -> bool {
        states >= self.first_match
    }

    /// The keywords (by index) that end in `state`.
    pub fn keywords_ending(&self, state: usize) -> &[u32] {
        let Some(nth) = state.checked_sub(self.first_match) else {
            return &[];
        };
        let nth = nth / (4 * self.stride as usize);
        &self.outs[self.out_start[nth] as usize..self.out_start[nth + 1] as usize]
    }

    pub fn keyword_len(&self, keyword: u32) -> usize {
        self.lens[keyword as usize] as usize
    }
}

/// Whether every step of the tables stays inside them: the start state and every entry is a
/// multiple of 4 with a whole row after it inside the table, every class has a column, and
/// `first_match` is a power of two.
fn in_bounds(parts: &Parts) -> bool {
    let row = 4 * parts.stride as usize;
    let size = 4 * parts.trans.len();
    row > 0
        && size >= row
        && (parts.trans.iter()).all(|&t| t % 4 == 0 && t as usize + row <= size)
        && parts.classes.iter().all(|&c| u32::from(c) < parts.stride)
        && parts.first_match.is_power_of_two()
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
        if k.as_ref().is_empty() {
            continue;
        }
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
    use super::{in_bounds, KeywordDfa, Parts};
    use aho_corasick::{AhoCorasick, MatchKind};

    /// Every (end, keyword) of a walk from the start state.
    fn walk(dfa: &KeywordDfa, hay: &[u8]) -> Vec<(usize, usize)> {
        let mut state = KeywordDfa::START;
        let mut found = Vec::new();
        for (i, &b) in hay.iter().enumerate() {
            state = dfa.next(state, b);
            if dfa.ends_keyword(state) {
                found.extend(
                    dfa.keywords_ending(state)
                        .iter()
                        .map(|&k| (i + 1, k as usize)),
                );
            }
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
    fn tables_taken_back_walk_alike_and_an_empty_keyword_occurs_nowhere() {
        let keywords = ["", "token", "ok", "to"];
        let built: &'static KeywordDfa = Box::leak(Box::new(KeywordDfa::new(&keywords)));
        // SAFETY: the tables of an automaton `new` built.
        let taken = unsafe { KeywordDfa::from_parts(built.parts()) };
        let hay = b"a TOKEN, ok";
        assert_eq!(walk(built, hay), vec![(4, 3), (5, 2), (7, 1), (11, 2)]);
        assert_eq!(walk(&taken, hay), walk(built, hay));
    }

    #[test]
    fn what_new_builds_is_in_bounds_and_a_step_outside_is_seen() {
        let built = KeywordDfa::new(&["ab", "b", "abc"]);
        assert!(in_bounds(&built.parts()));
        let mut trans = built.parts().trans.to_vec();
        trans[1] = 4 * trans.len() as u32;
        assert!(!in_bounds(&Parts {
            trans: &trans,
            ..built.parts()
        }));
    }

    #[test]
    fn no_keywords_match_nothing() {
        let dfa = KeywordDfa::new::<&str>(&[]);
        assert!(walk(&dfa, b"anything at all").is_empty());
    }
}
