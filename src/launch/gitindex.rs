//! Tells whether a file is tracked by git by reading the repository's index directly (versions
//! 2 to 4), so that checking the default `.env` costs no `git` process at start. Falls back to
//! `git ls-files` for what it does not read (split index, SHA-256 repositories).

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

/// `None` when the index is in a form this reader does not handle.
fn index_contains(index: &[u8], path: &[u8]) -> Option<bool> {
    if index.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(index, 4)?;
    let count = be32(index, 8)? as usize;
    if !(2..=4).contains(&version) {
        return None;
    }
    let mut reader = Entries {
        index,
        at: 12,
        version,
        previous: Vec::new(),
    };
    for _ in 0..count {
        if reader.next_path()? == path {
            return Some(true);
        }
    }
    // A split index keeps most entries in a shared file this reader does not open.
    match has_extension(index, reader.at, b"link") {
        true => None,
        false => Some(false),
    }
}

struct Entries<'a> {
    index: &'a [u8],
    at: usize,
    version: u32,
    previous: Vec<u8>,
}

/// Fixed part of an entry: ten 32-bit stat fields, a SHA-1 and 16 bits of flags.
const FIXED: usize = 40 + 20 + 2;

impl Entries<'_> {
    fn next_path(&mut self) -> Option<Vec<u8>> {
        let start = self.at;
        let flags = u16::from_be_bytes(self.index.get(start + 60..start + 62)?.try_into().ok()?);
        let extended = self.version >= 3 && flags & 0x4000 != 0;
        let name_at = start + FIXED + if extended { 2 } else { 0 };
        let path = if self.version == 4 {
            self.prefix_compressed(name_at)?
        } else {
            let len = memchr::memchr(0, self.index.get(name_at..)?)?;
            let path = self.index[name_at..name_at + len].to_vec();
            self.at = start + (name_at - start + len + 8) / 8 * 8;
            path
        };
        Some(path)
    }

    /// Version 4: strip N bytes from the previous path, then append a NUL-terminated suffix.
    fn prefix_compressed(&mut self, mut at: usize) -> Option<Vec<u8>> {
        let mut byte = *self.index.get(at)?;
        let mut strip = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            at += 1;
            byte = *self.index.get(at)?;
            strip = ((strip + 1) << 7) | usize::from(byte & 0x7f);
        }
        at += 1;
        let len = memchr::memchr(0, self.index.get(at..)?)?;
        let keep = self.previous.len().checked_sub(strip)?;
        self.previous.truncate(keep);
        self.previous.extend_from_slice(&self.index[at..at + len]);
        self.at = at + len + 1;
        Some(self.previous.clone())
    }
}

/// Whether the extensions after the entries include `name`.
fn has_extension(index: &[u8], mut at: usize, name: &[u8]) -> bool {
    // The last 20 bytes are the checksum of everything before.
    let end = index.len().saturating_sub(20);
    while at + 8 <= end {
        if &index[at..at + 4] == name {
            return true;
        }
        let Some(size) = be32(index, at + 4) else {
            return false;
        };
        at += 8 + size as usize;
    }
    false
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
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
