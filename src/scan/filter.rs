//! The filters applied once to a finished scan, before the report, in every mode: the
//! project allowlist (`disable`, `allow.paths/values/rules`, `stopwords` from `.keyward.yaml`)
//! and then the baseline (hide listed fingerprints unless expired; find stale entries). It
//! neither scans nor prints findings; its notes go to stderr through `messages`.

use crate::config::Config;
use crate::detect::catalog::KNOWN_SECRET;
use crate::finding::Finding;
use crate::messages;
use crate::report::Summary;
use crate::scan::baseline::{self, Baseline, Coverage};
use crate::secret::FingerprintKey;
use anyhow::{anyhow, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// The compiled filters of one run.
#[derive(Debug)]
pub struct Filters {
    drop_rules: HashSet<String>,
    paths: Option<GlobSet>,
    values: Vec<Regex>,
    stopwords: Vec<String>,
    prefix: String,
    baseline: Option<Loaded>,
    /// Report fingerprints are keyed with it (`--fingerprint-key-file`) before anything else.
    key: Option<FingerprintKey>,
    coverage: Coverage,
    /// `--known-secrets-only`: every finding of another rule is dropped (not counted).
    known_only: bool,
}

#[derive(Debug)]
struct Loaded {
    path: PathBuf,
    baseline: Baseline,
    today: String,
}

impl Loaded {
    fn read(path: &std::path::Path, key: Option<&FingerprintKey>) -> Result<Self> {
        let baseline = baseline::read(path, key)?;
        if baseline.is_legacy() {
            messages::note(baseline::legacy_note(path));
        }
        Ok(Loaded {
            path: path.to_path_buf(),
            baseline,
            today: baseline::today(),
        })
    }

    /// The report fingerprints the baseline hides, given `found` (entry fingerprint → report
    /// fingerprint): those of entries not expired. An expired entry that still matches is
    /// noted, so the reappearing finding is explained.
    fn hiding<'a>(&self, found: &HashMap<String, &'a str>) -> HashSet<&'a str> {
        let mut hide = HashSet::new();
        for entry in &self.baseline.entries {
            let Some(report) = found.get(entry.fingerprint.as_str()) else {
                continue;
            };
            if entry.is_expired(&self.today) {
                messages::note(format!(
                    "{}: the entry for {} at {} expired on {}; its finding is reported again",
                    self.path.display(),
                    entry.rule,
                    crate::sanitize::escape(&entry.path),
                    entry.expires.as_deref().unwrap_or_default()
                ));
            } else {
                hide.insert(*report);
            }
        }
        hide
    }
}

impl Filters {
    /// Compiles the project allowlist and reads `--baseline`, so that a bad glob, regex or
    /// baseline file fails the run before the scan starts.
    pub fn new(cfg: &Config) -> Result<Self> {
        let project = &cfg.project;
        let settings = &project.settings;
        let bad = |what: String| anyhow!("{}: {what}", project.name());
        let paths = compile_globs(&settings.allow.paths).map_err(bad)?;
        let values = settings
            .allow
            .values
            .iter()
            .map(|v| Regex::new(v).map_err(|e| bad(format!("allow.values: `{v}`: {e}"))))
            .collect::<Result<_>>()?;
        let baseline = match &cfg.baseline {
            Some(path) => Some(Loaded::read(path, cfg.fingerprint_key.as_ref())?),
            None => None,
        };
        Ok(Filters {
            drop_rules: (settings.disable.iter())
                .chain(&settings.allow.rules)
                .cloned()
                .collect(),
            paths,
            values,
            stopwords: settings
                .stopwords
                .iter()
                .map(|w| w.to_lowercase())
                .collect(),
            prefix: project.prefix.clone(),
            baseline,
            key: cfg.fingerprint_key.clone(),
            known_only: cfg.known_only,
            coverage: Coverage::Partial,
        })
    }

    /// The same filters without the baseline (`keyward baseline` records what it would hide).
    pub fn without_baseline(mut self) -> Self {
        self.baseline = None;
        self
    }

