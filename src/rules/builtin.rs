//! The rules of `patterns/**/*.yaml`, embedded at build time as Rust statics (see `build.rs`):
//! each rule as `schema::BuiltinRule`, with the file it came from, so that loading them is
//! borrowing, not parsing; and their keywords (`BUILTIN_KEYWORDS`, lower-cased, in `RuleSet`
//! order) with the tables of the keyword automaton over them (`BUILTIN_DFA`), and the rules
//! of each keyword (`BUILTIN_KEYWORD_RULE_START`, `BUILTIN_KEYWORD_RULES`,
//! `BUILTIN_KEYWORDLESS`, as `RuleSet` indexes them), and the runs each rule's matches need
//! (`BUILTIN_NEEDS`, see `needs`).

use super::automaton::Parts;
use super::needs::Run;
pub use super::schema::BuiltinRule;
use super::schema::Validator;
use crate::finding::{Kind, Severity};
use std::borrow::Cow;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
