//! The keyword pass: every occurrence (overlapping ones included: `postgres` inside
//! `postgresql+`) of every rule keyword in a buffer, in one walk of the keyword automaton.
//!
//! A DFA walk is a chain of dependent table loads, one per byte, so one walk leaves most of a
//! core idle. Large buffers are cut into `LANES` slices walked in lock step: the loads of the
//! different slices are independent and overlap in the CPU (about 1.5x the throughput of one
//! walk; with `KeywordDfa` the pass runs at about 2 GB/s per core). Each slice after the first is entered `reach` (the longest keyword) bytes early
//! without reporting, so an occurrence that straddles a cut is found once, by the slice in
//! which it ends.

use crate::rules::automaton::KeywordDfa;

/// Slices walked together (three measured best on x86-64; two and four are close).
const LANES: usize = 3;
/// Below this size a buffer is walked in one piece (the lanes' warm-up would not pay).
const MIN_SPLIT: usize = 1024;

/// Calls `found(start, end, keyword)` for every keyword occurrence in `hay`; `reach` is the
/// length of the longest keyword. Occurrences come in no particular order.
pub fn occurrences(
    dfa: &KeywordDfa,
    hay: &[u8],
    reach: usize,
    mut found: impl FnMut(usize, usize, usize),
) {
    let chunk = hay.len() / LANES;
    if hay.len() < MIN_SPLIT || chunk <= reach {
        let mut state = KeywordDfa::START;
        for (i, &b) in hay.iter().enumerate() {
            state = step(dfa, state, b, i + 1, &mut found);
        }
        return;
    }
    // Three lanes as three locals (not an array) so the states stay in registers.
    let warm = |base: usize| {
        hay[base - reach..base]
            .iter()
            .fold(KeywordDfa::START, |s, &b| KeywordDfa::state(dfa.next(s, b)))
    };
    let (mut s0, mut s1, mut s2) = (KeywordDfa::START, warm(chunk), warm(2 * chunk));
    let (a, rest) = hay.split_at(chunk);
    let (b, c) = rest.split_at(chunk);
    for (j, ((&x, &y), &z)) in a.iter().zip(b).zip(&c[..chunk]).enumerate() {
        s0 = step(dfa, s0, x, j + 1, &mut found);
        s1 = step(dfa, s1, y, chunk + j + 1, &mut found);
        s2 = step(dfa, s2, z, 2 * chunk + j + 1, &mut found);
    }
    for (j, &z) in c.iter().enumerate().skip(chunk) {
        s2 = step(dfa, s2, z, 2 * chunk + j + 1, &mut found);
    }
}

/// One byte: the next state, reporting the keywords that end at `end`.
#[inline(always)]
fn step(
    dfa: &KeywordDfa,
    state: u32,
    byte: u8,
    end: usize,
    found: &mut impl FnMut(usize, usize, usize),
) -> u32 {
    let raw = dfa.next(state, byte);
    if KeywordDfa::ends_keyword(raw) {
        report(dfa, raw, end, found);
    }
    KeywordDfa::state(raw)
}

/// Out of line, so the per-byte loop keeps its lanes' states in registers.
#[cold]
#[inline(never)]
fn report(dfa: &KeywordDfa, raw: u32, end: usize, found: &mut impl FnMut(usize, usize, usize)) {
    for &k in dfa.keywords_ending(raw) {
        found(end - dfa.keyword_len(k), end, k as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};

    #[test]
    fn lanes_find_exactly_what_an_overlapping_search_finds() {
        let keywords = ["postgres", "postgresql+", "://", "ghp_", "pat", "sql"];
        // Keywords everywhere, including across every possible cut of the split walk.
        let mut hay = Vec::new();
        for i in 0..4000 {
            hay.extend_from_slice(
                format!("x{i} POSTGRESQL+psycopg://u:p@h ghp_abc pattern ").as_bytes(),
            );
        }
        let reference = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(keywords)
            .unwrap();
        let mut want: Vec<(usize, usize, usize)> = reference
            .find_overlapping_iter(&hay)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        want.sort_unstable();
        assert!(hay.len() > MIN_SPLIT);
        let dfa = KeywordDfa::new(&keywords);
        for len in [hay.len(), hay.len() - 1, hay.len() - 2, 100] {
            let mut got = Vec::new();
            occurrences(&dfa, &hay[..len], 11, |s, e, p| got.push((s, e, p)));
            got.sort_unstable();
            let expected: Vec<_> = want.iter().copied().filter(|m| m.1 <= len).collect();
            assert_eq!(got, expected, "len {len}");
        }
    }
}
