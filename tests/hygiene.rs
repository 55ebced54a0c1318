//! Configuration hygiene through the real binary: every check on its positive forms and quiet on
//! its negative forms, the tree-level checks (env file permissions, `.gitignore` coverage),
//! binary key bundles, suppression, multi-root paths, staged and history modes, and the catalog
//! in `keyward rules list|show`.

use crate::harness::{found, json, run_json, Project};
use predicates::str::contains;

/// (path, line, rule) of the hygiene findings of `keyward scan ARGS…` in the project.
fn hygiene(p: &Project, args: &[&str]) -> Vec<(String, u64, String)> {
    let mut cmd = p.keyward();
    cmd.arg("scan").args(args).args(["--format", "json"]);
    let (_, report) = run_json(&mut cmd);
    let kinds: Vec<bool> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"] == "hygiene")
        .collect();
    let mut hits: Vec<_> = found(&report)
        .into_iter()
        .zip(kinds)
        .filter_map(|(f, is_hygiene)| is_hygiene.then_some(f))
        .collect();
    hits.sort();
    hits
}

fn hit(path: &str, line: u64, rule: &str) -> (String, u64, String) {
    (path.into(), line, rule.into())
}

/// A project with one instance of every line-level YAML check, plus a .gitignore that covers
/// env files so only the checks under test fire.
fn write_python_positives(p: &Project) {
    p.write(".gitignore", ".env\n");
    p.write(
        "app/main.py",
        "from . import create_app\napp = create_app()\n\nif __name__ == \"__main__\":\n    app.run(\n        host=\"0.0.0.0\",\n        debug=True,\n    )\n",
    );
    p.write(
        "app/config.py",
        "import os\n\nclass Config:\n    DEBUG = True\n    WTF_CSRF_ENABLED = False\n    SECRET_KEY = os.environ.get(\"SECRET_KEY\", \"dev\")\n",
    );
    p.write(
        "site/settings.py",
        "DEBUG = os.getenv(\"DJANGO_DEBUG\", \"True\")\nALLOWED_HOSTS = ['*']\nSESSION_COOKIE_SECURE = False\n",
    );
    p.write(
        "app/http.py",
        "import requests\n\ndef get(url):\n    return requests.get(url, verify=False)\n",
    );
    p.write(
        "docker-compose.yml",
        "services:\n  api:\n    environment:\n      FLASK_DEBUG: \"1\"\n",
    );
    p.write(
        "Dockerfile",
        "FROM python:3.12-slim\nENV DB_PASSWORD=hunter2\nUSER app\n",
    );
}

#[test]
fn each_line_check_reports_its_positive_form() {
    let p = Project::new();
    write_python_positives(&p);
    assert_eq!(
        hygiene(&p, &[]),
        vec![
            hit("Dockerfile", 2, "secret-in-dockerfile"),
            hit("app/config.py", 4, "flask-debug"),
            hit("app/config.py", 5, "csrf-disabled"),
            hit("app/config.py", 6, "hardcoded-secret-key"),
            hit("app/http.py", 4, "tls-verify-disabled"),
            hit("app/main.py", 5, "flask-debug"),
            hit("docker-compose.yml", 4, "flask-debug-env"),
            hit("site/settings.py", 1, "django-debug"),
            hit("site/settings.py", 2, "allowed-hosts-wildcard"),
            hit("site/settings.py", 3, "insecure-cookie"),
        ]
    );
}

