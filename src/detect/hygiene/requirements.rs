//! `unpinned-requirement`: lines of pip requirement and constraints files that do not fix one
//! version. Pinned means an exact `==X` (no `*`) or `===X`, or a `--hash` (pip then demands
//! exact pins); a VCS requirement (`git+…`, editable or not) must name a full commit hash.
//! Options (`-r`, `-c`, `--index-url`…), local paths and archive URLs are not package pins and
//! are skipped. Backslash continuations are joined; the finding is on the logical line's first
//! line, at its first character.
//!
//! Only what gets deployed is checked. Quiet: a library's or tool's development, test, docs,
//! lint, CI and packaging requirement files (`requirements-dev.txt`, `requirements/docs.txt`,
//! `doc/build/requirements.txt`); a caps-only line in a constraints file (`setuptools<82`
//! keeps a bad release out, it chooses nothing); and a dependency declaration — a file with no
//! exact pin at all whose lines mostly give lower-bounded ranges (`kombu>=5.6,<6`), which is a
//! library's `install_requires` written out, not a deployment set; and a file of editable
//! installs only (pip's development mode).

use super::paths::{file_name, is_requirements_file};
use crate::detect::allow::is_allowed;
use crate::detect::catalog::check;
use crate::finding::Finding;

/// One logical line: its 1-based first line, its byte offset in the file, and its text with
/// continuations joined and the comment removed.
struct Logical {
    line: u32,
    offset: usize,
    text: String,
}

pub fn check_requirements(path: &str, data: &[u8]) -> Vec<Finding> {
    if !is_requirements_file(path) || is_tooling_file(path) {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(data);
    let lines = logical_lines(&text);
    if is_declaration(&lines) || is_editable_setup(&lines) {
        return Vec::new();
    }
    let constraints = file_name(path).to_ascii_lowercase().contains("constraints");
    lines
        .into_iter()
        .filter(|l| !(constraints && is_cap_only(&l.text)))
        .filter(|l| is_unpinned(&l.text) && !is_allowed(data, l.offset))
        .map(|l| {
            let raw_start = text[l.offset..].len() - text[l.offset..].trim_start().len();
            let column = text[l.offset..l.offset + raw_start].chars().count() as u32 + 1;
            check("unpinned-requirement").finding(path, l.line, column, l.text.as_bytes())
        })
        .collect()
}

/// Words of a requirement file's name or folders that mark it as development tooling.
const TOOLING_WORDS: &[&str] = &[
    "dev",
    "develop",
    "development",
    "test",
    "tests",
    "testing",
    "ci",
    "doc",
    "docs",
    "lint",
    "linting",
    "check",
    "checks",
    "typing",
    "mypy",
    "pkgutils",
    "packaging",
    "build",
    "tox",
    "bench",
    "benchmark",
    "benchmarks",
    "style",
    "format",
    "coverage",
    "release",
    "tools",
    "examples",
    "example",
];

fn is_tooling_file(path: &str) -> bool {
    path.split('/').any(|part| {
        let stem = part.strip_suffix(".txt").unwrap_or(part);
        stem.split(['-', '_', '.'])
            .any(|w| TOOLING_WORDS.contains(&w.to_ascii_lowercase().as_str()))
    })
}

/// No exact pin anywhere and at least three quarters of the package lines give a range with
/// a lower bound: the file declares what a library accepts rather than what is deployed.
fn is_declaration(lines: &[Logical]) -> bool {
    let packages: Vec<&str> = lines
        .iter()
        .map(|l| l.text.as_str())
        .filter(|t| !t.starts_with('-') && !is_local(t))
        .collect();
    let ranged = packages
        .iter()
        .filter(|t| {
            let spec = t.split(';').next().unwrap_or(t);
            spec.contains(">=") || spec.contains("~=") || spec.contains('>')
        })
        .count();
    !packages.is_empty()
        && packages
            .iter()
            .all(|t| !has_exact_pin(t.split(';').next().unwrap_or(t)))
        && ranged * 4 >= packages.len() * 3
}

/// Only editable installs (`-e git+…@develop`, `-e ../lib`): pip's "development mode" for
/// working on sibling projects side by side, not a set of packages to deploy.
fn is_editable_setup(lines: &[Logical]) -> bool {
    !lines.is_empty() && lines.iter().all(|l| editable_target(&l.text).is_some())
}

/// `setuptools<82.0.0`, `urllib3!=2.0.0`: only upper bounds or exclusions.
fn is_cap_only(req: &str) -> bool {
    let spec = req.split(';').next().unwrap_or(req);
    let ops: Vec<&str> = spec
        .split(',')
        .filter_map(|c| c.find(['<', '>', '=', '!', '~']).map(|i| &c[i..]))
        .collect();
    !ops.is_empty()
        && ops
            .iter()
            .all(|op| op.starts_with('<') || op.starts_with("!="))
}

fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    let mut offset = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let line_offset = offset;
        offset += raw.len() + 1;
        let body = strip_comment(raw.trim_end_matches('\r'));
        let (body, continued) = match body.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (body, false),
        };
        let logical = current.get_or_insert_with(|| Logical {
            line: i as u32 + 1,
            offset: line_offset,
            text: String::new(),
        });
        logical.text.push_str(body.trim());
        logical.text.push(' ');
        if !continued {
            let mut done = current.take().unwrap();
            done.text = done.text.trim().to_string();
            if !done.text.is_empty() {
                out.push(done);
            }
        }
    }
    out
}

