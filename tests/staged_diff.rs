//! The staged change read from the index file (`staged::from_index`) against libgit2's
//! tree-to-index diff (`staged::by_libgit2`, the reference), on repositories built here with
//! `git`: random staged changes (added, modified, deleted, renamed, mode and type changes,
//! binary files, nested and look-alike directories, `.gitattributes`, `git add -N`,
//! skip-worktree, submodules) in index versions 2 to 4, with and without git's cache-tree,
//! before the first commit and through `GIT_INDEX_FILE`; and what the fast way must hand to
//! libgit2 (renames, conflicts, a split index).

use crate::gitrepo::{git, git_command, git_output, repo};
use crate::harness::{random_text, Project};
use keyward::gitindex::Index;
use keyward::source::staged::{self, indexdiff};
use std::path::Path;

/// What the fast way did: `true` when it answered (and agreed), `false` when it handed over.
fn compare(dir: &Path, file: Option<&Path>, what: &str) -> bool {
    let open = || git2::Repository::open(dir).unwrap();
    let reference = staged::by_libgit2(&open(), file).map_err(|e| format!("{e:#}"));
    match staged::from_index(&open(), file) {
        Ok(Some(files)) => {
            assert_eq!(Ok(files), reference, "{what}");
            true
        }
        Ok(None) => false,
        Err(err) => {
            assert!(
                reference.is_err(),
                "{what}: only the fast way failed: {err:#}"
            );
            true
        }
    }
}

fn answers(p: &Project, what: &str) {
    assert!(compare(p.path(), None, what), "{what}: handed to libgit2");
}

fn hands_over(p: &Project, what: &str) {
    assert!(!compare(p.path(), None, what), "{what}: answered");
}

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

/// A repository with files in nested directories, committed.
fn committed(files: &[&str]) -> Project {
    let p = repo();
    for (i, f) in files.iter().enumerate() {
        p.write(f, format!("value_{i} = {i}\nother = 1\n"));
    }
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-q", "--no-verify", "-m", "first"]);
    p
}

#[test]
fn common_changes_are_answered_without_libgit2s_diff() {
    let p = committed(&["app/a.py", "app/core/b.py", "docs/c.txt", "top.py"]);
    let dir = p.path();
    p.write("app/core/b.py", "value_1 = 1\nnew = 2\nother = 1\n");
    p.write("app/new/d.py", "fresh = 1\n");
    git(dir, &["add", "-A"]);
    git(dir, &["update-index", "--chmod=+x", "top.py"]);
    answers(&p, "modify, add in a new directory, mode change");
    git(dir, &["update-index", "--index-version", "4"]);
    answers(&p, "index version 4");
    p.write("later.py", "x = 1\n");
    git(dir, &["add", "-N", "later.py"]);
    answers(&p, "intent to add");
    git(dir, &["update-index", "--skip-worktree", "docs/c.txt"]);
    let info = format!("160000,{},vendor/lib", "2".repeat(40));
    git(dir, &["update-index", "--add", "--cacheinfo", &info]);
    answers(&p, "skip-worktree and a submodule");
    git(dir, &["rm", "-q", "--cached", "app/a.py"]);
    hands_over(&p, "a deletion beside additions: maybe a rename");
    git(dir, &["rm", "-q", "--cached", "app/new/d.py", "later.py"]);
    answers(&p, "a deletion beside modified files only");

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("top.py", p.join("link")).unwrap();
        git(dir, &["add", "link"]);
        git(dir, &["commit", "-q", "--no-verify", "-m", "link"]);
        std::fs::remove_file(p.join("link")).unwrap();
        p.write("link", "now a file\n");
        git(dir, &["add", "link"]);
        answers(&p, "a symbolic link become a file");
    }

    let first = repo();
    first.write("a/b.py", "x = 1\n").write("c.bin", b"\0\x01");
    git(first.path(), &["add", "-A"]);
    answers(&first, "before the first commit");
}

