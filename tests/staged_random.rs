//! Random staged changes, read from the index file and through libgit2's diff, must agree
//! (`staged_diff::compare`): added, modified, deleted, renamed, mode and type changes, binary
//! files, nested and look-alike directories, `.gitattributes` (staged or only in the work
//! tree), `git add -N`, skip-worktree and submodules, in index versions 2 to 4, with git's
//! cache-tree valid, absent or primed, before the first commit and through `GIT_INDEX_FILE`.

use crate::gitrepo::{git, git_command, git_output, repo};
use crate::harness::{random_text, Project};
use crate::staged_diff::compare;
use std::path::Path;

/// A small deterministic generator (no `rand` crate).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Directory and file names whose order differs between paths and trees (`a`, `a-b`, `a.b`,
/// `a0`, `a/`).
const DIRS: &[&str] = &[
    "",
    "",
    "app/",
    "app/core/",
    "a/",
    "a-b/",
    "a.b/",
    "lib/deep/er/",
];
const NAMES: &[&str] = &[
    "x.py",
    "conf.py",
    "a",
    "a0",
    "a.txt",
    "data.bin",
    "notes.txt",
];

fn text(rng: &mut Rng) -> Vec<u8> {
    let lines = rng.below(12) + 1;
    (0..lines)
        .map(|i| format!("value_{i} = '{}'\n", random_text(rng.next(), 8)))
        .collect::<String>()
        .into_bytes()
}

/// Text with one line inserted, removed or replaced.
fn edited(rng: &mut Rng, old: &[u8]) -> Vec<u8> {
    let mut lines: Vec<String> = String::from_utf8_lossy(old)
        .lines()
        .map(String::from)
        .collect();
    let at = rng.below(lines.len() + 1);
    match rng.below(3) {
        0 => lines.insert(at, format!("added = '{}'", random_text(rng.next(), 12))),
        1 if at < lines.len() => drop(lines.remove(at)),
        _ => lines.push(format!("appended = {}", rng.next() % 1000)),
    }
    (lines.join("\n") + "\n").into_bytes()
}

fn binary(rng: &mut Rng) -> Vec<u8> {
    let mut data = text(rng);
    data.extend_from_slice(b"\0\x01\x02 binary\n");
    data
}

/// The index's paths and modes.
fn tracked(dir: &Path) -> Vec<(String, String)> {
    git(dir, &["ls-files", "-s"])
        .lines()
        .filter_map(|l| {
            let (meta, path) = l.split_once('\t')?;
            Some((meta[..6].to_string(), path.to_string()))
        })
        .collect()
}

fn regular_files(dir: &Path) -> Vec<String> {
    tracked(dir)
        .into_iter()
        .filter(|(mode, _)| mode.starts_with("100"))
        .map(|(_, path)| path)
        .collect()
}

/// A path that can be created: no ancestor is a file, and nothing is there yet.
fn free_path(rng: &mut Rng, dir: &Path) -> Option<String> {
    let path = format!("{}{}", rng.pick(DIRS)?, rng.pick(NAMES)?);
    let clash = Path::new(&path)
        .ancestors()
        .skip(1)
        .any(|a| dir.join(a).is_file() || dir.join(a).is_symlink());
    (!clash && !dir.join(&path).exists() && !dir.join(&path).is_symlink()).then_some(path)
}

/// Writes a work-tree file (in place of a link); `false` when a file is where a parent
/// directory would go (the operation is then skipped).
fn put(dir: &Path, rel: &str, data: &[u8]) -> bool {
    let path = dir.join(rel);
    let _ = std::fs::remove_file(&path);
    std::fs::create_dir_all(path.parent().unwrap()).is_ok() && std::fs::write(path, data).is_ok()
}

fn try_git(dir: &Path, args: &[&str]) -> bool {
    git_output(dir, args).status.success()
}

