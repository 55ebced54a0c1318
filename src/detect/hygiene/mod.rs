//! Configuration hygiene checks written in code (the regex-shaped ones are YAML rules in
//! `patterns/hygiene/`). Per-file checks take a path and bytes and run wherever a blob is
//! scanned (tree, staged, history); tree checks take `TreeFacts` gathered by the tree source and
//! run once per scan root. Everything here is pure: no file reads, no printing.
//!
//! `Scope::CommittedFiles` is what history mode asks for by default: only the checks whose
//! finding is "this file was committed" (env files, key files, credentials files), not the
//! configuration checks, which matter for today's tree.

pub(crate) mod context;
pub(crate) mod dockerfile;
pub(crate) mod envfile;
pub(crate) mod keyfiles;
pub(crate) mod paths;
pub(crate) mod requirements;
pub(crate) mod tree;

pub use paths::is_env_file;
pub use tree::{check_tree, EnvFile, GitignoreFile, TreeFacts};

use crate::detect::allow::is_allowed;
use crate::finding::{Finding, Kind};

/// Which hygiene checks a mode runs on each blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every check: the working tree and the staged change.
    #[default]
    All,
    /// Only the checks on committed files (`env-file-committed`, `private-key-file`,
    /// `credentials-file`); the default in history mode.
    CommittedFiles,
}

/// The per-file code checks on one text blob.
pub fn check_file(path: &str, data: &[u8], scope: Scope) -> Vec<Finding> {
    let mut out: Vec<Finding> = [
        envfile::check_env_file(path, data),
        keyfiles::check_key_file(path, data),
        keyfiles::check_credentials_file(path, data),
    ]
    .into_iter()
    .flatten()
    .collect();
    // A file-level finding is at line 1, so a marker there suppresses it.
    out.retain(|_| !is_allowed(data, 0));
    if scope == Scope::All {
        out.extend(requirements::check_requirements(path, data));
        out.extend(dockerfile::check_dockerfile(path, data));
    }
    out
}

/// The checks that need only the path, for blobs not scanned for content (binary files).
pub fn check_binary(path: &str) -> Vec<Finding> {
    keyfiles::check_key_name(path).into_iter().collect()
}

/// Post-processes the rule engine's findings for one blob: in `CommittedFiles` scope the YAML
/// hygiene findings go; otherwise the ones their context makes moot (see `context`).
pub fn refine(path: &str, data: &[u8], findings: &mut Vec<Finding>, scope: Scope) {
    match scope {
        Scope::CommittedFiles => findings.retain(|f| f.kind != Kind::Hygiene),
        Scope::All => context::refine(path, data, findings),
    }
}

/// Moves a finding to `path` (a multi-root scan prefixes its root), keeping its fingerprint
/// consistent with the new path.
pub fn relocate(finding: &mut Finding, path: String) {
    finding.fingerprint = crate::finding::finding_fingerprint(
        &finding.rule,
        finding.kind,
        &path,
        finding.secret.expose(),
    );
    finding.path = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(path: &str, data: &str, scope: Scope) -> Vec<String> {
        check_file(path, data.as_bytes(), scope)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn history_scope_keeps_only_committed_file_checks() {
        assert_eq!(
            rules(".env", "A=1\n", Scope::CommittedFiles),
            vec!["env-file-committed"]
        );
        assert!(rules("requirements.txt", "flask\n", Scope::CommittedFiles).is_empty());
        assert!(rules("Dockerfile", "FROM python\n", Scope::CommittedFiles).is_empty());
        assert_eq!(
            rules("requirements.txt", "flask\n", Scope::All),
            vec!["unpinned-requirement"]
        );
        assert_eq!(
            rules("Dockerfile", "FROM python\n", Scope::All),
            vec!["dockerfile-root-user"]
        );
    }

    #[test]
    fn history_scope_drops_yaml_hygiene_but_keeps_secrets() {
        let mut secret = crate::detect::catalog::check("env-file-committed").file_finding(".env");
        secret.kind = Kind::Secret;
        let hygiene = crate::detect::catalog::check("unpinned-requirement").file_finding("r.txt");
        let mut all = vec![secret, hygiene];
        refine(
            "settings.py",
            b"DEBUG = True\n",
            &mut all,
            Scope::CommittedFiles,
        );
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].kind, Kind::Secret);
    }

    #[test]
    fn a_marker_on_line_one_suppresses_file_findings() {
        assert!(rules(".env", "# keyward:allow\nA=1\n", Scope::All).is_empty());
        assert!(check_binary("certs/client.pfx").len() == 1);
        assert!(check_binary("img/logo.png").is_empty());
    }

    #[test]
    fn relocating_rekeys_the_fingerprint() {
        let perms = crate::detect::catalog::check("env-file-permissions");
        let mut f = perms.finding(".env", 1, 1, b"644");
        let before = f.fingerprint.clone();
        relocate(&mut f, "api/.env".into());
        assert_ne!(before, f.fingerprint);
        assert_eq!(f.path, "api/.env");
        assert_eq!(
            perms.finding("api/.env", 1, 1, b"644").fingerprint,
            f.fingerprint
        );
    }
}
