//! `keyward history --since-state FILE`: incremental history scans for a nightly sweep. Owns
//! the state file (per ref, the last commit scanned: ref names and commit ids only, never a
//! finding, path or value) and the choice of commits from it: what each ref gained since its
//! last scanned commit. A ref that no longer contains that commit (a force-push, a rewritten
//! branch) is scanned in full, with a note. The scan itself is `scan::git::history`; this
//! module neither matches nor prints findings.

use crate::config::Config;
use crate::messages;
use crate::report::Summary;
use crate::rules::RuleSet;
use crate::scan::git as gitscan;
use crate::source::git::open_repo;
use crate::source::history::Selection;
use anyhow::{bail, Context, Result};
use git2::{Oid, Repository, Sort};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The state file's format version; a file of another version is refused, not guessed at.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    /// Ref name (`refs/heads/main`, `HEAD` when detached) → the commit its tip was at.
    refs: BTreeMap<String, String>,
}

/// The refs of a repository and the commit each points to.
type Refs = BTreeMap<String, Oid>;

/// A scan's new state, written by `save` once the report is out (a failed report must not
/// advance the state, or its findings would never be reported).
pub struct Pending {
    file: PathBuf,
    refs: Refs,
}

/// Scans what is new since the state in `file` (everything, without one) and returns the
/// summary with the state to save.
pub fn history(
    cfg: &Config,
    rules: &RuleSet,
    repo_path: &Path,
    file: &Path,
) -> Result<(Summary, Pending)> {
    let previous = load(file)?;
    let repo = open_repo(repo_path)?;
    let refs = current_refs(&repo)?;
    let mut notes = Vec::new();
    let commits = match &previous {
        None => {
            notes.push(format!(
                "no state in {} yet: every ref is scanned in full",
                file.display()
            ));
            select(&repo, &refs, &Refs::new(), &mut notes)?
        }
        Some(previous) => select(&repo, &refs, previous, &mut notes)?,
    };
    let sel = Selection {
        commits: Some(commits),
        ..Selection::default()
    };
    for note in &notes {
        messages::note(note);
    }
    let mut summary = gitscan::history(cfg, rules, repo_path, &sel)?;
    notes.append(&mut summary.notes);
    summary.notes = notes;
    let file = file.to_path_buf();
    Ok((summary, Pending { file, refs }))
}

impl Pending {
    /// Writes the state (atomically: a temporary file renamed over it) unless the scan had
    /// errors, in which case the next run scans the same commits again.
    pub fn save(self, summary: &Summary) -> Result<()> {
        if summary.stats.errors > 0 {
            messages::note(format!(
                "{} not updated: the scan had errors, so the next run scans the same commits again",
                self.file.display()
            ));
            return Ok(());
        }
        let state = StateFile {
            version: FORMAT,
            refs: (self.refs.iter())
                .map(|(name, oid)| (name.clone(), oid.to_string()))
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&state).expect("a map of strings");
        text.push('\n');
        let mut tmp = self.file.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &self.file))
            .with_context(|| {
                format!(
                    "failed to write the state file {}; check that its directory exists and is writable",
                    self.file.display()
                )
            })
    }
}

/// The state in `file`; `None` when there is no such file yet.
fn load(file: &Path) -> Result<Option<Refs>> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(err)
                .with_context(|| format!("failed to read the state file {}", file.display()))
        }
    };
    let fix = "delete it to scan every ref in full";
    let state: StateFile = serde_json::from_str(&text)
        .with_context(|| format!("failed to parse the state file {}; {fix}", file.display()))?;
    if state.version != FORMAT {
        bail!(
            "the state file {} has format version {}, this keyward reads {FORMAT}; {fix}",
            file.display(),
            state.version
        );
    }
    let mut refs = Refs::new();
    for (name, id) in state.refs {
        let valid_name = name == "HEAD" || git2::Reference::is_valid_name(&name);
        match Oid::from_str(&id) {
            Ok(oid) if valid_name && id.len() == 40 => refs.insert(name, oid),
            _ => bail!(
                "the state file {} holds an entry that is not a ref name and a commit id; {fix}",
                file.display()
            ),
        };
    }
    Ok(Some(refs))
}

