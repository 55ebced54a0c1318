//! `keyward history` through the real binary, on repositories built here with `git`: removed
//! and side-branch secrets, attribution to the introducing commit, ranges, bare and shallow
//! repositories, submodules, LFS pointers, unreadable blobs, the shared corpus, and the
//! differential checks (history of one commit vs scan of its tree; cat-file vs libgit2 reader).

use crate::gitrepo::{commit_all, findings, git, github_pat, repo, token_line};
use crate::harness::{json, random_text, run_json, Project};
use predicates::str::contains;
use std::path::Path;

fn history_json(p: &Project, dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut cmd = p.keyward();
    cmd.arg("history")
        .arg(dir)
        .args(["--format", "json"])
        .args(extra);
    run_json(&mut cmd).1
}

#[test]
fn a_secret_removed_in_the_next_commit_is_found_at_its_commit() {
    let p = repo();
    p.write("app.py", "import os\n");
    commit_all(&p, "Initial commit");
    p.write("app.py", format!("import os\n\n{}", token_line(1)));
    let added = commit_all(&p, "Add the GitHub client");
    p.write(
        "app.py",
        "import os\n\nGITHUB_TOKEN = os.environ['GITHUB_TOKEN']\n",
    );
    commit_all(&p, "Read the token from the environment");
    let out = p
        .keyward()
        .args(["history", "--format", "json"])
        .assert()
        .code(1);
    let report = json(&out.get_output().stdout);
    let f = &report["findings"][0];
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert_eq!(
        (f["rule"].as_str(), f["path"].as_str()),
        (Some("github-pat"), Some("app.py"))
    );
    assert_eq!(f["line"], 3);
    assert_eq!(f["commit"]["id"], added.as_str());
    assert_eq!(f["commit"]["author"], "Test Author");
    assert_eq!(f["commit"]["email"], "author@example.test");
    assert_eq!(f["commit"]["summary"], "Add the GitHub client");
    let date = f["commit"]["date"].as_str().unwrap();
    assert!(
        date.len() == 25 && date.as_bytes()[10] == b'T',
        "not RFC 3339: {date}"
    );
    assert_eq!(report["stats"]["commits"], 3);
    assert_eq!(report["stats"]["blobs"], 3);
}

#[test]
fn a_secret_kept_through_later_edits_is_attributed_to_the_first_commit() {
    let p = repo();
    p.write("settings.py", token_line(2));
    commit_all(&p, "Add settings");
    p.write("settings.py", format!("# moved down\n\n{}", token_line(2)));
    commit_all(&p, "Move the token");
    let report = history_json(&p, p.path(), &[]);
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].1, found[0].4.as_str()), (1, "Add settings"));
}

#[test]
fn a_secret_only_on_a_side_branch_is_found_and_branch_narrows() {
    let p = repo();
    p.write("README.md", "# demo\n");
    commit_all(&p, "Initial commit");
    git(p.path(), &["checkout", "-q", "-b", "feature/alerts"]);
    p.write("alerts.py", token_line(3));
    commit_all(&p, "WIP: alerts");
    git(p.path(), &["checkout", "-q", "main"]);
    let all = findings(&history_json(&p, p.path(), &[]));
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].0.as_str(), all[0].4.as_str()),
        ("alerts.py", "WIP: alerts")
    );
    let main_only = history_json(&p, p.path(), &["--branch", "main"]);
    assert!(findings(&main_only).is_empty());
    let branch = findings(&history_json(&p, p.path(), &["--branch", "feature/alerts"]));
    assert_eq!(branch, all);
}

#[test]
fn range_and_since_commit_scan_only_what_they_introduced() {
    let p = repo();
    p.write("one.py", token_line(4));
    let c1 = commit_all(&p, "one");
    p.write("two.py", token_line(5));
    let c2 = commit_all(&p, "two");
    p.write("three.py", token_line(6));
    let c3 = commit_all(&p, "three");
    let paths = |report: &serde_json::Value| -> Vec<String> {
        findings(report).into_iter().map(|f| f.0).collect()
    };
    let range = history_json(&p, p.path(), &["--range", &format!("{c1}..{c3}")]);
    assert_eq!(paths(&range), ["three.py", "two.py"]);
    assert_eq!(range["stats"]["commits"], 2);
    assert_eq!(range["stats"]["blobs"], 2, "one.py was unchanged since c1");
    let since = history_json(&p, p.path(), &["--since-commit", &c2]);
    assert_eq!(paths(&since), ["three.py"]);
    p.keyward()
        .args(["history", "--range", "nope..HEAD"])
        .assert()
        .code(2)
        .stderr(contains("--range nope..HEAD"));
}

