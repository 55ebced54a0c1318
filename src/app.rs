//! Command dispatch: turns the parsed command line into a run of one command and its exit code.

use crate::cli::{BaselineArgs, Cli, Command, CommonArgs, RulesAction, ScanArgs};
use crate::cli::{HistoryArgs, HistoryRange, HookAction, PreCommitArgs, StagedArgs};
use crate::config::{load_rule_set, Config};
use crate::detect::catalog::CODE_CHECKS;
use crate::detect::catalog::KNOWN_SECRET;
use crate::report::Summary;
use crate::scan::baseline::Coverage;
use crate::scan::filter::Filters;
use crate::scan::{self, baseline, git as gitscan, hook, knowncache};
use crate::source::history::Selection;
use crate::{messages, report, rules};
use anyhow::{bail, Context, Result};
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => cmd_scan(args),
        Command::Rules { action } => cmd_rules(action),
        Command::Baseline(args) => cmd_baseline(args),
        Command::History(args) => cmd_history(args),
        Command::Staged(args) => cmd_staged(args),
        Command::PreCommit(args) => cmd_pre_commit(args),
        Command::Hook { action } => cmd_hook(action),
        Command::Report {
            action: crate::cli::ReportAction::Merge(args),
        } => cmd_report_merge(&args),
    }
}

/// What `keyward pre-commit` scans, from what pre-commit and git hand over.
#[derive(Debug, PartialEq, Eq)]
enum PreCommitRun {
    /// `pre-commit run --from-ref A --to-ref B` (and the pre-push stage): what B adds to A.
    Range { from: String, to: String },
    /// A commit in progress (git sets `GIT_INDEX_FILE` for its hooks), or no file given.
    Staged,
    /// `pre-commit run --all-files` or `--files …`: those files as they are on disk.
    Files,
}

fn pre_commit_run(files: &[PathBuf], var: impl Fn(&str) -> Option<String>) -> PreCommitRun {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    if let (Some(from), Some(to)) = (set("PRE_COMMIT_FROM_REF"), set("PRE_COMMIT_TO_REF")) {
        return PreCommitRun::Range { from, to };
    }
    if files.is_empty() || set("GIT_INDEX_FILE").is_some() {
        PreCommitRun::Staged
    } else {
        PreCommitRun::Files
    }
}

/// `keyward pre-commit [FILES]`: the hook of the pre-commit framework, run in the repository.
fn cmd_pre_commit(args: PreCommitArgs) -> Result<ExitCode> {
    let repo = Path::new(".");
    let run = pre_commit_run(&args.files, |name| std::env::var(name).ok());
    let (cfg, rules, filters) = prepare(&args.common, repo)?;
    let mut summary = match run {
        PreCommitRun::Range { from, to } => {
            let sel = Selection {
                range: None,
                since_commit: Some(from),
                branch: Some(to),
                commits: None,
            };
            gitscan::history(&cfg, rules, repo, &sel)?
        }
        PreCommitRun::Staged => gitscan::staged(&cfg, rules, repo)?,
        PreCommitRun::Files => scan::tree::scan_paths(&cfg, rules, &args.files, false),
    };
    filters.apply(&mut summary);
    report::write(&summary, rules, &cfg.report_options())?;
    Ok(scan::tree::exit_code(&summary, &cfg))
}

/// `keyward history`: the commits of every ref (or a range); stale baseline entries are
/// reported only for a scan of every ref.
fn cmd_history(args: HistoryArgs) -> Result<ExitCode> {
    let (cfg, rules, filters) = prepare(&args.common, &args.repo)?;
    let sel = history_selection(&args.range);
    let mut state = None;
    let mut summary = match (args.cache, &cfg.known, &args.since_state) {
        (_, _, Some(file)) => {
            let (summary, pending) = scan::state::history(&cfg, rules, &args.repo, file)?;
            state = Some(pending);
            summary
        }
        (true, Some(known), None) if history_coverage(&sel) == Coverage::History => {
            cached_history(&cfg, rules, &args.repo, known)?
        }
        _ => gitscan::history(&cfg, rules, &args.repo, &sel)?,
    };
    let coverage = match state {
        Some(_) => Coverage::Partial,
        None => history_coverage(&sel),
    };
    filters.with_coverage(coverage).apply(&mut summary);
    report::write(&summary, rules, &cfg.report_options())?;
    if let Some(state) = state {
        state.save(&summary)?;
    }
    Ok(scan::tree::exit_code(&summary, &cfg))
}

