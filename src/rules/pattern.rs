//! A rule's compiled pattern: the regex engines set up for what a scan does with it (run on
//! a short window around a keyword), and the few search calls detection needs. It owns the
//! engine settings; which windows a pattern runs on is the detector's business.
//!
//! These are the engines of `regex-automata` (the crate inside `regex`), put together much as
//! its `meta::Regex` does for a pattern without a prefilter (a lazy DFA finds whether and where
//! a match ends; a backtracker, or a reverse lazy DFA on long spans, where it starts; a
//! backtracker or the PikeVM its groups), so a pattern matches what `regex::bytes::Regex`
//! matches (tested). On a short span (a keyword's line) the backtracker alone finds the match:
//! `meta::Regex` makes that choice too, for short haystacks when it has no usable DFA, and a
//! lazy DFA's states are built anew in every thread. What differs is what is built and when:
//! `regex`'s builder extracts
//! literals for a prefilter (most of the cost of compiling keyward's patterns, and useless on
//! a keyword window) and builds the reverse automaton with the forward one; here a reverse
//! NFA is built only for a match too long for the backtracker, and most patterns a scan
//! compiles never match at all.
//!
//! So a window is first put to a *filter*: a lazy DFA of a looser pattern, the same one
//! without groups and with every long counted repetition (`[^\s"']{8,255}`, `.{0,40}`) opened
//! up (`{8,}`, `.*`), which matches everything the pattern matches (and some more). Counting
//! is what makes rule patterns dear: an NFA state per count to compile, and lazy DFA states
//! for every count at every place a window reaches. Only a window the filter passes builds
//! the exact engines (`Exact`), on first need; on a working tree most patterns never do.

use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, backtrack, pikevm, WhichCaptures, NFA};
use regex_automata::util::captures::Captures as Slots;
use regex_automata::util::iter::Searcher;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, Match, MatchKind, PatternID};
use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};
use std::ops::Range;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// How many matches of a pattern have their start found by the backtracker before the reverse
/// automaton is built: a scan where a pattern matches a few times (a commit) never builds it.
const BACKTRACK_FIRST: usize = 16;

/// Spans up to this long (a keyword's line, as most windows are) are searched by the
/// backtracker alone, without the lazy DFAs, for a pattern's first `BACKTRACK_SEARCHES`
/// searches: on a short span it visits few (state, byte) pairs, while a lazy DFA pays for
/// every state it has not built yet, in each thread, and a counted repetition (`{7,255}`,
/// `{100,4096}`) has a state per count. On the aws-cli tree this took a fifth of the scan's
/// CPU time away, on saleor a tenth. A pattern searched more often than that (a history
/// scan, where the same lines come back in every version) has its lazy DFA built by then.
const BACKTRACK_SPAN: usize = 2048;
const BACKTRACK_SEARCHES: usize = 4096;

/// The filter's counted repetitions: one that may count past this many is opened up, and its
/// lower bound lowered to this many (`{32}` becomes `{8,}`).
const FILTER_COUNT: u32 = 8;

/// A compiled rule pattern (bytes, ASCII classes, leftmost-first like `regex::bytes::Regex`).
pub struct RulePattern {
    hir: Arc<Hir>,
    size_limit: usize,
    dfa_cache: usize,
    /// `None` when the looser pattern has no lazy DFA: every window goes to the exact engines.
    filter: Option<Filter>,
    /// Built when the filter first passes a window (or when `complete` asks); boxed, as most
    /// patterns never build it.
    exact: OnceLock<Result<Box<Exact>, PatternError>>,
}

/// The lazy DFA of the looser pattern (see the module's documentation), with its scratch
/// space, one per thread as `Exact` keeps its own.
struct Filter {
    dfa: hybrid::dfa::DFA,
    caches: Pool<hybrid::dfa::Cache, FilterCacheFn>,
}

