//! The checks written in code (file paths, structure, permissions) rather than as YAML rules:
//! their ids live in the same namespace as rule ids and `keyward rules list` shows them.

use crate::finding::{Kind, Severity};

#[derive(Debug)]
pub struct CodeCheck {
    pub id: &'static str,
    pub title: &'static str,
    pub kind: Kind,
    pub severity: Severity,
    pub remediation: &'static str,
}

/// Every code check, in id order.
pub static CODE_CHECKS: &[CodeCheck] = &[];
