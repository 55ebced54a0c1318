//! A gate that can be trusted (issue 17): what a scan could not see is reported in every format
//! and makes the exit code 2 (a damaged pack, a missing branch tip, a truncated loose object,
//! files over `--max-file-size`, a bare repository for `staged`); a blob is checked at every
//! path it had in history; hostile inputs (a million findings) stay bounded.

use crate::gitrepo::{commit_all, git, github_pat, repo, token_line};
use crate::harness::{json, Project};
use predicates::str::contains;
use std::time::Duration;

/// A safety bound, not a timing assertion: a hang fails the test instead of blocking the run.
const HANG: Duration = Duration::from_secs(120);

fn loose_path(p: &Project, oid: &str) -> std::path::PathBuf {
    p.join(&format!(".git/objects/{}/{}", &oid[..2], &oid[2..]))
}

/// Cuts a file to half its length (objects are read-only: made writable first).
fn truncate_half(path: &std::path::Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
    let len = std::fs::metadata(path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(len / 2).unwrap();
}

/// The report of `keyward ARGS --format FORMAT`, with the exit code (bounded in time).
fn report(p: &Project, args: &[&str], format: &str) -> (Option<i32>, String, String) {
    let out = p
        .keyward()
        .args(args)
        .args(["--format", format])
        .timeout(HANG)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts that every report format carries the problem naming `needle`, and exit code 2.
fn every_format_names(p: &Project, args: &[&str], needle: &str) {
    let (code, out, err) = report(p, args, "json");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(needle), "stderr does not name {needle}: {err}");
    let doc = json(out.as_bytes());
    assert!(doc["stats"]["errors"].as_u64().unwrap() >= 1, "{doc}");
    let errors = doc["errors"].to_string();
    assert!(
        errors.contains(needle),
        "JSON errors do not name {needle}: {errors}"
    );
    let (code, out, _) = report(p, args, "jsonl");
    assert_eq!(code, Some(2));
    let error_lines: Vec<serde_json::Value> = (out.lines())
        .map(|l| json(l.as_bytes()))
        .filter(|v| v["kind"] == "error")
        .collect();
    assert!(
        error_lines
            .iter()
            .any(|e| e["path"].as_str().unwrap_or("").contains(needle)
                || e["message"].as_str().unwrap_or("").contains(needle)),
        "JSON lines name no error for {needle}: {out}"
    );
    let (code, out, _) = report(p, args, "sarif");
    assert_eq!(code, Some(2));
    let sarif = json(out.as_bytes());
    crate::sarif::assert_valid_sarif(&sarif);
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].to_string();
    assert!(
        notes.contains(needle),
        "SARIF does not name {needle}: {notes}"
    );
    let (code, out, _) = report(p, args, "junit");
    assert_eq!(code, Some(2));
    let xml = roxmltree::Document::parse(&out).unwrap();
    let errored: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .filter_map(|n| n.parent()?.attribute("name").map(str::to_string))
        .collect();
    assert!(
        errored.iter().any(|name| name.contains(needle)),
        "JUnit names no error for {needle}: {out}"
    );
    let (code, out, _) = report(p, args, "human");
    assert_eq!(code, Some(2));
    assert!(out.contains("could not be scanned"), "{out}");
}

