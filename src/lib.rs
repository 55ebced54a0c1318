//! keyward: finds committed credentials and insecure configuration in Python repositories
//! (`keyward`), and starts Python processes with their secrets safely (`keyward-run`).
//!
//! The scanner pipeline, one folder per stage: `cli` (clap structs) → `config` (one validated,
//! immutable `Config` with `.keyward.yaml`) → `rules` (schema, loading, keyword automaton) →
//! `source` (files, stdin, git history, the staged change) → `detect` (pure: one entry point
//! per blob) → `scan` (drivers for tree/history/staged, filters, baseline, known-secrets cache,
//! hook) → `report` (the only writer of stdout); `app` dispatches the commands. `env` (env
//! files, references, Vault, which values are secrets, known values, the wiping allocators)
//! is shared by both binaries; `launch` is used by `keyward-run` only and imports no scanner
//! stage. Leaves (`finding`, `secret`, `severity`, `messages`, `sanitize`, `dates`,
//! `gitindex`) import nothing above them. `tests/layering.rs` enforces this; see
//! docs/architecture.md.

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
