//! `keyward report merge`: per-repository reports become one, one finding per fingerprint,
//! with the other places it occurred; the same output whatever the order of the inputs.

use crate::gitrepo::{commit_all, github_pat, repo};
use crate::harness::{json, Project};
use serde_json::Value;

/// Two repositories that share one token; each also has one of its own. Their history reports
/// (`alpha.jsonl`, `beta.jsonl`) are written into a third directory, returned.
fn two_reports() -> (Project, [String; 3]) {
    let tokens = [github_pat(11), github_pat(12), github_pat(13)];
    let out = Project::new();
    for (name, own, file) in [
        ("alpha", &tokens[0], "settings.py"),
        ("beta", &tokens[2], "conf/app.py"),
    ] {
        let p = repo();
        p.write(file, format!("A = \"{own}\"\nSHARED = \"{}\"\n", tokens[1]));
        commit_all(&p, &format!("{name} secrets"));
        let report = out.join(&format!("{name}.jsonl"));
        let code = p
            .keyward()
            .args(["history", "--format", "jsonl", "-o"])
            .arg(&report)
            .output()
            .unwrap()
            .status
            .code();
        assert_eq!(code, Some(1));
    }
    (out, tokens)
}

fn merge(dir: &Project, args: &[&str]) -> (i32, Vec<u8>) {
    let out = dir
        .keyward()
        .args(["report", "merge"])
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(
        matches!(code, 0 | 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, out.stdout)
}

#[test]
fn merged_reports_keep_one_finding_per_fingerprint() {
    let (dir, tokens) = two_reports();
    let (code, stdout) = merge(&dir, &["alpha.jsonl", "beta.jsonl", "--format", "json"]);
    assert_eq!(code, 1);
    let report = json(&stdout);
    let found: Vec<(String, String, u64)> = (report["findings"].as_array().unwrap().iter())
        .map(|f| {
            let repo = f["repository"].as_str().unwrap().to_string();
            (
                repo,
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("alpha".to_string(), "settings.py".to_string(), 1),
            ("alpha".to_string(), "settings.py".to_string(), 2),
            ("beta".to_string(), "conf/app.py".to_string(), 1),
        ]
    );
    let shared = &report["findings"][1];
    assert_eq!(shared["also_in"][0]["repository"], "beta");
    assert_eq!(shared["also_in"][0]["path"], "conf/app.py");
    assert_eq!(shared["also_in"][0]["line"], 2);
    assert_eq!(report["findings"][0]["also_in"], Value::Array(vec![]));
    assert_eq!(report["stats"]["findings_read"], 4);
    assert_eq!(report["stats"]["duplicates"], 1);
    let text = String::from_utf8_lossy(&stdout);
    for token in &tokens {
        assert!(
            !text.contains(token.as_str()),
            "a secret in the merged report"
        );
    }

    // the order of the inputs does not matter
    let (_, again) = merge(&dir, &["beta.jsonl", "alpha.jsonl", "--format", "json"]);
    assert_eq!(json(&again)["findings"], report["findings"]);
}

#[test]
fn merged_reports_as_sarif_and_json_lines() {
    let (dir, _) = two_reports();
    let (code, stdout) = merge(&dir, &["alpha.jsonl", "beta.jsonl", "--format", "sarif"]);
    assert_eq!(code, 1);
    let sarif = json(&stdout);
    crate::sarif::assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[1]["properties"]["repository"], "alpha");
    assert_eq!(results[1]["properties"]["alsoIn"][0]["repository"], "beta");
    assert!(results[0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("ghp_…(40)"));

    let (_, lines) = merge(
        &dir,
        &[
            "alpha.jsonl",
            "beta.jsonl",
            "--format",
            "jsonl",
            "-o",
            "all.jsonl",
        ],
    );
    assert!(lines.is_empty(), "-o writes the file, not stdout");
    let text = std::fs::read_to_string(dir.join("all.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 3);
    // a merged report merges again (here with itself: nothing new)
    let (_, again) = merge(&dir, &["all.jsonl", "--format", "json"]);
    assert_eq!(json(&again)["stats"]["findings"], 3);
}

#[test]
fn a_json_report_merges_too_and_a_bad_line_is_named() {
    let (dir, _) = two_reports();
    let p = repo();
    p.write("x.py", "x = 1\n");
    commit_all(&p, "clean");
    let clean = dir.join("gamma.json");
    p.keyward()
        .args(["history", "--format", "json", "-o"])
        .arg(&clean)
        .assert()
        .code(0);
    let (_, stdout) = merge(&dir, &["gamma.json", "alpha.jsonl"]);
    assert_eq!(json(&stdout)["stats"]["findings"], 2);
    let (code, _) = merge(&dir, &["gamma.json"]);
    assert_eq!(code, 0, "no findings: exit 0");

    let first = std::fs::read_to_string(dir.join("alpha.jsonl")).unwrap();
    let first = first.lines().next().unwrap().to_string();
    dir.write("broken.jsonl", format!("{first}\nnot json\n"));
    let out = dir
        .keyward()
        .args(["report", "merge", "broken.jsonl"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("line 2 of broken.jsonl"), "{stderr}");
}

// regression: `--format jsonl` listed findings only, so a sweep's merged report of a scan
// that could not read a file looked complete.
#[test]
fn what_a_report_could_not_read_is_kept_by_the_merge_and_makes_it_exit_2() {
    let (dir, _) = two_reports();
    let p = Project::new();
    p.write("app.py", format!("A = \"{}\"\n", github_pat(14)));
    // A file over --max-file-size is not read: an error (exit 2) unless accepted.
    p.write("locked.py", "x = 1\n".repeat(100));
    let report = dir.join("gamma.jsonl");
    let out = p
        .keyward()
        .args([
            "scan",
            ".",
            "--max-file-size",
            "300",
            "--format",
            "jsonl",
            "-o",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = std::fs::read_to_string(&report).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "error", "{text}");
    assert!(
        last["path"].as_str().unwrap().contains("locked.py"),
        "{text}"
    );
    for format in ["json", "jsonl", "sarif"] {
        let out = dir
            .keyward()
            .args([
                "report",
                "merge",
                "alpha.jsonl",
                "beta.jsonl",
                "gamma.jsonl",
            ])
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("gamma: ") && stderr.contains("locked.py"),
            "{stderr}"
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("locked.py"), "{format}: {stdout}");
    }
}
