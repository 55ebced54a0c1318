//! The reader against the real `git`: entries as `git ls-files -s` lists them in every index
//! version, the flags, the cache-tree against the trees git wrote, and the forms it refuses.

use super::*;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.test")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.test")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn repo(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    for (i, name) in files.iter().enumerate() {
        write(dir.path(), name, &format!("value = {i}\n"));
    }
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "--no-verify", "-m", "init"]);
    dir
}

fn read(dir: &Path) -> Option<Index> {
    Index::parse(&std::fs::read(dir.join(".git/index")).unwrap())
}

/// The index as `git ls-files -s` prints it.
fn listing(index: &Index) -> String {
    let mut out = String::new();
    for i in 0..index.len() {
        let f = index.fields(i);
        let oid: String = f.oid.iter().map(|b| format!("{b:02x}")).collect();
        let path = String::from_utf8_lossy(index.path(i));
        out.push_str(&format!("{:06o} {oid} {}\t{path}\n", f.mode, f.stage));
    }
    out
}

fn oid_of(dir: &Path, rev: &str) -> [u8; OID_LEN] {
    let hex = git(dir, &["rev-parse", rev]);
    let hex = hex.trim();
    let mut oid = [0u8; OID_LEN];
    for (i, byte) in oid.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    oid
}

#[test]
fn entries_are_what_ls_files_lists_in_versions_2_3_and_4() {
    // A long path before a short one: version 4 strips over 127 bytes (a two-byte number).
    let long = format!("long/{}.txt", "x".repeat(200));
    let dir = repo(&[
        "a.txt",
        "a/b/c.py",
        "a-b",
        "a0",
        &long,
        "m",
        "z/deep/er/file with space",
    ]);
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    let gitlink = format!("160000,{},vendor/sub", head.trim());
    git(
        dir.path(),
        &["update-index", "--add", "--cacheinfo", &gitlink],
    );
    git(dir.path(), &["update-index", "--chmod=+x", "a0"]);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("a.txt", dir.path().join("link")).unwrap();
        git(dir.path(), &["add", "link"]);
    }
    for version in ["2", "3", "4"] {
        git(dir.path(), &["update-index", "--index-version", version]);
        let index = read(dir.path()).unwrap_or_else(|| panic!("v{version} parses"));
        assert_eq!(
            listing(&index),
            git(dir.path(), &["ls-files", "-s"]),
            "v{version}"
        );
        let sizes: Vec<u32> = git(dir.path(), &["ls-files", "--debug"])
            .lines()
            .filter_map(|l| l.trim().strip_prefix("size: "))
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        let read: Vec<u32> = (0..index.len()).map(|i| index.fields(i).size).collect();
        assert_eq!(read, sizes, "v{version}");
    }
}

#[test]
fn intent_to_add_skip_worktree_and_conflict_stages_are_read() {
    let dir = repo(&["kept.txt", "sparse.txt", "both.txt"]);
    write(dir.path(), "later.txt", "x\n");
    git(dir.path(), &["add", "-N", "later.txt"]);
    git(
        dir.path(),
        &["update-index", "--skip-worktree", "sparse.txt"],
    );
    let index = read(dir.path()).unwrap();
    let find = |name: &[u8]| (0..index.len()).find(|&i| index.path(i) == name).unwrap();
    assert!(index.fields(find(b"later.txt")).intent_to_add);
    assert!(!index.fields(find(b"later.txt")).skip_worktree);
    assert!(index.fields(find(b"sparse.txt")).skip_worktree);
    assert!(!index.fields(find(b"kept.txt")).intent_to_add);

    git(
        dir.path(),
        &["update-index", "--no-skip-worktree", "sparse.txt"],
    );
    git(dir.path(), &["rm", "-q", "--cached", "later.txt"]);
    git(dir.path(), &["checkout", "-q", "-b", "other"]);
    write(dir.path(), "both.txt", "other\n");
    git(dir.path(), &["commit", "-q", "-am", "other"]);
    git(dir.path(), &["checkout", "-q", "main"]);
    write(dir.path(), "both.txt", "main\n");
    git(dir.path(), &["commit", "-q", "-am", "main"]);
    let merge = Command::new("git")
        .current_dir(dir.path())
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@e",
            "merge",
            "-q",
            "other",
        ])
        .output()
        .unwrap();
    assert!(!merge.status.success(), "the merge conflicts");
    let index = read(dir.path()).unwrap();
    let stages: Vec<u8> = (0..index.len())
        .filter(|&i| index.path(i) == b"both.txt")
        .map(|i| index.fields(i).stage)
        .collect();
    assert_eq!(stages, [1, 2, 3]);
    assert_eq!(listing(&index), git(dir.path(), &["ls-files", "-s"]));
}

