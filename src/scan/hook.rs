//! `keyward hook install|uninstall`: writes (or removes) the git pre-commit hook that runs
//! `keyward staged`, in `core.hooksPath` when set. A hook that is already there is kept as
//! `pre-commit.keyward-chained`, run first by ours, and put back by uninstall. The hook calls
//! the keyward binary that installed it (absolute path), or `keyward` on PATH when that binary
//! has moved. Returns the message to print; it never scans.

use crate::source::git::open_repo;
use anyhow::{bail, Context, Result};
use git2::Repository;
use std::path::{Path, PathBuf};

/// Marks a hook as keyward's own: install rewrites it, uninstall removes it.
const MARKER: &str = "# installed by keyward (keyward hook install)";
const HOOK: &str = "pre-commit";
/// Where an existing hook is kept while keyward's runs it.
pub const CHAINED: &str = "pre-commit.keyward-chained";

/// The directory git runs hooks from: `core.hooksPath` (relative to the working tree, or to
/// the git directory of a bare repository) or `hooks/` in the common git directory.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let config = repo
        .config()
        .context("failed to read the git configuration")?;
    match config.get_path("core.hooksPath") {
        Ok(path) if path.is_absolute() => Ok(path),
        Ok(path) => Ok(repo.workdir().unwrap_or(repo.path()).join(path)),
        Err(_) => Ok(repo.commondir().join("hooks")),
    }
}

fn is_ours(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|text| String::from_utf8_lossy(&text).contains(MARKER))
}

/// Installs the hook; running it again only refreshes the keyward path.
pub fn install(repo_path: &Path) -> Result<String> {
    let repo = open_repo(repo_path)?;
    let dir = hooks_dir(&repo)?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create the hooks directory {}", dir.display()))?;
    let (hook, chained) = (dir.join(HOOK), dir.join(CHAINED));
    let mut message = format!(
        "installed the keyward pre-commit hook: {}\n",
        hook.display()
    );
    if hook.symlink_metadata().is_ok() && !is_ours(&hook) {
        if chained.symlink_metadata().is_ok() {
            bail!(
                "failed to install the hook: both {} and {} exist; move one of them away",
                hook.display(),
                chained.display()
            );
        }
        std::fs::rename(&hook, &chained)
            .with_context(|| format!("failed to keep the existing hook {}", hook.display()))?;
        message += &format!("the existing hook runs first, as {}\n", chained.display());
    }
    write_executable(&hook, &script(&keyward_path()))
        .with_context(|| format!("failed to write the hook {}", hook.display()))?;
    Ok(message)
}

/// Removes keyward's hook and puts back the one it chained; without keyward's hook there is
/// nothing to do.
pub fn uninstall(repo_path: &Path) -> Result<String> {
    let repo = open_repo(repo_path)?;
    let dir = hooks_dir(&repo)?;
    let (hook, chained) = (dir.join(HOOK), dir.join(CHAINED));
    if !is_ours(&hook) {
        return Ok(format!(
            "no keyward pre-commit hook in {}; nothing to do\n",
            dir.display()
        ));
    }
    std::fs::remove_file(&hook)
        .with_context(|| format!("failed to remove the hook {}", hook.display()))?;
    let mut message = format!("removed the keyward pre-commit hook: {}\n", hook.display());
    if chained.symlink_metadata().is_ok() {
        std::fs::rename(&chained, &hook)
            .with_context(|| format!("failed to restore the hook {}", chained.display()))?;
        message += &format!("restored the previous hook: {}\n", hook.display());
    }
    Ok(message)
}

/// The running binary, so the hook works without keyward on PATH.
fn keyward_path() -> String {
    std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_or_else(|_| "keyward".into(), |p| p.to_string_lossy().into_owned())
}

fn script(keyward: &str) -> String {
    let quoted = format!("'{}'", keyward.replace('\'', r"'\''"));
    format!(
        r#"#!/bin/sh
{MARKER}; `keyward hook uninstall` removes it
# and restores the hook it chained, if any.
chained="$(dirname "$0")/{CHAINED}"
if [ -x "$chained" ]; then
    "$chained" "$@" || exit $?
fi
keyward={quoted}
[ -x "$keyward" ] || keyward=keyward
exec "$keyward" staged
"#
    )
}

fn write_executable(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}