#[test]
fn the_stash_is_scanned() {
    let p = repo();
    p.write("app.py", "x = 1\n");
    commit_all(&p, "Initial commit");
    p.write("app.py", format!("x = 1\n{}", token_line(7)));
    git(p.path(), &["stash", "-q"]);
    let found = findings(&history_json(&p, p.path(), &[]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("app.py", 2));
}

#[test]
fn bare_and_shallow_repositories_work() {
    let p = repo();
    p.write("old.py", token_line(8));
    commit_all(&p, "old secret");
    p.write("old.py", "pass\n");
    commit_all(&p, "remove it");
    p.write("new.py", token_line(9));
    commit_all(&p, "new secret");
    let clones = Project::new();
    let url = format!("file://{}", p.path().display());
    git(clones.path(), &["clone", "-q", "--bare", &url, "bare.git"]);
    let bare = findings(&history_json(&p, &clones.join("bare.git"), &[]));
    assert_eq!(bare, findings(&history_json(&p, p.path(), &[])));
    assert_eq!(bare.len(), 2);
    git(
        clones.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let out = p
        .keyward()
        .arg("history")
        .arg(clones.join("shallow"))
        .args(["--format", "json"])
        .assert()
        .code(1)
        .stderr(contains("history is cut"));
    let shallow = findings(&json(&out.get_output().stdout));
    assert_eq!(shallow.len(), 1);
    assert_eq!(shallow[0].0, "new.py");
}

#[test]
fn submodules_are_noted_and_lfs_pointers_are_not_fetched() {
    let p = repo();
    p.write(
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    commit_all(&p, "Add an LFS file");
    let head = git(p.path(), &["rev-parse", "HEAD"]);
    let cacheinfo = format!("160000,{head},vendor/lib");
    git(
        p.path(),
        &["update-index", "--add", "--cacheinfo", &cacheinfo],
    );
    git(
        p.path(),
        &["commit", "-q", "--no-verify", "-m", "Add a submodule"],
    );
    p.keyward()
        .args(["history", "--format", "json"])
        .assert()
        .code(0)
        .stderr(contains("submodule"))
        .stderr(contains("vendor/lib"))
        .stderr(contains("LFS"));
}

#[test]
fn a_directory_that_is_no_repository_exits_2() {
    let p = Project::new();
    p.keyward()
        .args(["history", "."])
        .assert()
        .code(2)
        .stderr(contains("failed to open repository"))
        .stderr(contains("is it a git repository?"));
}

#[test]
fn an_unreadable_blob_is_reported_and_the_scan_goes_on() {
    let p = repo();
    p.write("broken.py", "lost = 1\n");
    p.write("app.py", token_line(10));
    commit_all(&p, "Initial commit");
    let blob = git(p.path(), &["rev-parse", "HEAD:broken.py"]);
    std::fs::remove_file(p.join(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..]))).unwrap();
    for reader in ["pack", "cat-file", "libgit2"] {
        let out = p
            .keyward()
            .args(["history", "--format", "json"])
            .env(keyward::source::gitblob::READER_ENV, reader)
            .assert()
            .code(2)
            .stderr(contains("broken.py (blob "));
        let report = json(&out.get_output().stdout);
        assert_eq!(findings(&report).len(), 1, "{reader}");
        assert_eq!(report["stats"]["errors"], 1, "{reader}");
    }
}

/// One commit with several secrets, an env file and a notebook-free mix of files.
fn rich_commit(p: &Project) {
    p.write(
        "app/settings.py",
        format!("DEBUG = False\n{}", token_line(11)),
    );
    p.write(
        "config/db.yaml",
        format!("db:\n  password: \"{}9x\"\n", random_text(12, 18)),
    );
    p.write(".env", format!("API_TOKEN={}\n", github_pat(13)));
    p.write("docs/readme.md", "nothing here\n");
    p.write("lib/a.py", format!("x = 1\n\n\n{}", token_line(14)));
}

#[test]
fn history_of_one_commit_equals_a_scan_of_its_tree() {
    let p = repo();
    rich_commit(&p);
    commit_all(&p, "Everything at once");
    let history = history_json(&p, p.path(), &[]);
    let out = p
        .keyward()
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let scan = json(&out.stdout);
    // Checks of today's tree on disk (a .gitignore without .env, file modes) have no history
    // counterpart; everything else must agree.
    let tree_only = ["gitignore-missing-env", "env-file-permissions"];
    let strip = |v: &serde_json::Value| -> Vec<(String, u64, String, String)> {
        let all = findings(v).into_iter().map(|f| (f.0, f.1, f.2, f.3));
        all.filter(|f| !tree_only.contains(&f.2.as_str())).collect()
    };
    assert!(strip(&history).len() >= 4, "{:?}", strip(&history));
    assert_eq!(strip(&history), strip(&scan));
}

#[test]
fn readers_and_thread_counts_agree() {
    let p = repo();
    rich_commit(&p);
    commit_all(&p, "first");
    p.write("lib/a.py", format!("y = 2\n{}", token_line(15)));
    p.write("lib/b.py", token_line(16));
    commit_all(&p, "second");
    let reference = findings(&history_json(&p, p.path(), &[]));
    assert!(reference.len() >= 5);
    let one = findings(&history_json(&p, p.path(), &["--threads", "1"]));
    assert_eq!(one, reference);
    let out = p
        .keyward()
        .args(["history", "--format", "json"])
        .env(keyward::source::gitblob::READER_ENV, "libgit2")
        .output()
        .unwrap();
    assert_eq!(findings(&json(&out.stdout)), reference);
}

#[test]
fn history_takes_every_report_format() {
    let p = repo();
    p.write("app.py", token_line(17));
    commit_all(&p, "secret");
    for format in ["human", "json", "jsonl", "sarif", "junit"] {
        let out = p
            .keyward()
            .args(["history", "--format", format])
            .assert()
            .code(1);
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(text.contains("app.py"), "{format}: {text}");
        assert!(
            !text.contains(&github_pat(17)),
            "{format} leaked the secret"
        );
    }
}

#[test]
fn the_shared_corpus_history_is_found_and_attributed() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.join("history.sh").is_file() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let p = Project::new();
    let target = p.join("hist");
    let built = std::process::Command::new("bash")
        .arg(corpus.join("history.sh"))
        .arg(&target)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(built.success(), "history.sh failed");
    let report = history_json(&p, &target, &[]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(corpus.join("MANIFEST.json")).unwrap()).unwrap();
    let found = findings(&report);
    for want in manifest["history"]["expected"].as_array().unwrap() {
        let (path, line) = (
            want["path"].as_str().unwrap(),
            want["line"].as_u64().unwrap(),
        );
        let subject = want["commit_subject"].as_str().unwrap();
        assert!(
            found
                .iter()
                .any(|f| f.0 == path && f.1 == line && f.4 == subject),
            "missing {path}:{line} from `{subject}` in {found:#?}"
        );
    }
}

