//! The keyword pass: every occurrence (overlapping ones included: `postgres` inside
//! `postgresql+`) of every rule keyword in a buffer, in one walk of the keyword automaton.
//!
//! A DFA walk is a chain of dependent table loads, one per byte, so one walk leaves most of a
//! core idle. Large buffers are cut into `LANES` slices walked in lock step: the loads of the
//! different slices are independent and overlap in the CPU. Each slice after the first is
//! entered `reach` (the longest keyword) bytes early without reporting, so an occurrence that
//! straddles a cut is found once, by the slice in which it ends. The lanes' states are tested
//! once a round of `UNROLL` bytes, on their bitwise `|`; the rare round in which a keyword
//! ends is walked again, lane by lane, to report where.

use crate::rules::automaton::KeywordDfa;

/// Slices walked together. Each step of a lane waits for its table load (about five cycles
/// from L1), so more lanes overlap more loads: four ran the sqlalchemy tree scan 5% faster
/// than three on one thread (paired runs, medians), five, six and eight no better than four.
const LANES: usize = 4;
/// Bytes of each lane per round of the loop (its counter, end test and keyword test are paid
/// once a round).
const UNROLL: usize = 8;
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
    // Lanes of a whole number of rounds; the last lane goes on over what is left.
    let chunk = hay.len() / LANES / UNROLL * UNROLL;
    if hay.len() < MIN_SPLIT || chunk <= reach {
        walk(dfa, KeywordDfa::START, hay, 0, &mut found);
        return;
    }
    let warm = |base: usize| {
        hay[base - reach..base]
            .iter()
            .fold(KeywordDfa::START, |s, &b| dfa.next(s, b))
    };
    // Four lanes as four locals (not an array) so the states stay in registers.
    let (mut s0, mut s1) = (KeywordDfa::START, warm(chunk));
    let (mut s2, mut s3) = (warm(2 * chunk), warm(3 * chunk));
    let (a, rest) = hay.split_at(chunk);
    let (b, rest) = rest.split_at(chunk);
    let (c, rest) = rest.split_at(chunk);
    let (d, tail) = rest.split_at(chunk);
    let rounds = a
        .chunks_exact(UNROLL)
        .zip(b.chunks_exact(UNROLL))
        .zip(c.chunks_exact(UNROLL))
        .zip(d.chunks_exact(UNROLL));
    for (round, (((x, y), z), w)) in rounds.enumerate() {
        let before = [s0, s1, s2, s3];
        let mut seen = 0;
        // Written out (the compiler keeps a loop of eight as a loop).
        macro_rules! step {
            ($($k:literal)*) => {$(
                s0 = dfa.next(s0, x[$k]);
                s1 = dfa.next(s1, y[$k]);
                s2 = dfa.next(s2, z[$k]);
                s3 = dfa.next(s3, w[$k]);
                seen |= s0 | s1 | s2 | s3;
            )*};
        }
        step!(0 1 2 3 4 5 6 7);
        if dfa.any_ends_keyword(seen) {
            let at = round * UNROLL;
            for (lane, (state, bytes)) in before.into_iter().zip([x, y, z, w]).enumerate() {
                walk(dfa, state, bytes, lane * chunk + at, &mut found);
            }
        }
    }
    walk(dfa, s3, tail, 4 * chunk, &mut found);
}

/// One lane over `hay` from `state`; `hay` starts at offset `base` of the buffer. Returns the
/// state at its end.
fn walk(
    dfa: &KeywordDfa,
    mut state: usize,
    hay: &[u8],
    base: usize,
    found: &mut impl FnMut(usize, usize, usize),
) -> usize {
    for (i, &b) in hay.iter().enumerate() {
        state = dfa.next(state, b);
        if dfa.ends_keyword(state) {
            report(dfa, state, base + i + 1, found);
        }
    }
    state
}

/// Out of line, so the per-byte loop keeps its lanes' states in registers.
#[cold]
#[inline(never)]
fn report(dfa: &KeywordDfa, state: usize, end: usize, found: &mut impl FnMut(usize, usize, usize)) {
    for &k in dfa.keywords_ending(state) {
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
        // Every remainder of the lanes' rounds (`LANES` lanes of 8 bytes) near the split threshold.
        let lens = [hay.len(), hay.len() - 1, hay.len() - 2, 100].into_iter();
        for len in lens.chain(MIN_SPLIT - 1..MIN_SPLIT + 2 * LANES * UNROLL) {
            let mut got = Vec::new();
            occurrences(&dfa, &hay[..len], 11, |s, e, p| got.push((s, e, p)));
            got.sort_unstable();
            let expected: Vec<_> = want.iter().copied().filter(|m| m.1 <= len).collect();
            assert_eq!(got, expected, "len {len}");
        }
    }
}