#[test]
fn negative_forms_stay_quiet() {
    let p = Project::new();
    p.write(".gitignore", ".env\n.env.*\n!.env.example\n");
    p.write(
        ".env.example",
        "FLASK_DEBUG=0\nDATABASE_URL=\nSTRIPE_KEY=\n",
    );
    p.write(
        "app/config.py",
        "import os\n\nclass Config:\n    DEBUG = os.environ.get(\"FLASK_DEBUG\") == \"1\"\n    SECRET_KEY = os.environ[\"SECRET_KEY\"]\n\nclass TestingConfig(Config):\n    DEBUG = True\n    WTF_CSRF_ENABLED = False\n",
    );
    p.write(
        "site/settings.py",
        "DEBUG = os.environ.get(\"DJANGO_DEBUG\") == \"1\"\nALLOWED_HOSTS = [\"api.example.com\"]\nSESSION_COOKIE_SECURE = True\n",
    );
    p.write(
        "site/settings/dev.py",
        "DEBUG = True\nALLOWED_HOSTS = ['*']\n",
    );
    p.write(
        "app/main.py",
        "app.run(debug=False)\nasyncio.run(main(), debug=True)\n",
    );
    p.write(
        "app/http.py",
        "requests.get(url, verify=\"/etc/ssl/ca.pem\")\nrequests.get(url, verify=certifi.where())\n",
    );
    p.write(
        "tests/conftest.py",
        "app.config[\"WTF_CSRF_ENABLED\"] = False\nrequests.get(u, verify=False)\n",
    );
    p.write(
        "requirements.txt",
        "-r base.txt\nflask==3.0.3\nblack==23.12.1 \\\n    --hash=sha256:a876\n-e git+https://github.com/org/lib.git@4f2c8a9d0b1e3f5a7c6d8e9f0a1b2c3d4e5f6a7b#egg=lib\n",
    );
    p.write(
        "Dockerfile",
        "FROM python:3.12-slim\nRUN useradd app\nUSER app\n",
    );
    p.write("README.md", "Run `FLASK_DEBUG=1 flask run` locally.\n");
    p.write("deploy/id_rsa.pub", "ssh-ed25519 AAAAC3Nza user@host\n");
    assert_eq!(hygiene(&p, &[]), vec![]);
}

#[test]
fn committed_files_are_reported_at_line_one() {
    let p = Project::new();
    p.write(".gitignore", "*.log\n");
    p.write(".env.production", "export AWS_DEFAULT_REGION=us-east-1\n");
    p.write(
        "deploy/id_ed25519",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    p.write("certs/client.p12", b"\x30\x82\x00\x00binary\x00bundle");
    p.write(
        ".netrc",
        "machine pypi.example.com login ci password s3cr3t-pass\n",
    );
    p.write("requirements.txt", "flask>=2.0\nrequests\n");
    p.write("Dockerfile", "FROM python:3.12-slim\nCMD [\"gunicorn\"]\n");
    let all = hygiene(&p, &[]);
    for expected in [
        hit(".env.production", 1, "env-file-committed"),
        hit(".gitignore", 1, "gitignore-missing-env"),
        hit("deploy/id_ed25519", 1, "private-key-file"),
        hit("certs/client.p12", 1, "private-key-file"),
        hit(".netrc", 1, "credentials-file"),
        hit("requirements.txt", 1, "unpinned-requirement"),
        hit("requirements.txt", 2, "unpinned-requirement"),
        hit("Dockerfile", 1, "dockerfile-root-user"),
    ] {
        assert!(all.contains(&expected), "{expected:?} missing from {all:?}");
    }
}

#[test]
fn gitignore_coverage_is_judged_by_the_gitignore_files() {
    let p = Project::new();
    p.write(".env", "SECRET=abc\n");
    // regression target: with no .gitignore at all the finding sits on the env file
    assert!(hygiene(&p, &[]).contains(&hit(".env", 1, "gitignore-missing-env")));
    p.write(".gitignore", "__pycache__/\n");
    assert!(hygiene(&p, &[]).contains(&hit(".gitignore", 1, "gitignore-missing-env")));
    p.write(".gitignore", ".env*\n!.env.example\n");
    let rules: Vec<String> = hygiene(&p, &[]).into_iter().map(|f| f.2).collect();
    assert!(
        !rules.contains(&"gitignore-missing-env".to_string()),
        "{rules:?}"
    );
}

#[cfg(unix)]
#[test]
fn env_file_permissions_follow_the_mode_bits_even_for_an_ignored_env() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new();
    p.git_init();
    p.write(".gitignore", ".env\n");
    p.write(".env", "DB_PASSWORD=abc\n");
    let set = |mode| {
        std::fs::set_permissions(p.join(".env"), std::fs::Permissions::from_mode(mode)).unwrap()
    };
    set(0o644);
    // the walk skips an ignored, untracked .env; the permission check still sees it, and
    // nothing claims it is committed
    assert_eq!(
        hygiene(&p, &[]),
        vec![hit(".env", 1, "env-file-permissions")]
    );
    set(0o600);
    assert_eq!(hygiene(&p, &[]), vec![]);
}