    /// What the scan covered, which decides the baseline entries it reports as stale (none
    /// by default: a scan of the staged change, a commit range or a subdirectory cannot tell).
    pub fn with_coverage(mut self, coverage: Coverage) -> Self {
        self.coverage = coverage;
        self
    }

    /// Keys the report fingerprints (with a fingerprint key), drops allowed findings, then
    /// hides baselined ones; counts both in the stats and lists
    /// stale baseline entries in the summary.
    pub fn apply(&self, summary: &mut Summary) {
        if let Some(key) = &self.key {
            for f in &mut summary.findings {
                f.fingerprint = key.rekey(&f.fingerprint);
            }
        }
        if self.known_only {
            summary.findings.retain(|f| f.rule == KNOWN_SECRET);
        }
        let before = summary.findings.len();
        summary.findings.retain(|f| !self.allowed(f));
        summary.stats.allowed = (before - summary.findings.len()) as u64;
        if let Some(loaded) = &self.baseline {
            self.apply_baseline(loaded, summary);
        }
    }

    /// Whether the project configuration drops `f`.
    /// A `known-secret` finding is exact, never a false positive: only disabling or
    /// allowing its rule id (or a baseline) drops it, not allowed paths, values or stopwords.
    pub fn allowed(&self, f: &Finding) -> bool {
        if self.drop_rules.contains(&f.rule) {
            return true;
        }
        if f.rule == KNOWN_SECRET {
            return false;
        }
        if self.path_allowed(&f.path) {
            return true;
        }
        let secret = f.secret.expose();
        if self.values.iter().any(|re| re.is_match(secret)) {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = String::from_utf8_lossy(secret).to_lowercase();
        self.stopwords.iter().any(|w| lower.contains(w.as_str()))
    }

    fn path_allowed(&self, path: &str) -> bool {
        let Some(set) = &self.paths else {
            return false;
        };
        let from_root = format!("{}{path}", self.prefix);
        let name = path.rsplit('/').next().unwrap_or(path);
        set.is_match(path) || set.is_match(&from_root) || set.is_match(name)
    }

    fn apply_baseline(&self, loaded: &Loaded, summary: &mut Summary) {
        let fingerprints: Vec<String> = (summary.findings.iter())
            .map(|f| f.fingerprint.clone())
            .collect();
        let found = (loaded.baseline).matcher(fingerprints.iter().map(String::as_str));
        let hide = loaded.hiding(&found);
        let before = summary.findings.len();
        summary
            .findings
            .retain(|f| !hide.contains(f.fingerprint.as_str()));
        summary.stats.baselined = (before - summary.findings.len()) as u64;
        if summary.stats.baselined > 0 {
            let n = summary.stats.baselined;
            messages::note(format!(
                "{n} finding{} hidden by the baseline {}",
                if n == 1 { "" } else { "s" },
                loaded.path.display()
            ));
        }
        let found: HashSet<&str> = found.keys().map(String::as_str).collect();
        let (_, stale) = baseline::prune(&loaded.baseline, &found, self.coverage);
        note_stale(loaded, &stale);
        summary.stale_baseline = stale;
    }
}

fn note_stale(loaded: &Loaded, stale: &[crate::finding::BaselineEntry]) {
    if stale.is_empty() {
        return;
    }
    let file = loaded.path.display();
    messages::note(format!(
        "{file}: {} match{} no finding any more (stale); \
         `keyward baseline --prune -o {file}` removes {}",
        plural(stale.len(), "entry", "entries"),
        if stale.len() == 1 { "es" } else { "" },
        if stale.len() == 1 { "it" } else { "them" }
    ));
    for e in stale {
        messages::note(format!(
            "  stale: {} at {} ({})",
            e.rule,
            crate::sanitize::escape(&e.path),
            &e.fingerprint[..16]
        ));
    }
}

/// `1 entry`, `2 entries`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Globs in gitignore style: `*` stays within one path segment, `**` crosses them.
fn compile_globs(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        let glob = GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("allow.paths: bad glob `{g}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}