// regression: a truncated pack made every ref unresolvable; history said "0 findings" and
// exited 0.
#[test]
fn a_truncated_pack_is_an_error_naming_the_pack() {
    let p = repo();
    p.write("app.py", token_line(1));
    commit_all(&p, "Initial commit");
    p.write("lib.py", "x = 1\n");
    commit_all(&p, "Second");
    git(p.path(), &["gc", "-q"]);
    let pack = std::fs::read_dir(p.join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|path| path.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    truncate_half(&pack);
    let name = pack.file_name().unwrap().to_str().unwrap().to_string();
    every_format_names(&p, &["history"], &name);
}

// regression: a branch whose tip commit is missing was skipped in silence.
#[test]
fn a_branch_whose_tip_is_missing_is_an_error_naming_the_ref() {
    let p = repo();
    p.write("app.py", token_line(2));
    commit_all(&p, "Initial commit");
    git(p.path(), &["checkout", "-q", "-b", "feature"]);
    p.write("feature.py", "y = 2\n");
    let tip = commit_all(&p, "Feature work");
    git(p.path(), &["checkout", "-q", "main"]);
    std::fs::remove_file(loose_path(&p, &tip)).unwrap();
    every_format_names(&p, &["history"], "refs/heads/feature");
    // The other branch was still scanned.
    let (_, out, _) = report(&p, &["history"], "json");
    assert_eq!(json(out.as_bytes())["findings"][0]["rule"], "github-pat");
}

// regression: libgit2 loops forever inflating a truncated loose object; history (both blob
// readers) hung.
#[test]
fn a_truncated_loose_blob_is_an_error_not_a_hang() {
    let p = repo();
    let big: String = (0..2000)
        .map(|i| format!("x{i} = {}\n", i * 7919))
        .collect();
    p.write("big.py", &big);
    p.write("app.py", token_line(3));
    commit_all(&p, "Initial commit");
    let blob = git(p.path(), &["rev-parse", "HEAD:big.py"]);
    truncate_half(&loose_path(&p, &blob));
    for reader in ["pack", "libgit2", "cat-file"] {
        let out = p
            .keyward()
            .args(["history", "--format", "json"])
            .env(keyward::source::gitblob::READER_ENV, reader)
            .timeout(HANG)
            .assert()
            .code(2)
            .stderr(contains("big.py"))
            .stderr(contains(blob.as_str()))
            .stderr(contains("damaged loose object"));
        let doc = json(&out.get_output().stdout);
        assert_eq!(doc["findings"][0]["rule"], "github-pat", "{reader}");
    }
}

#[test]
fn a_truncated_loose_commit_is_refused_not_a_hang() {
    let p = repo();
    p.write("app.py", "x = 1\n".repeat(200));
    commit_all(&p, "Initial commit");
    p.write("lib.py", "y = 2\n");
    let tip = commit_all(&p, &format!("Second {}", "long message ".repeat(300)));
    truncate_half(&loose_path(&p, &tip));
    p.keyward()
        .arg("history")
        .timeout(HANG)
        .assert()
        .code(2)
        .stderr(contains(format!("object {tip}")))
        .stderr(contains("damaged loose object"));
}

// regression: `keyward-run --check-history` hung on a truncated loose object.
#[test]
fn check_history_on_a_truncated_loose_object_does_not_hang() {
    let p = repo();
    let big: String = (0..2000)
        .map(|i| format!("x{i} = {}\n", i * 7919))
        .collect();
    p.write("big.py", &big);
    commit_all(&p, "Initial commit");
    let blob = git(p.path(), &["rev-parse", "HEAD:big.py"]);
    truncate_half(&loose_path(&p, &blob));
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("app.env");
    std::fs::write(&env, "API_TOKEN=current-api-token-71xq\n").unwrap();
    let out = assert_cmd::Command::cargo_bin("keyward-run")
        .unwrap()
        .current_dir(p.path())
        .arg("-e")
        .arg(&env)
        .arg("--check-history")
        .arg(p.path())
        .args(["--", "sh", "-c", "echo program-started"])
        .timeout(HANG)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some(), "killed (hung?): {stderr}");
    assert!(stderr.contains("big.py"), "{stderr}");
}

// regression: files over --max-file-size appeared in no report and no stats, exit 0.
#[test]
fn a_file_over_max_file_size_is_in_every_report_and_exits_2() {
    let p = Project::new();
    p.write(
        "big.py",
        format!("T = '{}'\n{}", github_pat(12), "#\n".repeat(600)),
    );
    p.write("small.py", "x = 1\n");
    every_format_names(&p, &["scan", "--max-file-size", "1000"], "big.py");
    let (code, out, _) = report(&p, &["scan", "--max-file-size", "1000", "-q"], "json");
    assert_eq!(code, Some(2));
    let doc = json(out.as_bytes());
    assert_eq!(doc["stats"]["skipped"], 1);
    assert_eq!(doc["skipped"][0]["path"], "big.py");
}

