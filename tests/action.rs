//! The GitHub Action (`action.yml`) and the example workflow, checked here because they cannot
//! run in this CI: both parse, the example only passes inputs the action declares, and the
//! action's scan and gate steps run under bash as the runner runs them (`-eo pipefail`)
//! against a temp repository, with the keyward binary under test in place of `cargo install`.

use crate::harness::{json, random_text, Project};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn yaml_file(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    keyward::rules::yaml::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn step<'a>(action: &'a Value, name: &str) -> &'a Value {
    action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step `{name}`"))
}

/// A fake runner: `RUNNER_TEMP` with the binary where the install step puts it.
struct Runner {
    temp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let bin = temp.path().join("keyward/bin");
        std::fs::create_dir_all(&bin).unwrap();
        let exe = assert_cmd::cargo::cargo_bin("keyward");
        std::os::unix::fs::symlink(exe, bin.join("keyward")).unwrap();
        Runner { temp }
    }

    /// Runs a `run:` step with `env` in `dir`; returns (exit code, stdout, GITHUB_OUTPUT).
    fn run(&self, step: &Value, dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
        assert_eq!(step["shell"], "bash");
        for (key, _) in env.iter().filter(|(k, _)| k.starts_with("KW_")) {
            assert!(
                step["env"].get(key).is_some(),
                "the step does not set {key}"
            );
        }
        let output = self.temp.path().join("github_output");
        std::fs::write(&output, "").unwrap();
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(step["run"].as_str().unwrap())
            .current_dir(dir)
            .env("RUNNER_TEMP", self.temp.path())
            .env("GITHUB_OUTPUT", &output)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        (
            out.status.code().unwrap(),
            stdout,
            std::fs::read_to_string(&output).unwrap(),
        )
    }
}

fn output_value<'a>(outputs: &'a str, key: &str) -> Option<&'a str> {
    outputs
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn the_action_and_the_example_workflow_agree() {
    let action = yaml_file("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let workflow = yaml_file("examples/github-workflow.yml");
    let steps = workflow["jobs"]["keyward"]["steps"].as_array().unwrap();
    let checkout = steps.iter().find(|s| s["uses"] == "actions/checkout@v4");
    assert_eq!(checkout.unwrap()["with"]["fetch-depth"], 0);
    let uses = steps
        .iter()
        .find(|s| s["uses"] == "OWNER/keyward@main")
        .unwrap();
    for input in uses["with"].as_object().unwrap().keys() {
        assert!(
            action["inputs"].get(input).is_some(),
            "the example passes `{input}`, which the action does not declare"
        );
    }
    assert_eq!(workflow["permissions"]["security-events"], "write");
    let upload = step(&action, "Upload SARIF to code scanning");
    assert!(upload["uses"]
        .as_str()
        .unwrap()
        .starts_with("github/codeql-action/upload-sarif@"));
}

/// A repository whose pull request (HEAD) adds one secret on top of `base`, while another
/// branch adds a different one that the pull request must not report.
fn pull_request_repo() -> (Project, git2::Oid) {
    let p = Project::new();
    let repo = p.git_init();
    p.write("README.md", "base\n");
    let base = p.commit("base");
    let branch = repo.head().unwrap().name().unwrap().to_string();
    p.write("other.py", format!("O = 'ghp_{}'\n", random_text(2, 36)));
    let other = p.commit("another branch");
    repo.reference("refs/heads/other", other, true, "test")
        .unwrap();
    repo.set_head_detached(base).unwrap();
    std::fs::remove_file(p.join("other.py")).unwrap();
    p.write("app/a.py", format!("A = 'ghp_{}'\n", random_text(1, 36)));
    let head = p.commit("pull request");
    repo.reference(&branch, head, true, "test").unwrap();
    repo.set_head(&branch).unwrap();
    (p, base)
}

#[test]
fn on_a_pull_request_the_action_scans_its_commits_and_fails() {
    let action = yaml_file("action.yml");
    let runner = Runner::new();
    let (p, base) = pull_request_repo();
    let base = base.to_string();
    let env = [
        ("KW_EVENT", "pull_request"),
        ("KW_BASE_SHA", base.as_str()),
        ("KW_ARGS", "--threads 2"),
        ("KW_FAIL_ON", ""),
        ("KW_BASELINE", ""),
    ];
    let (code, stdout, outputs) = runner.run(step(&action, "Scan"), p.path(), &env);
    assert_eq!(code, 0, "the scan step itself must not fail: {stdout}");
    assert_eq!(output_value(&outputs, "exit-code"), Some("1"));
    let sarif_path = output_value(&outputs, "sarif-file").unwrap();
    let sarif = json(&std::fs::read(sarif_path).unwrap());
    crate::sarif::assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the pull request's commit: {sarif}");
    assert!(results[0]["properties"]["commit"]["summary"] == "pull request");
    if which("jq") {
        assert!(
            stdout.contains("::error file=app/a.py,line=1,col=6,title=keyward github-pat::"),
            "{stdout}"
        );
    }
    let gate = step(&action, "Fail on findings");
    let (code, _, _) = runner.run(gate, p.path(), &[("KW_CODE", "1")]);
    assert_eq!(code, 1);
}

#[test]
fn on_a_push_the_action_scans_the_tree_with_the_baseline() {
    let action = yaml_file("action.yml");
    let runner = Runner::new();
    let (p, _) = pull_request_repo();
    p.keyward()
        .args(["baseline", "-o", ".keyward-baseline.json"])
        .assert()
        .code(0);
    let env = [
        ("KW_EVENT", "push"),
        ("KW_BASE_SHA", ""),
        ("KW_ARGS", ""),
        ("KW_FAIL_ON", "high"),
        ("KW_BASELINE", ".keyward-baseline.json"),
    ];
    let (code, stdout, outputs) = runner.run(step(&action, "Scan"), p.path(), &env);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(output_value(&outputs, "exit-code"), Some("0"));
    let sarif = json(&std::fs::read(output_value(&outputs, "sarif-file").unwrap()).unwrap());
    assert!(sarif["runs"][0]["results"].as_array().unwrap().is_empty());
    let gate = step(&action, "Fail on findings");
    assert_eq!(runner.run(gate, p.path(), &[("KW_CODE", "0")]).0, 0);
    // a missing base commit (shallow clone) is an error with the fix, not a silent pass
    let missing = "1".repeat(40);
    let env = [
        ("KW_EVENT", "pull_request"),
        ("KW_BASE_SHA", missing.as_str()),
        ("KW_ARGS", ""),
        ("KW_FAIL_ON", ""),
        ("KW_BASELINE", ""),
    ];
    let (_, stdout, outputs) = runner.run(step(&action, "Scan"), p.path(), &env);
    assert_eq!(output_value(&outputs, "exit-code"), Some("2"));
    assert!(stdout.contains("fetch-depth: 0"), "{stdout}");
    assert_eq!(runner.run(gate, p.path(), &[("KW_CODE", "2")]).0, 2);
}

fn which(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}
