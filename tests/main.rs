//! The single integration-test binary: each module covers one area through the real binaries
//! and the library API. Git repositories are built inside the tests.

// Tests may print (a skipped check says why); clippy.toml is about the binaries' output.
#![allow(clippy::disallowed_macros)]

#[cfg(unix)]
mod action;
mod baseline;
mod baseline_hash;
mod envfuzz;
mod fuzz;
mod gate;
mod gitrepo;
mod harness;
mod history;
mod hook;
mod hygiene;
mod junit;
mod known;
mod layering;
mod packs;
mod precommit;
mod project_config;
mod props;
mod range;
mod recall;
mod report_merge;
mod rules;
mod run;
mod sarif;
mod scan;
mod since_state;
#[cfg(unix)]
mod smaller;
mod staged;
mod staged_diff;
mod staged_random;
mod where_they_sit;
