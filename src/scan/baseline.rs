//! Baseline files (`.keyward-baseline.json`): the format, reading (strict), writing (atomic,
//! never a secret value: fingerprint, rule, path, commit id), building one from a scan's
//! findings, pruning, and entry expiry. Hiding findings is `scan::filter`'s job;
//! the record of one accepted finding is `finding::BaselineEntry`.

use crate::finding::{BaselineEntry, Finding};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The format version this build reads and writes.
pub const VERSION: u32 = 1;

/// The default baseline file name.
pub const DEFAULT_FILE: &str = ".keyward-baseline.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<BaselineEntry>,
}

/// Reads and checks a baseline file; every error names the file.
pub fn read(path: &Path) -> Result<Baseline> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read the baseline file {name}"))?;
    let baseline: Baseline =
        serde_json::from_str(&text).with_context(|| format!("{name}: not a keyward baseline"))?;
    if baseline.version != VERSION {
        bail!(
            "{name}: baseline version {} is not supported (this keyward reads version {VERSION})",
            baseline.version
        );
    }
    for entry in &baseline.entries {
        check_entry(entry).with_context(|| format!("{name}: entry for `{}`", entry.rule))?;
    }
    Ok(baseline)
}

fn check_entry(entry: &BaselineEntry) -> Result<()> {
    let fp = &entry.fingerprint;
    if fp.len() != 64 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("fingerprint `{fp}` is not 64 hex digits");
    }
    if let Some(date) = &entry.expires {
        if !is_date(date) {
            bail!("expires `{date}` is not a YYYY-MM-DD date");
        }
    }
    Ok(())
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) {
        return false;
    }
    let month: u32 = text[5..7].parse().unwrap_or(0);
    let day: u32 = text[8..10].parse().unwrap_or(0);
    digits(8..10) && (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// The baseline as JSON text (pretty, with a final newline).
pub fn to_text(baseline: &Baseline) -> String {
    let mut text = serde_json::to_string_pretty(baseline).expect("a baseline serializes");
    text.push('\n');
    text
}

/// Writes the file atomically (a temporary file beside it, then a rename), so a failed run
/// never leaves half a baseline behind.
pub fn write(path: &Path, baseline: &Baseline) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, to_text(baseline))
        .with_context(|| format!("failed to write the baseline file {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("failed to write the baseline file {}", path.display()))
}

/// One entry per fingerprint (the first finding in report order names rule, path and commit).
/// `reason` and `expires` carry over from `previous` for fingerprints that are still found.
pub fn from_findings(findings: &[Finding], previous: Option<&Baseline>) -> Baseline {
    let old: HashMap<&str, &BaselineEntry> = previous
        .map(|b| {
            b.entries
                .iter()
                .map(|e| (e.fingerprint.as_str(), e))
                .collect()
        })
        .unwrap_or_default();
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    for f in findings {
        if !seen.insert(f.fingerprint.as_str()) {
            continue;
        }
        let kept = old.get(f.fingerprint.as_str());
        entries.push(BaselineEntry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            path: f.path.clone(),
            commit: f.commit.as_ref().and_then(|c| recorded_commit(&c.id)),
            reason: kept.and_then(|e| e.reason.clone()),
            expires: kept.and_then(|e| e.expires.clone()),
        });
    }
    Baseline {
        version: VERSION,
        entries,
    }
}

/// The commit an entry records: none for a staged finding (git's null id: the commit does
/// not exist yet), so that staged entries are judged like tree entries.
fn recorded_commit(id: &str) -> Option<String> {
    id.bytes().any(|b| b != b'0').then(|| id.to_string())
}

/// What a scan saw of what a baseline covers, which decides the entries it can call stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Part of it (the staged change, a commit range, a subdirectory, some files): none.
    Partial,
    /// The whole working tree: the entries recorded from a tree (without a commit).
    Tree,
    /// Every commit of every ref: the entries recorded from history (with a commit). A tree
    /// scan cannot judge those: the secret may be gone from the tree but not from history.
    History,
}

impl Coverage {
    /// Whether a scan with this coverage can tell that `entry` matches nothing any more.
    pub fn judges(self, entry: &BaselineEntry) -> bool {
        match self {
            Coverage::Partial => false,
            Coverage::Tree => entry.commit.is_none(),
            Coverage::History => entry.commit.is_some(),
        }
    }
}

/// Splits the entries into those kept and the stale ones: entries that `coverage` can judge
/// and whose fingerprint is not in `found`.
pub fn prune(
    baseline: &Baseline,
    found: &HashSet<&str>,
    coverage: Coverage,
) -> (Baseline, Vec<BaselineEntry>) {
    let (kept, stale): (Vec<BaselineEntry>, Vec<BaselineEntry>) =
        (baseline.entries.iter().cloned())
            .partition(|e| !coverage.judges(e) || found.contains(e.fingerprint.as_str()));
    let kept = Baseline {
        version: baseline.version,
        entries: kept,
    };
    (kept, stale)
}

/// What `keyward baseline` was asked to do.
pub struct Update<'a> {
    /// The file written (`-o`, default `.keyward-baseline.json`).
    pub output: &'a Path,
    /// The file read for the previous entries (`--baseline`, else `output` when it exists).
    pub previous: Option<&'a Path>,
    /// Drop the previous entries that match nothing instead of recording today's findings.
    pub prune: bool,
    /// What the scan covered (pruning needs more than `Partial`).
    pub coverage: Coverage,
}

/// `keyward baseline`: records `findings` as accepted (keeping the `reason` and `expires` of
/// entries already there) or, with `prune`, rewrites the previous baseline without its stale
/// entries. Notes what it did on stderr.
pub fn update(findings: &[Finding], up: &Update) -> Result<()> {
    let source = up.previous.unwrap_or(up.output);
    let previous = if up.prune || source.exists() {
        Some(read(source)?)
    } else {
        None
    };
    let next = match (&previous, up.prune) {
        (Some(old), true) => {
            let found: HashSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
            let (kept, stale) = prune(old, &found, up.coverage);
            for e in &stale {
                crate::messages::note(format!(
                    "pruned: {} at {} ({})",
                    e.rule,
                    crate::sanitize::escape(&e.path),
                    &e.fingerprint[..16]
                ));
            }
            kept
        }
        _ => from_findings(findings, previous.as_ref()),
    };
    write(up.output, &next)?;
    crate::messages::note(format!(
        "wrote {} baseline entries to {}",
        next.entries.len(),
        up.output.display()
    ));
    Ok(())
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = crate::dates::civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_and_expiry_is_after_the_day() {
        assert!(is_date("2025-01-31"));
        for bad in [
            "2025-1-31",
            "2025-13-01",
            "2025-01-00",
            "tomorrow",
            "2025/01/31",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
        let mut e = BaselineEntry {
            fingerprint: "0".repeat(64),
            rule: "r".into(),
            path: "p".into(),
            commit: None,
            reason: None,
            expires: Some("2025-06-30".into()),
        };
        assert!(!e.is_expired("2025-06-30"));
        assert!(e.is_expired("2025-07-01"));
        e.expires = None;
        assert!(!e.is_expired("2999-01-01"));
    }
}
