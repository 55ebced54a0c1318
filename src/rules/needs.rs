//! What every match of a rule pattern needs: runs of bytes from a set (`[A-Za-z0-9]{32}` needs
//! 32 letters or digits in a row, `ghp_` four bytes of `{g, h, p, _}`), found in the parsed
//! pattern. A keyword window without one of its rule's runs holds no match, and is dropped
//! before the pattern is compiled at all: on a working tree most rules whose keyword occurs
//! only ever see such windows (on sqlalchemy, 32 of the 42 rules a scan reached), and
//! compiling a pattern and growing its automaton cost a thousand times more than looking
//! for a run in a window.
//!
//! The runs of the built-in rules are found at build time (`build.rs` includes this file and
//! writes them as `rules::builtin::BUILTIN_NEEDS`), so the parser does not run for them at
//! scan time; a user rule's are found when it is loaded.
//!
//! Sound by construction: a run is only claimed where every match has it (a literal, a class
//! or a repetition of at least one, concatenations of those, the runs every branch of an
//! alternation shares); anything else claims nothing, so at worst a window is kept.

use regex_syntax::hir::{Class, Hir, HirKind};

/// `len` bytes in a row, each in `set` (a bit per byte value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub set: [u64; 4],
    pub len: u32,
}

/// How many runs a rule keeps: each is a pass over a window that survived the ones before.
const KEPT: usize = 2;
/// Runs worth fewer bits than this (about 1 in 16 of random printable text has them) are
/// not kept: they would cost a pass and reject almost nothing (`[^\s"']{8,}`).
const MIN_BITS: f64 = 4.0;

impl Run {
    fn has(&self, byte: u8) -> bool {
        self.set[usize::from(byte >> 6)] >> (byte & 63) & 1 != 0
    }

    /// Whether `hay` holds `len` bytes of `set` in a row.
    pub fn occurs_in(&self, hay: &[u8]) -> bool {
        let mut run = 0;
        for &byte in hay {
            if self.has(byte) {
                run += 1;
                if run >= self.len {
                    return true;
                }
            } else {
                run = 0;
            }
        }
        self.len == 0
    }

    /// How rare the run is in printable text, in bits (as if its bytes were drawn evenly from
    /// the 95 printable ASCII bytes and the tab).
    fn bits(&self) -> f64 {
        let printable = (b' '..=b'~')
            .chain([b'\t'])
            .filter(|&b| self.has(b))
            .count();
        f64::from(self.len) * (96.0 / printable.max(1) as f64).log2()
    }

    /// Whether at least half the printable bytes of `other` are in `self`.
    fn overlaps(&self, other: &Run) -> bool {
        let printable = |run: &Run| (b' '..=b'~').chain([b'\t']).filter(|&b| run.has(b)).count();
        let both = Run {
            set: std::array::from_fn(|i| self.set[i] & other.set[i]),
            len: 0,
        };
        2 * printable(&both) >= printable(other)
    }

    fn union(&self, other: &Run) -> [u64; 4] {
        std::array::from_fn(|i| self.set[i] | other.set[i])
    }
}

/// Whether `hay` may hold a match of a pattern that needs `runs`: `false` only when one of
/// them is missing.
pub fn admits(runs: &[Run], hay: &[u8]) -> bool {
    runs.iter().all(|run| run.occurs_in(hay))
}

/// The runs worth checking for a pattern of a rule with `keywords` (matched as the automaton
/// matches them, ASCII case-insensitively: in lower case): the rarest that none of the
/// keywords brings along (a window always holds its keyword), at most `KEPT`. Empty when
/// `pattern` does not parse (compiling it will say why).
pub fn of_pattern<K: AsRef<str>>(pattern: &str, keywords: &[K]) -> Vec<Run> {
    let parsed = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern);
    match parsed {
        Ok(hir) => worth_checking(shape(&hir).runs, keywords),
        Err(_) => Vec::new(),
    }
}

