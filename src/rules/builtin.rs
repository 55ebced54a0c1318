//! The rule files embedded at build time from `patterns/**/*.yaml`, as JSON (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