#[test]
fn skip_large_files_accepts_the_skip_and_still_reports_it() {
    let p = Project::new();
    p.write(
        "big.py",
        format!("T = '{}'\n{}", github_pat(12), "#\n".repeat(600)),
    );
    let args = ["scan", "--max-file-size", "1000", "--skip-large-files"];
    let (code, out, _) = report(&p, &args, "json");
    assert_eq!(code, Some(0));
    let doc = json(out.as_bytes());
    assert_eq!(doc["stats"]["skipped"], 1);
    assert_eq!(doc["stats"]["errors"], 0);
    assert_eq!(doc["skipped"][0]["path"], "big.py");
    let (code, out, _) = report(&p, &args, "sarif");
    assert_eq!(code, Some(0));
    let notes =
        json(out.as_bytes())["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(
        notes.contains("big.py") && notes.contains("warning"),
        "{notes}"
    );
    let (_, out, _) = report(&p, &args, "junit");
    assert!(out.contains("<skipped message="), "{out}");
}

#[test]
fn a_blob_over_max_file_size_in_history_exits_2() {
    let p = repo();
    p.write("big.py", "#\n".repeat(1000));
    commit_all(&p, "Initial commit");
    let (code, out, _) = report(&p, &["history", "--max-file-size", "1000"], "json");
    assert_eq!(code, Some(2));
    assert_eq!(json(out.as_bytes())["stats"]["skipped"], 1);
}

// regression: `keyward staged` in a bare repository scanned nothing and exited 0.
#[test]
fn staged_in_a_bare_repository_is_an_error() {
    let p = repo();
    p.write("app.py", "x = 1\n");
    commit_all(&p, "Initial commit");
    let bare = Project::new();
    git(
        bare.path(),
        &["clone", "-q", "--bare", p.path().to_str().unwrap(), "b.git"],
    );
    bare.keyward()
        .args(["staged", "b.git"])
        .assert()
        .code(2)
        .stderr(contains("bare repository"));
}

// regression: history checked a blob at the first path it was seen under only, so a file
// renamed to `.env` was never reported as a committed env file.
#[test]
fn a_file_renamed_to_dot_env_in_history_is_reported() {
    let p = repo();
    p.write("settings.txt", format!("API_TOKEN={}\n", github_pat(20)));
    commit_all(&p, "Add settings");
    git(p.path(), &["mv", "settings.txt", ".env"]);
    commit_all(&p, "Rename to .env");
    let (code, out, err) = report(&p, &["history"], "json");
    assert_eq!(code, Some(1), "{err}");
    let doc = json(out.as_bytes());
    let at_env: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == ".env")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["commit"]["summary"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        at_env.contains(&("env-file-committed".into(), "Rename to .env".into())),
        "{at_env:?}"
    );
    assert_eq!(doc["stats"]["blobs"], 1, "the content is read once");
}

// regression: a secret copied out of an allowed fixture folder into app/ was never reported.
#[test]
fn a_file_copied_out_of_an_allowed_path_in_history_is_reported() {
    let p = repo();
    p.write(".keyward.yaml", "allow:\n  paths: ['tests/fixtures/**']\n");
    p.write("tests/fixtures/creds.py", token_line(21));
    commit_all(&p, "Add a fixture");
    p.write("app/creds.py", token_line(21));
    let copied = commit_all(&p, "Use the fixture's token in the app");
    let (code, out, err) = report(&p, &["history"], "json");
    assert_eq!(code, Some(1), "{err}");
    let doc = json(out.as_bytes());
    let found: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["commit"]["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(found, [("app/creds.py".to_string(), copied)]);
    assert_eq!(doc["stats"]["blobs"], 2, "the token file is read once");
}

#[test]
fn a_folder_renamed_keeps_its_files_checked_at_the_new_paths() {
    let p = repo();
    p.write(
        "ops/netrc.sample",
        format!("machine example.com login me password {}\n", github_pat(22)),
    );
    commit_all(&p, "Add a sample");
    git(p.path(), &["mv", "ops/netrc.sample", ".netrc"]);
    commit_all(&p, "Install it");
    let (_, out, _) = report(&p, &["history"], "json");
    let doc = json(out.as_bytes());
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&".netrc"), "{paths:?}");
}

/// `n` lines, each with a different AKIA-shaped access key id.
fn akia_lines(seed: u64, n: usize) -> String {
    (0..n)
        .map(|i| {
            const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            let id: String = crate::harness::random_text(seed * 1_000_003 + i as u64, 16)
                .bytes()
                .map(|b| BASE32[(b % 32) as usize] as char)
                .collect();
            format!("k{i} = \"AKIA{id}\"\n")
        })
        .collect()
}

