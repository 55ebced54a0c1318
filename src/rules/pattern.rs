//! A rule's compiled pattern: the regex engine set up for what a scan does with it (run on a
//! short window around a keyword), and the few search calls detection needs. It owns the
//! engine settings; which windows a pattern runs on is the detector's business.
//!
//! The `regex` crate's builder always extracts literals from a pattern to build a prefilter;
//! that extraction is most of the cost of compiling keyward's patterns, and a prefilter only
//! pays on long haystacks, while the keyword automaton has already done that job. So patterns
//! are compiled with `regex-automata` (the engine inside `regex`) directly, with the settings
//! `regex::bytes::RegexBuilder` uses and the automatic prefilter off: the same matches.

use regex_automata::meta;
use regex_automata::util::captures::Captures as Slots;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};
use std::ops::Range;

/// A compiled rule pattern (bytes, ASCII classes, leftmost-first like `regex::bytes::Regex`).
#[derive(Debug)]
pub struct RulePattern {
    re: meta::Regex,
}

/// Why a pattern does not compile.
#[derive(Debug)]
pub enum PatternError {
    /// Its NFA would be over this many bytes.
    TooLarge(usize),
    /// Not a valid pattern (the parser's message, which points at the problem).
    Invalid(String),
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternError::TooLarge(limit) => write!(
                f,
                "pattern is too large once compiled (over {} KiB)",
                limit >> 10
            ),
            PatternError::Invalid(e) => write!(f, "pattern does not compile: {e}"),
        }
    }
}

impl RulePattern {
    /// Compiles `pattern` with Unicode mode off (credentials are ASCII: `\w`, `\s`, `\b` and
    /// `(?i)` are ASCII, and a class such as `[^\s"']{8,200}` is a byte class instead of a
    /// UTF-8 automaton), within `size_limit` bytes of NFA and `dfa_cache` bytes of lazy DFA
    /// cache per thread.
    pub fn new(pattern: &str, size_limit: usize, dfa_cache: usize) -> Result<Self, PatternError> {
        let config = meta::Config::new()
            .match_kind(MatchKind::LeftmostFirst)
            .utf8_empty(false)
            .auto_prefilter(false)
            .nfa_size_limit(Some(size_limit))
            .hybrid_cache_capacity(dfa_cache);
        meta::Builder::new()
            .configure(config)
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build(pattern)
            .map(|re| RulePattern { re })
            .map_err(|e| match (e.size_limit(), e.syntax_error()) {
                (Some(limit), _) => PatternError::TooLarge(limit),
                (None, Some(syntax)) => PatternError::Invalid(syntax.to_string()),
                (None, None) => PatternError::Invalid(e.to_string()),
            })
    }

    /// Whether the pattern has a group called `name`.
    pub fn has_group(&self, name: &str) -> bool {
        let info = self.re.group_info();
        info.to_index(regex_automata::PatternID::ZERO, name)
            .is_some()
    }

    /// Whether `hay` holds a match.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.re.is_match(hay)
    }

    /// The successive non-overlapping matches in `hay` (whole-match spans).
    pub fn find_iter<'r, 'h>(&'r self, hay: &'h [u8]) -> impl Iterator<Item = Group<'h>> + 'r
    where
        'h: 'r,
    {
        self.re.find_iter(hay).map(move |m| Group {
            hay,
            range: m.range(),
        })
    }

    /// The groups of the match `whole` (a span `find_iter` gave): the same groups as a search
    /// from `whole.start` would give, found by a search anchored there and bounded by the
    /// span (which sees the bytes around it for `\b` and `$`), so no DFA runs again.
    pub fn captures_of<'h>(&self, hay: &'h [u8], whole: Range<usize>) -> Option<Captures<'h>> {
        let mut slots = self.re.create_captures();
        let input = Input::new(hay).range(whole).anchored(Anchored::Yes);
        self.re.captures(input, &mut slots);
        slots.is_match().then_some(Captures { hay, slots })
    }

    /// The groups of every successive non-overlapping match in `hay`.
    pub fn captures_iter<'r, 'h>(&'r self, hay: &'h [u8]) -> impl Iterator<Item = Captures<'h>> + 'r
    where
        'h: 'r,
    {
        self.re
            .captures_iter(hay)
            .map(move |slots| Captures { hay, slots })
    }
}

/// The groups of one match.
pub struct Captures<'h> {
    hay: &'h [u8],
    slots: Slots,
}

