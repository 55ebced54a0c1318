//! The project configuration, `.keyward.yaml`: its schema (strict: an unknown key is an error
//! naming the file and the key), where it is found (the repository root of the scanned path,
//! or `--config FILE`, with the repository it opened for that kept for the staged scan), and
//! the checks of the rule ids it names. It does not filter findings (`scan::filter` does) and
//! does not build the rule set (`config` does, with this file's rules).

use crate::finding::Severity;
use crate::rules::schema::RuleSyntax;
use crate::rules::{self, Rule, RuleError};
use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The file name looked for at the repository root.
pub const FILE_NAME: &str = ".keyward.yaml";

/// `.keyward.yaml` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSyntax {
    /// Extra rules, in the `patterns/*.yaml` schema.
    #[serde(default)]
    pub rules: Vec<RuleSyntax>,
    /// Rule ids that never run (YAML rules and code checks).
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub allow: AllowSyntax,
    /// A finding whose secret contains one of these (case-insensitively) is dropped.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// The exit-code threshold when `--fail-on` is not given.
    #[serde(default)]
    pub fail_on: Option<Severity>,
    /// Env files whose values are looked for when `--known-secrets` is not given (relative to
    /// this file's directory); a listed file that does not exist is passed over with a note.
    #[serde(default)]
    pub known_secrets: Vec<PathBuf>,
}

/// `allow:` in `.keyward.yaml`: findings to drop.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSyntax {
    /// Globs over the path from the repository root (a glob without `/` also matches the file
    /// name anywhere).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes searched in the secret value.
    #[serde(default)]
    pub values: Vec<String>,
    /// Rule ids whose findings are dropped.
    #[serde(default)]
    pub rules: Vec<String>,
}

/// The loaded project configuration and where the scan sits in the repository.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// The file it came from; `None` when there was none.
    pub file: Option<PathBuf>,
    pub settings: ProjectSyntax,
    /// The scanned directory relative to the repository root, `/`-separated and ending in `/`
    /// (empty at the root): report paths are relative to the scanned directory, `allow.paths`
    /// globs to the root.
    pub prefix: String,
    /// The repository found for the root, for the staged scan to take.
    pub repository: FoundRepository,
}

/// The repository `locate_root` opened, and the directory it was discovered from, kept for
/// the staged scan (`take`) rather than opened again: opening one reads its configuration
/// files, a twentieth of the pre-commit hook's instructions. Given once; a clone of the
/// configuration shares it.
#[derive(Clone, Default)]
pub struct FoundRepository(Arc<Mutex<Option<(PathBuf, git2::Repository)>>>);

impl FoundRepository {
    fn new(dir: &Path, repo: git2::Repository) -> Self {
        FoundRepository(Arc::new(Mutex::new(Some((dir.to_path_buf(), repo)))))
    }

    /// The repository, if it was discovered from `dir` and not taken yet.
    pub fn take(&self, dir: &Path) -> Option<git2::Repository> {
        let (from, repo) = self.0.lock().ok()?.take()?;
        (from == dir).then_some(repo)
    }
}

impl std::fmt::Debug for FoundRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FoundRepository").finish_non_exhaustive()
    }
}

impl Project {
    /// The file name as errors show it.
    pub fn name(&self) -> String {
        self.file
            .as_ref()
            .map_or_else(|| FILE_NAME.to_string(), |f| f.display().to_string())
    }

    /// The `known_secrets` files that exist, as paths from the current directory, and a note
    /// for those that do not (or are directories or other non-files).
    pub fn known_secret_files(&self) -> (Vec<PathBuf>, Option<String>) {
        let base = self
            .file
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        let (found, missing): (Vec<PathBuf>, Vec<PathBuf>) = self
            .settings
            .known_secrets
            .iter()
            .map(|path| base.join(path))
            .partition(|path| path.is_file());
        let note = (!missing.is_empty()).then(|| {
            let names: Vec<String> = missing
                .iter()
                .map(|path| match path.is_dir() {
                    true => format!("{} (a directory, not a file)", path.display()),
                    false if path.exists() => format!("{} (not a regular file)", path.display()),
                    false => format!("{} (no such file)", path.display()),
                })
                .collect();
            format!(
                "{}: known_secrets: not looking for the values of {}",
                self.name(),
                names.join(", ")
            )
        });
        (found, note)
    }

    /// Compiles the extra rules with full validation (the regex must compile now).
    pub fn compile_rules(&self) -> Result<Vec<Rule>, RuleError> {
        let name = self.name();
        self.settings
            .rules
            .iter()
            .map(|raw| rules::compile(name.clone(), raw.clone(), true))
            .collect()
    }

