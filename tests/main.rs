//! The single integration-test binary: each module covers one area through the real binaries
//! and the library API. Git repositories are built inside the tests.

mod harness;
mod rules;
mod scan;
