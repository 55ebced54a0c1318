//! The pre-commit framework's hook (`.pre-commit-hooks.yaml` runs `keyward pre-commit` with the
//! file names): `pre-commit run --all-files`/`--files` and `--from-ref/--to-ref` scan what they
//! hand over instead of an empty staged change; a commit in progress scans the staged change.

use crate::harness::{github_pat, Project};

fn committed_secret() -> (Project, git2::Oid, git2::Oid) {
    let p = Project::new();
    p.git_init();
    p.write("README.md", "base\n");
    let base = p.commit("base");
    p.write("app.py", format!("T = '{}'\n", github_pat(3)));
    let added = p.commit("add");
    (p, base, added)
}

fn hook(p: &Project, files: &[&str]) -> assert_cmd::Command {
    let mut cmd = p.keyward();
    cmd.arg("pre-commit").args(files);
    for var in ["GIT_INDEX_FILE", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF"] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn all_files_and_ranges_are_scanned_not_the_empty_staged_change() {
    // regression: the hook always scanned the staged change, empty under --all-files
    let (p, base, added) = committed_secret();
    // `pre-commit run --all-files` / `--files app.py`: the files, as on disk
    hook(&p, &["README.md", "app.py"]).assert().code(1);
    hook(&p, &["README.md"]).assert().code(0);
    // `pre-commit run --from-ref base --to-ref added`: the commits of the range
    hook(&p, &[])
        .env("PRE_COMMIT_FROM_REF", base.to_string())
        .env("PRE_COMMIT_TO_REF", added.to_string())
        .assert()
        .code(1);
    hook(&p, &["app.py"])
        .env("PRE_COMMIT_FROM_REF", added.to_string())
        .env("PRE_COMMIT_TO_REF", added.to_string())
        .assert()
        .code(0);
    // a commit in progress (git sets GIT_INDEX_FILE for its hooks): the staged change, empty
    hook(&p, &["app.py"])
        .env("GIT_INDEX_FILE", p.join(".git/index"))
        .assert()
        .code(0);
    // and a secret staged for that commit is found
    p.write("new.py", format!("U = '{}'\n", github_pat(4)));
    crate::gitrepo::git(p.path(), &["add", "new.py"]);
    hook(&p, &["new.py"])
        .env("GIT_INDEX_FILE", p.join(".git/index"))
        .assert()
        .code(1);
}
