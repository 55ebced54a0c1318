//! `--check-history`: before the program starts, asks the scanner whether any secret value the
//! launcher is about to inject was ever committed to a repository. The launcher contains no
//! scanner, so it runs `keyward history REPO --known-secrets - --known-secrets-only` (the
//! `keyward` binary installed beside this one, else the one on PATH), hands it the values as
//! env-file text through a pipe (never argv), and reads back its JSON report, which names
//! variables, commits and paths, never values. Each leak becomes a `Problem`; `mod.rs` decides
//! by profile whether it refuses the start.

use crate::env::knownvalues as known;
use crate::env::plan::Plan;
use crate::env::problems::{Level, Problem};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The problems `--check-history REPO` finds: one per variable whose current value is in the
/// history, or one saying why the history could not be checked. `allow_leaked` makes leaks
/// warnings that never refuse.
pub fn check(repo: &Path, plan: &Plan, allow_leaked: bool) -> Vec<Problem> {
    let values = known::select(plan);
    let mut problems = Vec::new();
    if !values.too_short.is_empty() {
        problems.push(Problem {
            level: Level::Advisory,
            message: format!(
                "--check-history: not checking {} (shorter than {} characters: too common to \
                 look for)",
                values.too_short.join(", "),
                known::MIN_LEN
            ),
        });
    }
    if values.values.is_empty() {
        return problems;
    }
    let level = if allow_leaked {
        Level::Advisory
    } else {
        Level::Warning
    };
    match ask_scanner(repo, &values.values) {
        Ok(report) => problems.extend(
            leaks(&report)
                .into_iter()
                .map(|message| Problem { level, message }),
        ),
        Err(why) => problems.push(Problem {
            level: Level::Warning,
            message: format!("cannot check the history of {}: {why}", repo.display()),
        }),
    }
    problems
}

/// The scanner binary: `keyward` beside this executable, else the one on PATH.
fn scanner() -> PathBuf {
    let name = format!("keyward{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name(&name))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Runs the history scan with the values on its stdin; its JSON report, or why it failed.
fn ask_scanner(repo: &Path, values: &[known::KnownValue]) -> Result<Value, String> {
    let program = scanner();
    let mut child = Command::new(&program)
        .arg("history")
        .arg(repo)
        .args(["--known-secrets", "-", "--known-secrets-only", "--cache"])
        .args(["--format", "json", "--quiet", "--color", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| {
            format!(
                "cannot run {} ({err}); install keyward beside keyward-run",
                program.display()
            )
        })?;
    let text = known::to_env_text(values);
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from a thread: a scanner that fails before reading must not block the launcher.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(text.as_bytes());
    });
    let output = child
        .wait_with_output()
        .map_err(|err| format!("keyward history did not finish: {err}"))?;
    let _ = writer.join();
    match output.status.code() {
        Some(0 | 1) => serde_json::from_slice(&output.stdout)
            .map_err(|err| format!("keyward history gave no JSON report ({err})")),
        _ => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            Err(last
                .unwrap_or("keyward history failed")
                .trim_start_matches("keyward: ")
                .trim_start_matches("error: ")
                .to_string())
        }
    }
}

/// One message per variable, at its earliest commit:
/// "DATABASE_URL's current value was committed in 3f2a91c (2024-03-02, app/settings.py:14):
/// rotate it".
fn leaks(report: &Value) -> Vec<String> {
    let mut by_label: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for finding in report["findings"].as_array().into_iter().flatten() {
        if finding["rule"] == "known-secret" {
            let label = finding["secret"].as_str().unwrap_or("a variable");
            by_label.entry(label).or_default().push(finding);
        }
    }
    by_label
        .into_iter()
        .map(|(label, mut found)| {
            found.sort_by_key(|f| f["commit"]["date"].as_str().unwrap_or("").to_string());
            let first = found[0];
            let commit = &first["commit"];
            let id = commit["id"].as_str().unwrap_or("");
            let date = commit["date"].as_str().unwrap_or("");
            let mut message = format!(
                "{} was committed in {} ({}, {}:{}): rotate it",
                current(label),
                &id[..id.len().min(7)],
                &date[..date.len().min(10)],
                first["path"].as_str().unwrap_or("?"),
                first["line"]
            );
            if found.len() > 1 {
                message.push_str(&format!(
                    " (and {} more place(s); run `keyward history --known-secrets` for all)",
                    found.len() - 1
                ));
            }
            message
        })
        .collect()
}

/// `DB_PASSWORD` → "DB_PASSWORD's current value"; `DATABASE_URL's password` →
/// "DATABASE_URL's current password".
fn current(label: &str) -> String {
    match label.strip_suffix("'s password") {
        Some(name) => format!("{name}'s current password"),
        None => format!("{label}'s current value"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_message_per_variable_at_its_earliest_commit() {
        let finding = |label: &str, id: &str, date: &str, path: &str, line: u32| {
            json!({"rule": "known-secret", "secret": label, "path": path, "line": line,
                   "commit": {"id": id, "date": date}})
        };
        let report = json!({"findings": [
            finding("DATABASE_URL", "bbbbbbbbbb", "2024-05-01T10:00:00+00:00", "b.py", 3),
            finding("DATABASE_URL", "3f2a91c000", "2024-03-02T09:00:00+00:00", "app/settings.py", 14),
            finding("DATABASE_URL's password", "cccccccccc", "2023-01-01T00:00:00Z", "c.py", 1),
        ]});
        assert_eq!(
            leaks(&report),
            [
                "DATABASE_URL's current value was committed in 3f2a91c (2024-03-02, \
                 app/settings.py:14): rotate it (and 1 more place(s); run `keyward history \
                 --known-secrets` for all)",
                "DATABASE_URL's current password was committed in ccccccc (2023-01-01, c.py:1): \
                 rotate it",
            ]
        );
    }
}
