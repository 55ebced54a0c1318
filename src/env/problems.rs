//! Safety checks before the program starts: env files and `file://` secret files readable by
//! others or owned by someone else, env files tracked by git; debug switches left on;
//! placeholders; missing required keys. Each
//! check yields a `Problem` whose message names files and variables, never values; `launch`
//! decides, by profile, whether a problem is a warning or a refusal.

use super::plan::{Origin, Plan};
use super::{names, tracked};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Refused under `--profile production`, otherwise not mentioned (`DEBUG=1` on a laptop).
    Production,
    /// Refused under `--profile production`, otherwise a warning.
    Warning,
    /// Always refused.
    Fatal,
    /// A warning in every profile, never a refusal (`--allow-leaked`).
    Advisory,
}

#[derive(Debug)]
pub struct Problem {
    pub level: Level,
    pub message: String,
}

fn problem(level: Level, message: String) -> Problem {
    Problem { level, message }
}

/// Permission, ownership and git checks for one env file.
pub fn file_problems(path: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    #[cfg(unix)]
    unix_file_checks(path, FileKind::Env, &mut problems);
    if let Some(root) = tracked::tracked_in(path) {
        problems.push(problem(
            Level::Warning,
            format!(
                "env file {} is tracked by git in {}; run `git rm --cached {}` and list it in \
                 .gitignore",
                path.display(),
                root.display(),
                path.display()
            ),
        ));
    }
    problems
}

/// Permission and ownership checks for a `file://` secret file; `used_by` names the variable
/// and where it was set.
pub fn secret_file_problems(path: &Path, used_by: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    #[cfg(unix)]
    unix_file_checks(path, FileKind::Secret(used_by), &mut problems);
    #[cfg(not(unix))]
    let _ = (path, used_by);
    problems
}

#[derive(Clone, Copy)]
enum FileKind<'a> {
    Env,
    /// A secret file, and who uses it.
    Secret(&'a str),
}

/// Env files: any group or other bit, and any owner but the user, are reported. Secret files
/// get the same checks with the two exceptions Docker and Kubernetes need: root may own them
/// (root can rewrite any file anyway), and they may be readable by their group when root owns
/// them and the group is one of this process's own (a Kubernetes `fsGroup`).
#[cfg(unix)]
fn unix_file_checks(path: &Path, kind: FileKind, problems: &mut Vec<Problem>) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let (label, root_ok) = match kind {
        FileKind::Env => (format!("env file {}", path.display()), false),
        FileKind::Secret(used_by) => (format!("secret file {} ({used_by})", path.display()), true),
    };
    let root_owned = root_ok && meta.uid() == 0;
    let mode = meta.mode() & 0o777;
    let group_ok = root_owned && mode & 0o020 == 0 && in_my_groups(meta.gid());
    let exposed = match group_ok {
        true => mode & 0o007,
        false => mode & 0o077,
    };
    if exposed != 0 {
        let message = format!(
            "{label} can be read or written by group or others (mode {mode:03o}); run `chmod 600 {}`",
            path.display()
        );
        problems.push(problem(Level::Warning, message));
    }
    if meta.uid() != me && !root_owned {
        let message = format!(
            "{label} is owned by uid {}, not by the user running the program (uid {me})",
            meta.uid()
        );
        problems.push(problem(Level::Warning, message));
    }
}

/// Whether `gid` is this process's effective group or one of its supplementary groups.
#[cfg(unix)]
fn in_my_groups(gid: libc::gid_t) -> bool {
    // SAFETY: getegid cannot fail; getgroups is given a buffer of the size it reported, and
    // its result is checked before the buffer is read.
    unsafe {
        if libc::getegid() == gid {
            return true;
        }
        let count = libc::getgroups(0, std::ptr::null_mut());
        if count <= 0 {
            return false;
        }
        let mut groups = vec![0 as libc::gid_t; count as usize];
        let filled = libc::getgroups(count, groups.as_mut_ptr());
        filled > 0 && groups[..filled as usize].contains(&gid)
    }
}

