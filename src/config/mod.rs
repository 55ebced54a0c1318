//! The validated run configuration, built once from the clap structs; nothing below this
//! module sees clap types.

pub(crate) mod project;

use crate::cli::{ColorArg, CommonArgs, FormatArg, SeverityArg};
use crate::detect::catalog::CODE_CHECKS;
use crate::detect::knownsecrets::KnownSecrets;
use crate::env::{knownvalues, wipe};
use crate::finding::Severity;
use crate::messages;
use crate::report::{Format, ReportOptions};
use crate::rules::{self, RuleSet};
use crate::secret::FingerprintKey;
use anyhow::{bail, Context, Result};
use project::Project;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The configuration of one scanning command: the command line with `.keyward.yaml` applied
/// and the `--known-secrets` matcher. Built and validated once (`Config::build`); immutable
/// after that.
#[derive(Debug, Clone)]
pub struct Config {
    pub format: Format,
    pub output: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// `--fingerprint-key-file`, else `KEYWARD_FINGERPRINT_KEY`.
    pub fingerprint_key: Option<FingerprintKey>,
    pub show_secrets: bool,
    /// `--fail-on`, else `fail_on` in `.keyward.yaml`, else low.
    pub fail_on: Severity,
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub threads: usize,
    pub max_file_size: u64,
    pub prefilter: bool,
    /// Findings listed per file and rule (`--max-findings-per-rule`; `usize::MAX` for all).
    pub findings_cap: usize,
    /// `.keyward.yaml` (or `--config FILE`) and where the scan sits in its repository.
    pub project: Project,
    /// The files the known secrets came from (`--known-secrets`, else the project's).
    pub known_files: Vec<PathBuf>,
    pub known: Option<Arc<KnownSecrets>>,
    /// `--known-secrets-only`: every other finding is dropped.
    pub known_only: bool,
}

impl Config {
    /// Builds the configuration of a scan of `scanned`, and its rule set, in one place and in
    /// this order: the command line is validated, the project configuration found, the rule
    /// set built (built-in, `--rules` files, the project's), and the known secrets loaded.
    pub fn build(args: &CommonArgs, scanned: &Path) -> Result<(Config, RuleSet)> {
        let threads = match args.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        messages::set_quiet(args.quiet);
        messages::set_skip_large_files(args.skip_large_files);
        let project = project::load(args.config.as_deref(), scanned)?;
        let rules = build_rule_set(&args.rules, &project)?;
        let known_files = known_secret_files(&args.known_secrets, &project);
        let known = load_known_secrets(&known_files, &rules)?;
        let fail_on = match (args.fail_on, project.settings.fail_on) {
            (Some(given), _) => severity(given),
            (None, Some(level)) => level,
            (None, None) => Severity::Low,
        };
        let config = Config {
            format: format(args.format),
            output: args.output.clone(),
            baseline: args.baseline.clone(),
            fingerprint_key: fingerprint_key(args.fingerprint_key_file.as_deref())?,
            show_secrets: args.show_secrets,
            fail_on,
            color: use_color(args.color, args.output.is_some()),
            quiet: args.quiet,
            verbose: args.verbose,
            threads,
            max_file_size: args.max_file_size,
            prefilter: !args.no_prefilter,
            findings_cap: match args.max_findings_per_rule {
                0 => usize::MAX,
                n => n,
            },
            project,
            known_files,
            known,
            known_only: args.known_secrets_only,
        };
        Ok((config, rules))
    }

    pub fn report_options(&self) -> ReportOptions {
        ReportOptions {
            format: self.format,
            show_secrets: self.show_secrets,
            color: self.color,
            output: self.output.clone(),
            quiet: self.quiet,
            verbose: self.verbose,
        }
    }
}

/// The fingerprint key: the content of `file` (less one final newline), else the
/// `KEYWARD_FINGERPRINT_KEY` variable, else none.
fn fingerprint_key(file: Option<&Path>) -> Result<Option<FingerprintKey>> {
    let (bytes, from) = match file {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| {
                format!("failed to read the fingerprint key file {}", path.display())
            })?;
            (bytes, path.display().to_string())
        }
        None => match std::env::var_os(KEY_VARIABLE) {
            Some(value) => (value.into_encoded_bytes(), KEY_VARIABLE.to_string()),
            None => return Ok(None),
        },
    };
    let trimmed = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    match FingerprintKey::new(trimmed) {
        Some(key) => Ok(Some(key)),
        None => bail!(
            "{from}: a fingerprint key must be at least {} bytes; make one with \
             `head -c 32 /dev/urandom | base64` and keep it outside the repository",
            FingerprintKey::MIN_LEN
        ),
    }
}

/// Where the fingerprint key is read from when no `--fingerprint-key-file` is given.
pub const KEY_VARIABLE: &str = "KEYWARD_FINGERPRINT_KEY";

/// `--known-secrets` files, else the project's `known_secrets` that exist (with a note for
/// those that do not).
fn known_secret_files(given: &[PathBuf], project: &Project) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let (files, note) = project.known_secret_files();
    if let Some(note) = note {
        messages::note(note);
    }
    files
}

/// Reads the known values (resolving references) and builds their matcher. Memory freed
/// meanwhile is wiped, as is the matcher's when it is dropped.
fn load_known_secrets(files: &[PathBuf], rules: &RuleSet) -> Result<Option<Arc<KnownSecrets>>> {
    if files.is_empty() {
        return Ok(None);
    }
    wipe::wipe_frees(true);
    let built = knownvalues::load(files).map(|known| {
        if !known.too_short.is_empty() {
            messages::note(format!(
                "not looking for {} known value(s) shorter than {} characters: {}",
                known.too_short.len(),
                knownvalues::MIN_LEN,
                known.too_short.join(", ")
            ));
        }
        KnownSecrets::new(&known.values, rules.keywords())
    });
    wipe::wipe_frees(false);
    let matcher = built?;
    if matcher.is_none() {
        messages::note("the --known-secrets files hold no secret values to look for");
    }
    Ok(matcher.map(Arc::new))
}

pub fn load_rule_set(extra: &[PathBuf]) -> std::result::Result<RuleSet, rules::RuleError> {
    build_rule_set(extra, &Project::default())
}

/// The built-in rules, the rule files `extra` and the project's `rules:`, without the ids under
/// its `disable:`. A disabled or allowed id that names no rule or code check is an error.
pub fn build_rule_set(
    extra: &[PathBuf],
    project: &Project,
) -> std::result::Result<RuleSet, rules::RuleError> {
    let mut all = rules::builtin_rules_for_scan()?;
    for file in extra {
        all.extend(rules::load_user_file(file)?);
    }
    all.extend(project.compile_rules()?);
    project.check_rule_ids(&|id| {
        all.iter().any(|r| r.id == id) || CODE_CHECKS.iter().any(|c| c.id == id)
    })?;
    all.retain(|r| !project.settings.disable.iter().any(|id| *id == r.id));
    RuleSet::new(all)
}

fn format(arg: FormatArg) -> Format {
    match arg {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Junit => Format::Junit,
    }
}

fn severity(s: SeverityArg) -> Severity {
    match s {
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
        SeverityArg::Critical => Severity::Critical,
    }
}

fn use_color(arg: ColorArg, to_file: bool) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            !to_file
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
