//! What a scan produces: `Finding`s with their kind, severity, location, redactable secret and
//! fingerprint, plus the commit that introduced them in history and staged modes; the one
//! constructor and fingerprint of a finding; and the baseline's record of an accepted one.

use crate::secret::{fingerprint, Secret};
pub use crate::severity::{Kind, Severity};
use serde::{Deserialize, Serialize};

/// The commit a finding is attributed to (history: the earliest that introduced it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// RFC 3339.
    pub date: String,
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub kind: Kind,
    pub severity: Severity,
    /// Relative to the scanned root, `/`-separated.
    pub path: String,
    /// 1-based; file-level findings are at line 1, column 1.
    pub line: u32,
    pub column: u32,
    pub commit: Option<CommitInfo>,
    pub secret: Secret,
    pub fingerprint: String,
    pub remediation: String,
}

/// What a finding says about the rule or code check that made it.
#[derive(Debug, Clone, Copy)]
pub struct Maker<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub kind: Kind,
    pub severity: Severity,
    pub remediation: &'a str,
}

impl Finding {
    /// The one way rules and code checks make a finding: `maker`'s finding at `path`, 1-based
    /// `line` and `column`, with `value` as the matched evidence.
    pub fn new(maker: &Maker, path: &str, line: u32, column: u32, value: &[u8]) -> Finding {
        Finding {
            rule: maker.id.to_string(),
            title: maker.title.to_string(),
            kind: maker.kind,
            severity: maker.severity,
            path: path.to_string(),
            line,
            column,
            commit: None,
            secret: Secret::new(value),
            fingerprint: finding_fingerprint(maker.id, maker.kind, path, value),
            remediation: maker.remediation.to_string(),
        }
    }

    /// The deterministic report order: (path, line, column, rule), then fingerprint.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.path,
            self.line,
            self.column,
            &self.rule,
            &self.fingerprint,
        )
    }
}

/// Secrets are identified by rule and value alone (they survive moves). A hygiene finding's
/// value is not unique (`DEBUG = True` is everywhere), so its path is part of its identity.
pub fn finding_fingerprint(rule: &str, kind: Kind, path: &str, value: &[u8]) -> String {
    match kind {
        Kind::Secret => fingerprint(rule, value),
        Kind::Hygiene => {
            let mut keyed = path.as_bytes().to_vec();
            keyed.push(0);
            keyed.extend_from_slice(value);
            fingerprint(rule, &keyed)
        }
    }
}

pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// One accepted finding. Matching is by `fingerprint` only; `rule` and `path` are there for
/// the people reading the file (a moved secret keeps matching).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    /// History mode: the commit that introduced the finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Why it was accepted (written by people; kept when the baseline is regenerated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `YYYY-MM-DD`: the entry hides its finding up to and including this day (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl BaselineEntry {
    /// Whether the entry has expired by `today` (`YYYY-MM-DD`).
    pub fn is_expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|d| d < today)
    }
}