fn worth_checking<K: AsRef<str>>(mut runs: Vec<Run>, keywords: &[K]) -> Vec<Run> {
    let brought = |run: &Run| {
        keywords.iter().any(|k| {
            let k = k.as_ref().to_ascii_lowercase().into_bytes();
            let len = run.len as usize;
            len <= k.len() && k.windows(len).any(|w| w.iter().all(|&b| run.has(b)))
        })
    };
    runs.retain(|run| !brought(run) && run.bits() >= MIN_BITS);
    runs.sort_by(|a, b| b.bits().total_cmp(&a.bits()));
    // A second run of much the same bytes as one kept would pass the same windows.
    let mut kept: Vec<Run> = Vec::new();
    for run in runs {
        if kept.len() < KEPT && !kept.iter().any(|k| k.overlaps(&run)) {
            kept.push(run);
        }
    }
    kept
}

/// What a sub-pattern guarantees of its every match.
struct Shape {
    /// Every match is bytes of this set only, at least this many (`len` 0: it may be empty).
    whole: Option<Run>,
    /// Runs every match holds.
    runs: Vec<Run>,
}

fn shape(hir: &Hir) -> Shape {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Shape {
            whole: Some(Run {
                set: [0; 4],
                len: 0,
            }),
            runs: Vec::new(),
        },
        HirKind::Literal(literal) => {
            let mut set = [0u64; 4];
            for &b in literal.0.iter() {
                set[usize::from(b >> 6)] |= 1 << (b & 63);
            }
            let run = Run {
                set,
                len: literal.0.len() as u32,
            };
            Shape {
                whole: Some(run),
                runs: vec![run],
            }
        }
        HirKind::Class(class) => {
            let run = Run {
                set: class_set(class),
                len: 1,
            };
            Shape {
                whole: Some(run),
                runs: vec![run],
            }
        }
        HirKind::Capture(group) => shape(&group.sub),
        HirKind::Repetition(rep) => {
            let sub = shape(&rep.sub);
            let whole = sub.whole.map(|run| Run {
                set: run.set,
                len: run.len.saturating_mul(rep.min),
            });
            if rep.min == 0 {
                return Shape {
                    whole,
                    runs: Vec::new(),
                };
            }
            let mut runs = sub.runs;
            runs.extend(whole.filter(|run| run.len > 0));
            Shape { whole, runs }
        }
        HirKind::Concat(parts) => {
            let mut runs = Vec::new();
            let mut whole = Some(Run {
                set: [0; 4],
                len: 0,
            });
            // The parts in a row that are each all of one set (broken by a part that is
            // not): every stretch of them is a run.
            let mut row: Vec<Run> = Vec::new();
            for part in parts.iter().map(shape) {
                runs.extend(part.runs);
                match part.whole {
                    Some(run) => {
                        row.push(run);
                        whole = whole.map(|w| Run {
                            set: w.union(&run),
                            len: w.len + run.len,
                        });
                    }
                    None => {
                        runs.extend(stretches(&row));
                        row.clear();
                        whole = None;
                    }
                }
            }
            runs.extend(stretches(&row));
            Shape { whole, runs }
        }
        HirKind::Alternation(branches) => {
            // Every match is one branch's: what all branches guarantee, loosened to hold for
            // each (sets joined, the shortest length).
            let either = |a: Option<Run>, b: Run| match a {
                None => b,
                Some(a) => Run {
                    set: a.union(&b),
                    len: a.len.min(b.len),
                },
            };
            let mut whole = None;
            let mut shared = None;
            let (mut all_whole, mut all_runs) = (true, true);
            for branch in branches.iter().map(shape) {
                match branch.whole {
                    Some(run) => whole = Some(either(whole, run)),
                    None => all_whole = false,
                }
                // The rarest run of each branch.
                let best =
                    (branch.runs.iter().copied()).max_by(|a, b| a.bits().total_cmp(&b.bits()));
                match best {
                    Some(run) => shared = Some(either(shared, run)),
                    None => all_runs = false,
                }
            }
            Shape {
                whole: whole.filter(|_| all_whole),
                runs: shared.filter(|_| all_runs).into_iter().collect(),
            }
        }
    }
}

/// The run of every stretch of parts in a row (`AKIA[0-9A-Z]{16}` is rarer than `AKIA` or
/// `[0-9A-Z]{16}` alone, and than the same with a part of lower-case letters after it).
fn stretches(row: &[Run]) -> Vec<Run> {
    // A stretch that starts or ends with a part that may be empty is that stretch without
    // it, of more bytes.
    let mut runs = Vec::new();
    for (start, first) in row.iter().enumerate().filter(|(_, part)| part.len > 0) {
        let mut run = *first;
        runs.push(run);
        for next in &row[start + 1..] {
            run = Run {
                set: run.union(next),
                len: run.len + next.len,
            };
            if next.len > 0 {
                runs.push(run);
            }
        }
    }
    runs
}