// regression: a million findings took 4.3 GB (JSON) and aborted (SARIF); now each file lists
// at most 100 per rule and says how many more.
#[test]
fn findings_past_the_cap_are_counted_and_summarised() {
    let p = Project::new();
    for f in 0..4 {
        p.write(&format!("keys{f}.py"), akia_lines(f, 1000));
    }
    let (code, out, err) = report(&p, &["scan"], "json");
    assert_eq!(code, Some(1), "{err}");
    let doc = json(out.as_bytes());
    let listed = doc["findings"].as_array().unwrap();
    assert_eq!(listed.len(), 400);
    let (_, all, _) = report(&p, &["scan", "--max-findings-per-rule", "0"], "json");
    let all = json(all.as_bytes())["findings"].as_array().unwrap().len() as u64;
    assert!(all > 3900, "{all}");
    assert_eq!(doc["stats"]["capped"], all - 400);
    let in_keys3 = doc["capped"][3]["more"].as_u64().unwrap();
    assert_eq!(doc["capped"][3]["path"], "keys3.py");
    let rule = doc["capped"][0]["rule"].as_str().unwrap().to_string();
    let (_, human, _) = report(&p, &["scan"], "human");
    assert!(
        human.contains(&format!("keys3.py: {rule}: and {in_keys3} more")),
        "{human}"
    );
    let (_, sarif, _) = report(&p, &["scan"], "sarif");
    let sarif = json(sarif.as_bytes());
    crate::sarif::assert_valid_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 400);
    assert!(
        sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .to_string()
            .contains(&format!("keys3.py: {rule}: and {in_keys3} more"))
    );
    let (_, junit, _) = report(&p, &["scan"], "junit");
    assert!(junit.contains(&format!("and {in_keys3} more")), "{junit}");
    // The first findings of each file are the ones listed.
    assert_eq!(listed[0]["line"], 1);
}

fn paths_of(doc: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

// regression: a file given as an argument was reported by its base name, and with several
// files as `tests/x/y_test.py/y_test.py`, a path that does not exist.
#[test]
fn files_given_as_arguments_are_reported_by_the_path_given() {
    let p = Project::new();
    p.write("tests/x/y_test.py", token_line(30));
    p.write("app/z.py", token_line(31));
    let (_, out, _) = report(&p, &["scan", "tests/x/y_test.py"], "json");
    assert_eq!(paths_of(&json(out.as_bytes())), ["tests/x/y_test.py"]);
    let (_, out, _) = report(&p, &["scan", "tests/x/y_test.py", "./app/z.py"], "json");
    assert_eq!(
        paths_of(&json(out.as_bytes())),
        ["app/z.py", "tests/x/y_test.py"]
    );
}

// regression: `scan .` and `scan app` named the same file differently, so its hygiene
// fingerprint (and any baseline entry) changed with the way scan was called.
#[test]
fn a_file_has_one_path_and_fingerprint_whichever_way_scan_is_called() {
    let p = repo();
    p.write(
        "app/settings.py",
        format!("DEBUG = True\n{}", token_line(32)),
    );
    commit_all(&p, "Initial commit");
    let by = |dir: &str, args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("keyward")
            .unwrap()
            .current_dir(p.join(dir))
            .args(["scan", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        let doc = json(&out.stdout);
        let mut found: Vec<(String, String, String)> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap().to_string();
                (s("path"), s("rule"), s("fingerprint"))
            })
            .collect();
        found.sort();
        found
    };
    let whole = by(".", &["."]);
    assert!(
        whole
            .iter()
            .any(|f| f.1 == "debug-enabled" || f.1.contains("debug")),
        "{whole:?}"
    );
    assert!(whole.iter().all(|f| f.0 == "app/settings.py"), "{whole:?}");
    assert_eq!(by(".", &["app"]), whole);
    assert_eq!(by("app", &["."]), whole);
    assert_eq!(by(".", &["app/settings.py"]), whole);
}

// regression: names with a backslash or bytes that are not UTF-8 were altered.
#[cfg(unix)]
#[test]
fn names_are_reported_unaltered() {
    use std::os::unix::ffi::OsStrExt;
    let p = Project::new();
    p.write("back\\slash.py", token_line(33));
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
    std::fs::write(p.path().join(odd), token_line(34)).unwrap();
    let odd2 = std::ffi::OsStr::from_bytes(b"caf\xe8.py");
    std::fs::write(p.path().join(odd2), token_line(35)).unwrap();
    let (_, out, _) = report(&p, &["scan", "."], "json");
    assert_eq!(
        paths_of(&json(out.as_bytes())),
        ["back\\slash.py", "caf\\xE8.py", "caf\\xE9.py"]
    );
}