type FilterCacheFn = Box<dyn Fn() -> hybrid::dfa::Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// The engines that find the pattern's matches and groups.
struct Exact {
    engines: Arc<Engines>,
    /// Scratch space of the engines, one per thread (what `meta::Regex` keeps too). One
    /// shared by the threads (under a try-lock) built fewer lazy DFA states, but a cache
    /// grown by the other thread than the one that made it takes the other's allocator arena
    /// lock: two-thread tree scans were 2-4% slower on the clock (paired runs).
    caches: Pool<Caches, CacheFn>,
}

type CacheFn = Box<dyn Fn() -> Caches + Send + Sync + UnwindSafe + RefUnwindSafe>;

struct Engines {
    /// The parsed pattern, for the reverse NFA.
    hir: Arc<Hir>,
    config: thompson::Config,
    dfa_cache: usize,
    nfa: NFA,
    /// `None` when the lazy DFA cannot be built (the PikeVM does its work).
    forward: Option<hybrid::dfa::DFA>,
    /// Built when a match is long or when the backtracker has found `BACKTRACK_FIRST`;
    /// `None` when it cannot be built.
    reverse: OnceLock<Option<hybrid::dfa::DFA>>,
    /// How many matches the backtracker was asked to find the start of.
    backtracked: AtomicUsize,
    /// How many short spans the backtracker searched alone.
    short_searches: AtomicUsize,
    backtrack: backtrack::BoundedBacktracker,
    pikevm: pikevm::PikeVM,
}

impl std::fmt::Debug for RulePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RulePattern").finish_non_exhaustive()
    }
}

/// Each made on first use: on short windows most patterns only ever need the backtracker.
#[derive(Debug)]
struct Caches {
    forward: Option<hybrid::dfa::Cache>,
    reverse: Option<hybrid::dfa::Cache>,
    backtrack: Option<backtrack::Cache>,
    pikevm: Option<pikevm::Cache>,
}

/// Why a pattern does not compile.
#[derive(Debug, Clone)]
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

impl From<thompson::BuildError> for PatternError {
    fn from(e: thompson::BuildError) -> Self {
        match e.size_limit() {
            Some(limit) => PatternError::TooLarge(limit),
            None => PatternError::Invalid(e.to_string()),
        }
    }
}

/// The lazy DFA settings of `meta::Regex`, without a prefilter.
fn dfa_config(match_kind: MatchKind, cache_capacity: usize) -> hybrid::dfa::Config {
    hybrid::dfa::Config::new()
        .match_kind(match_kind)
        .starts_for_each_pattern(true)
        .unicode_word_boundary(true)
        .cache_capacity(cache_capacity)
        .skip_cache_capacity_check(false)
        .minimum_cache_clear_count(Some(3))
        .minimum_bytes_per_state(Some(10))
}

/// The NFA settings: bytes (a pattern may match bytes that are not UTF-8), within
/// `size_limit` bytes.
fn nfa_config(size_limit: usize) -> thompson::Config {
    thompson::Config::new()
        .utf8(false)
        .nfa_size_limit(Some(size_limit))
        .shrink(false)
}

/// The looser pattern of the filter: `hir` with each counted repetition that may count past
/// `FILTER_COUNT` opened up (at least `min(lower bound, FILTER_COUNT)`, no upper bound), or
/// `None` when it has none (the filter is then `hir` itself, compiled without groups). Every
/// text `hir` matches, it matches: a looser count takes every count the tighter one took.
fn loosen(hir: &Hir) -> Option<Hir> {
    // Only the nodes above a loosened repetition are rebuilt.
    let parts = |parts: &[Hir]| -> Option<Vec<Hir>> {
        let loosened: Vec<Option<Hir>> = parts.iter().map(loosen).collect();
        loosened.iter().any(Option::is_some).then(|| {
            (loosened.into_iter().zip(parts))
                .map(|(new, old)| new.unwrap_or_else(|| old.clone()))
                .collect()
        })
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => None,
        HirKind::Capture(group) => Some(Hir::capture(Capture {
            sub: Box::new(loosen(&group.sub)?),
            ..group.clone()
        })),
        HirKind::Concat(all) => Some(Hir::concat(parts(all)?)),
        HirKind::Alternation(all) => Some(Hir::alternation(parts(all)?)),
        HirKind::Repetition(rep) => {
            let long = (rep.max).map_or(rep.min > FILTER_COUNT, |max| max > FILTER_COUNT);
            let sub = loosen(&rep.sub);
            if !long && sub.is_none() {
                return None;
            }
            let (min, max) = if long {
                (rep.min.min(FILTER_COUNT), None)
            } else {
                (rep.min, rep.max)
            };
            Some(Hir::repetition(Repetition {
                min,
                max,
                greedy: rep.greedy,
                sub: Box::new(sub.unwrap_or_else(|| (*rep.sub).clone())),
            }))
        }
    }
}

