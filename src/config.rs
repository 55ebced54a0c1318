//! The validated run configuration, built once from the clap structs; nothing below this
//! module sees clap types.

use crate::cli::{ColorArg, CommonArgs, FormatArg, SeverityArg};
use crate::finding::Severity;
use crate::report::{Format, ReportOptions};
use crate::rules::{self, RuleSet};
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    pub format: Format,
    pub output: Option<PathBuf>,
    pub config_file: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub show_secrets: bool,
    pub fail_on: Severity,
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub threads: usize,
    pub max_file_size: u64,
    pub rule_files: Vec<PathBuf>,
    pub prefilter: bool,
}

impl Config {
    pub fn from_args(args: &CommonArgs) -> Result<Self> {
        let format = match args.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif | FormatArg::Junit => {
                bail!("--format {:?} is not available in this build", args.format)
            }
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
            color: use_color(args.color, args.output.is_some()),
            quiet: args.quiet,
            verbose: args.verbose,
            threads,
            max_file_size: args.max_file_size,
            rule_files: args.rules.clone(),
            prefilter: !args.no_prefilter,
        })
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

    /// The built-in rules plus the user's rule files.
    pub fn rule_set(&self) -> Result<RuleSet> {
        Ok(load_rule_set(&self.rule_files)?)
    }
}

pub fn load_rule_set(extra: &[PathBuf]) -> std::result::Result<RuleSet, rules::RuleError> {
    let mut all = rules::builtin_rules()?;
    for file in extra {
        all.extend(rules::load_user_file(file)?);
    }
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