// regression: a file replaced by a FIFO between the walk and the read blocked the scan forever.
#[cfg(unix)]
#[test]
fn a_fifo_met_at_read_time_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("settings.py");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = keyward::source::tree::read(&fifo, 1 << 20, Vec::new());
        let _ = tx.send(result.err().map(|e| e.to_string()));
    });
    let err = rx.recv_timeout(HANG).expect("the read blocked on a FIFO");
    assert!(err.unwrap().contains("not a regular file"));
}

// regression: a FIFO named on the command line was skipped with no note and exit 0.
#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_is_an_error_not_a_silent_skip() {
    let p = Project::new();
    let fifo = p.join("pipe.env");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = p
        .keyward()
        .args(["scan", "pipe.env", "--format", "json"])
        .timeout(HANG)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let report = json(&out.stdout);
    assert_eq!(report["stats"]["errors"], 1);
    let message = report["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("not a regular file"), "{message}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("pipe.env"));
}

fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    for u in units {
        out.extend(match little {
            true => u.to_le_bytes(),
            false => u.to_be_bytes(),
        });
    }
    out
}

// regression: UTF-16 files and stdin were taken for binary and skipped with no note.
#[test]
fn utf16_files_and_stdin_are_decoded_and_scanned() {
    let text = format!("# é café\n    {}", token_line(40));
    let p = Project::new();
    for (name, little, bom) in [
        ("le_bom.py", true, true),
        ("le.py", true, false),
        ("be_bom.py", false, true),
        ("be.py", false, false),
    ] {
        p.write(name, utf16(&text, little, bom));
    }
    p.write("z.py", &text);
    let (code, out, err) = report(&p, &["scan", "."], "json");
    assert_eq!(code, Some(1), "{err}");
    let doc = json(out.as_bytes());
    let found: Vec<(String, u64, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap().to_string();
            (
                path,
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    // Where the same text in UTF-8 has it: line 2, column 21 (`    GITHUB_TOKEN = "` is 20
    // characters; the byte order mark is not one).
    let expected: Vec<(String, u64, u64)> = ["be.py", "be_bom.py", "le.py", "le_bom.py", "z.py"]
        .iter()
        .map(|n| (n.to_string(), 2, 21))
        .collect();
    assert_eq!(found, expected);
    let out = p
        .keyward()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(utf16(&text, true, true))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out.stdout)["findings"][0]["line"], 2);
}

#[test]
fn binary_files_with_zero_bytes_stay_binary() {
    let p = Project::new();
    let mut data = vec![0u8; 64];
    data.extend(token_line(41).as_bytes());
    data.extend([0xFF, 0x00, 0x13, 0x00, 0x00, 0x00, 0x7F, 0x01]);
    p.write("blob.bin", data);
    let (code, _, _) = report(&p, &["scan", "."], "json");
    assert_eq!(code, Some(0));
}

// regression: a `.keyward.yaml` repeating an alias 50,000 times aborted at 4 GB, and 100k
// nested `[` in a `--rules` file took 50 s.
#[test]
fn yaml_bombs_are_refused_naming_the_file_and_the_reason() {
    let p = Project::new();
    p.write("app.py", "x = 1\n");
    let bomb = format!(
        "stopwords: &w [{}]\nallow:\n  values: [{}]\n",
        "aaaa,".repeat(1000),
        "*w,".repeat(50_000)
    );
    p.write(".keyward.yaml", &bomb);
    p.keyward()
        .args(["scan", "."])
        .timeout(HANG)
        .assert()
        .code(2)
        .stderr(contains(".keyward.yaml"))
        .stderr(contains("alias"));
    std::fs::remove_file(p.join(".keyward.yaml")).unwrap();
    p.write("deep.yaml", format!("rules: {}", "[".repeat(100_000)));
    p.keyward()
        .args(["scan", ".", "--rules", "deep.yaml"])
        .timeout(HANG)
        .assert()
        .code(2)
        .stderr(contains("deep.yaml"))
        .stderr(contains("nested deeper than 64"));
}

