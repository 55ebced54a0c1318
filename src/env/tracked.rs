//! Tells whether a file is tracked by git by reading the repository's index directly (versions
//! 2 to 4, with the shared `crate::gitindex` reader), so that checking the default `.env` costs
//! no `git` process at start. Falls back to `git ls-files` for what it does not read (split or
//! sparse index, SHA-256 repositories).

use crate::gitindex::{extensions, is_mandatory, Entries};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `Some(repository root)` when `file` is in a git work tree and tracked there.
pub fn tracked_in(file: &Path) -> Option<PathBuf> {
    let file = file.canonicalize().ok()?;
    let (root, git_dir) = find_repository(file.parent()?)?;
    let relative = file.strip_prefix(&root).ok()?.to_str()?.replace('\\', "/");
    let index = match std::fs::read(git_dir.join("index")) {
        Ok(index) => index,
        Err(_) => return None,
    };
    let tracked = match index_contains(&index, relative.as_bytes()) {
        Some(found) => found,
        None => ls_files(&root, &relative),
    };
    tracked.then_some(root)
}

/// The work-tree root and git directory above `dir`, following a `.git` file (worktrees,
/// submodules) to the directory it names.
fn find_repository(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    for root in dir.ancestors() {
        let dot_git = root.join(".git");
        if dot_git.is_dir() {
            return Some((root.to_path_buf(), dot_git));
        }
        if dot_git.is_file() {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.strip_prefix("gitdir:")?.trim();
            return Some((root.to_path_buf(), root.join(target)));
        }
    }
    None
}

fn ls_files(root: &Path, relative: &str) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "--error-unmatch", "--", relative])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `None` when the index is in a form the shared reader does not handle.
fn index_contains(index: &[u8], path: &[u8]) -> Option<bool> {
    let mut entries = Entries::new(index)?;
    while entries.left() > 0 {
        entries.next_entry()?;
        if entries.path() == path {
            return Some(true);
        }
    }
    // A split index keeps most entries in a shared file, a sparse index folds directories
    // into one entry: neither is read here.
    let mandatory = extensions(index, entries.end()?)?
        .iter()
        .any(|(signature, _)| is_mandatory(signature));
    (!mandatory).then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    fn repo_with(files: &[&str], index_version: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        for name in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "A=1\n").unwrap();
        }
        git(dir.path(), &["add", "."]);
        git(
            dir.path(),
            &["update-index", "--index-version", index_version],
        );
        dir
    }

    #[test]
    fn reads_index_versions_2_3_and_4() {
        for version in ["2", "3", "4"] {
            let dir = repo_with(
                &["app/settings.py", "app/.env", "deploy/prod.env", "z"],
                version,
            );
            std::fs::write(dir.path().join(".env"), "B=2\n").unwrap();
            let index = std::fs::read(dir.path().join(".git/index")).unwrap();
            assert_eq!(
                index_contains(&index, b"app/.env"),
                Some(true),
                "v{version}"
            );
            assert_eq!(
                index_contains(&index, b"deploy/prod.env"),
                Some(true),
                "v{version}"
            );
            assert_eq!(index_contains(&index, b".env"), Some(false), "v{version}");
            assert!(tracked_in(&dir.path().join("app/.env")).is_some());
            assert!(tracked_in(&dir.path().join(".env")).is_none());
        }
    }

    #[test]
    fn outside_a_repository_nothing_is_tracked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "A=1\n").unwrap();
        assert!(tracked_in(&dir.path().join(".env")).is_none());
    }
}
