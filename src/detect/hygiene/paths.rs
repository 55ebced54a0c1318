//! What a path is, for the hygiene checks: env files and their templates, requirement files,
//! Dockerfiles, test files and development-only modules. Pure string functions on the
//! `/`-separated relative path; nothing here touches the filesystem.

/// The last path component.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Suffixes that mark an env file as a template meant to be committed.
const TEMPLATE_SUFFIXES: &[&str] = &[
    "example", "sample", "template", "tmpl", "tpl", "dist", "defaults",
];

/// `.env`, `.env.local`, `.env.production`… but not a template (`.env.example`, `.env.sample`,
/// `.env.template`, `.env.dist`…). A directory called `.env` (a virtualenv) is not an env file:
/// only the last component counts.
pub fn is_env_file(path: &str) -> bool {
    let name = file_name(path);
    match name.strip_prefix(".env") {
        Some("") => true,
        Some(rest) => match rest.strip_prefix('.') {
            Some(suffix) if !suffix.is_empty() => !is_template_suffix(suffix),
            _ => false,
        },
        None => false,
    }
}

fn is_template_suffix(suffix: &str) -> bool {
    suffix
        .split('.')
        .any(|part| TEMPLATE_SUFFIXES.contains(&part.to_ascii_lowercase().as_str()))
}

/// `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`, `requirements/base.txt`,
/// `constraints.txt`. Not `requirements.in` (pip-tools input, unpinned by design).
pub fn is_requirements_file(path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    if !name.ends_with(".txt") {
        return false;
    }
    let in_requirements_dir = path
        .rsplit('/')
        .nth(1)
        .is_some_and(|dir| dir.eq_ignore_ascii_case("requirements"));
    name.contains("requirements") || name.contains("constraints") || in_requirements_dir
}

/// `Dockerfile`, `Dockerfile.prod`, `api.Dockerfile`, `Containerfile`.
pub fn is_dockerfile(path: &str) -> bool {
    let name = file_name(path);
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") {
        return false;
    }
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
}

pub fn is_python(path: &str) -> bool {
    path.ends_with(".py") || path.ends_with(".pyw") || path.ends_with(".ipynb")
}

/// Test code: a `tests/`, `test/`, `t/` or `testing/` directory, `test_*.py`, `*_test.py`,
/// `conftest.py`.
pub fn is_test_path(path: &str) -> bool {
    let mut parts = path.split('/').rev();
    let name = parts.next().unwrap_or(path);
    let in_test_dir = parts.any(|d| matches!(d, "tests" | "test" | "testing" | "t"));
    in_test_dir
        || name == "conftest.py"
        || name == "tests.py"
        || (name.starts_with("test_") && is_python(name))
        || name.ends_with("_test.py")
}

/// Directories whose files are not what an application deploys: documentation, tutorials and
/// examples, vendored third-party code and CI machinery.
const NOT_DEPLOYED_DIRS: &[&str] = &[
    "docs",
    "doc",
    "docs_src",
    "documentation",
    "examples",
    "example",
    "tutorial",
    "tutorials",
    "demo",
    "demos",
    "_vendor",
    "vendor",
    "vendored",
    "site-packages",
    "node_modules",
    "third_party",
    ".ci",
    ".circleci",
    ".github",
    ".gitlab",
    ".devcontainer",
];

/// Whether `path` is outside what a team deploys: test code (`is_test_path`), docs, tutorials
/// and examples, vendored code or CI files. Hygiene checks stay quiet there: `DEBUG = True`
/// in a tutorial or `verify=False` in a vendored copy of a library is not the reader's to fix.
pub fn is_not_deployed(path: &str) -> bool {
    is_test_path(path)
        || path
            .split('/')
            .rev()
            .skip(1)
            .any(|d| NOT_DEPLOYED_DIRS.contains(&d.to_ascii_lowercase().as_str()))
}

/// Words that name a development, test or CI variant of a config module, class or image.
const DEV_WORDS: &[&str] = &[
    "dev",
    "develop",
    "development",
    "local",
    "test",
    "tests",
    "testing",
    "ci",
    "debug",
];