impl<'h> Captures<'h> {
    /// Group `index` (0: the whole match), if it took part in the match.
    pub fn get(&self, index: usize) -> Option<Group<'h>> {
        let span = self.slots.get_group(index)?;
        Some(Group {
            hay: self.hay,
            range: span.range(),
        })
    }

    /// The group called `name`, if the pattern has it and it took part in the match.
    pub fn name(&self, name: &str) -> Option<Group<'h>> {
        let span = self.slots.get_group_by_name(name)?;
        Some(Group {
            hay: self.hay,
            range: span.range(),
        })
    }
}

/// A matched span of a haystack.
#[derive(Debug, Clone)]
pub struct Group<'h> {
    hay: &'h [u8],
    range: Range<usize>,
}

impl<'h> Group<'h> {
    pub fn start(&self) -> usize {
        self.range.start
    }

    pub fn end(&self) -> usize {
        self.range.end
    }

    pub fn len(&self) -> usize {
        self.range.len()
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    pub fn as_bytes(&self) -> &'h [u8] {
        &self.hay[self.range.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::{PatternError, RulePattern};
    use regex::bytes::RegexBuilder;

    /// What `regex::bytes::Regex` (Unicode off) finds: every match and every group span.
    fn reference(pattern: &str, hay: &[u8]) -> Vec<Vec<Option<(usize, usize)>>> {
        let re = RegexBuilder::new(pattern).unicode(false).build().unwrap();
        re.captures_iter(hay)
            .map(|c| c.iter().map(|g| g.map(|g| (g.start(), g.end()))).collect())
            .collect()
    }

    fn ours(pattern: &str, hay: &[u8]) -> Vec<Vec<Option<(usize, usize)>>> {
        let re = RulePattern::new(pattern, 1 << 20, 1 << 20).unwrap();
        let groups = re.re.captures_len();
        re.captures_iter(hay)
            .map(|c| {
                (0..groups)
                    .map(|i| c.get(i).map(|g| (g.start(), g.end())))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn matches_what_the_regex_crate_matches() {
        let hay = "token = \"ghp_abcdefABCDEF0123456789abcdefABCDEF01\" # \u{e9}t\u{e9} \
                   TOKEN: 'xyz' password=hunter2x; Server=db;Pwd={s3cr3t-value};"
            .as_bytes();
        for pattern in [
            r"(?i)\b(?P<key>token|password)\s*[:=]\s*(?P<quote>['\x22])?(?P<secret>[^\s'\x22;]{3,64})",
            r"(?P<secret>ghp_[A-Za-z0-9]{36})\b",
            r"(?i)pwd=\{?(?P<secret>[^;}]{4,})",
            r"\w+\b",
            r"(?s)(?P<secret>t.{0,12}?e)",
        ] {
            assert_eq!(ours(pattern, hay), reference(pattern, hay), "{pattern}");
        }
    }

    /// The groups of each match through `find_iter` and `captures_of`, as `ours` lists them.
    fn found_then_captured(pattern: &str, hay: &[u8]) -> Vec<Vec<Option<(usize, usize)>>> {
        let re = RulePattern::new(pattern, 1 << 20, 1 << 20).unwrap();
        let groups = re.re.captures_len();
        re.find_iter(hay)
            .map(|m| {
                let c = re.captures_of(hay, m.range()).unwrap();
                (0..groups)
                    .map(|i| c.get(i).map(|g| (g.start(), g.end())))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn groups_of_a_found_match_are_those_of_a_search_from_its_start() {
        let hay = b"key=abc; KEY=abcdef; keys=x monkey key=ab1 key=ab# key=abcd";
        for pattern in [
            // The longest run is not the first choice: an anchored search must not extend it.
            r"(?i)\bkey=(?P<secret>[a-z]+?)(?P<digit>[0-9])?\b",
            r"(?i)key=(?P<secret>ab|abc|abcdef)(?:;|$)",
            r"(?P<secret>\w+)(?P<tail>#|$)",
            r"\b(?P<secret>key)\b",
        ] {
            assert_eq!(
                found_then_captured(pattern, hay),
                reference(pattern, hay),
                "{pattern}"
            );
        }
    }

    #[test]
    fn a_pattern_too_large_is_refused() {
        let err = RulePattern::new(r"(\w{100}){100}", 64 << 10, 1 << 20).unwrap_err();
        assert!(
            matches!(err, PatternError::TooLarge(l) if l == 64 << 10),
            "{err}"
        );
        let err = RulePattern::new(r"a{2", 64 << 10, 1 << 20).unwrap_err();
        assert!(
            err.to_string().starts_with("pattern does not compile: "),
            "{err}"
        );
        let re = RulePattern::new(r"(?P<secret>a)(b)", 64 << 10, 1 << 20).unwrap();
        assert!(re.has_group("secret") && !re.has_group("key"));
    }
}
