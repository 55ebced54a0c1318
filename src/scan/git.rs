//! Orchestration of the git scans: `history` (every unique blob of the selected commits, read
//! once and scanned in parallel, each finding attributed to the earliest commit that put that
//! secret at that path) and `staged` (the findings on the lines a commit would add). It wires
//! the git sources to `Detector::text_blob` and returns a finished `Summary`; it neither matches
//! nor prints findings.

use crate::config::Config;
use crate::detect::hygiene::Scope;
use crate::detect::{Detector, Scratch};
use crate::finding::{CommitInfo, Finding};
use crate::messages;
use crate::report::Summary;
use crate::rules::RuleSet;
use crate::sanitize::escape;
use crate::scan::inherited;
use crate::scan::tree as scan;
use crate::source::git::{commit_info, open_repo, rfc3339};
use crate::source::gitpack::Layout;
use crate::source::history::{self, HistoryPlan, Selection};
use crate::source::staged::{self, Added, StagedFile};
use crate::source::{gitblob, looks_binary, Content};
use anyhow::{Context, Result};
use git2::Repository;
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Git LFS pointer files start with this line; the object they name is not fetched.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";

/// `keyward history`: scans the blobs introduced by the selected commits of `repo_path`.
pub fn history(
    cfg: &Config,
    rules: &RuleSet,
    repo_path: &Path,
    sel: &Selection,
) -> Result<Summary> {
    let started = Instant::now();
    bound_libgit2_memory();
    let repo = open_repo(repo_path)?;
    let mut summary = Summary::default();
    let plan = walk(cfg, &repo, repo_path, sel, &mut summary)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .context("failed to start worker threads")?;
    let detector = Detector::new(rules, cfg.prefilter)
        .secrets_only()
        .with_known(cfg.known.as_deref());
    let dirs = (repo.path().to_path_buf(), repo.commondir().to_path_buf());
    let run = pool.install(|| scan_plan((&dirs.0, &dirs.1), &plan, &detector, cfg));
    for note in run.notes() {
        add_note(&mut summary, note);
    }
    let found = attribute(&repo, &plan, run.found.into_inner().unwrap());
    summary.findings = inherited::drop_inherited(&repo, &plan, &detector, cfg, found);
    summary.stats.commits = plan.commits.len() as u64;
    summary.stats.blobs = run.blobs.into_inner();
    summary.stats.bytes = run.bytes.into_inner();
    scan::finish(&mut summary, rules, started);
    Ok(summary)
}

/// The commits of `sel` and the blobs they introduced; notes a shallow clone and submodules.
fn walk(
    cfg: &Config,
    repo: &Repository,
    repo_path: &Path,
    sel: &Selection,
    summary: &mut Summary,
) -> Result<HistoryPlan> {
    if repo.is_shallow() {
        add_note(summary, "history is cut: this is a shallow clone, so commits before its boundary were not scanned (`git fetch --unshallow` fetches them)".into());
    }
    let commits = history::select_commits(repo, sel)
        .with_context(|| format!("failed to list the commits of {}", repo_path.display()))?;
    let bar = progress(cfg, commits.len() as u64, "commits");
    let plan = history::plan(repo, commits, || bar.inc(1));
    bar.finish_and_clear();
    if let Some(first) = plan.submodules.first() {
        let count = plan.submodules.len();
        add_note(summary, format!("{count} submodule(s) not followed (e.g. {first}): scan their repositories on their own"));
    }
    Ok(plan)
}

