//! Runs `keyward scan` over the labelled set, maps every finding back to the value on its
//! line, and keeps the tallies and tables (per area, per rule, per negative category) that
//! the assertions and the report print. Prints nothing itself.

use super::contexts::{Label, Record};
use super::spec::Spec;
use assert_cmd::Command;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

pub struct Finding {
    pub rule: String,
    pub kind: String,
    pub line: usize,
}

/// Every finding of `keyward scan ROOT --format jsonl --no-ignore`, by path relative to ROOT.
pub fn scan(root: &Path) -> HashMap<String, Vec<Finding>> {
    let out = Command::cargo_bin("keyward")
        .unwrap()
        .current_dir(root)
        .env("NO_COLOR", "1")
        .args(["scan", ".", "--format", "jsonl", "--no-ignore"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "keyward scan failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut by_path: HashMap<String, Vec<Finding>> = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("failed to parse a jsonl finding ({e}): {line}"));
        let path = v["path"].as_str().unwrap_or_default();
        let path = path.trim_start_matches("./").replace('\\', "/");
        by_path.entry(path).or_default().push(Finding {
            rule: v["rule"].as_str().unwrap_or_default().to_string(),
            kind: v["kind"].as_str().unwrap_or_default().to_string(),
            line: v["line"].as_u64().unwrap_or(0) as usize,
        });
    }
    by_path
}

/// What happened to one value.
pub struct Scored<'a> {
    pub record: &'a Record,
    /// Positive: the named rule reported it. Negative: some secret rule reported it.
    pub hit: bool,
    /// The secret rules that reported something on its lines.
    pub rules: Vec<String>,
    /// A truncated value that only a generic rule reported (not counted as flagged: a
    /// high-entropy value in a `*_API_KEY` variable is what those rules are for).
    pub generic_only: bool,
}

impl Scored<'_> {
    /// A positive that counts towards the recall bar.
    pub fn is_bar_positive(&self) -> bool {
        self.record.label == Label::Positive && self.record.ctx.in_bar()
    }

    /// A positive in a context reported beside the bar (SDK constructor, nested YAML).
    pub fn is_extra_positive(&self) -> bool {
        self.record.label == Label::Positive && !self.record.ctx.in_bar()
    }
}

pub fn score<'a>(
    records: &'a [Record],
    specs: &[Spec],
    found: &HashMap<String, Vec<Finding>>,
    generic: &BTreeSet<String>,
) -> Vec<Scored<'a>> {
    let empty = Vec::new();
    records
        .iter()
        .map(|record| {
            let on_lines: Vec<&Finding> = found
                .get(&record.path)
                .unwrap_or(&empty)
                .iter()
                .filter(|f| (record.first_line..=record.last_line).contains(&f.line))
                .filter(|f| f.kind == "secret")
                .collect();
            let mut rules: Vec<String> = on_lines.iter().map(|f| f.rule.clone()).collect();
            rules.sort();
            rules.dedup();
            let specific = rules.iter().any(|r| !generic.contains(r));
            let (hit, generic_only) = match record.label {
                Label::Positive => (rules.contains(&specs[record.spec].rule), false),
                Label::Truncated => (specific, !rules.is_empty() && !specific),
                _ => (!rules.is_empty(), false),
            };
            Scored {
                record,
                hit,
                rules,
                generic_only,
            }
        })
        .collect()
}

#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub hit: usize,
    pub total: usize,
}

impl Tally {
    pub fn add(&mut self, hit: bool) {
        self.total += 1;
        self.hit += usize::from(hit);
    }

    pub fn pct(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.hit as f64 / self.total as f64
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} ({:.2} %)", self.hit, self.total, self.pct())
    }
}