impl Filter {
    /// `None` when the looser pattern is too large or has no lazy DFA.
    fn new(hir: &Hir, size_limit: usize, dfa_cache: usize) -> Option<Filter> {
        let config = nfa_config(size_limit).which_captures(WhichCaptures::None);
        let nfa = thompson::Compiler::new()
            .configure(config)
            .build_from_hir(loosen(hir).as_ref().unwrap_or(hir))
            .ok()?;
        let dfa = hybrid::dfa::Builder::new()
            .configure(dfa_config(MatchKind::LeftmostFirst, dfa_cache))
            .build_from_nfa(nfa)
            .ok()?;
        let make = dfa.clone();
        let create: FilterCacheFn = Box::new(move || make.create_cache());
        Some(Filter {
            dfa,
            caches: Pool::new(create),
        })
    }

    /// Whether `hay` may hold a match: `false` only when the looser pattern has none.
    fn passes(&self, hay: &[u8]) -> bool {
        let input = Input::new(hay).earliest(true);
        let mut cache = self.caches.get();
        // A lazy DFA that gives up settles nothing: the exact engines decide.
        (self.dfa.try_search_fwd(&mut cache, &input)).map_or(true, |found| found.is_some())
    }
}

impl RulePattern {
    /// Compiles `pattern` with Unicode mode off (credentials are ASCII: `\w`, `\s`, `\b` and
    /// `(?i)` are ASCII, and a class such as `[^\s"']{8,200}` is a byte class instead of a
    /// UTF-8 automaton), within `size_limit` bytes of NFA and `dfa_cache` bytes of lazy DFA
    /// cache per thread. Only the filter is built now: a pattern too large once compiled is
    /// refused by `complete`, or reported by `late_error` after a scan first needed it.
    pub fn new(pattern: &str, size_limit: usize, dfa_cache: usize) -> Result<Self, PatternError> {
        let syntax = syntax::Config::new().unicode(false).utf8(false);
        let hir = syntax::parse_with(pattern, &syntax)
            .map_err(|e| PatternError::Invalid(e.to_string()))?;
        Ok(RulePattern {
            filter: Filter::new(&hir, size_limit, dfa_cache),
            hir: Arc::new(hir),
            size_limit,
            dfa_cache,
            exact: OnceLock::new(),
        })
    }

    /// Also builds what `new` leaves for the first match, so that a pattern too large (also
    /// in reverse) is refused now (what `regex` would refuse).
    pub fn complete(self) -> Result<Self, PatternError> {
        let exact = self.exact().map_err(PatternError::clone)?;
        exact.engines.reverse_nfa()?;
        Ok(self)
    }

    /// Why the exact engines could not be built, once a scan needed them.
    pub fn late_error(&self) -> Option<&PatternError> {
        self.exact.get()?.as_ref().err()
    }

    fn exact(&self) -> Result<&Exact, &PatternError> {
        self.exact
            .get_or_init(|| Exact::new(&self.hir, self.size_limit, self.dfa_cache).map(Box::new))
            .as_deref()
    }

    /// Whether the pattern has a group called `name`.
    pub fn has_group(&self, name: &str) -> bool {
        self.exact().is_ok_and(|exact| {
            let info = exact.engines.nfa.group_info();
            info.to_index(PatternID::ZERO, name).is_some()
        })
    }

    /// Whether `hay` may hold a match: `false` means it holds none; `true` that it may (a
    /// search says). Far cheaper than `is_match` for a pattern that counts.
    pub fn may_match(&self, hay: &[u8]) -> bool {
        self.filter.as_ref().is_none_or(|filter| filter.passes(hay))
    }

