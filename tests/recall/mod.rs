//! The recall set: provider tokens generated from the documented formats in
//! `tests/recall/specs/*.tsv`, written in Python, YAML, JSON, `.env` and shell contexts with
//! derived negatives, scanned by the real binary. Asserts recall >= 98 % (the named rule
//! reports the value's line), every spec'd rule found at least once, <= 1 % of negatives
//! flagged, and a spec for every provider rule. `KEYWARD_RECALL_REPORT=1` prints the tables
//! on success too (`scripts/score-recall.sh`); `KEYWARD_RECALL_DIR=DIR` writes the set to DIR
//! and leaves it there.

mod contexts;
pub(crate) mod gen;
mod rules;
mod score;
mod spec;

use contexts::{Label, Record};
use score::{Finding, Scored};
use spec::Spec;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::OnceLock;

const MIN_RECALL_PCT: f64 = 98.0;
const MAX_FLAGGED_PCT: f64 = 1.0;

struct Outcome {
    specs: Vec<Spec>,
    rules: Vec<rules::RuleInfo>,
    records: Vec<Record>,
    found: HashMap<String, Vec<Finding>>,
}

impl Outcome {
    fn scored(&self) -> Vec<Scored<'_>> {
        let generic = self
            .rules
            .iter()
            .filter(|r| r.is_generic())
            .map(|r| r.id.clone())
            .collect();
        score::score(&self.records, &self.specs, &self.found, &generic)
    }

    /// Whether a negative counts against the bar: a wrong checksum only once the rule checks
    /// checksums (declares `validate:`); until then it is reported on its own line.
    fn counted(&self, s: &Scored) -> bool {
        s.record.label != Label::BadChecksum || {
            let rule = &self.specs[s.record.spec].rule;
            self.rules
                .iter()
                .any(|r| &r.id == rule && r.validate.is_some())
        }
    }
}

/// Generated, written and scanned once for all the tests of this module.
fn outcome() -> &'static Outcome {
    static OUTCOME: OnceLock<Outcome> = OnceLock::new();
    OUTCOME.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recall/specs");
        let (specs, _errors) = spec::load_dir(&dir);
        let rules = rules::load();
        let known: BTreeSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        // A spec naming no rule is reported by `recall_specs_are_well_formed`, not scored.
        let specs: Vec<Spec> = specs
            .into_iter()
            .filter(|s| known.contains(s.rule.as_str()))
            .collect();
        let root = tempfile::tempdir().unwrap();
        // KEYWARD_RECALL_DIR=DIR keeps the generated files there for a look (an empty DIR).
        let kept = std::env::var_os("KEYWARD_RECALL_DIR").map(std::path::PathBuf::from);
        let dir = kept.as_deref().unwrap_or(root.path());
        let records = contexts::write_set(dir, &specs);
        let found = score::scan(dir);
        Outcome {
            specs,
            rules,
            records,
            found,
        }
    })
}

fn report_requested() -> bool {
    std::env::var_os("KEYWARD_RECALL_REPORT").is_some_and(|v| !v.is_empty() && v != "0")
}

#[test]
fn recall_specs_are_well_formed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recall/specs");
    let (specs, mut errors) = spec::load_dir(&dir);
    let rules = rules::load();
    for s in &specs {
        match rules.iter().find(|r| r.id == s.rule) {
            None => errors.push(format!(
                "tests/recall/specs/{}:{}: no rule `{}` under patterns/",
                s.file, s.line, s.rule
            )),
            Some(r) if r.kind != "secret" => errors.push(format!(
                "tests/recall/specs/{}:{}: `{}` is a {} rule; the recall set is for secret rules",
                s.file, s.line, s.rule, r.kind
            )),
            Some(_) => {}
        }
    }
    assert!(!specs.is_empty(), "no spec lines under {}", dir.display());
    assert!(
        errors.is_empty(),
        "bad recall spec lines:\n{}",
        errors.join("\n")
    );
}

#[test]
fn recall_of_provider_tokens_is_at_least_98_percent() {
    let o = outcome();
    let scored = o.scored();
    let mut total = score::Tally::default();
    for s in scored.iter().filter(|s| s.is_bar_positive()) {
        total.add(s.hit);
    }
    let spec_rules: BTreeSet<&str> = o.specs.iter().map(|s| s.rule.as_str()).collect();
    let found_rules: BTreeSet<&str> = scored
        .iter()
        .filter(|s| s.is_bar_positive() && s.hit)
        .map(|s| o.specs[s.record.spec].rule.as_str())
        .collect();
    let never: Vec<&str> = spec_rules.difference(&found_rules).copied().collect();
    let summary = score::summary(&scored, &o.specs, |s| o.counted(s));
    if report_requested() {
        let category = |rule: &str| {
            let file = o
                .rules
                .iter()
                .find(|r| r.id == rule)
                .map_or("", |r| &r.file);
            file.split_once('/')
                .map_or(file, |(dir, _)| dir)
                .to_string()
        };
        println!(
            "{summary}\n{}",
            score::by_category(&scored, &o.specs, category)
        );
        println!("{}", score::per_rule(&scored, &o.specs));
        println!("misses:\n{}", score::misses(&scored, &o.specs));
        println!("{}", score::extra_misses(&scored, &o.specs));
    }
    assert!(total.total > 0, "the recall set is empty");
    assert!(
        total.pct() >= MIN_RECALL_PCT && never.is_empty(),
        "recall {total} (bar {MIN_RECALL_PCT} %); rules never found: {never:?}\n{summary}\nmisses by rule:\n{}",
        score::misses(&scored, &o.specs)
    );
}

#[test]
fn recall_negatives_are_flagged_at_most_1_percent() {
    let o = outcome();
    let scored = o.scored();
    let mut total = score::Tally::default();
    for s in scored
        .iter()
        .filter(|s| s.record.label != Label::Positive && o.counted(s))
    {
        total.add(s.hit);
    }
    let flagged = score::flagged(&scored, &o.specs, |s| o.counted(s));
    if report_requested() {
        let unchecked = score::flagged(&scored, &o.specs, |s| !o.counted(s));
        println!("negatives flagged {total}:\n{flagged}");
        println!("bad checksums accepted by rules that do not check them yet:\n{unchecked}");
    }
    assert!(total.total > 0, "the recall set has no negatives");
    assert!(
        total.pct() <= MAX_FLAGGED_PCT,
        "negatives flagged {total} (bar {MAX_FLAGGED_PCT} %)\n{}\n{flagged}",
        score::summary(&scored, &o.specs, |s| o.counted(s))
    );
}

#[test]
fn every_provider_rule_has_a_recall_spec() {
    let o = outcome();
    let spec_rules: BTreeSet<&str> = o.specs.iter().map(|s| s.rule.as_str()).collect();
    let missing: Vec<String> = o
        .rules
        .iter()
        .filter(|r| r.needs_spec() && !spec_rules.contains(r.id.as_str()))
        .map(|r| format!("  {} (patterns/{})", r.id, r.file))
        .collect();
    assert!(
        missing.is_empty(),
        "{} provider rules have no line in tests/recall/specs/*.tsv:\n{}",
        missing.len(),
        missing.join("\n")
    );
}
