//! The command line as clap structs. They mirror argv and do no I/O; `config` turns them into
//! the validated `Config` that the rest of the crate sees.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "keyward",
    version,
    about = "Find committed credentials, leaked .env files and insecure configuration in Python repositories",
    after_help = "Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files on disk (default: the current directory); `-` reads stdin
    Scan(ScanArgs),
    /// Scan every commit reachable from every ref (or a range)
    History(HistoryArgs),
    /// Scan the staged change only: what `git commit` would record (the pre-commit hook)
    Staged(StagedArgs),
    /// The pre-commit framework's hook: the staged change during a commit, else the range
    /// (`--from-ref/--to-ref`) or the files (`--all-files`, `--files`) pre-commit hands over
    PreCommit(PreCommitArgs),
    /// Install or remove the git pre-commit hook that runs `keyward staged`
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
    /// Record today's findings as accepted, in a baseline file
    Baseline(BaselineArgs),
    /// List, show and check rules
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
    /// Combine reports (an organisation's sweep: one report for many repositories)
    Report {
        #[command(subcommand)]
        action: ReportAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// Merge per-repository reports (`--format jsonl` or `json` output) into one, one finding
    /// per fingerprint; each file is one repository, named after the file (flask.jsonl: flask)
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The reports to merge
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Format of the merged report
    #[arg(long, value_enum, default_value = "json")]
    pub format: MergeFormatArg,
    /// Write the merged report to FILE instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormatArg {
    Json,
    Jsonl,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Jsonl,
    Sarif,
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Options shared by every scanning command.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Report format
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatArg,
    /// Write the report to FILE instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Project configuration (default: .keyward.yaml at the repository root)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Hide the findings listed in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Key fingerprints with the key in FILE (kept outside the repository; default: the
    /// KEYWARD_FINGERPRINT_KEY variable, else unkeyed)
    #[arg(long, value_name = "FILE")]
    pub fingerprint_key_file: Option<PathBuf>,
    /// Print secret values in full (off by default: a short prefix and the length)
    #[arg(long)]
    pub show_secrets: bool,
    /// Exit 1 only for findings at or above this severity [default: low]
    #[arg(long, value_enum)]
    pub fail_on: Option<SeverityArg>,
    /// Colour the human report (honours NO_COLOR)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
    /// Print findings only: no summary, no notes
    #[arg(short, long)]
    pub quiet: bool,
    /// Print remediations and more detail
    #[arg(short, long)]
    pub verbose: bool,
    /// Worker threads [default: the number of CPUs]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Do not scan files larger than this; each is reported and makes the exit code 2
    /// unless --skip-large-files
    #[arg(long, value_name = "BYTES", default_value_t = 10_000_000)]
    pub max_file_size: u64,
    /// Accept skipping files over --max-file-size: still listed in the report (stats.skipped),
    /// but they do not make the exit code 2
    #[arg(long)]
    pub skip_large_files: bool,
    /// Extra rule files (the patterns/*.yaml schema); repeatable
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Also report every place where a value of these env files occurs (resolving vault://
    /// and file:// references like keyward-run); one file per flag, repeatable; `-` reads one
    /// from stdin
    #[arg(long = "known-secrets", value_name = "FILE")]
    pub known_secrets: Vec<PathBuf>,
    /// Report only the --known-secrets findings (is any value we run with in the repository?)
    #[arg(long, requires = "known_secrets")]
    pub known_secrets_only: bool,
    /// List at most N findings per file and rule; the rest are counted ("and N more",
    /// stats.capped). 0 lists them all
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_findings_per_rule: usize,
    /// Run every rule over every byte (testing aid: must give the same findings)
    #[arg(long, hide = true)]
    pub no_prefilter: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Do not honour .gitignore and other ignore files
    #[arg(long)]
    pub no_ignore: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Which commits `history` (and `baseline --history`) walks.
#[derive(Debug, Clone, Args)]
pub struct HistoryRange {
    /// Only commits in A..B (reachable from B, not from A)
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,
    /// Only commits after REV (REV..every ref)
    #[arg(long, value_name = "REV")]
    pub since_commit: Option<String>,
    /// Only commits reachable from REF
    #[arg(long, value_name = "REF")]
    pub branch: Option<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The repository (default: the current directory)
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    #[command(flatten)]
    pub range: HistoryRange,
    /// With --known-secrets-only over every ref: reuse the last result while no ref and no
    /// value changed (kept in GIT_DIR/keyward/, without values)
    #[arg(long, requires = "known_secrets_only")]
    pub cache: bool,
    /// Scan only the commits each ref gained since the last scan recorded in FILE, then record
    /// this one (ref names and commit ids only); a missing FILE scans every ref in full
    #[arg(long, value_name = "FILE", conflicts_with_all = ["range", "since_commit", "branch", "cache"])]
    pub since_state: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct StagedArgs {
    /// The repository (default: the current directory)
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct PreCommitArgs {
    /// The files pre-commit passes (`pass_filenames: true`)
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Write a pre-commit hook that runs `keyward staged` (an existing hook is chained)
    Install {
        #[arg(default_value = ".")]
        repo: PathBuf,
    },
    /// Remove keyward's pre-commit hook, restoring a chained one
    Uninstall {
        #[arg(default_value = ".")]
        repo: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Record history findings instead of the working tree
    #[arg(long)]
    pub history: bool,
    /// Record the staged change's findings
    #[arg(long, conflicts_with = "history")]
    pub staged: bool,
    /// Rewrite the baseline (`-o FILE`) without the entries that match no finding; add nothing
    #[arg(long)]
    pub prune: bool,
    /// Rewrite a version-1 baseline (`--baseline FILE`, else `-o FILE`) as version 2, keeping
    /// every entry; no scan
    #[arg(long, conflicts_with_all = ["prune", "history", "staged"])]
    pub upgrade: bool,
    /// The tree or repository (default: the current directory)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Do not honour .gitignore (tree mode)
    #[arg(long)]
    pub no_ignore: bool,
    #[command(flatten)]
    pub range: HistoryRange,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// List every rule (YAML and code checks)
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
        /// Extra rule files to include
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
    /// Check rule files (default: the built-in rules): schema, regexes, examples
    Check { files: Vec<PathBuf> },
    /// Show one rule in full
    Show {
        id: String,
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
    },
}