    /// Whether `hay` holds a match.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.exact()
            .is_ok_and(|exact| exact.engines.is_match(&mut exact.caches.get(), hay))
    }

    /// The successive non-overlapping matches in `hay` (whole-match spans).
    pub fn find_iter<'h>(&self, hay: &'h [u8]) -> Vec<Group<'h>> {
        let Ok(exact) = self.exact() else {
            return Vec::new();
        };
        let mut caches = exact.caches.get();
        let mut searcher = Searcher::new(Input::new(hay));
        let mut found = Vec::new();
        while let Some(m) = searcher.advance(|input| Ok(exact.engines.find(&mut caches, input))) {
            found.push(Group {
                hay,
                range: m.range(),
            });
        }
        found
    }

    /// The groups of the match `whole` (a span `find_iter` gave): the same groups as a search
    /// from `whole.start` would give, found by a search anchored there and bounded by the
    /// span (which sees the bytes around it for `\b` and `$`), so no DFA runs again.
    pub fn captures_of<'h>(&self, hay: &'h [u8], whole: Range<usize>) -> Option<Captures<'h>> {
        let exact = self.exact().ok()?;
        let input = Input::new(hay).range(whole).anchored(Anchored::Yes);
        let slots = exact.engines.captures(&mut exact.caches.get(), &input);
        slots.is_match().then_some(Captures { hay, slots })
    }

    /// The groups of every successive non-overlapping match in `hay`.
    pub fn captures_iter<'h>(&self, hay: &'h [u8]) -> Vec<Captures<'h>> {
        self.find_iter(hay)
            .into_iter()
            .filter_map(|m| self.captures_of(hay, m.range()))
            .collect()
    }
}

impl Exact {
    fn new(hir: &Arc<Hir>, size_limit: usize, dfa_cache: usize) -> Result<Exact, PatternError> {
        let config = nfa_config(size_limit).which_captures(WhichCaptures::All);
        let nfa = thompson::Compiler::new()
            .configure(config.clone())
            .build_from_hir(hir)?;
        let forward = hybrid::dfa::Builder::new()
            .configure(dfa_config(MatchKind::LeftmostFirst, dfa_cache))
            .build_from_nfa(nfa.clone())
            .ok();
        let backtrack = backtrack::BoundedBacktracker::builder()
            .build_from_nfa(nfa.clone())
            .map_err(|e| PatternError::Invalid(e.to_string()))?;
        let pikevm = pikevm::PikeVM::builder()
            .configure(pikevm::Config::new().match_kind(MatchKind::LeftmostFirst))
            .build_from_nfa(nfa.clone())
            .map_err(|e| PatternError::Invalid(e.to_string()))?;
        let engines = Arc::new(Engines {
            hir: Arc::clone(hir),
            config,
            dfa_cache,
            nfa,
            forward,
            reverse: OnceLock::new(),
            backtracked: AtomicUsize::new(0),
            short_searches: AtomicUsize::new(0),
            backtrack,
            pikevm,
        });
        let make = Arc::clone(&engines);
        let create: CacheFn = Box::new(move || make.new_caches());
        Ok(Exact {
            engines,
            caches: Pool::new(create),
        })
    }
}

impl Engines {
    fn is_match(&self, caches: &mut Caches, hay: &[u8]) -> bool {
        let input = Input::new(hay).earliest(true);
        if let Some(dfa) = &self.forward {
            let cache = caches.forward.get_or_insert_with(|| dfa.create_cache());
            if let Ok(found) = dfa.try_search_fwd(cache, &input) {
                return found.is_some();
            }
        }
        let cache = caches
            .pikevm
            .get_or_insert_with(|| self.pikevm.create_cache());
        self.pikevm.is_match(cache, input)
    }

    /// Scratch space, each engine's made on its first need.
    fn new_caches(&self) -> Caches {
        Caches {
            forward: None,
            reverse: None,
            backtrack: None,
            pikevm: None,
        }
    }

