//! Orchestration of the git scans: `history` (every unique blob of the selected commits, read
//! once and scanned in parallel, each finding attributed to the earliest commit that put that
//! secret at that path) and `staged` (the findings on the lines a commit would add). It wires
//! the git sources to `Detector::text_blob` and returns a finished `Summary`; it neither matches
//! nor prints findings.

use crate::config::Config;
use crate::detect::hygiene::{self, Scope};
use crate::detect::{Detector, Scratch};
use crate::finding::{CommitInfo, Finding};
use crate::messages;
use crate::report::Summary;
use crate::rules::RuleSet;
use crate::scan::inherited;
use crate::scan::tree as scan;
use crate::source::git::{commit_info, kept_or_open, open_repo, rfc3339};
use crate::source::history::{self, HistoryPlan, Selection};
use crate::source::loose::Loose;
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
        .with_cap(cfg.findings_cap)
        .secrets_only()
        .with_known(cfg.known.as_deref());
    let dirs = (repo.path().to_path_buf(), repo.commondir().to_path_buf());
    let run = pool.install(|| scan_plan((&dirs.0, &dirs.1), &plan, &detector, cfg));
    for note in run.notes() {
        add_note(&mut summary, note);
    }
    let found = std::mem::take(&mut *run.found.lock().unwrap());
    let found = attribute(&repo, &plan, found);
    summary.findings = inherited::drop_inherited(&repo, &plan, &detector, cfg, found);
    summary.stats.commits = plan.commits.len() as u64;
    summary.stats.blobs = run.blobs.into_inner();
    run.counters.move_capped_to(&mut summary);
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
    for (pack, reason) in crate::source::gitpack::damaged_packs(repo.commondir()) {
        messages::file_error(&pack.display().to_string(), reason);
    }
    if repo.is_shallow() {
        add_note(summary, "history is cut: this is a shallow clone, so commits before its boundary were not scanned (`git fetch --unshallow` fetches them)".into());
    }
    refuse_damaged_loose(repo)?;
    let commits = history::select_commits(repo, sel)
        .with_context(|| format!("failed to list the commits of {}", repo_path.display()))?;
    let bar = progress(cfg, commits.len() as u64, "commits");
    let plan = history::plan(repo, commits, cfg.threads, || bar.inc(1));
    bar.finish_and_clear();
    if let Some(first) = plan.submodules.first() {
        let count = plan.submodules.len();
        add_note(summary, format!("{count} submodule(s) not followed (e.g. {first}): scan their repositories on their own"));
    }
    Ok(plan)
}

/// A damaged loose commit, tree or tag would make libgit2 loop forever while walking: each is
/// reported, naming it, and the walk is refused (exit 2) rather than left to hang.
fn refuse_damaged_loose(repo: &Repository) -> Result<()> {
    let loose = Loose::list(&repo.commondir().join("objects"));
    let damaged = loose.damaged_non_blobs();
    for (oid, reason) in &damaged {
        let path = loose.path(*oid);
        messages::file_error(&format!("object {oid} ({})", path.display()), reason);
    }
    if !damaged.is_empty() {
        anyhow::bail!(
            "failed to walk the history of {}: {} damaged loose object(s), listed above; \
             restore them (or the repository) from a clone",
            repo.path().display(),
            damaged.len()
        );
    }
    Ok(())
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
    /// (commit index, the findings of one blob at one of its paths).
    found: Mutex<Vec<(u32, Vec<Finding>)>>,
    blobs: AtomicU64,
    bytes: AtomicU64,
    lfs: Mutex<BTreeSet<u32>>,
    too_large: Mutex<BTreeSet<(u32, u64)>>,
    counters: scan::Counters,
}