/// A class as a set of bytes; a Unicode class (not made with Unicode mode off, but possible)
/// takes every byte of its characters' UTF-8 forms, so every non-ASCII byte.
fn class_set(class: &Class) -> [u64; 4] {
    let mut set = [0u64; 4];
    let mut add = |lo: u32, hi: u32| {
        for b in lo..=hi.min(255) {
            set[(b >> 6) as usize] |= 1 << (b & 63);
        }
    };
    match class {
        Class::Bytes(bytes) => {
            for range in bytes.iter() {
                add(u32::from(range.start()), u32::from(range.end()));
            }
        }
        Class::Unicode(chars) => {
            for range in chars.iter() {
                let (lo, hi) = (u32::from(range.start()), u32::from(range.end()));
                if lo <= 127 {
                    add(lo, hi.min(127));
                }
                if hi > 127 {
                    add(128, 255);
                }
            }
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(bytes: &[u8]) -> [u64; 4] {
        let mut set = [0u64; 4];
        for &b in bytes {
            set[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        set
    }

    fn run(bytes: &[u8], len: u32) -> Run {
        Run {
            set: set_of(bytes),
            len,
        }
    }

    const NO_KEYWORDS: &[&str] = &[];
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    #[test]
    fn runs_are_found_in_literals_classes_repetitions_and_concatenations() {
        // The token and its prefix make one run (the keyword's own bytes are no news, and a
        // run of much the same bytes would pass the same windows).
        let alnum_ = [ALNUM, b"_"].concat();
        assert_eq!(
            of_pattern(r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b", &["ghp_"]),
            vec![run(&alnum_, 40)]
        );
        // A repetition that may be empty needs nothing; one of at least two needs twice.
        assert_eq!(
            of_pattern(r"key=[0-9a-f]{0,64}", &["key"]),
            vec![run(b"key=", 4)]
        );
        assert_eq!(
            of_pattern(r"(?:[0-9a-f]{16}){2,}", NO_KEYWORDS),
            vec![run(b"0123456789abcdef", 32)]
        );
        // A part that is not all of one set (an alternation of a letter and a run) breaks
        // the run: the parts on either side count alone.
        assert_eq!(
            of_pattern(r"AKIA[0-9A-Z]{16}(?:x|[0-9]{3})[a-z]{12}", &["akia"]),
            vec![
                run(&[&ALNUM[..26], &ALNUM[52..], b"x"].concat(), 21),
                run(&ALNUM[26..52], 12)
            ]
        );
    }

    #[test]
    fn an_alternation_needs_what_each_branch_needs_loosened_to_hold_for_all() {
        assert_eq!(
            of_pattern(
                r"(?:sk_live_[0-9a-z]{24}|rk_live_[0-9a-z]{30})",
                NO_KEYWORDS
            ),
            vec![run(b"0123456789abcdefghijklmnopqrstuvwxyz_ikrsv", 32)]
        );
        // A branch that needs nothing makes the whole need nothing.
        assert_eq!(of_pattern(r"(?:[0-9]{20}|x?)", NO_KEYWORDS), vec![]);
    }

    #[test]
    fn runs_too_common_to_reject_anything_are_not_kept() {
        assert_eq!(
            of_pattern(r#"password\s*[^\s"']{8,}"#, &["password"]),
            vec![]
        );
        assert_eq!(of_pattern(r"not a (pattern", NO_KEYWORDS), vec![]);
    }

    #[test]
    fn a_window_is_admitted_only_with_every_run() {
        let runs = [run(ALNUM, 8), run(b"@", 1)];
        assert!(admits(&runs, b"x = 'user@Abcdefgh12'"));
        assert!(!admits(&runs, b"x = 'user@Abcdefg-12'"));
        assert!(!admits(&runs, b"x = 'Abcdefgh12'"));
        assert!(admits(&[], b""));
        assert!(run(b"", 0).occurs_in(b""));
    }
}