    /// The leftmost-first match in `input`: on a short span, the backtracker's; else where it
    /// ends (forward lazy DFA), then where it starts (reverse lazy DFA, anchored at that end),
    /// as `meta::Regex` finds it; the PikeVM or the backtracker when a lazy DFA gives up.
    fn find(&self, caches: &mut Caches, input: &Input) -> Option<Match> {
        let span = input.get_span().len();
        if span <= BACKTRACK_SPAN.min(self.backtrack.max_haystack_len())
            && self.short_searches.fetch_add(1, Ordering::Relaxed) < BACKTRACK_SEARCHES
        {
            let cache = (caches.backtrack).get_or_insert_with(|| self.backtrack.create_cache());
            if let Ok(found) = self.backtrack.try_find(cache, input.clone()) {
                return found;
            }
        }
        let Some(dfa) = &self.forward else {
            return self.find_nofail(caches, input);
        };
        let cache = caches.forward.get_or_insert_with(|| dfa.create_cache());
        let end = match dfa.try_search_fwd(cache, input) {
            Ok(None) => return None,
            Ok(Some(end)) => end.offset(),
            Err(_) => return self.find_nofail(caches, input),
        };
        let anchored = input.get_anchored().is_anchored() || self.nfa.is_always_start_anchored();
        if input.start() == end || anchored {
            return Some(Match::must(0, input.start()..end));
        }
        // Where it starts: for a pattern's first matches, the match the backtracker finds in
        // the bytes up to that end, when they are few enough for it (no match starts earlier,
        // and the leftmost-first one from its start ends there: the same match, found without
        // a reverse NFA); else the reverse lazy DFA, anchored at that end, as `meta::Regex`
        // does (dearer to build, cheaper to run than backtracking from every position).
        let upto = input.clone().span(input.start()..end);
        let early = self.reverse.get().is_none()
            && self.backtracked.fetch_add(1, Ordering::Relaxed) < BACKTRACK_FIRST;
        if early && upto.get_span().len() <= self.backtrack.max_haystack_len() {
            let cache = (caches.backtrack).get_or_insert_with(|| self.backtrack.create_cache());
            if let Ok(Some(found)) = self.backtrack.try_find(cache, upto) {
                debug_assert_eq!(found.end(), end);
                return Some(found);
            }
        }
        let Some(reverse) = self.reverse() else {
            return self.find_nofail(caches, input);
        };
        let cache = caches.reverse.get_or_insert_with(|| reverse.create_cache());
        let back = input
            .clone()
            .span(input.start()..end)
            .anchored(Anchored::Yes)
            .earliest(false);
        match reverse.try_search_rev(cache, &back) {
            Ok(Some(start)) => Some(Match::must(0, start.offset()..end)),
            _ => self.find_nofail(caches, input),
        }
    }

    fn find_nofail(&self, caches: &mut Caches, input: &Input) -> Option<Match> {
        let slots = self.captures(caches, input);
        slots.get_match()
    }

    /// The groups of the first match in `input`: the backtracker when the span is short
    /// enough for it, else the PikeVM (`meta::Regex`'s choice too).
    fn captures(&self, caches: &mut Caches, input: &Input) -> Slots {
        let mut slots = Slots::all(self.nfa.group_info().clone());
        let fits =
            !input.get_earliest() && input.get_span().len() <= self.backtrack.max_haystack_len();
        let done = fits && {
            let cache = (caches.backtrack).get_or_insert_with(|| self.backtrack.create_cache());
            (self.backtrack)
                .try_captures(cache, input.clone(), &mut slots)
                .is_ok()
        };
        if !done {
            let cache = caches
                .pikevm
                .get_or_insert_with(|| self.pikevm.create_cache());
            self.pikevm.captures(cache, input.clone(), &mut slots);
        }
        slots
    }

    fn reverse_nfa(&self) -> Result<NFA, PatternError> {
        let config = self
            .config
            .clone()
            .which_captures(WhichCaptures::None)
            .reverse(true);
        Ok(thompson::Compiler::new()
            .configure(config)
            .build_from_hir(&self.hir)?)
    }

