//! The checks written in code (file paths, structure, permissions) rather than as YAML rules:
//! their ids live in the same namespace as rule ids and `keyward rules list` shows them. The
//! checks themselves live in `detect::hygiene`; this module owns their metadata and the one way
//! to turn a check into a `Finding`, so fingerprints are built as for YAML rules.

use crate::finding::{Finding, Kind, Maker, Severity};

#[derive(Debug)]
pub struct CodeCheck {
    pub id: &'static str,
    pub title: &'static str,
    pub kind: Kind,
    pub severity: Severity,
    pub remediation: &'static str,
}

impl CodeCheck {
    /// A finding of this check at `path`, 1-based `line` and `column`, with `value` as the
    /// matched evidence (the requirement line, the USER instruction, the path of the file).
    pub fn finding(&self, path: &str, line: u32, column: u32, value: &[u8]) -> Finding {
        let maker = Maker {
            id: self.id,
            title: self.title,
            kind: self.kind,
            severity: self.severity,
            remediation: self.remediation,
        };
        Finding::new(&maker, path, line, column, value)
    }

    /// A file-level finding: line 1, column 1, the path as its evidence.
    pub fn file_finding(&self, path: &str) -> Finding {
        self.finding(path, 1, 1, path.as_bytes())
    }
}

/// The code check with `id`; panics on an unknown id, which is a bug caught by the tests.
pub fn check(id: &str) -> &'static CodeCheck {
    CODE_CHECKS
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no code check `{id}` in CODE_CHECKS"))
}

/// The id of the `--known-secrets` check (`detect::knownsecrets`).
pub const KNOWN_SECRET: &str = "known-secret";

/// Every code check, in id order.
pub static CODE_CHECKS: &[CodeCheck] = &[
    CodeCheck {
        id: "credentials-file",
        title: "Credentials file committed (.netrc, .pgpass, .git-credentials, .aws/credentials, .pypirc)",
        kind: Kind::Hygiene,
        severity: Severity::High,
        remediation: "Remove the file from the repository and from history (git filter-repo --invert-paths --path FILE), change every password or token in it, and add its name to .gitignore. These files belong in your home directory with mode 600.",
    },
    CodeCheck {
        id: "dockerfile-root-user",
        title: "Container runs as root (no USER, or the last USER is root)",
        kind: Kind::Hygiene,
        severity: Severity::Medium,
        remediation: "Create an unprivileged user in the final stage and switch to it before CMD: RUN useradd --create-home --uid 10001 app, then USER app (files the app writes must be owned by it: COPY --chown=app:app).",
    },
    CodeCheck {
        id: "env-file-committed",
        title: "Environment file committed",
        kind: Kind::Hygiene,
        severity: Severity::High,
        remediation: "Remove it from git (git rm --cached .env), add `.env` and `.env.*` (with `!.env.example`) to .gitignore, rotate every value it held (history keeps it: git filter-repo --invert-paths --path .env), and commit a .env.example with empty values instead.",
    },
    CodeCheck {
        id: "env-file-permissions",
        title: "Environment file readable by group or others",
        kind: Kind::Hygiene,
        severity: Severity::Medium,
        remediation: "Restrict it to its owner: chmod 600 .env (keyward-run warns about, and under --profile production refuses, env files with group or other permission bits).",
    },
    CodeCheck {
        id: "gitignore-missing-env",
        title: ".gitignore does not ignore an environment file",
        kind: Kind::Hygiene,
        severity: Severity::Medium,
        remediation: "Add the lines `.env`, `.env.*` and `!.env.example` to .gitignore so the next `git add .` cannot pick the file up (if it is already tracked, see env-file-committed).",
    },
    CodeCheck {
        id: "known-secret",
        title: "A secret the program runs with is in the repository",
        kind: Kind::Secret,
        severity: Severity::Critical,
        remediation: "Rotate it now: this exact value (given with --known-secrets) is committed, so anyone with the repository or a clone of it has it. Then remove it from the file (and from history with git filter-repo if the repository is shared), and load it at run time instead: keyward-run with a vault:// or file:// reference.",
    },
    CodeCheck {
        id: "private-key-file",
        title: "Private key file committed",
        kind: Kind::Hygiene,
        severity: Severity::High,
        remediation: "Remove the key from the repository and from history (git filter-repo --invert-paths --path FILE), revoke it (remove it from authorized_keys, deploy keys, the CA), generate a new one outside the repository, and provide it at run time (a secret manager, /run/secrets, an SSH agent).",
    },
    CodeCheck {
        id: "unpinned-requirement",
        title: "Requirement without an exact version pin",
        kind: Kind::Hygiene,
        severity: Severity::Low,
        remediation: "Pin exact versions so every install gets the code you tested: flask==3.0.3 (generate them with pip-compile --generate-hashes or pip freeze); pin VCS requirements to a full commit hash: git+https://github.com/org/pkg@<40-hex sha>.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_in_id_order_with_unique_ids() {
        let ids: Vec<&str> = CODE_CHECKS.iter().map(|c| c.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn file_findings_are_at_line_one_with_a_path_keyed_fingerprint() {
        let a = check("env-file-committed").file_finding(".env");
        let b = check("env-file-committed").file_finding("api/.env");
        assert_eq!((a.line, a.column, a.kind), (1, 1, Kind::Hygiene));
        assert_ne!(a.fingerprint, b.fingerprint);
    }
}
