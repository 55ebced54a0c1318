//! The validated run configuration, built once from the clap structs; nothing below this
//! module sees clap types.

pub mod project;

use crate::cli::{ColorArg, CommonArgs, FormatArg, SeverityArg};
use crate::detect::catalog::CODE_CHECKS;
use crate::detect::knownsecrets::KnownSecrets;
use crate::finding::Severity;
use crate::report::{Format, ReportOptions};
use crate::rules::{self, RuleSet};
use anyhow::{bail, Result};
use project::Project;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Config {
    pub format: Format,
    pub output: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub show_secrets: bool,
    pub fail_on: Severity,
    /// `--fail-on` was given: it wins over `fail_on` in `.keyward.yaml`.
    pub fail_on_given: bool,
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub threads: usize,
    pub max_file_size: u64,
    pub rule_files: Vec<PathBuf>,
    pub prefilter: bool,
    /// `.keyward.yaml` (empty until `load_project`).
    pub project: Project,
    /// `--known-secrets` files (loaded by `load_known_secrets`).
    pub known_files: Vec<PathBuf>,
    pub known: Option<Arc<KnownSecrets>>,
    /// `--known-secrets-only`: every other finding is dropped.
    pub known_only: bool,
}

impl Config {
    pub fn from_args(args: &CommonArgs) -> Result<Self> {
        let format = match args.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Junit => Format::Junit,
        };
        let threads = match args.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(Config {
            format,
            output: args.output.clone(),
            config_file: args.config.clone(),
            baseline: args.baseline.clone(),
            show_secrets: args.show_secrets,
            fail_on: args.fail_on.map_or(Severity::Low, severity),
            fail_on_given: args.fail_on.is_some(),
            color: use_color(args.color, args.output.is_some()),
            quiet: args.quiet,
            verbose: args.verbose,
            threads,
            max_file_size: args.max_file_size,
            rule_files: args.rules.clone(),
            prefilter: !args.no_prefilter,
            project: Project::default(),
            known_files: args.known_secrets.clone(),
            known: None,
            known_only: args.known_secrets_only,
        })
    }

    /// Reads the `--known-secrets` values (resolving references) and builds their matcher.
    /// Memory freed meanwhile is wiped, as is the matcher's when it is dropped.
    pub fn load_known_secrets(&mut self, rules: &RuleSet) -> Result<()> {
        if self.known_files.is_empty() {
            let (files, note) = self.project.known_secret_files();
            if let Some(note) = note {
                crate::messages::note(note);
            }
            self.known_files = files;
        }
        if self.known_files.is_empty() {
            return Ok(());
        }
        crate::env::wipe::wipe_frees(true);
        let built = crate::env::knownvalues::load(&self.known_files).map(|known| {
            if !known.too_short.is_empty() {
                crate::messages::note(format!(
                    "not looking for {} known value(s) shorter than {} characters: {}",
                    known.too_short.len(),
                    crate::env::knownvalues::MIN_LEN,
                    known.too_short.join(", ")
                ));
            }
            KnownSecrets::new(&known.values, rules.keywords())
        });
        crate::env::wipe::wipe_frees(false);
        match built? {
            Some(matcher) => self.known = Some(Arc::new(matcher)),
            None => {
                crate::messages::note("the --known-secrets files hold no secret values to look for")
            }
        }
        Ok(())
    }

    /// Loads the project configuration for a scan of `scanned` (`--config FILE`, or
    /// `.keyward.yaml` at its repository root); its `fail_on` applies unless `--fail-on` was
    /// given.
    pub fn load_project(&mut self, scanned: &Path) -> Result<()> {
        self.project = project::load(self.config_file.as_deref(), scanned)?;
        if let (false, Some(level)) = (self.fail_on_given, self.project.settings.fail_on) {
            self.fail_on = level;
        }
        Ok(())
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

    /// The built-in rules plus the user's rule files and the project's rules, less the ids
    /// the project disables.
    pub fn rule_set(&self) -> Result<RuleSet> {
        Ok(build_rule_set(&self.rule_files, &self.project)?)
    }
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
    let mut all = rules::builtin_rules()?;
    for file in extra {
        all.extend(rules::load_user_file(file)?);
    }
    all.extend(project.compile_rules()?);
    project.check_rule_ids(&|id| {
        all.iter().any(|r| r.id == id) || CODE_CHECKS.iter().any(|c| c.id == id)
    })?;
    all.retain(|r| !project.settings.disable.contains(&r.id));
    RuleSet::new(all)
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
