//! Tells whether a file is tracked by git by reading the repository's index directly, so that
//! checking the default `.env` costs no `git` process at start. The index is mapped, not read
//! (`IndexBytes`), and versions 2 and 3 are walked by each entry's name length, comparing only
//! names as long as the one looked for (`find_by_length`): an application checkout's index
//! runs to megabytes. Version 4 goes through the shared `crate::gitindex` reader; `git
//! ls-files` answers for what neither reads (split or sparse index, SHA-256 repositories).

use crate::gitindex::{extensions, is_mandatory, Entries};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `Some(repository root)` when `file` is in a git work tree and tracked there.
pub fn tracked_in(file: &Path) -> Option<PathBuf> {
    let file = file.canonicalize().ok()?;
    let (root, git_dir) = find_repository(file.parent()?)?;
    let relative = file.strip_prefix(&root).ok()?.to_str()?.replace('\\', "/");
    let index = IndexBytes::open(&git_dir.join("index"))?;
    let tracked = match index_contains(index.bytes(), relative.as_bytes()) {
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
        // One stat a level: outside a repository, every level up to `/` is asked.
        let Ok(meta) = std::fs::metadata(&dot_git) else {
            continue;
        };
        if meta.is_dir() {
            return Some((root.to_path_buf(), dot_git));
        }
        if meta.is_file() {
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

/// `None` when the index is in a form neither reader here handles.
fn index_contains(index: &[u8], path: &[u8]) -> Option<bool> {
    let end = match find_by_length(index, path) {
        Some(Lookup::Found) => return Some(true),
        Some(Lookup::Absent { end }) => end,
        None => match entries_contain(index, path)? {
            Lookup::Found => return Some(true),
            Lookup::Absent { end } => end,
        },
    };
    // A split index keeps most entries in a shared file, a sparse index folds directories
    // into one entry: neither is read here.
    let mandatory = extensions(index, end)?
        .iter()
        .any(|(signature, _)| is_mandatory(signature));
    (!mandatory).then_some(false)
}

enum Lookup {
    Found,
    /// Not among the entries, which end at `end` (where the extensions start).
    Absent {
        end: usize,
    },
}

/// Fixed part of an entry: ten 32-bit stat fields, a SHA-1 object id and 16 bits of flags.
const FIXED: usize = 62;

/// Versions 2 and 3: each entry is its fixed part, two more flag bytes when extended (v3), the
/// name, and NULs up to a multiple of eight bytes. The name's length is in the flags (up to
/// 4094; 4095 means "count to the NUL"), so entries are stepped over without reading names of
/// another length. `None` for another version or an entry that does not fit the file.
fn find_by_length(index: &[u8], path: &[u8]) -> Option<Lookup> {
    if index.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(index, 4)?;
    if !(2..=3).contains(&version) {
        return None;
    }
    let mut left = be32(index, 8)?;
    let mut at = 12;
    while left > 0 {
        let flags = u16::from_be_bytes([*index.get(at + FIXED - 2)?, *index.get(at + FIXED - 1)?]);
        let extended = flags & 0x4000 != 0;
        if extended && version < 3 {
            return None;
        }
        let name_at = at + FIXED + if extended { 2 } else { 0 };
        let len = match usize::from(flags & 0x0fff) {
            0x0fff => memchr::memchr(0, index.get(name_at..)?)?,
            // The name ends with a NUL where its flags say.
            len => (*index.get(name_at + len)? == 0).then_some(len)?,
        };
        if len == path.len() && &index[name_at..name_at + len] == path {
            return Some(Lookup::Found);
        }
        at += (name_at - at + len + 8) / 8 * 8;
        if at > index.len() {
            return None;
        }
        left -= 1;
    }
    Some(Lookup::Absent { end: at })
}

/// Any version, through the shared reader (which rebuilds every path: version 4 compresses
/// each against the one before).
fn entries_contain(index: &[u8], path: &[u8]) -> Option<Lookup> {
    let mut entries = Entries::new(index)?;
    while entries.left() > 0 {
        entries.next_entry()?;
        if entries.path() == path {
            return Some(Lookup::Found);
        }
    }
    Some(Lookup::Absent {
        end: entries.end()?,
    })
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The index file's bytes. On Unix they are mapped read-only, as git maps the index itself:
/// git never rewrites an index in place (it renames a new one over it), and a mapping is neither
/// copied into fresh heap pages nor wiped when dropped, as every heap buffer of the launcher is
/// (`env::wipe`); an index holds paths and object ids, no secret.
enum IndexBytes {
    #[cfg(unix)]
    Mapped {
        at: std::ptr::NonNull<libc::c_void>,
        len: usize,
    },
    Read(Vec<u8>),
}

impl IndexBytes {
    /// `None` when the file cannot be read (no index yet: nothing is tracked).
    fn open(path: &Path) -> Option<IndexBytes> {
        #[cfg(unix)]
        if let Some(mapped) = Self::map(path) {
            return Some(mapped);
        }
        std::fs::read(path).ok().map(IndexBytes::Read)
    }

    #[cfg(unix)]
    fn map(path: &Path) -> Option<IndexBytes> {
        use std::os::unix::io::AsRawFd;
        let file = std::fs::File::open(path).ok()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        if len == 0 {
            return None;
        }
        // SAFETY: a read-only private mapping of an open file, of its length; the mapping
        // outlives the descriptor by design and is unmapped in `drop`.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if at == libc::MAP_FAILED {
            return None;
        }
        Some(IndexBytes::Mapped {
            at: std::ptr::NonNull::new(at)?,
            len,
        })
    }

    fn bytes(&self) -> &[u8] {
        match self {
            // SAFETY: the mapping is `len` readable bytes until `drop`.
            #[cfg(unix)]
            IndexBytes::Mapped { at, len } => unsafe {
                std::slice::from_raw_parts(at.as_ptr().cast::<u8>(), *len)
            },
            IndexBytes::Read(bytes) => bytes,
        }
    }
}

impl Drop for IndexBytes {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let IndexBytes::Mapped { at, len } = self {
            // SAFETY: unmaps exactly the mapping made in `map`, which nothing borrows any more.
            unsafe { libc::munmap(at.as_ptr(), *len) };
        }
    }
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

    /// The walk by name length agrees with the shared reader on every probe, in indexes of
    /// each version holding an extended entry (`git add -N`), a conflict's stages and a name
    /// longer than the 4095 the flags can count.
    #[test]
    fn walk_by_length_agrees_with_the_shared_reader() {
        let long = format!("{}/.env", "d".repeat(4200));
        for version in ["2", "3", "4"] {
            let dir = repo_with(&["a/.env", "a/.envrc", "b.env", "x/a/.env"], version);
            std::fs::write(dir.path().join("new.env"), "C=3\n").unwrap();
            git(dir.path(), &["add", "-N", "new.env"]);
            let blob = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
            for (stage, path) in [("1", "c.env"), ("2", "c.env"), ("0", long.as_str())] {
                let info = format!("100644 {blob} {stage}\t{path}\n");
                let mut child = Command::new("git")
                    .arg("-C")
                    .arg(dir.path())
                    .args(["update-index", "--index-info"])
                    .stdin(Stdio::piped())
                    .spawn()
                    .unwrap();
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(info.as_bytes())
                    .unwrap();
                assert!(child.wait().unwrap().success());
            }
            let index = std::fs::read(dir.path().join(".git/index")).unwrap();
            assert_eq!(
                find_by_length(&index, b"a/.env").is_some(),
                version != "4",
                "v{version}"
            );
            let probes = [
                "a/.env", "a/.envrc", "a/.en", ".env", "b.env", "x/a/.env", "new.env", "c.env",
                "z", "",
            ];
            for probe in probes.iter().copied().chain([long.as_str(), &long[1..]]) {
                let reference =
                    entries_contain(&index, probe.as_bytes()).map(|found| match found {
                        Lookup::Found => None,
                        Lookup::Absent { end } => Some(end),
                    });
                let walked = match find_by_length(&index, probe.as_bytes()) {
                    Some(Lookup::Found) => Some(None),
                    Some(Lookup::Absent { end }) => Some(Some(end)),
                    None => entries_contain(&index, probe.as_bytes()).map(|found| match found {
                        Lookup::Found => None,
                        Lookup::Absent { end } => Some(end),
                    }),
                };
                assert_eq!(walked, reference, "v{version} {probe:.20}");
                let expected = !probe.is_empty()
                    && probe != "a/.en"
                    && probe != "z"
                    && probe != ".env"
                    && probe != &long[1..];
                assert_eq!(
                    index_contains(&index, probe.as_bytes()),
                    Some(expected),
                    "v{version} {probe:.20}"
                );
            }
        }
    }

    #[test]
    fn outside_a_repository_nothing_is_tracked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "A=1\n").unwrap();
        assert!(tracked_in(&dir.path().join(".env")).is_none());
    }
}
