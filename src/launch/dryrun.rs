//! `--dry-run` output: one row per variable the launcher would set or withhold, with where the
//! value comes from (file and line, process environment, reference), which sources it won
//! over, and a masked value. The only place in `launch` that writes to stdout.

use crate::env::plan::{Plan, Var, WITHHELD};
use crate::launch::notice::escape;
use std::io::{self, Write};

struct Row {
    name: String,
    source: String,
    value: String,
}

pub fn print(plan: &Plan) -> io::Result<()> {
    let rows = rows(plan);
    let name_width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(8);
    let source_width = rows
        .iter()
        .map(|r| r.source.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{:name_width$}  {:source_width$}  VALUE",
        "VARIABLE", "SOURCE"
    )?;
    for row in rows {
        writeln!(
            out,
            "{:name_width$}  {:source_width$}  {}",
            row.name, row.source, row.value
        )?;
    }
    out.flush()
}

fn rows(plan: &Plan) -> Vec<Row> {
    let mut rows: Vec<Row> = plan
        .vars
        .iter()
        .filter(|(key, _)| !plan.withheld().contains(&key.as_str()))
        .map(|(key, var)| Row {
            name: escape(key),
            source: source(var),
            value: masked(key, var),
        })
        .collect();
    for key in WITHHELD {
        let passed = !plan.withheld().contains(&key);
        if plan.get(key).is_some() && !(passed && plan.vars.contains_key(key)) {
            let source = match plan.vars.get(key) {
                Some(var) => source(var),
                None => "process environment".to_string(),
            };
            let value = match passed {
                true => "passed to the program (--pass-vault-token)",
                false => "withheld from the program",
            };
            rows.push(Row {
                name: key.to_string(),
                source,
                value: value.into(),
            });
        }
    }
    rows
}

fn source(var: &Var) -> String {
    let mut text = var.origin.to_string();
    if let Some(reference) = &var.reference {
        text.push_str(" -> ");
        text.push_str(reference);
    }
    if !var.shadowed.is_empty() {
        let lost: Vec<String> = var.shadowed.iter().map(ToString::to_string).collect();
        text.push_str(&format!(" (over {})", lost.join(", ")));
    }
    escape(&text)
}

/// `****(24)` for secrets; other values show a short prefix (none below 8 characters).
pub fn masked(key: &str, var: &Var) -> String {
    let chars = var.value.chars().count();
    if crate::env::sensitive::holds_secret(key, var) {
        return format!("****({chars})");
    }
    let shown = match chars {
        0..=7 => 0,
        8..=15 => 2,
        _ => 4,
    };
    let prefix: String = var.value.chars().take(shown).collect();
    format!("{}…({chars})", escape(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::plan::Origin;

    fn var(value: &str, reference: Option<&str>) -> Var {
        let origin = Origin::File {
            path: ".env".into(),
            line: 3,
        };
        Var {
            value: value.into(),
            origin,
            shadowed: vec![Origin::Process],
            reference: reference.map(Into::into),
        }
    }

    #[test]
    fn masks_and_sources() {
        assert_eq!(
            masked("DB_PASSWORD", &var("hunter22hunter22", None)),
            "****(16)"
        );
        assert_eq!(
            masked("DB", &var("hunter22hunter22", Some("file:///s"))),
            "****(16)"
        );
        assert_eq!(
            masked("DATABASE_URL", &var("postgres://app@db/x", None)),
            "post…(19)"
        );
        assert_eq!(masked("PORT", &var("8000", None)), "…(4)");
        // A generated credential under a name that does not say so.
        assert_eq!(
            masked("STRIPE", &var("rk_live_0a9b8c7d6e5f4g3h2i1j", None)),
            "****(28)"
        );
        let shown = source(&var("x", Some("vault://secret/app#db")));
        assert_eq!(
            shown,
            ".env:3 -> vault://secret/app#db (over process environment)"
        );
    }
}