/// A fast-import stream of `n` commits on main (edits, new files with and without secrets,
/// a folder renamed, a file copied) and a side branch with a secret of its own.
fn long_history(n: u64) -> String {
    let mut s = String::new();
    let data = |s: &mut String, text: &str| {
        s.push_str(&format!("data {}\n{text}\n", text.len()));
    };
    let mut settings = String::from("import os\n");
    for i in 1..=n {
        s.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter Test Author <author@example.test> {} +0000\n",
            1_700_000_000 + i * 60
        ));
        data(&mut s, &format!("Change {i}"));
        if i > 1 {
            s.push_str(&format!("from :{}\n", i - 1));
        }
        settings.push_str(&format!("VALUE_{i} = {}\n", i * 7919));
        if i % 40 == 0 {
            settings.push_str(&token_line(i)); // a secret that stays
        }
        s.push_str("M 100644 inline app/settings.py\n");
        data(&mut s, &settings);
        if i % 7 == 0 {
            let body = if i % 21 == 0 {
                token_line(1000 + i)
            } else {
                format!("x = {i}\n")
            };
            s.push_str(&format!("M 100644 inline mod{}/f{i}.py\n", i % 5));
            data(&mut s, &body);
        }
        if i % 35 == 0 {
            s.push_str(&format!("D mod{}/f{}.py\n", (i - 14) % 5, i - 14));
        }
        if i == n / 2 {
            s.push_str("R mod1 moved1\nC app/settings.py backup/settings.py\n");
        }
    }
    s.push_str(&format!(
        "commit refs/heads/side\ncommitter Test Author <author@example.test> {} +0000\n",
        1_700_000_000 + (n + 1) * 60
    ));
    data(&mut s, "Side work");
    s.push_str(&format!("from :{}\nM 100644 inline side.py\n", n * 3 / 4));
    data(&mut s, &token_line(9999));
    s
}

#[test]
fn a_long_history_walked_on_two_threads_equals_one_thread() {
    let p = repo();
    let mut import = std::process::Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(p.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let stream = long_history(260);
    import
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(import.wait().unwrap().success());
    let run = |threads: &str, extra: &[&str]| {
        let mut args = vec!["--threads", threads];
        args.extend_from_slice(extra);
        history_json(&p, p.path(), &args)
    };
    for extra in [
        &[][..],
        &["--since-commit", "main~100"][..],
        &["--branch", "side"][..],
    ] {
        let (one, two) = (run("1", extra), run("2", extra));
        assert_eq!(one["findings"], two["findings"], "{extra:?}");
        for stat in ["blobs", "bytes", "commits", "errors"] {
            assert_eq!(one["stats"][stat], two["stats"][stat], "{extra:?} {stat}");
        }
        assert!(!one["findings"].as_array().unwrap().is_empty(), "{extra:?}");
    }
    let all = run("2", &[]);
    let paths: Vec<&str> = (all["findings"].as_array().unwrap().iter())
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // Found at the paths the walk on the second thread met: the renamed folder, the copy.
    assert!(paths.iter().any(|p| p.starts_with("moved1/")), "{paths:?}");
    assert!(paths.contains(&"backup/settings.py"), "{paths:?}");
    assert!(paths.contains(&"side.py"), "{paths:?}");
}