// regression: a custom rule `(\w{100}){100}` took 87 s on a 1 MB line.
#[test]
fn a_custom_rule_too_large_once_compiled_is_refused_naming_it() {
    let p = Project::new();
    p.write("app.py", "x = 1\n");
    p.write(
        "slow.yaml",
        r#"rules:
  - id: slow-words
    title: Slow words
    kind: secret
    severity: high
    keywords: [word]
    pattern: '(?P<secret>(\w{100}){100})'
    remediation: None.
    references: ["https://example.test/"]
    examples: ["word"]
    negative_examples: ["x"]
"#,
    );
    p.keyward()
        .args(["scan", ".", "--rules", "slow.yaml"])
        .timeout(HANG)
        .assert()
        .code(2)
        .stderr(contains("slow.yaml"))
        .stderr(contains("slow-words"))
        .stderr(contains("too large once compiled"));
}

/// A repository with everything that goes wrong at once, built here: a shallow clone (of a
/// history with an LFS pointer, a submodule and a 50 MB blob) in which a branch's tip commit
/// is missing and a loose blob is truncated.
#[test]
fn a_damaged_shallow_repository_reports_everything_it_could_not_see() {
    let origin = repo();
    origin.write("app.py", token_line(50));
    commit_all(&origin, "Add the client");
    origin.write(
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    commit_all(&origin, "Add an LFS file");
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv\n";
    origin.write("data/big.txt", line.repeat(50 * 1024 * 1024 / line.len()));
    commit_all(&origin, "Add a 50 MB file");
    origin.write("lib.py", "y = 2\n");
    commit_all(&origin, "Add lib");
    // Last: `git add -A` would drop a gitlink whose folder is not checked out.
    let head = git(origin.path(), &["rev-parse", "HEAD"]);
    let gitlink = format!("160000,{head},vendor/lib");
    git(
        origin.path(),
        &["update-index", "--add", "--cacheinfo", &gitlink],
    );
    git(
        origin.path(),
        &["commit", "-q", "--no-verify", "-m", "Add a submodule"],
    );

    let p = Project::new();
    let url = format!("file://{}", origin.path().display());
    git(p.path(), &["clone", "-q", "--depth", "2", &url, "clone"]);
    let clone = p.join("clone");
    assert!(clone.join(".git/shallow").exists());
    git(&clone, &["config", "user.name", "Test Author"]);
    git(&clone, &["config", "user.email", "author@example.test"]);
    git(&clone, &["checkout", "-q", "-b", "gone"]);
    std::fs::write(clone.join("gone.py"), "z = 3\n").unwrap();
    git(&clone, &["add", "gone.py"]);
    git(
        &clone,
        &["commit", "-q", "--no-verify", "-m", "Tip to lose"],
    );
    let tip = git(&clone, &["rev-parse", "HEAD"]);
    git(&clone, &["checkout", "-q", "-"]);
    std::fs::remove_file(clone.join(format!(".git/objects/{}/{}", &tip[..2], &tip[2..]))).unwrap();
    let broken: String = (0..3000).map(|i| format!("v{i} = {}\n", i * 31)).collect();
    std::fs::write(clone.join("broken.py"), broken).unwrap();
    git(&clone, &["add", "broken.py"]);
    git(&clone, &["commit", "-q", "--no-verify", "-m", "Add broken"]);
    let blob = git(&clone, &["rev-parse", "HEAD:broken.py"]);
    truncate_half(&clone.join(format!(".git/objects/{}/{}", &blob[..2], &blob[2..])));

    let out = assert_cmd::Command::cargo_bin("keyward")
        .unwrap()
        .current_dir(&clone)
        .args(["history", "--format", "json"])
        .timeout(HANG)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for needle in [
        "ref refs/heads/gone",
        tip.as_str(),
        "broken.py",
        "damaged loose object",
        "data/big.txt",
        "over --max-file-size",
        "shallow clone",
        "vendor/lib",
        "LFS",
    ] {
        assert!(
            stderr.contains(needle),
            "stderr does not say {needle:?}:\n{stderr}"
        );
    }
    let doc = json(&out.stdout);
    assert_eq!(doc["stats"]["errors"], 3, "{}", doc["errors"]);
    assert_eq!(doc["stats"]["skipped"], 1);
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"github-pat"), "{rules:?}");
}