/// Recall per area (spec file) and overall, negatives flagged per category.
pub fn summary(scored: &[Scored], specs: &[Spec], counted: impl Fn(&Scored) -> bool) -> String {
    let mut areas: BTreeMap<&str, (Tally, Tally)> = BTreeMap::new();
    let mut categories: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut generic_only = Tally::default();
    let mut extra: BTreeMap<&str, Tally> = BTreeMap::new();
    let (mut pos, mut neg) = (Tally::default(), Tally::default());
    for s in scored {
        let area = areas.entry(specs[s.record.spec].area()).or_default();
        if s.is_extra_positive() {
            extra.entry(s.record.ctx.name()).or_default().add(s.hit);
        } else if s.is_bar_positive() {
            pos.add(s.hit);
            area.0.add(s.hit);
        } else {
            categories
                .entry(s.record.label.name())
                .or_default()
                .add(s.hit);
            if s.record.label == Label::Truncated {
                generic_only.add(s.generic_only);
            }
            if counted(s) {
                neg.add(s.hit);
                area.1.add(s.hit);
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<18} {:>26} {:>26}",
        "area", "recall (rule found)", "negatives flagged"
    );
    for (area, (p, n)) in &areas {
        let _ = writeln!(
            out,
            "{area:<18} {:>26} {:>26}",
            p.to_string(),
            n.to_string()
        );
    }
    let _ = writeln!(
        out,
        "{:<18} {:>26} {:>26}",
        "ALL",
        pos.to_string(),
        neg.to_string()
    );
    for (ctx, t) in &extra {
        let _ = writeln!(out, "{ctx:<18} {:>26}   (beside the bar)", t.to_string());
    }
    let _ = writeln!(
        out,
        "negatives by category (bad checksum counted only for rules that declare `validate`):"
    );
    for (category, t) in &categories {
        let _ = writeln!(out, "  {category:<20} {t}");
    }
    let _ = writeln!(
        out,
        "  truncated, reported by a generic rule only (not counted): {generic_only}"
    );
    out
}

/// Recall per category (`patterns/<category>/` of the named rule).
pub fn by_category(scored: &[Scored], specs: &[Spec], category: impl Fn(&str) -> String) -> String {
    let mut rows: BTreeMap<String, Tally> = BTreeMap::new();
    for s in scored.iter().filter(|s| s.is_bar_positive()) {
        rows.entry(category(&specs[s.record.spec].rule))
            .or_default()
            .add(s.hit);
    }
    let mut out = String::from("recall per category of patterns/:\n");
    for (category, t) in rows {
        let _ = writeln!(out, "  {category:<16} {t}");
    }
    out
}

/// Recall per rule (every spec'd rule), worst first.
pub fn per_rule(scored: &[Scored], specs: &[Spec]) -> String {
    let mut rules: BTreeMap<&str, Tally> = BTreeMap::new();
    for s in scored.iter().filter(|s| s.is_bar_positive()) {
        rules
            .entry(&specs[s.record.spec].rule)
            .or_default()
            .add(s.hit);
    }
    let mut rows: Vec<_> = rules.into_iter().collect();
    rows.sort_by(|a, b| a.1.pct().total_cmp(&b.1.pct()).then(a.0.cmp(b.0)));
    let mut out = String::from("recall per rule:\n");
    for (rule, t) in rows {
        let _ = writeln!(out, "  {rule:<40} {t}");
    }
    out
}

/// The misses of positives, grouped by rule, with context, spec line, value and what fired.
pub fn misses(scored: &[Scored], specs: &[Spec]) -> String {
    let mut by_rule: BTreeMap<&str, Vec<&Scored>> = BTreeMap::new();
    for s in scored.iter().filter(|s| s.is_bar_positive() && !s.hit) {
        by_rule
            .entry(&specs[s.record.spec].rule)
            .or_default()
            .push(s);
    }
    let mut out = String::new();
    for (rule, list) in by_rule {
        let _ = writeln!(out, "{rule}: {} missed", list.len());
        for s in list {
            let spec = &specs[s.record.spec];
            let other = if s.rules.is_empty() {
                "nothing".to_string()
            } else {
                s.rules.join(",")
            };
            let _ = writeln!(
                out,
                "  {}:{} {:<6} {} -> found by {other}: {}",
                spec.file,
                spec.line,
                s.record.ctx.name(),
                spec.context,
                s.record.value.replace('\n', "\\n")
            );
        }
    }
    out
}

/// The rules that miss values in the contexts beside the bar, with counts.
pub fn extra_misses(scored: &[Scored], specs: &[Spec]) -> String {
    let mut by_rule: BTreeMap<(&str, &str), Tally> = BTreeMap::new();
    for s in scored.iter().filter(|s| s.is_extra_positive()) {
        let key = (s.record.ctx.name(), specs[s.record.spec].rule.as_str());
        by_rule.entry(key).or_default().add(s.hit);
    }
    let missed: Vec<String> = by_rule
        .into_iter()
        .filter(|(_, t)| t.hit < t.total)
        .map(|((ctx, rule), t)| format!("{ctx} {rule} {}/{}", t.hit, t.total))
        .collect();
    format!(
        "misses beside the bar ({}): {}\n",
        missed.len(),
        missed.join(", ")
    )
}

/// Negatives that some rule flagged, by flagging rule.
pub fn flagged(scored: &[Scored], specs: &[Spec], counted: impl Fn(&Scored) -> bool) -> String {
    let mut by_rule: BTreeMap<String, Vec<&Scored>> = BTreeMap::new();
    for s in scored
        .iter()
        .filter(|s| s.record.label != Label::Positive && s.hit && counted(s))
    {
        by_rule.entry(s.rules.join(",")).or_default().push(s);
    }
    let mut out = String::new();
    for (rules, list) in by_rule {
        let _ = writeln!(out, "flagged by {rules}: {}", list.len());
        for s in list {
            let spec = &specs[s.record.spec];
            let _ = writeln!(
                out,
                "  {}:{} {:<6} {:<18} {} ({}): {}",
                spec.file,
                spec.line,
                s.record.ctx.name(),
                s.record.label.name(),
                spec.context,
                spec.rule,
                s.record.value.replace('\n', "\\n")
            );
        }
    }
    out
}