/// Every ref that leads to a commit (branches, tags, remote-tracking refs, notes, the stash),
/// and `HEAD` when it is detached.
fn current_refs(repo: &Repository) -> Result<Refs> {
    let mut refs = Refs::new();
    for reference in repo.references().context("failed to list refs")? {
        let reference = reference.context("failed to read a ref")?;
        let (Ok(name), Ok(commit)) = (reference.name(), reference.peel_to_commit()) else {
            continue;
        };
        refs.insert(name.to_string(), commit.id());
    }
    if repo.head_detached().unwrap_or(false) {
        if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
            refs.insert("HEAD".to_string(), head.id());
        }
    }
    Ok(refs)
}

/// How a ref moved since its last scan.
enum Moved {
    /// Its last scanned commit is still in it (unchanged or fast-forwarded): hide that commit.
    Ahead(Oid),
    /// It no longer contains its last scanned commit: scan everything it reaches.
    Rewritten,
    /// No last scanned commit: scan what no other ref's last scanned commit reaches.
    New,
}

fn moved(repo: &Repository, tip: Oid, last: Option<Oid>) -> Moved {
    match last {
        None => Moved::New,
        Some(last) if last == tip => Moved::Ahead(last),
        Some(last) => {
            let present = repo.find_commit(last).is_ok();
            if present && repo.graph_descendant_of(tip, last).unwrap_or(false) {
                Moved::Ahead(last)
            } else {
                Moved::Rewritten
            }
        }
    }
}

/// The commits to scan, parents before children: everything the refs reach, less what the
/// last scanned commits of the refs still containing theirs reach, plus everything a
/// rewritten ref reaches.
fn select(
    repo: &Repository,
    refs: &Refs,
    previous: &Refs,
    notes: &mut Vec<String>,
) -> Result<Vec<Oid>> {
    let mut hide = Vec::new();
    let mut rewritten = Vec::new();
    for (name, &tip) in refs {
        match moved(repo, tip, previous.get(name).copied()) {
            Moved::Ahead(last) => hide.push(last),
            Moved::New => {}
            Moved::Rewritten => {
                let last = previous[name].to_string();
                notes.push(format!(
                    "{name} no longer contains {}, the last commit scanned (force-pushed or rewritten): it is scanned in full",
                    &last[..12]
                ));
                rewritten.push(tip);
            }
        }
    }
    let walk_failed = "failed to walk the commit graph";
    let tips: Vec<Oid> = refs.values().copied().collect();
    let mut commits = walk(repo, &tips, &hide).context(walk_failed)?;
    if !rewritten.is_empty() {
        // the hidden commits a rewritten ref reaches are scanned again, for that ref
        let keep: HashSet<Oid> = walk(repo, &rewritten, &[])
            .context(walk_failed)?
            .into_iter()
            .collect();
        let scanned: HashSet<Oid> = walk(repo, &hide, &[])
            .context(walk_failed)?
            .into_iter()
            .collect();
        let all = walk(repo, &tips, &[]).context(walk_failed)?;
        commits = (all.into_iter())
            .filter(|c| !scanned.contains(c) || keep.contains(c))
            .collect();
    }
    let changed = refs
        .iter()
        .filter(|(n, t)| previous.get(*n) != Some(*t))
        .count();
    notes.push(format!(
        "--since-state: {} commit(s) to scan; {changed} of {} ref(s) changed since the last scan",
        commits.len(),
        refs.len()
    ));
    Ok(commits)
}

/// The commits reachable from `tips` and not from `hide`, parents first (topological, then
/// commit time), as `history` orders them.
fn walk(repo: &Repository, tips: &[Oid], hide: &[Oid]) -> Result<Vec<Oid>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
    for &tip in tips {
        walk.push(tip)?;
    }
    for &commit in hide {
        walk.hide(commit)?;
    }
    walk.collect()
}