/// pip: a comment starts at `#` at the start of a line or after whitespace.
fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

fn is_unpinned(req: &str) -> bool {
    if req.contains("--hash") {
        return false;
    }
    if let Some(target) = editable_target(req) {
        return is_vcs(target) && !has_commit(target);
    }
    if req.starts_with('-') || is_local(req) {
        return false;
    }
    let spec = req.split(';').next().unwrap_or(req).trim();
    if let Some((_, url)) = spec.split_once(" @ ").or_else(|| spec.split_once('@')) {
        let url = url.trim();
        if url.contains("://") {
            return is_vcs(url) && !has_commit(url);
        }
    }
    if is_vcs(spec) {
        return !has_commit(spec);
    }
    !has_exact_pin(spec)
}

fn editable_target(req: &str) -> Option<&str> {
    let rest = req
        .strip_prefix("--editable")
        .or_else(|| req.strip_prefix("-e"))?;
    Some(rest.trim_start_matches(['=', ' ', '\t']).trim())
}

fn is_vcs(url: &str) -> bool {
    ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|p| url.starts_with(p))
}

/// A full commit hash after the last `@` of the URL (before any `#egg=` fragment).
fn has_commit(url: &str) -> bool {
    let url = url.split('#').next().unwrap_or(url);
    let path = url.split_once("://").map_or(url, |(_, p)| p);
    match path.rsplit_once('@') {
        Some((_, rev)) => {
            (rev.len() == 40 || rev.len() == 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

fn is_local(req: &str) -> bool {
    req.starts_with('.')
        || req.starts_with('/')
        || req.starts_with("file:")
        || [".whl", ".tar.gz", ".zip", ".tar.bz2"]
            .iter()
            .any(|ext| req.ends_with(ext))
}

/// `name[extras]==1.2.3` or `===`; a wildcard `==1.*` is not exact.
fn has_exact_pin(spec: &str) -> bool {
    spec.split(',').any(|clause| {
        let clause = clause.trim();
        let version = match clause.find("===") {
            Some(i) => Some(&clause[i + 3..]),
            None => clause.find("==").map(|i| &clause[i + 2..]),
        };
        version.is_some_and(|v| {
            let v = v.trim().trim_end_matches(')');
            !v.is_empty() && !v.contains('*')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<u32> {
        check_requirements("requirements.txt", text.as_bytes())
            .iter()
            .map(|f| f.line)
            .collect()
    }

    #[test]
    fn unpinned_lines_are_reported() {
        let text = "# deps\n--extra-index-url https://pypi.example/simple\nflask>=2.0\nFlask-WTF==1.2.1\nSQLAlchemy>=1.4,<2.0\nrequests\nanthropic~=0.18\ndjango==4.*\ncelery[redis]\n";
        assert_eq!(lines(text), vec![3, 5, 6, 7, 8, 9]);
        let f = &check_requirements("requirements.txt", b"  requests  # http\n")[0];
        assert_eq!((f.line, f.column), (1, 3));
        assert_eq!(f.secret.expose(), b"requests");
    }

    #[test]
    fn pins_hashes_options_and_paths_are_quiet() {
        let text = "-r base.txt\n-c constraints.txt\nstripe==7.9.0\ncelery[redis]==5.3.6 ; python_version >= \"3.8\"\nblack==23.12.1 \\\n    --hash=sha256:a876\nruff===0.1.11\n-e .\n./libs/shared\nhttps://example.com/pkg-1.0.tar.gz\nrequests  # keyward:allow\n";
        assert_eq!(lines(text), Vec::<u32>::new());
    }

    #[test]
    fn vcs_requirements_need_a_full_commit() {
        let sha = "4f2c8a9d0b1e3f5a7c6d8e9f0a1b2c3d4e5f6a7b";
        let pinned = format!("-e git+https://github.com/org/lib.git@{sha}#egg=lib\nlib2 @ git+ssh://git@github.com/org/lib2.git@{sha}\n");
        assert_eq!(lines(&pinned), Vec::<u32>::new());
        let text = "-e git+https://github.com/org/lib.git@main#egg=lib\nlib2 @ git+ssh://git@github.com/org/lib2.git\ngit+https://github.com/org/lib3@v1.2\n";
        assert_eq!(lines(text), vec![1, 2, 3]);
    }

    #[test]
    fn only_requirement_files_are_checked() {
        assert!(check_requirements("docs/notes.txt", b"flask\n").is_empty());
        assert_eq!(
            check_requirements("requirements/prod.txt", b"gunicorn\n").len(),
            1
        );
    }

    #[test]
    fn tooling_requirement_files_are_quiet() {
        for path in [
            "requirements-dev.txt",
            "requirements/dev.txt",
            "requirements/test-ci-default.txt",
            "requirements-docs.txt",
            "doc/build/requirements.txt",
            "requirements/pkgutils.txt",
            "requirements-check.txt",
            "dev-requirements.txt",
        ] {
            assert!(check_requirements(path, b"pytest\n").is_empty(), "{path}");
        }
        assert_eq!(
            check_requirements("requirements/base.txt", b"django\n").len(),
            1
        );
    }

    #[test]
    fn a_file_of_editable_installs_only_is_a_development_setup() {
        let dev = "# work on botocore side by side\n-e git+https://github.com/org/core.git@develop#egg=core\n-e git+https://github.com/org/xfer.git@develop#egg=xfer\n";
        assert!(lines(dev).is_empty());
        let mixed = "-e git+https://github.com/org/core.git@develop#egg=core\nflask==3.0.0\n";
        assert_eq!(lines(mixed), vec![1]);
    }

    #[test]
    fn caps_in_constraints_files_choose_nothing() {
        let text = "setuptools<82.0.0\nurllib3!=2.0.0\nflask>=2\n";
        let found: Vec<u32> = check_requirements("constraints.txt", text.as_bytes())
            .iter()
            .map(|f| f.line)
            .collect();
        assert_eq!(found, vec![3]);
        assert_eq!(
            check_requirements("requirements.txt", text.as_bytes()).len(),
            3
        );
    }

    #[test]
    fn a_pure_range_declaration_is_a_library_not_a_deployment() {
        let library =
            "billiard>=4.2.1,<5.0\nkombu>=5.6.0\nvine>=5.1.0,<6.0\nclick>=8.1.2,<9.0\ntzlocal\n";
        assert!(check_requirements("requirements/default.txt", library.as_bytes()).is_empty());
        // One exact pin makes it a deployment set: the ranges beside it are reported.
        let app = "flask>=2.0\nstripe==7.9.0\nrequests\n";
        assert_eq!(lines(app), vec![1, 3]);
        // Bare names are not a declaration of ranges.
        assert_eq!(lines("flask\ngunicorn\n"), vec![1, 2]);
    }
}
