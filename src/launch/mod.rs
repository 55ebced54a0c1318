//! The launcher behind `keyward-run`: loads env files and secret references, checks them, and
//! starts the program with them. Only `keyward-run` uses it. It uses none of the scanner's
//! rules, sources, detectors or reports (the shared `env` module holds what both binaries
//! need), so the binary stays small and starts fast.
//!
//! Flow: `startup` (what Rust's runtime start did) → `args` (the usual command lines without
//! clap) → `LaunchConfig` → `run::coredump` (core dumps off) → `env::dotenv`
//! (`env::dialect`, python-dotenv's reading; + `env::problems` per file) → `env::expand` →
//! `env::plan::Plan` → `env::resolve` (`refs` syntax; secret files; `vault` references and
//! `--vault-path`) → `env::problems`, `check` (`schema`, `leaks`), `passable` → `dryrun` |
//! `run` (`exec` through `environ`, or `pump` with `mask` and `signals`). `readenv` is that
//! reading without a run, for the fuzz harness.

pub(crate) mod args;
mod check;
mod dryrun;
mod mask;
mod notice;
mod passable;
pub mod readenv;
mod run;
pub mod startup;

use crate::env::plan::{self, Plan};
use crate::env::problems::{self as checks, Level, Problem};
use crate::env::{dotenv as envfile, expand, refs, resolve, sensitive as secrets};
use anyhow::{bail, Context, Result};
use args::{Args, LaunchConfig, Profile};
use check::{leaks, schema};
use run::coredump::{self, CoreLimit};
use run::{exec, pump};

/// Exit code of the launcher's own failures, refusals included (the `env(1)` convention).
const FAILURE: u8 = 125;

/// Parses the command line (the usual ones without clap: `Args::parse_common`); on a usage
/// error prints clap's message and gives the exit code (125, or 0 for `--help` and
/// `--version`).
pub fn parse_args() -> Result<Args, u8> {
    use clap::Parser;
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if let Some(args) = Args::parse_common(&argv) {
        return Ok(args);
    }
    Args::try_parse().map_err(|err| {
        let _ = err.print();
        if err.use_stderr() {
            FAILURE
        } else {
            0
        }
    })
}

/// Runs the launch; the exit code to end with when it returns (without `--mask`, a started
/// program replaces the launcher and nothing returns).
pub fn run(args: Args) -> Result<u8> {
    let process = plan::process_env();
    let config = LaunchConfig::new(args, process.get("KEYWARD_PROFILE").map(String::as_str))?;
    let core = coredump::disable_core_dumps();
    let (plan, problems) = prepare(&config, process)?;
    let refused = report(&problems, config.profile);
    if config.dry_run {
        dryrun::print(&plan).context("failed to write the dry run")?;
        if refused {
            notice::error("the program would not be started (see above)");
            return Ok(FAILURE);
        }
        return Ok(0);
    }
    if refused {
        let program = notice::escape(&config.command[0].to_string_lossy());
        bail!("refusing to start {program} (see above)");
    }
    start(&config, plan, &core)
}

/// Loads, merges, resolves and checks: everything short of starting the program.
fn prepare(
    config: &LaunchConfig,
    process: std::collections::BTreeMap<String, String>,
) -> Result<(Plan, Vec<Problem>)> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for path in &config.env_files {
        let file = envfile::load(path)?;
        problems.extend(file.notes.iter().map(|note| Problem {
            level: Level::Advisory,
            message: note.clone(),
        }));
        files.push(file);
        problems.extend(checks::file_problems(path));
    }
    let expansion = expand::Options {
        override_existing: config.override_existing,
        expand_single_quoted: config.expand_single_quoted,
    };
    problems.extend(expand::expand_files(&mut files, &process, expansion));
    let mut plan = Plan::new(process, &files, config.override_existing);
    plan.pass_vault_token = config.pass_vault_token;
    drop(files);
    let options = resolve::Options {
        flags: &config.vault,
        paths: &config.vault_paths,
        strict: config.profile == Profile::Production,
    };
    problems.extend(resolve::resolve_all(&mut plan, &options));
    // A reference left unresolved is not a secret: messages name it.
    for value in secrets::secret_values(&plan) {
        if refs::parse(value).is_none() {
            notice::hide(value);
        }
    }
    let mut required = config.require.clone();
    if let Some(schema) = &config.schema {
        required.extend(schema::required_keys(schema)?);
    }
    problems.extend(checks::env_problems(&plan, &required));
    problems.extend(passable::problems(&plan));
    // Not when the start is refused anyway: unresolved references are not values to look for.
    if let Some(repo) = &config.check_history {
        if !problems.iter().any(|p| p.level == Level::Fatal) {
            problems.extend(leaks::check(repo, &plan, config.allow_leaked));
        }
    }
    Ok((plan, problems))
}

/// Prints each problem as a warning or a refusal; tells whether any refuses the start.
fn report(problems: &[Problem], profile: Profile) -> bool {
    let strict = profile == Profile::Production;
    let mut refused = false;
    for problem in problems {
        let refuses = match problem.level {
            Level::Fatal => true,
            Level::Warning | Level::Production => strict,
            Level::Advisory => false,
        };
        if refuses {
            notice::refuse(&problem.message);
            refused = true;
        } else if matches!(problem.level, Level::Warning | Level::Advisory) {
            notice::warn(&problem.message);
        }
    }
    refused
}

fn start(config: &LaunchConfig, plan: Plan, core: &CoreLimit) -> Result<u8> {
    if !config.mask {
        return Err(exec::exec(&config.command, &plan, core).into());
    }
    let program = &config.command[0];
    let command = exec::command(&config.command, &plan);
    let patterns = secrets::patterns(&secrets::secret_values(&plan));
    // The plan's buffers are wiped as they are freed (`env::wipe::ZeroOnFree`).
    drop(plan);
    pump::run_masked(command, program, patterns, core)
}

/// Prints the error chain once; it names files, variables and references, never values.
pub fn report_error(err: &anyhow::Error) {
    notice::error(&format!("{err:#}"));
}

/// 127 or 126 when the program could not be started, 125 for everything else.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.downcast_ref::<exec::StartError>()
        .map_or(FAILURE, exec::StartError::exit_code)
}
