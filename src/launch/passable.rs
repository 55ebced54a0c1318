//! Whether each variable the launcher sets can reach the program at all: `exec` cannot pass a
//! NUL byte, and Linux refuses any single `NAME=value` string over `MAX_ARG_STRLEN` (32 pages,
//! 128 KiB, the terminating NUL included). Checked after every source (env files, `file://`,
//! Vault) is resolved, so the start is refused with 125 naming the variable, and `--dry-run`
//! predicts it, instead of `exec` failing with a message that blames the program.

use crate::env::plan::Plan;
use crate::env::problems::{Level, Problem};

/// Linux's `MAX_ARG_STRLEN`: the longest environment string, its terminating NUL included.
pub const MAX_ENV_STRING: usize = 128 * 1024;

/// A refusal for each variable that cannot be passed; names and sources, never values.
pub fn problems(plan: &Plan) -> Vec<Problem> {
    plan.changes()
        .filter_map(|(key, value)| {
            let source = plan
                .vars
                .get(key)
                .map_or_else(String::new, |var| format!(" (from {})", var.origin));
            why_not(key, value).map(|why| Problem {
                level: Level::Fatal,
                message: format!("{}{source} {why}", super::notice::escape(key)),
            })
        })
        .collect()
}

fn why_not(key: &str, value: &str) -> Option<String> {
    if key.is_empty() || key.contains(['=', '\0']) {
        return Some("is not a name a program's environment can hold".into());
    }
    if value.contains('\0') {
        return Some(
            "holds a NUL byte, which no program can receive in its environment; remove it at \
             the source"
                .into(),
        );
    }
    let len = key.len() + 1 + value.len() + 1;
    if cfg!(target_os = "linux") && len > MAX_ENV_STRING {
        return Some(format!(
            "is {} bytes as NAME=value, over the {} KiB Linux passes for one variable \
             (MAX_ARG_STRLEN); pass the path of a file holding it instead",
            len - 1,
            MAX_ENV_STRING / 1024
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_oversized_values_are_named() {
        assert!(why_not("A", "a\0b").unwrap().contains("NUL"));
        assert!(why_not("A", "ok").is_none());
        let fits = "x".repeat(MAX_ENV_STRING - 3);
        assert!(why_not("A", &fits).is_none());
        if cfg!(target_os = "linux") {
            let over = "x".repeat(MAX_ENV_STRING - 2);
            assert!(why_not("A", &over).unwrap().contains("MAX_ARG_STRLEN"));
        }
    }
}
