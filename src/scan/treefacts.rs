//! Facts about a working tree that the tree-level hygiene checks need and a blob cannot carry:
//! the env files present (with their permission bits) and the `.gitignore` files that decide
//! whether git would pick them up. Reads the filesystem; matches nothing (that is
//! `detect::hygiene::tree`).

use crate::detect::hygiene::{EnvFile, GitignoreFile, TreeFacts};
use std::collections::BTreeSet;
use std::path::Path;

/// Gathers the facts for the tree at `root` (a directory). `walked_env` are the env files the
/// walk visited (relative, `/`-separated); env files directly in the root are added even when
/// an ignore rule hid them from the walk, because a world-readable local `.env` is exactly what
/// the permission check is for.
pub fn gather(root: &Path, walked_env: &[String], is_env: impl Fn(&str) -> bool) -> TreeFacts {
    let mut rels: BTreeSet<String> = walked_env.iter().cloned().collect();
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_env(&name) && entry.file_type().is_ok_and(|t| t.is_file()) {
                rels.insert(name);
            }
        }
    }
    let env_files = rels
        .iter()
        .map(|rel| EnvFile {
            rel: rel.clone(),
            mode: mode(&root.join(rel)),
            allowed: first_line_allows(&root.join(rel)),
        })
        .collect();
    TreeFacts {
        env_files,
        gitignores: gitignores(root, &rels),
    }
}

/// Whether a regular file's line 1 carries an allow marker (only its first 4 KiB are read).
fn first_line_allows(path: &Path) -> bool {
    use std::io::Read;
    if !path.symlink_metadata().is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut head = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(4096).read_to_end(&mut head));
    read.is_ok() && crate::detect::allow::is_allowed(&head, 0)
}

/// The root's `.gitignore` and those of every directory on the way to each env file.
fn gitignores(root: &Path, env_rels: &BTreeSet<String>) -> Vec<GitignoreFile> {
    let mut dirs: BTreeSet<String> = BTreeSet::from([String::new()]);
    for rel in env_rels {
        let mut dir = rel.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            dirs.insert(parent.to_string());
            dir = parent;
        }
    }
    dirs.into_iter()
        .filter_map(|dir| {
            let text = std::fs::read_to_string(root.join(&dir).join(".gitignore")).ok()?;
            Some(GitignoreFile { dir, text })
        })
        .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    path.symlink_metadata().ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_env_files_modes_and_gitignores() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("api")).unwrap();
        std::fs::write(root.join(".gitignore"), "*.log\n").unwrap();
        std::fs::write(root.join("api/.gitignore"), ".env\n").unwrap();
        std::fs::write(root.join(".env"), "A=1\n").unwrap();
        std::fs::write(root.join(".env.example"), "A=\n").unwrap();
        std::fs::write(root.join("api/.env"), "A=1\n").unwrap();
        let facts = gather(
            root,
            &["api/.env".to_string()],
            crate::detect::hygiene::is_env_file,
        );
        let rels: Vec<&str> = facts.env_files.iter().map(|e| e.rel.as_str()).collect();
        assert_eq!(rels, vec![".env", "api/.env"]);
        let dirs: Vec<&str> = facts.gitignores.iter().map(|g| g.dir.as_str()).collect();
        assert_eq!(dirs, vec!["", "api"]);
        #[cfg(unix)]
        assert!(facts.env_files[0].mode.is_some());
    }
}