#[test]
fn the_cache_tree_names_the_trees_git_wrote_and_drops_changed_directories() {
    let dir = repo(&["top.txt", "a/x.txt", "a/y.txt", "b/c/z.txt", "b/w.txt"]);
    let index = read(dir.path()).unwrap();
    let tree = &index.cache_tree;
    assert_eq!(
        tree.valid_oid(b"", 5),
        Some(&oid_of(dir.path(), "HEAD^{tree}"))
    );
    assert_eq!(
        tree.valid_oid(b"a/", 2),
        Some(&oid_of(dir.path(), "HEAD:a"))
    );
    assert_eq!(
        tree.valid_oid(b"b/c/", 1),
        Some(&oid_of(dir.path(), "HEAD:b/c"))
    );
    assert_eq!(
        tree.valid_oid(b"a/", 3),
        None,
        "a count that does not match"
    );

    write(dir.path(), "b/c/z.txt", "changed\n");
    git(dir.path(), &["add", "b/c/z.txt"]);
    let index = read(dir.path()).unwrap();
    let tree = &index.cache_tree;
    for changed in [&b""[..], b"b/", b"b/c/"] {
        assert_eq!(
            tree.get(changed).map(|n| n.entries),
            Some(None),
            "{changed:?}"
        );
        assert_eq!(tree.valid_oid(changed, 1), None);
    }
    assert_eq!(
        tree.valid_oid(b"a/", 2),
        Some(&oid_of(dir.path(), "HEAD:a"))
    );
}

#[test]
fn a_split_or_sparse_index_is_refused() {
    let dir = repo(&["a/x.txt", "b/y.txt"]);
    git(dir.path(), &["update-index", "--split-index"]);
    assert!(read(dir.path()).is_none(), "split index");
    git(dir.path(), &["update-index", "--no-split-index"]);
    assert!(read(dir.path()).is_some());

    git(
        dir.path(),
        &["sparse-checkout", "init", "--cone", "--sparse-index"],
    );
    git(dir.path(), &["sparse-checkout", "set", "a"]);
    let data = std::fs::read(dir.path().join(".git/index")).unwrap();
    let mut entries = Entries::new(&data).unwrap();
    while entries.left() > 0 {
        entries.next_entry().unwrap();
    }
    let found = extensions(&data, entries.end().unwrap()).unwrap();
    assert!(
        found.iter().any(|(sig, _)| sig == b"sdir"),
        "git wrote a sparse index"
    );
    assert!(Index::parse(&data).is_none(), "sparse index");
}

/// A version 2 index of `paths` (zero stat data, made-up ids), then `extensions`, then a
/// checksum that is not checked.
fn crafted(paths: &[&str], extensions: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut data = b"DIRC".to_vec();
    data.extend_from_slice(&2u32.to_be_bytes());
    data.extend_from_slice(&(paths.len() as u32).to_be_bytes());
    for (n, path) in paths.iter().enumerate() {
        let start = data.len();
        data.extend_from_slice(&[0; 24]);
        data.extend_from_slice(&0o100644u32.to_be_bytes());
        data.extend_from_slice(&[0; 12]);
        data.extend_from_slice(&[n as u8 + 1; OID_LEN]);
        data.extend_from_slice(&(path.len() as u16).to_be_bytes());
        data.extend_from_slice(path.as_bytes());
        let len = (data.len() - start + 8) / 8 * 8;
        data.resize(start + len, 0);
    }
    for (signature, body) in extensions {
        data.extend_from_slice(&signature[..]);
        data.extend_from_slice(&(body.len() as u32).to_be_bytes());
        data.extend_from_slice(body);
    }
    data.extend_from_slice(&[0; 20]);
    data
}

#[test]
fn malformed_or_unknown_forms_are_refused() {
    let good = crafted(&["a", "b/c"], &[(b"ZZZZ", b"optional")]);
    let index = Index::parse(&good).expect("an unknown optional extension is skipped");
    assert_eq!(index.len(), 2);
    assert_eq!(index.path(1), b"b/c");
    assert_eq!(index.fields(1).oid, [2; OID_LEN]);

    assert!(
        Index::parse(&crafted(&["b", "a"], &[])).is_none(),
        "unsorted"
    );
    assert!(
        Index::parse(&crafted(&["a", "a"], &[])).is_none(),
        "duplicate"
    );
    assert!(
        Index::parse(&crafted(&["a"], &[(b"zzzz", b"")])).is_none(),
        "mandatory"
    );
    assert!(
        Index::parse(&good[..good.len() - 30]).is_none(),
        "truncated"
    );
    let mut v5 = good.clone();
    v5[7] = 5;
    assert!(Index::parse(&v5).is_none(), "version 5");
    let mut long = good.clone();
    let ext = long.len() - 20 - 8 - 8;
    long[ext + 4..ext + 8].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(Index::parse(&long).is_none(), "an extension past the end");
}

#[test]
fn a_malformed_cache_tree_is_refused() {
    let valid = [&b"\x001 0\n"[..], &[7; OID_LEN]].concat();
    let tree = CacheTree::parse(&valid).unwrap();
    assert_eq!(tree.valid_oid(b"", 1), Some(&[7; OID_LEN]));
    assert!(CacheTree::parse(b"\x00-1 0\n")
        .unwrap()
        .get(b"")
        .unwrap()
        .entries
        .is_none());
    assert!(CacheTree::parse(b"\x001 0\n").is_none(), "no id");
    assert!(
        CacheTree::parse(b"\x00-1 1\n").is_none(),
        "a missing subtree"
    );
    assert!(CacheTree::parse(b"\x00x 0\n").is_none(), "not a number");
    assert!(
        CacheTree::parse(b"\x00-1 0\nextra").is_none(),
        "trailing bytes"
    );
}