#[test]
fn a_binary_attribute_decides_the_added_lines_as_in_libgit2() {
    let p = committed(&["conf.py", "app/settings.py"]);
    p.write(".gitattributes", "settings.py -diff\n");
    p.write("app/settings.py", "value_1 = 1\nsecret = 2\nother = 1\n");
    p.write("conf.py", "value_0 = 0\nadded = 3\nother = 1\n");
    git(p.path(), &["add", "app/settings.py", "conf.py"]);
    answers(&p, "a .gitattributes in the work tree only");
    git(p.path(), &["add", ".gitattributes"]);
    std::fs::remove_file(p.join(".gitattributes")).unwrap();
    answers(&p, "a .gitattributes in the index only");
    let repo = git2::Repository::open(p.path()).unwrap();
    let files = staged::from_index(&repo, None).unwrap().unwrap();
    let settings = files.iter().find(|f| f.path == "app/settings.py").unwrap();
    assert_eq!(
        settings.added,
        staged::Added::Lines(vec![]),
        "-diff: no lines"
    );
    let conf = files.iter().find(|f| f.path == "conf.py").unwrap();
    assert_eq!(conf.added, staged::Added::Lines(vec![2]));
}

#[test]
fn with_core_ignorecase_the_order_is_libgit2s() {
    let p = committed(&["B.py", "a.py", "C/x.py"]);
    git(p.path(), &["config", "core.ignorecase", "true"]);
    for f in ["B.py", "a.py", "C/x.py"] {
        p.write(f, "changed = 1\n");
    }
    p.write("b0.py", "new = 1\n");
    git(p.path(), &["add", "-A"]);
    answers(&p, "core.ignorecase");
}

#[test]
fn renames_conflicts_and_a_split_index_are_left_to_libgit2() {
    let p = committed(&["old.py", "keep.py"]);
    git(p.path(), &["mv", "old.py", "new.py"]);
    hands_over(&p, "a rename");
    git(p.path(), &["reset", "-q"]);
    git(p.path(), &["update-index", "--split-index"]);
    p.write("keep.py", "changed = 1\n");
    git(p.path(), &["add", "keep.py"]);
    hands_over(&p, "a split index");
    git(p.path(), &["update-index", "--no-split-index"]);
    answers(&p, "the same change, split no more");

    #[cfg(unix)]
    {
        // libgit2 pairs a file that became a link with a new file holding its text.
        let p = committed(&["was.py"]);
        let text = std::fs::read(p.join("was.py")).unwrap();
        std::fs::remove_file(p.join("was.py")).unwrap();
        std::os::unix::fs::symlink("now.py", p.join("was.py")).unwrap();
        p.write("now.py", [&text[..], b"more = 2\n"].concat());
        git(p.path(), &["add", "-A"]);
        let repo = git2::Repository::open(p.path()).unwrap();
        let reference = staged::by_libgit2(&repo, None).unwrap();
        assert_eq!(
            reference[0].old.as_ref().map(|o| o.0.as_str()),
            Some("was.py")
        );
        hands_over(&p, "a type change beside an addition");
    }

    // A HEAD tree that names a file twice (only a hand-made object can): the merge with the
    // index relies on git's order.
    let p = committed(&["a.py"]);
    let blob = git2::Oid::from_str(&git(p.path(), &["rev-parse", "HEAD:a.py"])).unwrap();
    let entry = [&b"100644 a.py\0"[..], blob.as_bytes()].concat();
    std::fs::write(p.join(".git/twice"), [&entry[..], &entry[..]].concat()).unwrap();
    let args = [
        "hash-object",
        "-t",
        "tree",
        "-w",
        "--literally",
        ".git/twice",
    ];
    let tree = git(p.path(), &args);
    let commit = git(p.path(), &["commit-tree", &tree, "-m", "twice"]);
    git(p.path(), &["update-ref", "HEAD", &commit]);
    p.write("a.py", "changed = 1\n");
    git(p.path(), &["add", "a.py"]);
    hands_over(&p, "a HEAD tree with a name twice");

    let p = committed(&["both.py"]);
    git(p.path(), &["checkout", "-q", "-b", "other"]);
    p.write("both.py", "other = 1\n");
    git(p.path(), &["commit", "-q", "--no-verify", "-am", "other"]);
    git(p.path(), &["checkout", "-q", "main"]);
    p.write("both.py", "main = 1\n");
    git(p.path(), &["commit", "-q", "--no-verify", "-am", "main"]);
    assert!(
        !try_git(p.path(), &["merge", "-q", "other"]),
        "the merge conflicts"
    );
    hands_over(&p, "a conflict");
}

