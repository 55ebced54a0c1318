//! The keyword pass: every occurrence (overlapping ones included: `postgres` inside
//! `postgresql+`) of every rule keyword in a buffer, in one walk of the keyword automaton.
//!
//! A DFA walk is a chain of dependent table loads, one per byte, so one walk leaves most of a
//! core idle. Large buffers are cut into `LANES` slices walked in lock step: the loads of the
//! different slices are independent and overlap in the CPU (about 1.5x the throughput of one
//! walk). Each slice after the first is entered `reach` (the longest keyword) bytes early
//! without reporting, so an occurrence that straddles a cut is found once, by the slice in
//! which it ends.

use crate::rules::KeywordAutomaton;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::Anchored;

/// Slices walked together; 3 measured best on x86-64 (2 and 4 are close, 6+ spill registers).
const LANES: usize = 3;
/// Below this size a buffer is walked in one piece (the lanes' warm-up would not pay).
const MIN_SPLIT: usize = 1024;

/// Calls `found(start, end, pattern)` for every keyword occurrence in `hay`; `reach` is the
/// length of the longest keyword. Occurrences come in no particular order.
pub fn occurrences(
    keywords: &KeywordAutomaton,
    hay: &[u8],
    reach: usize,
    found: impl FnMut(usize, usize, usize),
) {
    match keywords {
        KeywordAutomaton::Dfa(dfa) => walk(dfa, hay, reach, found),
        KeywordAutomaton::Nfa(nfa) => walk(nfa, hay, reach, found),
    }
}

fn walk<A: Automaton>(
    aut: &A,
    hay: &[u8],
    reach: usize,
    mut found: impl FnMut(usize, usize, usize),
) {
    let start = aut
        .start_state(Anchored::No)
        .expect("keyword automata are built unanchored");
    let chunk = hay.len() / LANES;
    if hay.len() < MIN_SPLIT || chunk <= reach {
        let mut sid = start;
        for (i, &b) in hay.iter().enumerate() {
            sid = aut.next_state(Anchored::No, sid, b);
            report(aut, sid, i + 1, &mut found);
        }
        return;
    }
    let mut sid = [start; LANES];
    for (lane, state) in sid.iter_mut().enumerate().skip(1) {
        let base = lane * chunk;
        for &b in &hay[base - reach..base] {
            *state = aut.next_state(Anchored::No, *state, b);
        }
    }
    for j in 0..chunk {
        for (lane, state) in sid.iter_mut().enumerate() {
            let at = lane * chunk + j;
            *state = aut.next_state(Anchored::No, *state, hay[at]);
            report(aut, *state, at + 1, &mut found);
        }
    }
    let last = &mut sid[LANES - 1];
    for (at, &b) in hay.iter().enumerate().skip(LANES * chunk) {
        *last = aut.next_state(Anchored::No, *last, b);
        report(aut, *last, at + 1, &mut found);
    }
}

#[inline(always)]
fn report<A: Automaton>(
    aut: &A,
    sid: StateID,
    end: usize,
    found: &mut impl FnMut(usize, usize, usize),
) {
    if aut.is_special(sid) && aut.is_match(sid) {
        for i in 0..aut.match_len(sid) {
            let pattern = aut.match_pattern(sid, i);
            found(end - aut.pattern_len(pattern), end, pattern.as_usize());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};

    fn automata(keywords: &[&str]) -> [KeywordAutomaton; 2] {
        [
            KeywordAutomaton::build(keywords, false),
            KeywordAutomaton::build(keywords, true),
        ]
    }

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
        for aut in automata(&keywords) {
            for len in [hay.len(), hay.len() - 1, hay.len() - 2, 100] {
                let mut got = Vec::new();
                occurrences(&aut, &hay[..len], 11, |s, e, p| got.push((s, e, p)));
                got.sort_unstable();
                let expected: Vec<_> = want.iter().copied().filter(|m| m.1 <= len).collect();
                assert_eq!(got, expected, "len {len}");
            }
        }
    }
}