/// `history --known-secrets-only --cache` over every ref: the cached result while no ref and
/// no value changed, else a scan whose known-secret findings are then cached.
fn cached_history(
    cfg: &Config,
    rules: &rules::RuleSet,
    repo_path: &Path,
    known: &crate::detect::knownsecrets::KnownSecrets,
) -> Result<Summary> {
    let started = std::time::Instant::now();
    let repo = crate::source::git::open_repo(repo_path)?;
    let key = knowncache::key(&repo, known)?;
    if let Some((findings, mut stats)) = knowncache::load(&repo, &key) {
        stats.elapsed_ms = started.elapsed().as_millis() as u64;
        let note = "known-secrets result reused: no ref and no value changed since it was cached";
        messages::note(note);
        return Ok(Summary {
            findings,
            stats,
            notes: vec![note.to_string()],
            ..Summary::default()
        });
    }
    let mut summary = gitscan::history(cfg, rules, repo_path, &Selection::default())?;
    summary.findings.retain(|f| f.rule == KNOWN_SECRET);
    if summary.stats.errors == 0 {
        if let Err(err) = knowncache::store(&repo, &key, &summary.findings, &summary.stats) {
            messages::note(format!("{err:#} (the next run will scan again)"));
        }
    }
    Ok(summary)
}

/// Every ref, or a part of history (a range, a branch, commits after one).
fn history_coverage(sel: &Selection) -> Coverage {
    if sel.range.is_none() && sel.since_commit.is_none() && sel.branch.is_none() {
        Coverage::History
    } else {
        Coverage::Partial
    }
}

fn history_selection(range: &HistoryRange) -> Selection {
    Selection {
        range: range.range.clone(),
        since_commit: range.since_commit.clone(),
        branch: range.branch.clone(),
        commits: None,
    }
}

/// `keyward staged`: the change `git commit` would record (the pre-commit hook).
fn cmd_staged(args: StagedArgs) -> Result<ExitCode> {
    let (cfg, rules, filters) = prepare(&args.common, &args.repo)?;
    let mut summary = gitscan::staged(&cfg, rules, &args.repo)?;
    filters.apply(&mut summary);
    report::write(&summary, rules, &cfg.report_options())?;
    Ok(scan::tree::exit_code(&summary, &cfg))
}

/// `keyward report merge`: one report from per-repository reports.
fn cmd_report_merge(args: &crate::cli::MergeArgs) -> Result<ExitCode> {
    use crate::cli::MergeFormatArg;
    use report::merge::MergeFormat;
    let format = match args.format {
        MergeFormatArg::Json => MergeFormat::Json,
        MergeFormatArg::Jsonl => MergeFormat::Jsonl,
        MergeFormatArg::Sarif => MergeFormat::Sarif,
    };
    let rules = load_rule_set(&[]).context("failed to load the built-in rules")?;
    let name_error = |at: &str, message: &str| crate::messages::file_error(at, message);
    report::merge::run(
        &args.files,
        format,
        args.output.as_deref(),
        &rules,
        &name_error,
    )
}