/// One random staged operation (skipped when it does not apply).
fn operate(rng: &mut Rng, dir: &Path) {
    let files = regular_files(dir);
    let file = rng.pick(&files).cloned();
    match (rng.below(14), file) {
        (0..=2, Some(f)) => {
            let old = std::fs::read(dir.join(&f)).unwrap_or_default();
            put(dir, &f, &edited(rng, &old));
            try_git(dir, &["add", "--", &f]);
        }
        (3 | 4, _) => {
            if let Some(path) = free_path(rng, dir) {
                let data = if rng.chance(20) {
                    binary(rng)
                } else {
                    text(rng)
                };
                put(dir, &path, &data);
                try_git(dir, &["add", "--", &path]);
            }
        }
        (5, Some(f)) => drop(try_git(dir, &["rm", "-q", "-f", "--", &f])),
        (6, Some(f)) => {
            if let Some(to) = free_path(rng, dir) {
                std::fs::create_dir_all(dir.join(&to).parent().unwrap()).unwrap();
                if try_git(dir, &["mv", "--", &f, &to]) && rng.chance(50) {
                    let old = std::fs::read(dir.join(&to)).unwrap_or_default();
                    put(dir, &to, &edited(rng, &old));
                    try_git(dir, &["add", "--", &to]);
                }
            }
        }
        (7, Some(f)) => {
            let flag = if rng.chance(50) {
                "--chmod=+x"
            } else {
                "--chmod=-x"
            };
            try_git(dir, &["update-index", flag, "--", &f]);
        }
        #[cfg(unix)]
        (8, Some(f)) => {
            let _ = std::fs::remove_file(dir.join(&f));
            std::os::unix::fs::symlink("target", dir.join(&f)).unwrap();
            try_git(dir, &["add", "--", &f]);
        }
        (9, _) => {
            if let Some(path) = free_path(rng, dir) {
                put(dir, &path, &text(rng));
                try_git(dir, &["add", "-N", "--", &path]);
            }
        }
        (10, _) => {
            if let Some(path) = free_path(rng, dir) {
                let info = format!("160000,{},{path}", "1".repeat(40));
                try_git(dir, &["update-index", "--add", "--cacheinfo", &info]);
            }
        }
        (11, Some(f)) => {
            try_git(dir, &["update-index", "--skip-worktree", "--", &f]);
            if rng.chance(50) {
                let blob = git_blob(dir, &text(rng));
                let info = format!("100644,{blob},{f}");
                try_git(dir, &["update-index", "--cacheinfo", &info]);
            }
        }
        (12, _) => {
            // A symbolic link or a submodule becomes a regular file.
            let others = tracked(dir);
            let other: Vec<&String> = others
                .iter()
                .filter(|(m, _)| !m.starts_with("100"))
                .map(|(_, p)| p)
                .collect();
            if let Some(path) = rng.pick(&other) {
                if put(dir, path, &text(rng)) {
                    try_git(dir, &["rm", "-q", "--cached", "--", path]);
                    try_git(dir, &["add", "--", path]);
                }
            }
        }
        (13, Some(f)) => {
            // A file replaced by a directory of the same name.
            try_git(dir, &["rm", "-q", "-f", "--", &f]);
            if put(dir, &format!("{f}/inside.py"), &text(rng)) {
                try_git(dir, &["add", "--", &f]);
            }
        }
        _ => {}
    }
}

/// Writes `data` as a blob; its id.
fn git_blob(dir: &Path, data: &[u8]) -> String {
    let path = dir.join(".git/scratch-blob");
    std::fs::write(&path, data).unwrap();
    git(dir, &["hash-object", "-w", path.to_str().unwrap()])
}

/// A repository with a random first tree, committed unless `seed` says not, and the index in
/// one of three states: as the commit left it (a valid cache-tree), rebuilt without one, or
/// primed from HEAD.
fn start(seed: u64, rng: &mut Rng) -> (Project, bool) {
    let p = repo();
    let dir = p.path();
    for _ in 0..rng.below(12) + 4 {
        if let Some(path) = free_path(rng, dir) {
            let data = if rng.chance(10) {
                binary(rng)
            } else {
                text(rng)
            };
            put(dir, &path, &data);
        }
    }
    if rng.chance(30) {
        put(dir, ".gitattributes", b"*.txt -diff\n*.bin binary\n");
    }
    if rng.chance(20) {
        put(dir, "app/.gitattributes", b"conf.py binary\n");
    }
    git(dir, &["add", "-A"]);
    #[cfg(unix)]
    if rng.chance(30) {
        std::os::unix::fs::symlink("x.py", dir.join("link")).unwrap();
        git(dir, &["add", "link"]);
    }
    if rng.chance(20) {
        let info = format!("160000,{},vendor/sub", "3".repeat(40));
        git(dir, &["update-index", "--add", "--cacheinfo", &info]);
    }
    let committed = seed % 7 != 3;
    if committed {
        git(dir, &["commit", "-q", "--no-verify", "-m", "first"]);
        match seed % 3 {
            0 => {}
            1 => {
                git(dir, &["read-tree", "--empty"]);
                git(dir, &["add", "-A"]);
            }
            _ => drop(git(dir, &["read-tree", "HEAD"])),
        }
    }
    (p, committed)
}

#[test]
fn random_staged_changes_read_from_the_index_agree_with_libgit2() {
    let mut answered = 0;
    let seeds = 0..48u64;
    for seed in seeds.clone() {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let (p, committed) = start(seed, &mut rng);
        let dir = p.path();
        for _ in 0..rng.below(5) + 1 {
            operate(&mut rng, dir);
        }
        let version = ["2", "3", "4"][rng.below(3)];
        git(dir, &["update-index", "--index-version", version]);
        if rng.chance(30) {
            // Unstaged edits must not count, and a work-tree `.gitattributes` still applies.
            put(dir, ".gitattributes", b"*.py -diff\n");
        }
        let what = format!("seed {seed} (index v{version})");
        answered += usize::from(compare(dir, None, &what));
        if committed && rng.chance(50) {
            let alt = dir.join(".git/alt-index");
            let alt_s = alt.to_str().unwrap();
            let with_alt = |args: &[&str]| {
                let out = git_command(dir)
                    .env("GIT_INDEX_FILE", alt_s)
                    .args(args)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{args:?}");
            };
            with_alt(&["read-tree", "HEAD"]);
            put(dir, "app/alt.py", &text(&mut rng));
            with_alt(&["add", "--", "app/alt.py"]);
            compare(dir, Some(&alt), &format!("{what}, GIT_INDEX_FILE"));
        }
    }
    // Most random changes have no possible rename: the fast way must answer those itself.
    assert!(answered * 2 > seeds.count(), "answered {answered}");
}