/// Each tree is read once, so libgit2's object cache would only hold on to memory; and its
/// pack windows are capped so a large pack is not mapped (and resident) whole.
fn bound_libgit2_memory() {
    git2::opts::enable_caching(false);
    // SAFETY: set before any other thread uses libgit2 in this run.
    unsafe {
        let _ = git2::opts::set_mwindow_size(16 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(64 << 20);
    }
}

fn add_note(summary: &mut Summary, note: String) {
    messages::note(&note);
    summary.notes.push(note);
}

/// A progress bar on stderr when it is a terminal (and not `-q`); hidden otherwise.
fn progress(cfg: &Config, len: u64, what: &str) -> ProgressBar {
    if cfg.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
        .expect("valid template")
        .progress_chars("=> ");
    ProgressBar::new(len)
        .with_style(style)
        .with_prefix(what.to_string())
}

/// What the workers gather while the blobs stream past.
#[derive(Default)]
struct Run {
    found: Mutex<Vec<(u32, Vec<Finding>)>>,
    blobs: AtomicU64,
    bytes: AtomicU64,
    lfs: Mutex<BTreeSet<u32>>,
    too_large: Mutex<BTreeSet<u32>>,
}

impl Run {
    fn keep(&self, blob: u32, findings: Vec<Finding>) {
        if !findings.is_empty() {
            self.found.lock().unwrap().push((blob, findings));
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let lfs = self.lfs.lock().unwrap();
        if !lfs.is_empty() {
            notes.push(format!("{} Git LFS pointer file version(s) were not fetched: their objects were not scanned", lfs.len()));
        }
        notes
    }
}

/// Reads and scans every blob of `plan` on the current pool; `dirs` are the git and common
/// directories.
fn scan_plan(dirs: (&Path, &Path), plan: &HistoryPlan, detector: &Detector, cfg: &Config) -> Run {
    let oids: Vec<git2::Oid> = plan.blobs.iter().map(|b| b.oid).collect();
    let layout = Layout::read(dirs.1, &oids);
    let run = Run::default();
    let bar = progress(cfg, plan.blobs.len() as u64, "blobs");
    gitblob::for_each(
        dirs.0,
        (&oids, layout.order()),
        cfg.max_file_size,
        Scratch::default,
        |scratch, i, content| {
            let path = &plan.paths[plan.blobs[i].path as usize];
            scan_one(&run, detector, (i as u32, path), content, scratch);
            bar.inc(1);
            if i % 256 == 0 {
                bar.set_message(HumanBytes(run.bytes.load(Ordering::Relaxed)).to_string());
            }
        },
    );
    bar.finish_and_clear();
    let too_large: BTreeSet<&str> = run
        .too_large
        .lock()
        .unwrap()
        .iter()
        .map(|&b| plan.paths[plan.blobs[b as usize].path as usize].as_str())
        .collect();
    for path in too_large {
        let path = escape(path);
        messages::note(format!(
            "{path}: skipped: a version is over --max-file-size"
        ));
    }
    run
}

fn scan_one(
    run: &Run,
    detector: &Detector,
    (index, path): (u32, &str),
    content: std::io::Result<Content>,
    scratch: &mut Scratch,
) {
    run.blobs.fetch_add(1, Ordering::Relaxed);
    match content {
        Ok(Content::Text(data)) if data.starts_with(LFS_POINTER) => {
            run.lfs.lock().unwrap().insert(index);
            run.keep(index, detector.binary_blob(path, None));
        }
        Ok(Content::Text(data)) => {
            run.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            let found = detector.text_blob(path, &data, scratch, Scope::CommittedFiles);
            run.keep(index, found);
        }
        Ok(Content::Binary(data)) => {
            run.keep(index, detector.binary_blob(path, Some(&data)));
        }
        Ok(Content::TooLarge(_)) => {
            run.too_large.lock().unwrap().insert(index);
            run.keep(index, detector.binary_blob(path, None));
        }
        Err(err) => messages::file_error(path, format!("failed to read a version: {err}")),
    }
}

/// Keeps, for each (path, rule, fingerprint), the findings of the earliest blob that has it
/// (blobs are numbered in commit order), and attaches that blob's commit.
fn attribute(
    repo: &Repository,
    plan: &HistoryPlan,
    found: Vec<(u32, Vec<Finding>)>,
) -> Vec<Finding> {
    let mut first: HashMap<(String, String, String), u32> = HashMap::new();
    for (blob, findings) in &found {
        for f in findings {
            let key = (f.path.clone(), f.rule.clone(), f.fingerprint.clone());
            let slot = first.entry(key).or_insert(*blob);
            *slot = (*slot).min(*blob);
        }
    }
    let mut infos: HashMap<u32, Option<CommitInfo>> = HashMap::new();
    let mut kept = Vec::new();
    for (blob, findings) in found {
        let commit = plan.blobs[blob as usize].commit;
        for mut f in findings {
            let key = (f.path.clone(), f.rule.clone(), f.fingerprint.clone());
            if first[&key] != blob {
                continue;
            }
            f.commit = infos
                .entry(commit)
                .or_insert_with(|| {
                    let id = plan.commits[commit as usize];
                    repo.find_commit(id).ok().map(|c| commit_info(&c))
                })
                .clone();
            kept.push(f);
        }
    }
    kept
}

/// `keyward staged`: scans the staged blobs and keeps the findings on added lines.
pub fn staged(cfg: &Config, rules: &RuleSet, repo_path: &Path) -> Result<Summary> {
    let started = Instant::now();
    let repo = open_repo(repo_path)?;
    let files = staged::changes(&repo).with_context(|| {
        format!(
            "failed to read the staged change of {}",
            repo_path.display()
        )
    })?;
    let detector = Detector::new(rules, cfg.prefilter).with_known(cfg.known.as_deref());
    let mut scratch = Scratch::default();
    let commit = staged_commit(&repo);
    let mut summary = Summary::default();
    for file in &files {
        let Some(data) = read_staged(&repo, &file.path, file.oid, cfg.max_file_size) else {
            continue;
        };
        summary.stats.files += 1;
        summary.stats.bytes += data.len() as u64;
        let found = new_findings(&repo, &detector, file, &data, &mut scratch);
        summary.findings.extend(found);
    }
    for f in &mut summary.findings {
        f.commit = Some(commit.clone());
    }
    scan::finish(&mut summary, rules, started);
    // The process ends right after the report: unmapping libgit2's pack windows one by one
    // would cost the pre-commit hook half a millisecond that the kernel does for free.
    std::mem::forget(repo);
    Ok(summary)
}

/// The staged blob's bytes, or `None` (reported) when it is too large or unreadable.
fn read_staged(repo: &Repository, path: &str, oid: git2::Oid, max: u64) -> Option<Vec<u8>> {
    let blob = match repo.find_blob(oid) {
        Ok(blob) => blob,
        Err(err) => {
            messages::file_error(path, err);
            return None;
        }
    };
    let data = blob.content();
    if data.len() as u64 > max {
        let path = escape(path);
        messages::note(format!(
            "{path}: skipped: {} bytes is over --max-file-size",
            data.len()
        ));
        return None;
    }
    Some(data.to_vec())
}

/// The findings a commit of `file` would add: those on added lines, plus any (a file-level
/// check, a key block edited in its middle) that the HEAD version did not have.
fn new_findings(
    repo: &Repository,
    detector: &Detector,
    file: &StagedFile,
    data: &[u8],
    scratch: &mut Scratch,
) -> Vec<Finding> {
    if looks_binary(data) {
        return match file.added {
            Added::All => detector.binary_blob(&file.path, Some(data)),
            Added::Lines(_) => detector.scan_binary(&file.path, data),
        };
    }
    let mut found = detector.text_blob(&file.path, data, scratch, Scope::All);
    let Added::Lines(lines) = &file.added else {
        return found;
    };
    let on_added = |f: &Finding| lines.binary_search(&f.line).is_ok();
    if found.iter().all(on_added) {
        return found;
    }
    let before: HashSet<(String, String)> = match &file.old {
        Some((old_path, old_oid)) => match repo.find_blob(*old_oid) {
            Ok(old) => detector
                .text_blob(old_path, old.content(), scratch, Scope::All)
                .into_iter()
                .map(|f| (f.rule, f.fingerprint))
                .collect(),
            Err(_) => HashSet::new(),
        },
        None => HashSet::new(),
    };
    found.retain(|f| on_added(f) || !before.contains(&(f.rule.clone(), f.fingerprint.clone())));
    found
}

/// Staged findings carry the commit being made: git's null id, since it does not exist yet,
/// and the author it will be recorded with (`GIT_AUTHOR_NAME`/`EMAIL`, else `user.*`).
fn staged_commit(repo: &Repository) -> CommitInfo {
    let sig = repo.signature().ok();
    let from_env = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    CommitInfo {
        id: git2::Oid::ZERO_SHA1.to_string(),
        author: from_env("GIT_AUTHOR_NAME").unwrap_or_else(|| {
            sig.as_ref()
                .map_or_else(String::new, |s| lossy(s.name_bytes()))
        }),
        email: from_env("GIT_AUTHOR_EMAIL").unwrap_or_else(|| {
            sig.as_ref()
                .map_or_else(String::new, |s| lossy(s.email_bytes()))
        }),
        date: rfc3339(sig.as_ref().map_or(git2::Time::new(now, 0), |s| s.when())),
        summary: "Not committed yet (staged)".into(),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
