//! Checks on a working tree as a whole, run once per scan root (never in history or staged
//! mode): `env-file-permissions` (mode bits) and `gitignore-missing-env` (the env files present
//! against the repository's `.gitignore` files). The source gathers the facts (`TreeFacts`);
//! this module only matches them.

use super::paths::is_not_deployed;
use crate::detect::catalog::check;
use crate::finding::Finding;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::Path;

/// One env file found under the scan root (template names excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFile {
    /// Relative to the scan root, `/`-separated.
    pub rel: String,
    /// Unix permission bits; `None` where there are none.
    pub mode: Option<u32>,
    /// Line 1 carries an allow marker (`# keyward:allow`): every file-level finding about
    /// this file is suppressed, as `env-file-committed` is by the same marker.
    pub allowed: bool,
}

/// One `.gitignore` file: the directory it sits in (relative, `""` for the root) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitignoreFile {
    pub dir: String,
    pub text: String,
}

/// What the tree source learned about one scan root for these checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeFacts {
    pub env_files: Vec<EnvFile>,
    /// The `.gitignore` files of the root and of the directories holding env files.
    pub gitignores: Vec<GitignoreFile>,
}

/// Group and other permission bits: any of them exposes the file to other local users.
const OPEN_BITS: u32 = 0o077;

pub fn check_tree(facts: &TreeFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    let root_gitignore = facts.gitignores.iter().any(|g| g.dir.is_empty());
    let matchers = build_matchers(&facts.gitignores);
    // A fixture `.env` under `tests/` is test data, not a deployed configuration.
    for env in facts
        .env_files
        .iter()
        .filter(|e| !e.allowed && !is_not_deployed(&e.rel))
    {
        if env.mode.is_some_and(|m| m & OPEN_BITS != 0) {
            let mode = format!("{:o}", env.mode.unwrap_or(0) & 0o777);
            out.push(check("env-file-permissions").finding(&env.rel, 1, 1, mode.as_bytes()));
        }
        if !is_ignored(&matchers, &env.rel) {
            out.push(missing_entry(&env.rel, root_gitignore));
        }
    }
    out
}

/// Reported on `.gitignore` (line 1) when the root has one, else on the env file itself.
fn missing_entry(env_rel: &str, root_gitignore: bool) -> Finding {
    let at = if root_gitignore {
        ".gitignore"
    } else {
        env_rel
    };
    check("gitignore-missing-env").finding(at, 1, 1, env_rel.as_bytes())
}

fn build_matchers(files: &[GitignoreFile]) -> Vec<(String, Gitignore)> {
    let mut matchers: Vec<(String, Gitignore)> = files
        .iter()
        .map(|g| {
            let mut builder = GitignoreBuilder::new("");
            for line in g.text.lines() {
                // A line git cannot parse is ignored by git too.
                let _ = builder.add_line(None, line);
            }
            let matcher = builder.build().unwrap_or_else(|_| Gitignore::empty());
            (g.dir.clone(), matcher)
        })
        .collect();
    // Deepest first: git lets the closest .gitignore decide.
    matchers.sort_by_key(|(dir, _)| {
        std::cmp::Reverse(dir.matches('/').count() + !dir.is_empty() as usize)
    });
    matchers
}

fn is_ignored(matchers: &[(String, Gitignore)], rel: &str) -> bool {
    for (dir, matcher) in matchers {
        let under = if dir.is_empty() {
            Some(rel)
        } else {
            rel.strip_prefix(dir.as_str())
                .and_then(|r| r.strip_prefix('/'))
        };
        let Some(under) = under else { continue };
        let m = matcher.matched_path_or_any_parents(Path::new(under), false);
        if m.is_ignore() {
            return true;
        }
        if m.is_whitelist() {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(rel: &str, mode: u32) -> EnvFile {
        EnvFile {
            rel: rel.into(),
            mode: Some(mode),
            allowed: false,
        }
    }

    fn gitignore(dir: &str, text: &str) -> GitignoreFile {
        GitignoreFile {
            dir: dir.into(),
            text: text.into(),
        }
    }

    fn rules(facts: &TreeFacts) -> Vec<(String, String)> {
        check_tree(facts)
            .into_iter()
            .map(|f| (f.rule, f.path))
            .collect()
    }

    #[test]
    fn an_unignored_env_file_is_reported_on_gitignore() {
        let facts = TreeFacts {
            env_files: vec![env(".env", 0o600), env(".env.production", 0o600)],
            gitignores: vec![gitignore("", "__pycache__/\n*.log\n")],
        };
        let found = rules(&facts);
        assert_eq!(found.len(), 2);
        assert!(found
            .iter()
            .all(|(r, p)| r == "gitignore-missing-env" && p == ".gitignore"));
    }

    #[test]
    fn without_gitignore_the_env_file_carries_the_finding() {
        let facts = TreeFacts {
            env_files: vec![env("api/.env", 0o600)],
            gitignores: vec![],
        };
        assert_eq!(
            rules(&facts),
            vec![("gitignore-missing-env".into(), "api/.env".into())]
        );
    }

    #[test]
    fn ignored_env_files_are_quiet() {
        for text in [
            ".env\n",
            ".env*\n",
            "*.env*\n!.env.example\n",
            "/.env\n",
            "**/.env\n",
        ] {
            let facts = TreeFacts {
                env_files: vec![env(".env", 0o600)],
                gitignores: vec![gitignore("", text)],
            };
            assert!(rules(&facts).is_empty(), "{text:?}");
        }
        let nested = TreeFacts {
            env_files: vec![env("api/.env.local", 0o600)],
            gitignores: vec![gitignore("", "*.log\n"), gitignore("api", ".env.local\n")],
        };
        assert!(rules(&nested).is_empty());
        let whitelisted = TreeFacts {
            env_files: vec![env("api/.env", 0o600)],
            gitignores: vec![gitignore("", ".env\n"), gitignore("api", "!.env\n")],
        };
        assert_eq!(rules(&whitelisted).len(), 1);
    }

    #[test]
    fn group_or_other_bits_are_reported() {
        let facts = TreeFacts {
            env_files: vec![
                env(".env", 0o644),
                env(".env.local", 0o600),
                env(".env.ci", 0o640),
            ],
            gitignores: vec![gitignore("", ".env*\n")],
        };
        let found = check_tree(&facts);
        let paths: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, vec![".env", ".env.ci"]);
        assert!(found
            .iter()
            .all(|f| f.rule == "env-file-permissions" && f.line == 1));
        assert_eq!(found[0].secret.expose(), b"644");
        let no_modes = TreeFacts {
            env_files: vec![EnvFile {
                rel: ".env".into(),
                mode: None,
                allowed: false,
            }],
            gitignores: vec![gitignore("", ".env\n")],
        };
        assert!(check_tree(&no_modes).is_empty());
    }

    #[test]
    fn fixture_env_files_in_tests_are_quiet() {
        let facts = TreeFacts {
            env_files: vec![env("tests/test_apps/.env", 0o644), env("api/.env", 0o644)],
            gitignores: vec![gitignore("", "*.pyc\n")],
        };
        let found: Vec<(String, String)> = check_tree(&facts)
            .into_iter()
            .map(|f| (f.rule, f.secret.expose().to_vec()))
            .map(|(r, v)| (r, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("env-file-permissions".to_string(), "644".to_string()),
                ("gitignore-missing-env".to_string(), "api/.env".to_string()),
            ]
        );
    }
}
