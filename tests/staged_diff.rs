//! The staged change read from the index file (`staged::from_index`) against libgit2's
//! tree-to-index diff (`staged::by_libgit2`, the reference), on repositories built here with
//! `git`: the common changes the fast way must answer itself (every index version, `git add
//! -N`, skip-worktree, submodules, type changes, `.gitattributes`, `core.ignorecase`, before
//! the first commit), what it must hand to libgit2 (renames, conflicts, a split index, a
//! malformed tree), cache-tree records it must not trust, and that it reads only the trees
//! above a change. Random changes are in `staged_random`.

use crate::gitrepo::{git, git_output, repo};
use crate::harness::Project;
use keyward::gitindex::Index;
use keyward::source::staged::{self, indexdiff};
use std::path::Path;

/// What the fast way did: `true` when it answered (and agreed), `false` when it handed over.
pub fn compare(dir: &Path, file: Option<&Path>, what: &str) -> bool {
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

fn try_git(dir: &Path, args: &[&str]) -> bool {
    git_output(dir, args).status.success()
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
