//! Command dispatch: turns the parsed command line into a run of one command and its exit code.

use crate::cli::{Cli, Command, RulesAction, ScanArgs};
use crate::config::{load_rule_set, Config};
use crate::detect::catalog::CODE_CHECKS;
use crate::{messages, report, rules, scan};
use anyhow::{bail, Context, Result};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => cmd_scan(args),
        Command::Rules { action } => cmd_rules(action),
        Command::History(_) | Command::Staged(_) | Command::Hook { .. } | Command::Baseline(_) => {
            bail!("this command is not available in this build yet")
        }
    }
}

fn cmd_scan(args: ScanArgs) -> Result<ExitCode> {
    let cfg = Config::from_args(&args.common)?;
    messages::set_quiet(cfg.quiet);
    let rules = cfg.rule_set()?;
    let summary = scan::scan_paths(&cfg, &rules, &args.paths, args.no_ignore);
    report::write(&summary, &rules, &cfg.report_options())?;
    Ok(scan::exit_code(&summary, &cfg))
}

fn cmd_rules(action: RulesAction) -> Result<ExitCode> {
    match action {
        RulesAction::List { json, rules } => {
            let set = load_rule_set(&rules)?;
            report::print_text(&report::rules::list(set.rules(), CODE_CHECKS, json))?;
            Ok(ExitCode::SUCCESS)
        }
        RulesAction::Show { id, rules } => {
            let set = load_rule_set(&rules)?;
            if let Some(rule) = set.get(&id) {
                report::print_text(&report::rules::show_rule(rule))?;
            } else if let Some(check) = CODE_CHECKS.iter().find(|c| c.id == id) {
                report::print_text(&report::rules::show_check(check))?;
            } else {
                bail!("no rule with id `{id}`; `keyward rules list` shows them all");
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesAction::Check { files } => cmd_rules_check(&files),
    }
}

/// Checks the given rule files (or the built-in rules): loading errors exit 2, failing
/// examples exit 1.
fn cmd_rules_check(files: &[PathBuf]) -> Result<ExitCode> {
    let loaded = if files.is_empty() {
        rules::builtin_rules()?
    } else {
        let mut all = Vec::new();
        for f in files {
            all.extend(rules::load_user_file(f)?);
        }
        all
    };
    let total = loaded.len();
    let set = rules::RuleSet::new(loaded).context("failed to build the rule set")?;
    let results: Vec<(String, String, Vec<String>)> = set
        .rules()
        .iter()
        .map(|r| (r.source.clone(), r.id.clone(), rules::check::check_rule(r)))
        .collect();
    report::print_text(&report::rules::check_results(&results, total))?;
    let failed = results.iter().any(|(_, _, p)| !p.is_empty());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
