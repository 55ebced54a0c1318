//! The differential table (`tests/data/dotenv-table.json`, written by
//! `scripts/dotenv-table.py` with python-dotenv's `dotenv_values`): for every case the program
//! started by `keyward-run` gets the value python-dotenv reads, or keyward names the line and
//! column of the difference; a refusal names them too. No message shows a value.

use super::{launcher, text, write};
use serde_json::Value;
use std::collections::BTreeMap;

/// `.env:LINE:COLUMN` locations in keyward-run's messages.
fn locations(stderr: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for (at, _) in stderr.match_indices(".env:") {
        let mut parts = stderr[at + 5..].splitn(3, ':');
        let line = parts.next().and_then(|p| p.parse().ok());
        let column = parts.next().and_then(|p| p.parse().ok());
        if let (Some(line), Some(column)) = (line, column) {
            found.push((line, column));
        }
    }
    found
}

/// The environment `env -0` printed.
fn child_env(stdout: &[u8]) -> BTreeMap<String, String> {
    stdout
        .split(|&b| b == 0)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (key, value) = entry.split_once('=')?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    same: usize,
    /// Differences from the process environment's value winning (keyward's precedence, and
    /// load_dotenv()'s), not from reading the file.
    precedence: usize,
    located: usize,
    refused: usize,
}

/// Checks one case; `Err` says how keyward-run got it wrong.
fn check(case: &Value, tally: &mut Tally) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", case["text"].as_str().unwrap());
    let process = case["process"].as_object().unwrap();
    let output = launcher(dir.path())
        .envs(process.iter().map(|(k, v)| (k, v.as_str().unwrap())))
        .args(["--env-file", ".env", "--", "env", "-0"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    let located = locations(&stderr);
    let theirs = case["values"].as_object().unwrap();
    for value in theirs.values().filter_map(Value::as_str) {
        if value.chars().count() >= 4 && stderr.contains(value) {
            return Err(format!("a message shows a value: {stderr}"));
        }
    }
    if output.status.code() == Some(125) {
        tally.refused += 1;
        return match located.is_empty() {
            true => Err(format!("refused without a line and column: {stderr}")),
            false => Ok(()),
        };
    }
    if !output.status.success() {
        return Err(format!("status {:?}: {stderr}", output.status));
    }
    let ours = child_env(&output.stdout);
    let (mut differs, mut precedence) = (false, false);
    for (key, value) in theirs {
        let got = ours.get(key).map(String::as_str);
        if got == value.as_str() {
            continue;
        }
        if got.is_some() && got == process.get(key).and_then(Value::as_str) {
            precedence = true;
            continue;
        }
        differs = true;
        let span = &case["lines"][key];
        let span = span[0].as_u64().unwrap() as usize..=span[1].as_u64().unwrap() as usize;
        if !located.iter().any(|(line, _)| span.contains(line)) {
            return Err(format!(
                "{key}: python-dotenv reads {value}, keyward gives {got:?}, and names no \
                 line:column in {span:?}: {stderr}"
            ));
        }
    }
    match (differs, precedence) {
        (true, _) => tally.located += 1,
        (false, true) => tally.precedence += 1,
        (false, false) => tally.same += 1,
    }
    Ok(())
}

// regression: keyward-run refused `APP_NAME=My App`, `KEY = value`, `MY-KEY=x`, … (exit 125,
// pointing at the wrong column) and silently gave other values than python-dotenv for
// `${UNSET:-fallback}`, `$BASE/plain`, unquoted `a\nb`, `"cost \$5"` and `'${BASE}'`.
#[test]
fn every_table_case_reads_as_python_dotenv_or_is_located() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/dotenv-table.json");
    let table: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = table["cases"].as_array().unwrap();
    let lines: usize = cases
        .iter()
        .map(|c| c["text"].as_str().unwrap().lines().count())
        .sum();
    assert!(cases.len() >= 100 && lines >= 100, "{} cases", cases.len());
    let mut tally = Tally::default();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check(case, &mut tally)
                .err()
                .map(|why| format!("{}: {why}", case["name"]))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The accepted lines of issue 18 are read, not refused.
    assert!(tally.same >= 90, "{tally:?}");
}

#[test]
fn accepted_python_dotenv_lines_reach_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let text = "APP_NAME=My App\nKEY = value\nTAB=\"a\\tb\"\nQ='it\\'s'\nBARE\nMY-KEY=x\n\
                PORT=${PORT:-8000}\nA=$\n";
    write(dir.path(), ".env", text);
    let output = launcher(dir.path())
        .args(["--", "env", "-0"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text_of(&output));
    let env = child_env(&output.stdout);
    let want = [
        ("APP_NAME", "My App"),
        ("KEY", "value"),
        ("TAB", "a\tb"),
        ("Q", "it's"),
        ("MY-KEY", "x"),
        ("PORT", "8000"),
        ("A", "$"),
    ];
    for (key, value) in want {
        assert_eq!(env.get(key).map(String::as_str), Some(value), "{key}");
    }
    assert!(!env.contains_key("BARE"));
}

#[test]
fn a_line_python_dotenv_skips_is_refused_at_its_column() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "OK=1\nAPP_NAME=\"My App\" extra\n");
    let output = launcher(dir.path()).args(["--", "true"]).output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert!(stderr.contains(".env:2:19: unexpected text"), "{stderr}");
    assert!(stderr.contains("python-dotenv skips this line"), "{stderr}");
    assert!(!stderr.contains("My App"), "{stderr}");
}

fn text_of(output: &std::process::Output) -> String {
    text(&output.stderr)
}

#[test]
fn single_quoted_references_stay_literal_unless_asked_and_the_line_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "BASE=/srv\nB='${BASE}/x'\n");
    let output = launcher(dir.path())
        .args(["--", "env", "-0"])
        .output()
        .unwrap();
    assert_eq!(child_env(&output.stdout)["B"], "${BASE}/x");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(".env:2:4: B is single-quoted")
            && stderr.contains("python-dotenv expands it (6 characters)")
            && stderr.contains("--expand-single-quoted"),
        "{stderr}"
    );
    let output = launcher(dir.path())
        .args(["--expand-single-quoted", "--", "env", "-0"])
        .output()
        .unwrap();
    assert_eq!(child_env(&output.stdout)["B"], "/srv/x");
}