impl Run {
    fn keep(&self, commit: u32, findings: Vec<Finding>) {
        if !findings.is_empty() {
            self.found.lock().unwrap().push((commit, findings));
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

/// Every (path, commit) at which one blob appears: the first, then its copies and renames.
struct Places<'p> {
    plan: &'p HistoryPlan,
    /// `plan.copies` indexes sorted by blob.
    copies: Vec<u32>,
}

impl<'p> Places<'p> {
    fn new(plan: &'p HistoryPlan) -> Self {
        let mut copies: Vec<u32> = (0..plan.copies.len() as u32).collect();
        copies.sort_by_key(|&c| plan.copies[c as usize].blob);
        Places { plan, copies }
    }

    fn of(&self, blob: u32) -> Vec<(&'p str, u32)> {
        let plan = self.plan;
        let first = plan.blobs[blob as usize];
        let mut out = vec![(plan.paths[first.path as usize].as_str(), first.commit)];
        let from = self
            .copies
            .partition_point(|&c| plan.copies[c as usize].blob < blob);
        for &c in &self.copies[from..] {
            let copy = plan.copies[c as usize];
            if copy.blob != blob {
                break;
            }
            out.push((plan.paths[copy.path as usize].as_str(), copy.commit));
        }
        out
    }
}

/// Reads and scans every blob of `plan` on the current pool; `dirs` are the git and common
/// directories.
fn scan_plan(dirs: (&Path, &Path), plan: &HistoryPlan, detector: &Detector, cfg: &Config) -> Run {
    let oids: Vec<git2::Oid> = plan.blobs.iter().map(|b| b.oid).collect();
    let loose = Loose::list(&dirs.1.join("objects"));
    let places = Places::new(plan);
    let run = Run::default();
    let bar = progress(cfg, plan.blobs.len() as u64, "blobs");
    gitblob::for_each(
        (dirs.0, dirs.1, &loose),
        &oids,
        cfg.max_file_size,
        Scratch::default,
        |scratch, i, content| {
            let at = places.of(i as u32);
            scan_one(&run, detector, (i as u32, oids[i], &at), content, scratch);
            bar.inc(1);
            if i % 256 == 0 {
                bar.set_message(HumanBytes(run.bytes.load(Ordering::Relaxed)).to_string());
            }
        },
    );
    bar.finish_and_clear();
    for &(b, size) in run.too_large.lock().unwrap().iter() {
        let blob = plan.blobs[b as usize];
        let path = &plan.paths[blob.path as usize];
        messages::skipped_large(&format!("{path} (blob {})", blob.oid), size);
    }
    run
}

/// Scans one blob's content once, at its first path, and runs the path-based checks at every
/// path it had (`at`): a file renamed to `.env`, or copied out of an allowed fixture folder,
/// is reported there too. Where a path changes how the rules judge the content (another file
/// type, a path-scoped rule), the content is matched again for that path.
fn scan_one(
    run: &Run,
    detector: &Detector,
    (index, oid, at): (u32, git2::Oid, &[(&str, u32)]),
    content: std::io::Result<Content>,
    scratch: &mut Scratch,
) {
    run.blobs.fetch_add(1, Ordering::Relaxed);
    let scope = Scope::CommittedFiles;
    let (first, _) = at[0];
    match content {
        Ok(Content::Text(data)) if data.starts_with(LFS_POINTER) => {
            run.lfs.lock().unwrap().insert(index);
            for &(path, commit) in at {
                run.keep(commit, detector.binary_blob(path, None));
            }
        }
        Ok(Content::Text(data)) => {
            run.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            let rules_at = |path: &str, scratch: &mut Scratch| {
                let mut found = detector.scan(path, &data, scratch);
                hygiene::refine(path, &data, &mut found, scope);
                found
            };
            let base = rules_at(first, scratch);
            run.counters.note_capped(first, scratch);
            for &(path, commit) in at {
                let mut found = if path == first {
                    base.clone()
                } else if detector.judges_alike(first, path) {
                    relocated(&base, path)
                } else {
                    rules_at(path, scratch)
                };
                found.extend(hygiene::check_file(path, &data, scope));
                run.keep(commit, found);
            }
        }
        Ok(Content::Binary(data)) => {
            let known = detector.scan_binary(first, &data);
            for &(path, commit) in at {
                let mut found = detector.binary_blob(path, None);
                found.extend(relocated(&known, path));
                run.keep(commit, found);
            }
        }
        Ok(Content::TooLarge(size)) => {
            run.too_large.lock().unwrap().insert((index, size));
            for &(path, commit) in at {
                run.keep(commit, detector.binary_blob(path, None));
            }
        }
        Err(err) => messages::file_error(
            &format!("{first} (blob {oid})"),
            format!("failed to read this version: {err}"),
        ),
    }
}

fn relocated(found: &[Finding], path: &str) -> Vec<Finding> {
    found
        .iter()
        .map(|f| {
            let mut f = f.clone();
            hygiene::relocate(&mut f, path.to_string());
            f
        })
        .collect()
}

/// Keeps, for each (path, rule, fingerprint), the findings of the earliest commit that has it
/// and attaches that commit.
fn attribute(
    repo: &Repository,
    plan: &HistoryPlan,
    found: Vec<(u32, Vec<Finding>)>,
) -> Vec<Finding> {
    let mut first: HashMap<(String, String, String), u32> = HashMap::new();
    for (commit, findings) in &found {
        for f in findings {
            let key = (f.path.clone(), f.rule.clone(), f.fingerprint.clone());
            let slot = first.entry(key).or_insert(*commit);
            *slot = (*slot).min(*commit);
        }
    }
    let mut infos: HashMap<u32, Option<CommitInfo>> = HashMap::new();
    let mut kept = Vec::new();
    for (commit, findings) in found {
        for mut f in findings {
            let key = (f.path.clone(), f.rule.clone(), f.fingerprint.clone());
            if first[&key] != commit {
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
    // The repository `Config::build` found `.keyward.yaml` with, when it found it from here.
    let repo = kept_or_open(cfg.project.repository.take(repo_path), repo_path)?;
    if repo.is_bare() {
        anyhow::bail!(
            "failed to read the staged change of {}: it is a bare repository (no index, no \
             working tree); run `keyward staged` in a clone, or `keyward history` here",
            repo.path().display()
        );
    }
    let files = staged::changes(&repo).with_context(|| {
        format!(
            "failed to read the staged change of {}",
            repo_path.display()
        )
    })?;
    let detector = Detector::new(rules, cfg.prefilter)
        .with_cap(cfg.findings_cap)
        .with_known(cfg.known.as_deref());
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
    // A new blob is loose: read it without libgit2, which loops on a truncated one.
    let objects = repo.commondir().join("objects");
    match crate::source::loose::read_if_loose(&objects, oid, max) {
        Some(Ok((_, Some(data)))) => return Some(text_of(data)),
        Some(Ok((header, None))) => {
            messages::skipped_large(path, header.size);
            return None;
        }
        Some(Err(err)) => {
            messages::file_error(path, format!("failed to read the staged blob {oid}: {err}"));
            return None;
        }
        None => {}
    }
    let blob = match repo.find_blob(oid) {
        Ok(blob) => blob,
        Err(err) => {
            messages::file_error(path, err);
            return None;
        }
    };
    let data = blob.content();
    if data.len() as u64 > max {
        messages::skipped_large(path, data.len() as u64);
        return None;
    }
    Some(text_of(data.to_vec()))
}

/// UTF-16 text decoded to UTF-8; anything else as it is.
fn text_of(data: Vec<u8>) -> Vec<u8> {
    match crate::source::classify(data) {
        Content::Text(d) | Content::Binary(d) => d,
        Content::TooLarge(_) => Vec::new(),
    }
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
