//! The working-tree source: a parallel walk with the `ignore` crate (honouring `.gitignore`
//! unless `--no-ignore`), plus the files git tracks that an ignore pattern would hide — a
//! tracked `.env` is exactly the leak to find. Symlinks are not followed.

use super::{looks_binary, Content};
use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct TreeOptions {
    pub no_ignore: bool,
    pub threads: usize,
    pub max_file_size: u64,
}

/// One file found by the walk.
pub struct Entry {
    pub abs: PathBuf,
    /// Relative to the scan root, `/`-separated (the file name when the root is a file).
    pub rel: String,
}

/// Walks `root` in parallel, calling `visit` on worker threads with per-thread state built by
/// `init`. Returns after every file has been visited.
pub fn walk<S, I, V>(root: &Path, opts: &TreeOptions, init: I, visit: V)
where
    S: Send,
    I: Fn() -> S + Sync,
    V: Fn(&mut S, Entry) + Sync,
{
    let seen: Mutex<HashSet<PathBuf>> = Mutex::new(HashSet::new());
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .require_git(true)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .threads(opts.threads)
        .build_parallel();
    walker.run(|| {
        let mut state = init();
        let seen = &seen;
        let visit = &visit;
        Box::new(move |result| {
            match result {
                Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                    let abs = entry.into_path();
                    if !opts.no_ignore {
                        seen.lock().unwrap().insert(abs.clone());
                    }
                    let rel = relative(root, &abs);
                    visit(&mut state, Entry { abs, rel });
                }
                Ok(_) => {}
                Err(err) => crate::messages::file_error(&root.display().to_string(), err),
            }
            ignore::WalkState::Continue
        })
    });
    if !opts.no_ignore {
        let seen = seen.into_inner().unwrap();
        let mut state = init();
        for abs in tracked_but_ignored(root, &seen) {
            let rel = relative(root, &abs);
            visit(&mut state, Entry { abs, rel });
        }
    }
}

/// Files in the git index under `root` that the walk skipped because an ignore rule matched.
fn tracked_but_ignored(root: &Path, seen: &HashSet<PathBuf>) -> Vec<PathBuf> {
    let Ok(repo) = git2::Repository::discover(root) else {
        return Vec::new();
    };
    let (Some(workdir), Ok(index)) = (repo.workdir(), repo.index()) else {
        return Vec::new();
    };
    let Ok(root_abs) = root.canonicalize() else {
        return Vec::new();
    };
    let Ok(workdir) = workdir.canonicalize() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in index.iter() {
        let rel = String::from_utf8_lossy(&entry.path).into_owned();
        let abs = workdir.join(&rel);
        let Ok(under) = abs.strip_prefix(&root_abs) else {
            continue;
        };
        let as_walked = root.join(under);
        if !seen.contains(&as_walked) && as_walked.symlink_metadata().is_ok_and(|m| m.is_file()) {
            out.push(as_walked);
        }
    }
    out.sort();
    out
}

fn relative(root: &Path, abs: &Path) -> String {
    let rel = match abs.strip_prefix(root) {
        Ok(r) if !r.as_os_str().is_empty() => r,
        _ => abs.file_name().map(Path::new).unwrap_or(abs),
    };
    rel.to_string_lossy().replace('\\', "/")
}

/// Reads a file for scanning into `data` (a buffer recycled across files, so the scan does not
/// fault in fresh pages for every file): refuses files over the size limit and binary files.
pub fn read(path: &Path, max_file_size: u64, mut data: Vec<u8>) -> std::io::Result<Content> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len > max_file_size {
        return Ok(Content::TooLarge(len));
    }
    data.clear();
    data.reserve(len as usize + 1);
    file.read_to_end(&mut data)?;
    if looks_binary(&data) {
        return Ok(Content::Binary);
    }
    Ok(Content::Text(data))
}
