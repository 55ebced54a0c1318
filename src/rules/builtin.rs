//! The rules of `patterns/**/*.yaml`, embedded at build time as Rust statics (see `build.rs`):
//! the raw syntax of each rule, with the file it came from, so that loading them is converting,
//! not parsing; and their keywords (`BUILTIN_KEYWORDS`, lower-cased, in `RuleSet` order) with
//! the tables of the keyword automaton over them (`BUILTIN_DFA`).

use super::automaton::Parts;
use crate::finding::{Kind, Severity};

/// One built-in rule as written (the fields of `syntax::RuleSyntax`).
#[derive(Debug)]
pub struct BuiltinRule {
    pub file: &'static str,
    pub id: &'static str,
    pub title: &'static str,
    pub kind: Kind,
    pub severity: Severity,
    pub keywords: &'static [&'static str],
    pub pattern: &'static str,
    pub min_entropy: Option<f64>,
    pub paths: &'static [&'static str],
    pub remediation: &'static str,
    pub references: &'static [&'static str],
    pub examples: &'static [&'static str],
    pub negative_examples: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