fn cmd_hook(action: HookAction) -> Result<ExitCode> {
    let text = match action {
        HookAction::Install { repo } => hook::install(&repo)?,
        HookAction::Uninstall { repo } => hook::uninstall(&repo)?,
    };
    report::print_text(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_scan(args: ScanArgs) -> Result<ExitCode> {
    let first = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let (cfg, rules, filters) = prepare(&args.common, first)?;
    let whole = args.paths.len() == 1 && first.is_dir() && cfg.project.prefix.is_empty();
    let coverage = if whole {
        Coverage::Tree
    } else {
        Coverage::Partial
    };
    let mut summary = scan::tree::scan_paths(&cfg, rules, &args.paths, args.no_ignore);
    filters.with_coverage(coverage).apply(&mut summary);
    report::write(&summary, rules, &cfg.report_options())?;
    Ok(scan::tree::exit_code(&summary, &cfg))
}

/// What every scanning command sets up before it scans `scanned`: the configuration with
/// `.keyward.yaml` applied, the rule set, and the filters (allowlist, baseline) to apply to
/// the finished summary before the report. The rule set lives until the process exits: it is
/// leaked rather than dropped, since freeing its rules one by one just before exit (their
/// compiled regexes, a user rule's strings) is work for nothing.
fn prepare(
    common: &CommonArgs,
    scanned: &Path,
) -> Result<(Config, &'static rules::RuleSet, Filters)> {
    let (cfg, rules) = Config::build(common, scanned)?;
    let filters = Filters::new(&cfg)?;
    Ok((cfg, Box::leak(Box::new(rules)), filters))
}

/// `keyward baseline`: scans like scan/staged/history, applies the project allowlist (not the
/// baseline), and records or prunes the baseline file. Exits 0, or 2 if an input was unreadable.
fn cmd_baseline(args: BaselineArgs) -> Result<ExitCode> {
    if args.upgrade {
        return cmd_baseline_upgrade(&args);
    }
    let (cfg, rules, filters) = prepare(&args.common, &args.path)?;
    let (mut summary, coverage) = baseline_scan(&args, &cfg, rules)?;
    filters.without_baseline().apply(&mut summary);
    let output = (cfg.output.clone()).unwrap_or_else(|| PathBuf::from(baseline::DEFAULT_FILE));
    let update = baseline::Update {
        output: &output,
        previous: cfg.baseline.as_deref(),
        prune: args.prune,
        coverage,
        key: cfg.fingerprint_key.as_ref(),
    };
    baseline::update(&summary.findings, &update)?;
    Ok(if summary.stats.errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `keyward baseline --upgrade`: a version-1 baseline rewritten as version 2, without a scan.
fn cmd_baseline_upgrade(args: &BaselineArgs) -> Result<ExitCode> {
    let (cfg, _) = Config::build(&args.common, &args.path)?;
    let output = (cfg.output.clone()).unwrap_or_else(|| PathBuf::from(baseline::DEFAULT_FILE));
    let previous = cfg.baseline.clone().unwrap_or_else(|| output.clone());
    baseline::upgrade_file(&previous, &output, cfg.fingerprint_key.as_ref())?;
    Ok(ExitCode::SUCCESS)
}

/// The scan `keyward baseline` records (the tree, the staged change or the history) and what
/// it covered. Pruning needs a whole tree or every ref, or it would drop live entries.
fn baseline_scan(
    args: &BaselineArgs,
    cfg: &Config,
    rules: &rules::RuleSet,
) -> Result<(Summary, Coverage)> {
    let sel = history_selection(&args.range);
    let coverage = if args.history {
        history_coverage(&sel)
    } else if args.staged || !cfg.project.prefix.is_empty() {
        Coverage::Partial
    } else {
        Coverage::Tree
    };
    if !args.history && history_coverage(&sel) == Coverage::Partial {
        bail!("--range, --since-commit and --branch need --history");
    }
    if args.prune && coverage == Coverage::Partial {
        bail!("--prune needs a scan of the whole repository: no --staged, no commit range, no subdirectory");
    }
    let summary = if args.history {
        gitscan::history(cfg, rules, &args.path, &sel)?
    } else if args.staged {
        gitscan::staged(cfg, rules, &args.path)?
    } else {
        scan::tree::scan_paths(cfg, rules, std::slice::from_ref(&args.path), args.no_ignore)
    };
    Ok((summary, coverage))
}

/// The rules of `files` that load, and every problem: those of each rule, and ids that clash
/// with the built-in rules and checks (a scan with both would fail) or with each other.
fn load_checked(files: &[PathBuf]) -> Result<(Vec<rules::Rule>, Vec<rules::RuleError>)> {
    let mut owner: std::collections::HashMap<String, String> = (rules::builtin_rules()?.iter())
        .map(|r| (r.id.to_string(), "a built-in rule".to_string()))
        .chain(
            CODE_CHECKS
                .iter()
                .map(|c| (c.id.to_string(), "a built-in check".into())),
        )
        .collect();
    let (mut loaded, mut problems) = (Vec::new(), Vec::new());
    for file in files {
        let (rules, found) = rules::check_user_file(file);
        problems.extend(found);
        for rule in rules {
            if let Some(first) = owner.get(&*rule.id) {
                problems.push(rules::RuleError {
                    file: rule.source.to_string(),
                    message: format!(
                        "duplicate rule id `{}` (already {first}); choose another id",
                        rule.id
                    ),
                });
            } else {
                owner.insert(rule.id.to_string(), format!("defined in {}", rule.source));
                loaded.push(rule);
            }
        }
    }
    Ok((loaded, problems))
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

/// Checks the given rule files (or the built-in rules): every problem of every rule is
/// reported, and an id that clashes with a built-in rule or check or another file's rule; any
/// of those exits 2, failing examples exit 1.
fn cmd_rules_check(files: &[PathBuf]) -> Result<ExitCode> {
    let (loaded, problems) = if files.is_empty() {
        (rules::builtin_rules()?, Vec::new())
    } else {
        load_checked(files)?
    };
    for problem in &problems {
        messages::file_error(&problem.file, &problem.message);
    }
    let total = loaded.len() + problems.len();
    let set = rules::RuleSet::new(loaded).context("failed to build the rule set")?;
    let results: Vec<(String, String, Vec<String>)> = set
        .rules()
        .iter()
        .map(|r| {
            (
                r.source.to_string(),
                r.id.to_string(),
                crate::detect::rulecheck::check_rule(r),
            )
        })
        .collect();
    let text = report::rules::check_results(&results, total, problems.len());
    report::print_text(&text)?;
    let failed = results.iter().any(|(_, _, p)| !p.is_empty());
    Ok(if !problems.is_empty() {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_commit_scans_what_it_is_handed() {
        let files = [PathBuf::from("app.py")];
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                (pairs.iter())
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        const RANGE: &[(&str, &str)] = &[("PRE_COMMIT_FROM_REF", "a"), ("PRE_COMMIT_TO_REF", "b")];
        const COMMITTING: &[(&str, &str)] = &[("GIT_INDEX_FILE", ".git/index.lock")];
        assert_eq!(
            pre_commit_run(&files, env(RANGE)),
            PreCommitRun::Range {
                from: "a".into(),
                to: "b".into()
            }
        );
        assert_eq!(
            pre_commit_run(&files, env(COMMITTING)),
            PreCommitRun::Staged
        );
        assert_eq!(pre_commit_run(&[], env(&[])), PreCommitRun::Staged);
        assert_eq!(pre_commit_run(&files, env(&[])), PreCommitRun::Files);
    }
}