/// Whether an identifier (`DevelopmentConfig`, `local_settings`, `Dockerfile.dev`) names a
/// development-only variant: one of its words (split at `_`, `-`, `.` and lower→upper case
/// changes) is a dev word.
pub fn names_dev_variant(ident: &str) -> bool {
    words(ident).any(|w| DEV_WORDS.contains(&w.as_str()))
}

fn words(ident: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in ident.chars() {
        if !c.is_ascii_alphanumeric() {
            out.push(std::mem::take(&mut cur));
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    out.push(cur);
    out.into_iter().filter(|w| !w.is_empty())
}

/// A Python module meant for development only: `settings/dev.py`, `settings_local.py`,
/// `local_settings.py`, `config/testing.py`.
pub fn is_dev_module(path: &str) -> bool {
    let name = file_name(path);
    match name.strip_suffix(".py") {
        Some(stem) => names_dev_variant(stem),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_and_templates() {
        for p in [
            ".env",
            "api/.env",
            ".env.local",
            ".env.production",
            ".env.prod.local",
        ] {
            assert!(is_env_file(p), "{p}");
        }
        for p in [
            ".env.example",
            ".env.sample",
            "svc/.env.template",
            ".env.dist",
            ".env.example.local",
            ".envrc",
            ".env/bin/activate",
            "env.py",
            ".env.",
        ] {
            assert!(!is_env_file(p), "{p}");
        }
    }

    #[test]
    fn requirement_files() {
        for p in [
            "requirements.txt",
            "requirements-dev.txt",
            "dev-requirements.txt",
            "requirements/base.txt",
            "constraints.txt",
        ] {
            assert!(is_requirements_file(p), "{p}");
        }
        for p in ["requirements.in", "notes.txt", "requirements.md"] {
            assert!(!is_requirements_file(p), "{p}");
        }
    }

    #[test]
    fn dockerfiles() {
        for p in [
            "Dockerfile",
            "docker/worker.Dockerfile",
            "Dockerfile.prod",
            "Containerfile",
        ] {
            assert!(is_dockerfile(p), "{p}");
        }
        for p in [
            "Dockerfile.dockerignore",
            "docker-compose.yml",
            "dockerfiles/README.md",
        ] {
            assert!(!is_dockerfile(p), "{p}");
        }
    }

    #[test]
    fn tests_and_dev_variants() {
        assert!(is_test_path("tests/conftest.py"));
        assert!(is_test_path("app/test_views.py"));
        assert!(is_test_path("conftest.py"));
        assert!(!is_test_path("app/contest.py"));
        assert!(!is_test_path("app/latest.py"));
        assert!(names_dev_variant("DevelopmentConfig"));
        assert!(names_dev_variant("TestingConfig"));
        assert!(names_dev_variant("local_settings"));
        assert!(!names_dev_variant("ProductionConfig"));
        assert!(!names_dev_variant("LatestConfig"));
        assert!(!names_dev_variant("Config"));
        assert!(is_dev_module("backoffice/settings/dev.py"));
        assert!(is_dev_module("settings_local.py"));
        assert!(!is_dev_module("backoffice/settings.py"));
        assert!(!is_dev_module("backoffice/settings/production.py"));
        assert!(is_test_path("t/unit/security/__init__.py"));
        assert!(!is_test_path("app/t.py"));
    }

    #[test]
    fn docs_examples_vendored_and_ci_are_not_deployed() {
        for p in [
            "docs/config.rst",
            "examples/tutorial/flaskr/__init__.py",
            "docs_src/security/tutorial004.py",
            "src/pip/_vendor/urllib3/connection.py",
            "venv/lib/python3.12/site-packages/requests/adapters.py",
            ".ci/Dockerfile.cypress",
            "docker/docs/Dockerfile",
            "tests/fixtures/.netrc",
        ] {
            assert!(is_not_deployed(p), "{p}");
        }
        for p in [
            "app/config.py",
            "Dockerfile",
            "deploy/id_rsa",
            "docs.py",
            "scripts/sync.py",
        ] {
            assert!(!is_not_deployed(p), "{p}");
        }
    }
}
