//! Env-file text to what a program started by `keyward-run` would get from it: the values
//! after reading (`envfile`), expansion (`expand`), the syntax of their references (`refs`)
//! and the checks that a value can be passed (`passable`), with every problem message. No
//! reference is resolved and nothing is started or printed: it is the env-file path on its
//! own, for tests and fuzzing.

use super::passable;
use crate::env::plan::Plan;
use crate::env::problems::{Level, Problem};
use crate::env::{dotenv as envfile, expand, refs};
use std::collections::BTreeMap;
use std::path::Path;

pub use crate::env::expand::{Options, MAX_DEPTH, MAX_EXPANDED, MAX_VALUE};

pub struct Reading {
    /// The variables the launcher would set, by name.
    pub values: BTreeMap<String, String>,
    /// Every problem, as `keyward-run` prints it (refusals and warnings alike).
    pub messages: Vec<String>,
    /// Whether `keyward-run` would refuse to start the program.
    pub refused: bool,
    /// The variables whose value is a well-formed `vault://` or `file://` reference.
    pub references: Vec<String>,
}

/// Reads `text` as the env file `path` on top of `process` (the process environment).
pub fn read(
    path: &Path,
    text: &str,
    process: &BTreeMap<String, String>,
    options: Options,
) -> Reading {
    let mut file = match envfile::parse(path, text) {
        Ok(file) => file,
        Err(err) => {
            return Reading {
                values: BTreeMap::new(),
                messages: vec![format!("{err:#}")],
                refused: true,
                references: Vec::new(),
            }
        }
    };
    let mut problems: Vec<Problem> = file
        .notes
        .drain(..)
        .map(|message| Problem {
            level: Level::Advisory,
            message,
        })
        .collect();
    let mut files = [file];
    problems.extend(expand::expand_files(&mut files, process, options));
    let plan = Plan::new(process.clone(), &files, options.override_existing);
    problems.extend(passable::problems(&plan));
    let mut references = Vec::new();
    for (key, value) in plan.changes() {
        match refs::parse(value) {
            Some(Ok(_)) => references.push(key.to_string()),
            Some(Err(why)) => problems.push(Problem {
                level: Level::Fatal,
                message: format!("{key}: malformed reference: {why}"),
            }),
            None => {}
        }
    }
    let values = plan
        .changes()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    Reading {
        values,
        refused: problems.iter().any(|p| p.level == Level::Fatal),
        messages: problems.into_iter().map(|p| p.message).collect(),
        references,
    }
}
