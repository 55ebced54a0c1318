//! Baseline files (`.keyward-baseline.json`): the format, reading (strict), writing (atomic,
//! never a secret value: a salted, slow hash of the fingerprint, rule, path, commit id),
//! building one from a scan's findings, upgrading a version-1 file, pruning, and entry
//! expiry. How an entry's fingerprint is made is `scan::entryprint`'s; hiding findings is
//! `scan::filter`'s job; the record of one accepted finding is `finding::BaselineEntry`.

use crate::finding::{BaselineEntry, Finding};
use crate::scan::entryprint::Hashing;
use crate::secret::FingerprintKey;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The format version this build writes: entries hold `scan::entryprint` hashes.
pub const VERSION: u32 = 2;

/// The first format: entries hold the unkeyed report fingerprint `sha256(rule ‖ 0 ‖ value)`,
/// which a word list reverses for weak secrets. Still read (and matched), with a note saying
/// how to upgrade; never written.
pub const LEGACY_VERSION: u32 = 1;

/// The default baseline file name.
pub const DEFAULT_FILE: &str = ".keyward-baseline.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    /// Version 2: how the entries' fingerprints were made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashing: Option<Hashing>,
    pub entries: Vec<BaselineEntry>,
}

impl Baseline {
    pub fn is_legacy(&self) -> bool {
        self.hashing.is_none()
    }

    /// Entry fingerprint → report fingerprint, for each of `report_prints` (a version-1
    /// entry is the report fingerprint itself).
    pub fn matcher<'a>(
        &self,
        report_prints: impl IntoIterator<Item = &'a str>,
    ) -> HashMap<String, &'a str> {
        match &self.hashing {
            Some(hashing) => hashing.entry_prints(report_prints),
            None => (report_prints.into_iter())
                .map(|p| (p.to_string(), p))
                .collect(),
        }
    }
}

/// What to tell the owner of a version-1 baseline: what is wrong and what to run.
pub fn legacy_note(file: &Path) -> String {
    let file = file.display();
    format!(
        "{file}: this baseline (version 1) stores unsalted SHA-256 fingerprints, from which a \
         word list recovers weak secrets; it still hides its findings, but upgrade it with \
         `keyward baseline --upgrade -o {file}` (every entry kept, salted and slow) and rotate \
         any weak secret it lists: the old file stays in git history"
    )
}

/// Reads and checks a baseline file for a run with `key`; every error names the file.
pub fn read(path: &Path, key: Option<&FingerprintKey>) -> Result<Baseline> {
    let baseline = read_unkeyed(path)?;
    let name = path.display();
    match &baseline.hashing {
        Some(hashing) => {
            if let Some(problem) = hashing.key_problem(key) {
                bail!("{name} {problem}");
            }
        }
        None if key.is_some() => bail!(
            "{name} is a version-1 baseline, which cannot match keyed fingerprints; upgrade it \
             with the key set: `keyward baseline --upgrade -o {name}`"
        ),
        None => {}
    }
    Ok(baseline)
}

/// Reads and checks a baseline file, whatever key it was made with.
fn read_unkeyed(path: &Path) -> Result<Baseline> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read the baseline file {name}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut baseline: Baseline =
        serde_json::from_str(text).with_context(|| format!("{name}: not a keyward baseline"))?;
    match (baseline.version, &baseline.hashing) {
        (VERSION, Some(hashing)) => hashing
            .check()
            .with_context(|| format!("{name}: hashing"))?,
        (VERSION, None) => bail!("{name}: a version-2 baseline needs its `hashing` header"),
        (LEGACY_VERSION, None) => {}
        (LEGACY_VERSION, Some(_)) => bail!("{name}: a version-1 baseline has no `hashing`"),
        (v, _) => bail!(
            "{name}: baseline version {v} is not supported (this keyward reads versions \
             {LEGACY_VERSION} and {VERSION})"
        ),
    }
    for entry in &mut baseline.entries {
        entry.fingerprint.make_ascii_lowercase();
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
            bail!("expires `{date}` is not a real YYYY-MM-DD date");
        }
    }
    Ok(())
}