/// Debug switches, development mode, placeholders and required keys.
pub fn env_problems(plan: &Plan, required: &[String]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for key in ["DEBUG", "FLASK_DEBUG", "DJANGO_DEBUG"] {
        if plan.get(key).is_some_and(names::is_truthy) {
            let message = format!("{key} is set to a true value ({})", origin(plan, key));
            problems.push(problem(Level::Production, message));
        }
    }
    if plan
        .get("FLASK_ENV")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("development"))
    {
        let message = format!("FLASK_ENV is development ({})", origin(plan, "FLASK_ENV"));
        problems.push(problem(Level::Production, message));
    }
    let declared = plan.vars.keys().map(String::as_str);
    let mut checked: Vec<&str> = declared
        .chain(required.iter().map(String::as_str))
        .collect();
    checked.sort_unstable();
    checked.dedup();
    for key in checked {
        if plan.get(key).is_some_and(names::is_placeholder) {
            let message = format!("{key} holds a placeholder value ({})", origin(plan, key));
            problems.push(problem(Level::Warning, message));
        }
    }
    problems.extend(missing(plan, required));
    problems
}

fn missing<'a>(plan: &'a Plan, required: &'a [String]) -> impl Iterator<Item = Problem> + 'a {
    required
        .iter()
        .filter(|key| plan.get(key).is_none_or(|v| v.is_empty()))
        .map(|key| {
            let state = if plan.get(key).is_some() {
                "is empty"
            } else {
                "is not set"
            };
            problem(Level::Fatal, format!("required variable {key} {state}"))
        })
}

/// Where the winning value of `key` came from, for messages.
fn origin(plan: &Plan, key: &str) -> String {
    match plan.vars.get(key) {
        Some(var) => match &var.reference {
            Some(reference) => format!("{}, from {reference}", var.origin),
            None => var.origin.to_string(),
        },
        None => Origin::Process.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn plan(pairs: &[(&str, &str)]) -> Plan {
        let process: BTreeMap<_, _> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Plan::new(process, &[], false)
    }

    fn levels(problems: &[Problem]) -> Vec<Level> {
        problems.iter().map(|p| p.level).collect()
    }

    #[test]
    fn debug_flags_and_flask_env() {
        let found = env_problems(
            &plan(&[("DEBUG", "True"), ("FLASK_ENV", "development")]),
            &[],
        );
        assert_eq!(levels(&found), [Level::Production, Level::Production]);
        assert!(
            env_problems(&plan(&[("DEBUG", "0"), ("FLASK_ENV", "production")]), &[]).is_empty()
        );
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_may_be_root_owned_and_group_readable_by_our_group() {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: getegid cannot fail.
        assert!(in_my_groups(unsafe { libc::getegid() }));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "x").unwrap();
        let mode = |m| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
        mode(0o600);
        assert!(secret_file_problems(&path, "S, .env:1").is_empty());
        mode(0o604);
        let found = secret_file_problems(&path, "S, .env:1");
        assert_eq!(levels(&found), [Level::Warning]);
        assert!(
            found[0].message.contains("(S, .env:1) can be read"),
            "{}",
            found[0].message
        );
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        mode(0o640);
        let group_readable = secret_file_problems(&path, "S, .env:1");
        // Our own file: root-owned (we are root) with our group may be group-readable.
        assert_eq!(group_readable.is_empty(), root);
        assert!(
            !file_problems(&path).is_empty(),
            "env files get no such exception"
        );
    }

    #[test]
    fn required_and_placeholders() {
        let required = ["A".to_string(), "B".to_string(), "C".to_string()];
        let found = env_problems(&plan(&[("A", "changeme"), ("B", "")]), &required);
        assert_eq!(levels(&found), [Level::Warning, Level::Fatal, Level::Fatal]);
        assert!(found[0].message.starts_with("A holds a placeholder"));
        assert!(!found.iter().any(|p| p.message.contains("changeme")));
    }
}
