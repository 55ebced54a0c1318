//! What a scan produces: `Finding`s with their kind, severity, location, redactable secret and
//! fingerprint, plus the commit that introduced them in history and staged modes.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Secret,
    Hygiene,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Hygiene => "hygiene",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}`: use low, medium, high or critical"
            )),
        }
    }
}

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

impl Finding {
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

pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}
