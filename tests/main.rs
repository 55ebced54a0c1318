//! The single integration-test binary: each module covers one area through the real binaries
//! and the library API. Git repositories are built inside the tests.

#[cfg(unix)]
mod action;
mod baseline;
mod envfuzz;
mod gitrepo;
mod harness;
mod history;
mod hook;
mod hygiene;
mod junit;
mod known;
mod project_config;
mod rules;
mod run;
mod sarif;
mod scan;
mod staged;
mod staged_diff;
mod staged_random;