/// A real calendar day as `YYYY-MM-DD` (no 2099-02-30, no 2025-04-31).
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| text[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
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
/// The salt of a version-2 `previous` is kept (so rewriting a baseline changes only what
/// changed), and so are the `reason` and `expires` of entries that are still found.
pub fn from_findings(
    findings: &[Finding],
    previous: Option<&Baseline>,
    key: Option<&FingerprintKey>,
) -> Baseline {
    let hashing = previous
        .and_then(|b| b.hashing.clone())
        .filter(|h| h.key_problem(key).is_none())
        .unwrap_or_else(|| Hashing::fresh(key));
    let reports = findings.iter().map(|f| f.fingerprint.as_str());
    let entry_of: HashMap<&str, String> = (hashing.entry_prints(reports).into_iter())
        .map(|(entry, report)| (report, entry))
        .collect();
    let old = previous_entries(findings, previous);
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    for f in findings {
        if !seen.insert(f.fingerprint.as_str()) {
            continue;
        }
        let kept = old.get(f.fingerprint.as_str());
        entries.push(BaselineEntry {
            fingerprint: entry_of[f.fingerprint.as_str()].clone(),
            rule: f.rule.clone(),
            path: f.path.clone(),
            commit: f.commit.as_ref().and_then(|c| recorded_commit(&c.id)),
            reason: kept.and_then(|e| e.reason.clone()),
            expires: kept.and_then(|e| e.expires.clone()),
        });
    }
    Baseline {
        version: VERSION,
        hashing: Some(hashing),
        entries,
    }
}

/// The entries of `previous` that `findings` match, by report fingerprint.
fn previous_entries<'a>(
    findings: &'a [Finding],
    previous: Option<&'a Baseline>,
) -> HashMap<&'a str, &'a BaselineEntry> {
    let Some(previous) = previous else {
        return HashMap::new();
    };
    let matcher = previous.matcher(findings.iter().map(|f| f.fingerprint.as_str()));
    (previous.entries.iter())
        .filter_map(|e| matcher.get(e.fingerprint.as_str()).map(|r| (*r, e)))
        .collect()
}

/// A version-1 baseline rewritten as version 2 without a scan: each entry's report
/// fingerprint (keyed with `key` when there is one) is hashed under a fresh salt; rule, path,
/// commit, reason and expiry are kept.
pub fn upgrade(old: &Baseline, key: Option<&FingerprintKey>) -> Baseline {
    let hashing = Hashing::fresh(key);
    let reports: Vec<String> = (old.entries.iter())
        .map(|e| match key {
            Some(key) => key.rekey(&e.fingerprint),
            None => e.fingerprint.clone(),
        })
        .collect();
    let entry_of: HashMap<&str, String> = (hashing
        .entry_prints(reports.iter().map(String::as_str)))
    .into_iter()
    .map(|(entry, report)| (report, entry))
    .collect();
    let entries = (old.entries.iter().zip(&reports))
        .map(|(e, report)| BaselineEntry {
            fingerprint: entry_of[report.as_str()].clone(),
            ..e.clone()
        })
        .collect();
    Baseline {
        version: VERSION,
        hashing: Some(hashing),
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
/// and whose fingerprint is not in `found` (entry fingerprints: see `Baseline::matcher`).
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
        hashing: baseline.hashing.clone(),
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
    /// The fingerprint key of the run, if any.
    pub key: Option<&'a FingerprintKey>,
}

/// `keyward baseline`: records `findings` as accepted (keeping the `reason` and `expires` of
/// entries already there) or, with `prune`, rewrites the previous baseline without its stale
/// entries. Notes what it did on stderr.
pub fn update(findings: &[Finding], up: &Update) -> Result<()> {
    let source = up.previous.unwrap_or(up.output);
    let previous = if up.prune || source.exists() {
        Some(read_previous(source, up.key, up.prune)?)
    } else {
        None
    };
    let next = match (&previous, up.prune) {
        (Some(old), true) => {
            let found = old.matcher(findings.iter().map(|f| f.fingerprint.as_str()));
            let found: HashSet<&str> = found.keys().map(String::as_str).collect();
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
        _ => from_findings(findings, previous.as_ref(), up.key),
    };
    write(up.output, &next)?;
    crate::messages::note(format!(
        "wrote {} baseline entries to {}",
        next.entries.len(),
        up.output.display()
    ));
    Ok(())
}

/// The previous baseline of a rewrite. One made under another key (or none) cannot be
/// matched: pruning it is an error, and recording anew says that its reasons and expiry
/// dates are not carried over.
fn read_previous(path: &Path, key: Option<&FingerprintKey>, prune: bool) -> Result<Baseline> {
    if prune {
        return read(path, key);
    }
    let old = read_unkeyed(path)?;
    let problem = match &old.hashing {
        Some(hashing) => hashing.key_problem(key),
        None if key.is_some() => Some("is a version-1 baseline, made without a fingerprint key"),
        None => None,
    };
    if let Some(problem) = problem {
        crate::messages::note(format!(
            "{} {problem}: its reasons and expiry dates are not carried over",
            path.display()
        ));
    }
    Ok(old)
}

/// `keyward baseline --upgrade`: rewrites a version-1 baseline (`previous`, else `output`) as
/// version 2 into `output`, keeping every entry; no scan.
pub fn upgrade_file(previous: &Path, output: &Path, key: Option<&FingerprintKey>) -> Result<()> {
    let old = read_unkeyed(previous)?;
    if !old.is_legacy() {
        if let Some(problem) = old.hashing.as_ref().and_then(|h| h.key_problem(key)) {
            bail!("{} {problem}", previous.display());
        }
        crate::messages::note(format!(
            "{} is already a version-{VERSION} baseline; nothing to upgrade",
            previous.display()
        ));
        if previous != output {
            write(output, &old)?;
        }
        return Ok(());
    }
    let next = upgrade(&old, key);
    write(output, &next)?;
    crate::messages::note(format!(
        "upgraded {} baseline entries of {} to version {VERSION} in {}",
        next.entries.len(),
        previous.display(),
        output.display()
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
