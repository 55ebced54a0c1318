//! The single integration-test binary: each module covers one area through the real binaries
//! and the library API. Git repositories are built inside the tests.

#[cfg(unix)]
mod action;
mod baseline;
mod harness;
mod junit;
mod project_config;
mod rules;
mod sarif;
mod scan;