    /// Every id under `disable` and `allow.rules` must name a rule or a code check, so that a
    /// misspelled id is an error rather than a silent no-op.
    pub fn check_rule_ids(&self, known: &dyn Fn(&str) -> bool) -> Result<(), RuleError> {
        let s = &self.settings;
        let named = s.disable.iter().map(|id| ("disable", id));
        let allowed = s.allow.rules.iter().map(|id| ("allow.rules", id));
        for (key, id) in named.chain(allowed) {
            if !known(id) {
                return Err(RuleError {
                    file: self.name(),
                    message: format!(
                        "{key}: no rule with id `{id}`; `keyward rules list` shows them all"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Loads `explicit` (`--config FILE`, which must exist) or else `.keyward.yaml` at the
/// repository root of `scanned` (absent: an empty configuration).
pub fn load(explicit: Option<&Path>, scanned: &Path) -> Result<Project> {
    let (root, prefix, repository) = locate_root(scanned);
    let file = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => Some(root.join(FILE_NAME)).filter(|p| p.is_file()),
    };
    let settings = match &file {
        Some(path) => parse_file(path)?,
        None => ProjectSyntax::default(),
    };
    Ok(Project {
        file,
        settings,
        prefix,
        repository,
    })
}

fn parse_file(path: &Path) -> Result<ProjectSyntax> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "failed to read the project configuration {}",
            path.display()
        )
    })?;
    parse(&path.display().to_string(), &text).map_err(anyhow::Error::from)
}

/// Parses `.keyward.yaml` text; errors name the file (and the key, for an unknown one).
pub fn parse(name: &str, text: &str) -> Result<ProjectSyntax, RuleError> {
    // Editors on Windows may start the file with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // An empty file (or one with comments only) is a YAML null: the empty configuration.
    let parsed: Option<ProjectSyntax> = rules::yaml::from_str(text).map_err(|e| RuleError {
        file: name.to_string(),
        message: e,
    })?;
    let settings = parsed.unwrap_or_default();
    if let Some(word) = settings.stopwords.iter().find(|w| w.trim().is_empty()) {
        return Err(RuleError {
            file: name.to_string(),
            message: format!("stopwords: an empty stopword ({word:?}) would drop every finding"),
        });
    }
    Ok(settings)
}

/// The repository root for `scanned` (its enclosing git work tree, else the scanned directory
/// itself), the scanned directory's path below that root, and the repository opened to find
/// it.
pub fn locate_root(scanned: &Path) -> (PathBuf, String, FoundRepository) {
    let dir = if scanned.as_os_str() == "-" {
        PathBuf::from(".")
    } else if scanned.is_dir() {
        scanned.to_path_buf()
    } else {
        match scanned.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let Ok(repo) = git2::Repository::discover(&dir) else {
        return (dir, String::new(), FoundRepository::default());
    };
    let Some(root) = repo.workdir().map(Path::to_path_buf) else {
        return (dir, String::new(), FoundRepository::default());
    };
    let prefix = relative_prefix(&root, &dir).unwrap_or_default();
    (root, prefix, FoundRepository::new(&dir, repo))
}

fn relative_prefix(root: &Path, dir: &Path) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let dir = dir.canonicalize().ok()?;
    let rel = dir.strip_prefix(&root).ok()?;
    let mut text = rel.to_string_lossy().replace('\\', "/");
    if !text.is_empty() {
        text.push('/');
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn empty_and_comment_only_files_are_the_empty_configuration() {
        assert!(parse("x", "").unwrap().rules.is_empty());
        assert!(parse("x", "# nothing yet\n").unwrap().disable.is_empty());
    }

    #[test]
    fn unknown_keys_name_the_file_and_the_key() {
        let err = parse(".keyward.yaml", "fail_on: high\nallowlist: {}\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with(".keyward.yaml: "), "{text}");
        assert!(text.contains("allowlist"), "{text}");
        let err = parse("p.yaml", "allow:\n  pathz: [a]\n").unwrap_err();
        assert!(err.to_string().contains("pathz"), "{err}");
    }

    #[test]
    fn the_repository_found_for_the_root_is_given_once_and_only_for_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        let (root, prefix, found) = super::locate_root(dir.path());
        assert_eq!(prefix, "");
        assert_eq!(
            root.canonicalize().unwrap(),
            dir.path().canonicalize().unwrap()
        );
        let shared = found.clone();
        let repo = found.take(dir.path()).expect("kept");
        assert_eq!(
            repo.workdir().unwrap().canonicalize().unwrap(),
            dir.path().canonicalize().unwrap()
        );
        assert!(found.take(dir.path()).is_none(), "given once");
        assert!(shared.take(dir.path()).is_none(), "given once, clones too");
        let (_, _, found) = super::locate_root(dir.path());
        assert!(found.take(&dir.path().join("sub")).is_none());
    }

    #[test]
    fn keys_parse() {
        let s = parse(
            "x",
            "disable: [a]\nallow: {paths: ['t/**'], values: ['^x'], rules: [b]}\nstopwords: [demo]\nfail_on: high\n",
        )
        .unwrap();
        assert_eq!(s.disable, ["a"]);
        assert_eq!(s.allow.paths, ["t/**"]);
        assert_eq!(s.fail_on, Some(crate::finding::Severity::High));
    }
}
