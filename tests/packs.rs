//! `keyward history` reading blobs straight from the packs (the default for large histories,
//! forced here): on histories built here with many versions stored as deltas, the findings,
//! lines, commits and byte counts equal those of the libgit2 and `git cat-file` readers; a
//! damaged entry in a pack is an error naming its path, and the scan goes on.

use crate::gitrepo::{commit_all, git, github_pat, repo, token_line};
use crate::harness::{json, Project};
use keyward::source::gitblob::READER_ENV;
use predicates::str::contains;
use std::time::Duration;

const HANG: Duration = Duration::from_secs(120);

/// A history of many small edits (so `git gc` stores most versions as deltas): secrets added,
/// moved and removed, a copy, a binary file, a file over the size limit and a side branch.
fn many_versions(p: &Project) {
    let mut settings = String::from("import os\n\n");
    for i in 0..60u64 {
        settings.push_str(&format!("VALUE_{i} = {}\n", i * 7919));
        let mut text = settings.clone();
        if (10..20).contains(&i) {
            text.push_str(&token_line(1)); // added at 10, removed at 20
        }
        if i >= 30 {
            // a second secret in the middle of the file, kept
            let at = text.find("VALUE_5 ").unwrap();
            text.insert_str(at, &format!("API = \"{}\"\n", github_pat(2)));
        }
        p.write("app/settings.py", &text);
        p.write("config/db.yaml", format!("db:\n  pool: {}\n", i % 7));
        if i == 40 {
            p.write("backup/settings.py", &text);
            let mut blob = vec![0u8, 1, 2, 3];
            blob.extend_from_slice(github_pat(3).as_bytes());
            std::fs::create_dir_all(p.join("assets")).unwrap();
            std::fs::write(p.join("assets/blob.bin"), blob).unwrap();
            p.write("data/big.txt", "x = 1\n".repeat(30_000));
        }
        commit_all(p, &format!("Edit {i}"));
    }
    git(p.path(), &["checkout", "-q", "-b", "side"]);
    p.write("side.py", token_line(4));
    commit_all(p, "Side work");
    git(p.path(), &["checkout", "-q", "main"]);
    git(p.path(), &["gc", "-q", "--aggressive"]);
}

fn history(p: &Project, reader: &str) -> serde_json::Value {
    let out = p
        .keyward()
        .args(["history", "--format", "json", "--max-file-size", "100000"])
        .env(READER_ENV, reader)
        .timeout(HANG)
        .output()
        .unwrap();
    json(&out.stdout)
}

/// The index of the repository's (one) pack, after `git gc`.
fn pack_index(p: &Project) -> std::path::PathBuf {
    std::fs::read_dir(p.join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|path| path.extension().is_some_and(|e| e == "idx"))
        .unwrap()
}

/// Lines of `git verify-pack -v` for objects stored as deltas (they name a base).
fn deltas_in_packs(p: &Project) -> usize {
    let idx = pack_index(p);
    git(p.path(), &["verify-pack", "-v", idx.to_str().unwrap()])
        .lines()
        .filter(|l| l.split_whitespace().count() == 7)
        .count()
}

#[test]
fn reading_the_packs_gives_what_libgit2_and_cat_file_give() {
    let p = repo();
    many_versions(&p);
    assert!(
        deltas_in_packs(&p) > 30,
        "the history must be stored as deltas"
    );
    let packs = history(&p, "pack");
    let found = packs["findings"].as_array().unwrap();
    let rules: Vec<&str> = found.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(
        rules.iter().filter(|r| **r == "github-pat").count() >= 4,
        "{rules:?}"
    );
    assert!(packs["stats"]["blobs"].as_u64().unwrap() > 60);
    for other in ["libgit2", "cat-file"] {
        let theirs = history(&p, other);
        assert_eq!(packs["findings"], theirs["findings"], "{other}");
        for stat in ["blobs", "bytes", "skipped", "errors", "commits"] {
            assert_eq!(
                packs["stats"][stat], theirs["stats"][stat],
                "{other}: {stat}"
            );
        }
    }
}

/// Object id, offset and size in the pack of `git verify-pack -v` for `oid`.
fn pack_entry(p: &Project, oid: &str) -> (std::path::PathBuf, u64, u64) {
    let idx = pack_index(p);
    let listing = git(p.path(), &["verify-pack", "-v", idx.to_str().unwrap()]);
    let line = listing.lines().find(|l| l.starts_with(oid)).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    (
        idx.with_extension("pack"),
        fields[4].parse().unwrap(),
        fields[3].parse().unwrap(),
    )
}

#[test]
fn a_damaged_entry_in_a_pack_is_an_error_naming_its_path_and_the_scan_goes_on() {
    let p = repo();
    let filler: String = (0..400).map(|i| format!("n{i} = {}\n", i * 31)).collect();
    p.write("broken.py", &filler);
    p.write("app.py", token_line(5));
    commit_all(&p, "Initial commit");
    git(p.path(), &["gc", "-q"]);
    let blob = git(p.path(), &["rev-parse", "HEAD:broken.py"]);
    let (pack, offset, size) = pack_entry(&p, &blob);
    // Overwrite the middle of the entry's compressed data; the pack's trailing checksum is
    // left as it was, so only reading the entry finds the damage.
    let mut bytes = std::fs::read(&pack).unwrap();
    let middle = (offset + size / 2) as usize;
    for b in &mut bytes[middle..middle + 8] {
        *b ^= 0x5a;
    }
    std::fs::write(&pack, bytes).unwrap();
    let out = p
        .keyward()
        .args(["history", "--format", "json"])
        .env(READER_ENV, "pack")
        .timeout(HANG)
        .assert()
        .code(2)
        .stderr(contains(format!("broken.py (blob {blob})")));
    let report = json(&out.get_output().stdout);
    assert_eq!(report["findings"][0]["rule"], "github-pat");
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert_eq!(report["stats"]["errors"], 1);
}