    /// The reverse lazy DFA (every match kind, so an anchored reverse search runs to the
    /// leftmost start: as `meta::Regex` builds it), built once.
    fn reverse(&self) -> Option<&hybrid::dfa::DFA> {
        self.reverse
            .get_or_init(|| {
                let nfa = self.reverse_nfa().ok()?;
                hybrid::dfa::Builder::new()
                    .configure(dfa_config(MatchKind::All, self.dfa_cache))
                    .build_from_nfa(nfa)
                    .ok()
            })
            .as_ref()
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
    use super::{Captures, PatternError, RulePattern};
    use regex::bytes::RegexBuilder;

    /// What `regex::bytes::Regex` (Unicode off) finds: every match and every group span.
    fn reference(pattern: &str, hay: &[u8]) -> Vec<Vec<Option<(usize, usize)>>> {
        let re = RegexBuilder::new(pattern).unicode(false).build().unwrap();
        re.captures_iter(hay)
            .map(|c| c.iter().map(|g| g.map(|g| (g.start(), g.end()))).collect())
            .collect()
    }

    /// Every group span of one match, for the `groups` groups of the pattern.
    fn spans(c: &Captures<'_>, groups: usize) -> Vec<Option<(usize, usize)>> {
        (0..groups)
            .map(|i| c.get(i).map(|g| (g.start(), g.end())))
            .collect()
    }

    fn group_count(re: &RulePattern) -> usize {
        let exact = re.exact().unwrap();
        (exact.engines.nfa.group_info()).group_len(regex_automata::PatternID::ZERO)
    }

    fn ours(pattern: &str, hay: &[u8]) -> Vec<Vec<Option<(usize, usize)>>> {
        let re = RulePattern::new(pattern, 1 << 20, 1 << 20).unwrap();
        let groups = group_count(&re);
        (re.captures_iter(hay).iter())
            .map(|c| spans(c, groups))
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
        let groups = group_count(&re);
        (re.find_iter(hay).into_iter())
            .map(|m| spans(&re.captures_of(hay, m.range()).unwrap(), groups))
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
    fn every_built_in_pattern_matches_what_the_regex_crate_matches() {
        for rule in crate::rules::builtin::BUILTIN_RULES {
            // Its examples side by side (one window holding several matches), then mangled
            // (truncated, doubled) so that near misses are searched too.
            let mut hay = String::new();
            for text in rule.examples.iter().chain(rule.negative_examples.iter()) {
                hay.push_str(text);
                hay.push_str("\n  x = ");
                let half = (0..=text.len() / 2)
                    .rev()
                    .find(|&i| text.is_char_boundary(i));
                hay.push_str(&text[..half.unwrap_or(0)]);
                hay.push(' ');
                hay.push_str(text);
                hay.push_str(text);
                hay.push('\n');
            }
            assert_eq!(
                ours(rule.pattern, hay.as_bytes()),
                reference(rule.pattern, hay.as_bytes()),
                "{}",
                rule.id
            );
            let re = RulePattern::new(rule.pattern, 2 << 20, 1 << 20).unwrap();
            for text in rule.examples {
                assert!(re.is_match(text.as_bytes()), "{}: {text}", rule.id);
            }
            // The filter passes every window holding a match (else a finding would be lost).
            assert!(re.filter.is_some(), "{}: no filter", rule.id);
            let texts = rule.examples.iter().map(|t| t.as_ref());
            for text in texts.chain([hay.as_str()]) {
                let hay = text.as_bytes();
                for start in (0..hay.len()).step_by(7) {
                    let window = &hay[start..];
                    if re.is_match(window) {
                        assert!(re.may_match(window), "{}: {text}", rule.id);
                    }
                }
            }
        }
    }

    #[test]
    fn a_match_far_into_a_long_window_is_found_by_the_reverse_automaton() {
        let pattern = r"(?i)\b(?P<key>token|password)\s*=\s*'(?P<secret>[a-z0-9]{8,64})'";
        let mut hay = "x = 1; ".repeat(40_000);
        hay.push_str("TOKEN = 'abcdef12' ");
        hay.push_str(&"y ".repeat(40_000));
        hay.push_str("password='0123456789' token='short'");
        let re = RulePattern::new(pattern, 1 << 20, 1 << 20).unwrap();
        assert!(re.exact().unwrap().engines.backtrack.max_haystack_len() < 280_000);
        assert_eq!(
            ours(pattern, hay.as_bytes()),
            reference(pattern, hay.as_bytes())
        );
        assert_eq!(ours(pattern, hay.as_bytes()).len(), 2);
        re.find_iter(hay.as_bytes());
        let reverse = &re.exact().unwrap().engines.reverse;
        assert!(reverse.get().is_some_and(Option::is_some));
        // A short window needs no reverse automaton.
        let short = RulePattern::new(pattern, 1 << 20, 1 << 20).unwrap();
        assert_eq!(short.find_iter(b"a token = 'abcdef12'").len(), 1);
        assert!(short.exact().unwrap().engines.reverse.get().is_none());
    }

    #[test]
    fn short_spans_match_alike_before_and_after_the_lazy_dfa_takes_over() {
        let pattern = r"(?i)\b(?P<key>token|password)\s*=\s*'(?P<secret>[a-z0-9]{8,64})'";
        let hay = b"x = 1; TOKEN = 'abcdef12' password='0123456789' token='short' x";
        let want = reference(pattern, hay);
        assert_eq!(want.len(), 2);
        let re = RulePattern::new(pattern, 1 << 20, 1 << 20).unwrap();
        let groups = group_count(&re);
        let ours = || -> Vec<_> {
            (re.captures_iter(hay).iter())
                .map(|c| spans(c, groups))
                .collect()
        };
        assert_eq!(ours(), want);
        assert!(re.exact().unwrap().caches.get().forward.is_none());
        let searched = || {
            re.exact()
                .unwrap()
                .engines
                .short_searches
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        while searched() <= super::BACKTRACK_SEARCHES {
            assert_eq!(ours(), want);
        }
        assert_eq!(ours(), want);
        assert!(re.exact().unwrap().caches.get().forward.is_some());
    }

    #[test]
    fn a_pattern_too_large_is_refused() {
        let lazy = RulePattern::new(r"(\w{100}){100}", 64 << 10, 1 << 20).unwrap();
        assert!(lazy.late_error().is_none());
        assert!(!lazy.is_match(b"x") && lazy.find_iter(b"x").is_empty());
        assert!(matches!(lazy.late_error(), Some(PatternError::TooLarge(_))));
        let err = RulePattern::new(r"(\w{100}){100}", 64 << 10, 1 << 20)
            .and_then(RulePattern::complete)
            .unwrap_err();
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

    #[test]
    fn the_filter_opens_long_counts() {
        let parse = |p: &str| {
            let syntax = regex_automata::util::syntax::Config::new()
                .unicode(false)
                .utf8(false);
            regex_automata::util::syntax::parse_with(p, &syntax).unwrap()
        };
        for (tight, loose) in [
            (r"(?P<secret>[a-z]{7,255})", r"(?P<secret>[a-z]{7,})"),
            (r"x{0,40}y{2,8}z{32}", r"x*y{2,8}z{8,}"),
            (r"(?:ab){3}|c{9,}", r"(?:ab){3}|c{8,}"),
            (r"(?i)key(?P<v>\d+?){0,64}", r"(?i)key(?P<v>\d+?)*"),
        ] {
            assert_eq!(super::loosen(&parse(tight)), Some(parse(loose)), "{tight}");
        }
        assert_eq!(super::loosen(&parse(r"(?P<k>ab){3}|c{2,8}\b")), None);
        // A window the filter passes is then searched exactly.
        let re = RulePattern::new(r"key=(?P<secret>[a-f0-9]{32})\b", 1 << 20, 1 << 20).unwrap();
        assert!(!re.may_match(b"key=0123 key=") && re.exact.get().is_none());
        let near = b"key=0123456789abcdef and more";
        assert!(re.may_match(near) && !re.is_match(near) && re.find_iter(near).is_empty());
        let hit = b"key=0123456789abcdef0123456789abcdef";
        assert_eq!(re.find_iter(hit).len(), 1);
    }
}