#[test]
fn inline_allow_suppresses_hygiene_findings() {
    let p = Project::new();
    p.write(
        "app/hooks.py",
        "@csrf_exempt  # keyward:allow stripe webhook, signature verified\ndef hook(request): ...\n",
    );
    p.write(
        "requirements.txt",
        "flask==3.0.3\nlocal-plugin  # keyward:allow\n",
    );
    p.write(
        "Dockerfile",
        "# keyward:allow build image only\nFROM python:3.12\n",
    );
    assert_eq!(hygiene(&p, &[]), vec![]);
}

#[test]
fn multi_root_scans_prefix_tree_check_paths() {
    let p = Project::new();
    p.write("api/.env", "A=1\n");
    p.write("web/requirements.txt", "flask\n");
    let all = hygiene(&p, &["api", "web"]);
    assert!(
        all.contains(&hit("api/.env", 1, "env-file-committed")),
        "{all:?}"
    );
    assert!(
        all.contains(&hit("api/.env", 1, "gitignore-missing-env")),
        "{all:?}"
    );
    assert!(
        all.contains(&hit("web/requirements.txt", 1, "unpinned-requirement")),
        "{all:?}"
    );
}

#[test]
fn a_staged_env_file_is_reported_by_the_hook_path() {
    let p = Project::new();
    let repo = p.git_init();
    p.write("README.md", "hello\n");
    p.commit("init");
    p.write(".env.local", "API_TOKEN=abc\n");
    let mut index = repo.index().unwrap();
    index.add_path(std::path::Path::new(".env.local")).unwrap();
    index.write().unwrap();
    let out = p
        .keyward()
        .args(["staged", "--format", "json"])
        .assert()
        .code(1);
    let hits = found(&json(&out.get_output().stdout));
    assert!(
        hits.contains(&hit(".env.local", 1, "env-file-committed")),
        "{hits:?}"
    );
}

#[test]
fn history_reports_an_env_file_that_was_committed_then_deleted() {
    let p = Project::new();
    p.git_init();
    p.write(".env", "DATABASE_URL=postgres://localhost/app\n");
    p.commit("add env");
    std::fs::remove_file(p.join(".env")).unwrap();
    p.write(".gitignore", ".env\n");
    p.commit("remove env");
    let out = p
        .keyward()
        .args(["history", "--format", "json"])
        .assert()
        .code(1);
    let report = json(&out.get_output().stdout);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "env-file-committed")
        .expect("env-file-committed in history");
    assert_eq!(f["path"], ".env");
    assert_eq!(f["commit"]["summary"], "add env");
}

#[test]
fn rules_list_and_show_include_every_hygiene_check() {
    let p = Project::new();
    let out = p
        .keyward()
        .args(["rules", "list", "--json"])
        .assert()
        .success();
    let list = json(&out.get_output().stdout);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "hygiene")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "flask-debug",
        "flask-debug-env",
        "django-debug",
        "hardcoded-secret-key",
        "allowed-hosts-wildcard",
        "insecure-cookie",
        "csrf-disabled",
        "tls-verify-disabled",
        "secret-in-dockerfile",
        "env-file-committed",
        "gitignore-missing-env",
        "env-file-permissions",
        "private-key-file",
        "credentials-file",
        "unpinned-requirement",
        "dockerfile-root-user",
    ] {
        assert!(ids.contains(&id), "{id} not listed");
    }
    p.keyward()
        .args(["rules", "show", "gitignore-missing-env"])
        .assert()
        .success()
        .stdout(contains("source:      code"))
        .stdout(contains(".env"));
}