#[test]
fn only_the_trees_above_a_change_are_read() {
    let files: Vec<String> = (0..20)
        .flat_map(|d| [format!("d{d}/a.py"), format!("d{d}/sub/b.py")])
        .collect();
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let p = committed(&names);
    let dir = p.path();
    p.write("d7/sub/b.py", "changed = 1\n");
    git(dir, &["add", "d7/sub/b.py"]);
    let trees_read = || {
        let repo = git2::Repository::open(dir).unwrap();
        let index = Index::parse(&std::fs::read(dir.join(".git/index")).unwrap()).unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap().id();
        let outcome = indexdiff::changes(&repo, &index, Some(head)).unwrap();
        assert_eq!(outcome.changes.len(), 1);
        outcome.trees_read
    };
    assert_eq!(
        trees_read(),
        3,
        "root, d7 and d7/sub: with git's cache-tree"
    );
    // Without a cache-tree (an index rebuilt from scratch) the unchanged trees are hashed.
    git(dir, &["read-tree", "--empty"]);
    git(dir, &["add", "-A"]);
    assert_eq!(trees_read(), 3, "without a cache-tree");
    answers(&p, "without a cache-tree");
}

/// `git rev-parse REV` as bytes.
fn oid_bytes(dir: &Path, rev: &str) -> Vec<u8> {
    git2::Oid::from_str(&git(dir, &["rev-parse", rev]))
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// A copy of the index with its extensions replaced by a cache-tree `tree` and the checksum
/// libgit2 checks.
#[cfg(unix)]
fn forged_index(dir: &Path, tree: &[u8]) -> std::path::PathBuf {
    let data = std::fs::read(dir.join(".git/index")).unwrap();
    let mut entries = keyward::gitindex::Entries::new(&data).unwrap();
    while entries.left() > 0 {
        entries.next_entry().unwrap();
    }
    let mut forged = data[..entries.end().unwrap()].to_vec();
    forged.extend(b"TREE");
    forged.extend((tree.len() as u32).to_be_bytes());
    forged.extend(tree);
    let file = dir.join(".git/forged-index");
    std::fs::write(&file, &forged).unwrap();
    let sum = std::process::Command::new("sha1sum")
        .arg(&file)
        .output()
        .unwrap();
    let hex = String::from_utf8(sum.stdout).unwrap();
    forged.extend(oid_bytes(dir, hex.split_whitespace().next().unwrap()));
    std::fs::write(&file, &forged).unwrap();
    file
}

/// A cache-tree record naming HEAD's tree for `count` entries at the root, and for `d_count`
/// under `d/`.
#[cfg(unix)]
fn record_of_head(dir: &Path, count: usize, d_count: usize) -> Vec<u8> {
    let mut tree = format!("\0{count} 1\n").into_bytes();
    tree.extend(oid_bytes(dir, "HEAD^{tree}"));
    tree.extend(format!("d\0{d_count} 0\n").into_bytes());
    tree.extend(oid_bytes(dir, "HEAD:d"));
    tree
}

/// The fast way on `file` agrees with libgit2 and finds `d/c.py` alone.
#[cfg(unix)]
fn finds_only_the_new_file(dir: &Path, file: &Path, what: &str) {
    assert!(compare(dir, Some(file), what));
    let repo = git2::Repository::open(dir).unwrap();
    let files = staged::from_index(&repo, Some(file)).unwrap().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["d/c.py"], "{what}");
}

/// Git never writes a valid cache-tree record over an entry added with `git add -N` (it leaves
/// such entries out of trees), nor one whose entry count is not the index's; another tool
/// might, and such a record cannot be trusted.
#[cfg(unix)]
#[test]
fn a_cache_tree_record_that_does_not_describe_the_index_is_not_trusted() {
    let p = committed(&["a.py", "d/b.py"]);
    let dir = p.path();
    p.write("d/c.py", "new = 1\n");
    git(dir, &["add", "-N", "d/c.py"]);
    let file = forged_index(dir, &record_of_head(dir, 3, 2));
    finds_only_the_new_file(dir, &file, "a record over an intent-to-add entry");

    git(dir, &["add", "d/c.py"]);
    let file = forged_index(dir, &record_of_head(dir, 2, 1));
    finds_only_the_new_file(dir, &file, "a record that counts fewer entries");
}
