//! keyward: finds committed credentials and insecure configuration in Python repositories
//! (`keyward`), and starts Python processes with their secrets safely (`keyward-run`).
//!
//! The scanner pipeline is `cli` → `config` → `rules` + `source` → `detect` → filters →
//! `report`. The launcher lives in `launch` and uses none of the scanner modules; the git index
//! reader (`gitindex`) is shared by both.

pub mod app;
pub(crate) mod cli;
pub(crate) mod config;
pub(crate) mod dates;
pub mod detect;
pub mod env;
pub mod finding;
pub mod gitindex;
pub mod launch;
pub mod messages;
pub(crate) mod report;
pub mod rules;
pub(crate) mod sanitize;
pub(crate) mod scan;
pub mod secret;
pub(crate) mod severity;
pub mod source;
