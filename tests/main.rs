//! The single integration-test binary: each module covers one area through the real binaries
//! and the library API. Git repositories are built inside the tests.

// Tests may print (a skipped check says why); clippy.toml is about the binaries' output.
#![allow(clippy::disallowed_macros)]

#[cfg(unix)]
mod action;
mod baseline;
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
mod project_config;
mod props;
mod rules;
mod run;
mod sarif;
mod scan;
mod staged;
mod staged_diff;
mod staged_random;
