//! The values that `keyward scan|history --known-secrets` and `keyward-run --check-history`
//! look for: the secrets a program runs with. They are read with the launcher's own env-file
//! parser and reference resolution (`vault://`, `file://`), and chosen as `--mask` chooses
//! what to hide: resolved references, secret-named variables, URL credentials, and token-like
//! values. Values shorter than `MIN_LEN` are set aside by name. Nothing here matches or prints;
//! errors name files, variables and references, never values.

use super::plan::{self, Origin, Plan};
use super::problems::Level;
use super::vault::VaultFlags;
use super::{dotenv, expand, resolve, sensitive};
use anyhow::{bail, Context, Result};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Shorter values would be found all over a repository by chance; they are skipped.
pub const MIN_LEN: usize = 8;

/// Which part of a variable's value a known value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Whole,
    /// The password of a `scheme://user:password@host` value.
    UrlPassword,
}

pub struct KnownValue {
    pub name: String,
    pub part: Part,
    /// Where the value came from: `.env.production:3`, `process environment`.
    pub origin: String,
    pub value: String,
}

impl KnownValue {
    /// How reports name it: `DB_PASSWORD`, `DATABASE_URL's password`.
    pub fn label(&self) -> String {
        match self.part {
            Part::Whole => self.name.clone(),
            Part::UrlPassword => format!("{}'s password", self.name),
        }
    }
}

impl fmt::Debug for KnownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KnownValue({} from {})", self.label(), self.origin)
    }
}

#[derive(Debug, Default)]
pub struct KnownValues {
    pub values: Vec<KnownValue>,
    /// Labels of values skipped for being shorter than `MIN_LEN`.
    pub too_short: Vec<String>,
}

/// Reads the env files (`-` is standard input) and resolves their references the way
/// `keyward-run` does; the files' values win over the process environment, which only
/// configures Vault. A reference that cannot be resolved is an error: a check that silently
/// left a secret out would answer the wrong question.
pub fn load(paths: &[PathBuf]) -> Result<KnownValues> {
    let mut files = Vec::new();
    for path in paths {
        files.push(read_env_file(path)?);
    }
    let process = plan::process_env();
    let expansion = expand::Options {
        override_existing: true,
        expand_single_quoted: false,
    };
    let refused: Vec<String> = expand::expand_files(&mut files, &process, expansion)
        .into_iter()
        .filter(|problem| problem.level == Level::Fatal)
        .map(|problem| problem.message)
        .collect();
    if !refused.is_empty() {
        bail!("failed to read the known secrets: {}", refused.join("; "));
    }
    let mut plan = Plan::new(process, &files, true);
    drop(files);
    // Only the files' values are looked for: a reference in the process environment is not
    // resolved (the environment only says where Vault is and how to log in).
    plan.vars
        .retain(|_, var| matches!(var.origin, Origin::File { .. }));
    let options = resolve::Options {
        flags: &VaultFlags::default(),
        paths: &[],
        strict: false,
    };
    let failures: Vec<String> = resolve::resolve_all(&mut plan, &options)
        .into_iter()
        .filter(|problem| problem.level == Level::Fatal)
        .map(|problem| problem.message)
        .collect();
    if !failures.is_empty() {
        bail!(
            "failed to resolve the known secrets: {}",
            failures.join("; ")
        );
    }
    Ok(select(&plan))
}

fn read_env_file(path: &Path) -> Result<dotenv::DotenvFile> {
    if path.as_os_str() != "-" {
        return dotenv::load(path);
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("failed to read known secrets from standard input (expected env-file text)")?;
    dotenv::parse(Path::new("-"), &text)
}

/// The secret values among the variables the launcher sets (see the module comment).
pub fn select(plan: &Plan) -> KnownValues {
    let mut known = KnownValues::default();
    for (name, var) in &plan.vars {
        if !var.set_by_launcher() {
            continue;
        }
        let value = var.value.as_str();
        let password = sensitive::url_password(value);
        // A URL with a password is looked for whole too: it is what a settings file holds.
        if sensitive::holds_secret(name, var) || password.is_some() {
            add(&mut known, name, Part::Whole, &var.origin, value);
        }
        if let Some(password) = password {
            add(&mut known, name, Part::UrlPassword, &var.origin, password);
        }
    }
    known
}

fn add(known: &mut KnownValues, name: &str, part: Part, origin: &Origin, value: &str) {
    let entry = KnownValue {
        name: name.to_string(),
        part,
        origin: origin.to_string(),
        value: value.to_string(),
    };
    if value.len() < MIN_LEN {
        known.too_short.push(entry.label());
    } else {
        known.values.push(entry);
    }
}

/// The value's base64 and URL-encoded spellings, as `--mask` hides them.
pub fn encoded_forms(value: &[u8]) -> Vec<Vec<u8>> {
    sensitive::encoded_forms(value)
}

/// The values as env-file text that keyward reads back unchanged (for handing them to
/// `keyward history --known-secrets -` through a pipe, never through argv). One line per
/// variable, its whole value: a URL's password is not written under the URL's name (it would
/// replace the URL, and a password too short to look for would lose both); the reader's
/// `select` derives it again. A value is written bare when python-dotenv's unquoted reading
/// keeps it whole, else single-quoted (never expanded) with `\\` and `\'` escaped. A quoted
/// value ending in a backslash can only be closed when no quote follows it in the file
/// (python-dotenv's grammar), so those come last.
pub fn to_env_text(values: &[KnownValue]) -> String {
    let mut text = String::new();
    let (last, first): (Vec<_>, Vec<_>) = values
        .iter()
        .filter(|v| v.part == Part::Whole)
        .partition(|known| !bare(&known.value) && known.value.ends_with('\\'));
    for known in first.into_iter().chain(last) {
        text.push_str(&known.name);
        text.push('=');
        quote(&known.value, &mut text);
        text.push('\n');
    }
    text
}

/// Whether an unquoted value reads back whole: one line, no surrounding space, no quote or
/// `#` at the start, no ` #` comment, no `${`.
fn bare(value: &str) -> bool {
    let space = super::dialect::is_py_space;
    !value.is_empty()
        && !value.contains(['\r', '\n'])
        && !value.starts_with(['\'', '"', '#'])
        && !value.starts_with(space)
        && !value.ends_with(space)
        && !value.contains("${")
        && !value
            .char_indices()
            .any(|(i, c)| c == '#' && value[..i].ends_with(space))
}

fn quote(value: &str, out: &mut String) {
    if bare(value) {
        out.push_str(value);
        return;
    }
    out.push('\'');
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::dotenv::DotenvFile;
    use std::collections::BTreeMap;

    fn plan(pairs: &[(&str, &str)]) -> Plan {
        Plan::new(
            BTreeMap::new(),
            &[DotenvFile::from_pairs(".env", pairs)],
            true,
        )
    }

    #[test]
    fn secrets_are_chosen_like_mask_chooses_them() {
        let plan = plan(&[
            ("DB_PASSWORD", "hunter22-pw"),
            ("API_KEY", "short"),
            ("DATABASE_URL", "postgres://app:s3cret-pass@db/x"),
            ("STRIPE", "rk_live_0a9b8c7d6e5f4g3h2i1j"),
            ("ENVIRONMENT", "production"),
            ("HOST", "db-primary-01.internal.example.com"),
            ("LOG_DIR", "/var/log/app/2024-archive-v1"),
        ]);
        let known = select(&plan);
        let labels: Vec<String> = known.values.iter().map(KnownValue::label).collect();
        assert_eq!(
            labels,
            [
                "DATABASE_URL",
                "DATABASE_URL's password",
                "DB_PASSWORD",
                "STRIPE"
            ]
        );
        assert_eq!(known.too_short, ["API_KEY"]);
        assert_eq!(known.values[1].value, "s3cret-pass");
        assert_eq!(known.values[2].origin, ".env:1");
    }

    #[test]
    fn every_form_survives_the_trip_to_the_scanner() {
        // regression: the URL and its password went under one name, and the password (too
        // short to look for) replaced the URL, so a committed DATABASE_URL was never found
        for password in ["pw-1234", "a-longer-pass-99"] {
            let url = format!("postgresql://app:{password}@db.internal:5432/app");
            let sent = select(&plan(&[
                ("DATABASE_URL", &url),
                ("DB_PASSWORD", "hunter22-pw"),
            ]));
            let text = to_env_text(&sent.values);
            let file = dotenv::parse(Path::new("-"), &text).unwrap();
            let pairs: Vec<(&str, &str)> = (file.entries.iter())
                .map(|e| (e.key.as_str(), e.value.as_str()))
                .collect();
            let received = select(&plan(&pairs));
            let forms = |k: &KnownValues| -> Vec<(String, String)> {
                (k.values.iter())
                    .map(|v| (v.label(), v.value.clone()))
                    .collect()
            };
            assert_eq!(forms(&received), forms(&sent), "{password}");
            assert!(forms(&received).contains(&("DATABASE_URL".into(), url.clone())));
        }
    }

    #[test]
    fn env_text_round_trips_through_the_parser() {
        let nasty = [
            "plain-value-123",
            "it's got 'quotes' and \"doubles\"",
            "line one\nline two\r\nthree",
            "dollar $HOME ${PATH} \\ backslash",
            "ünïcödé-välüé",
            "# not a comment = either",
            "  padded ${X} #x ",
            "ends in a backslash\\",
            "multi\nline ends in a backslash\\",
        ];
        let values: Vec<KnownValue> = nasty
            .iter()
            .enumerate()
            .map(|(i, v)| KnownValue {
                name: format!("K{i}"),
                part: Part::Whole,
                origin: String::new(),
                value: v.to_string(),
            })
            .collect();
        let text = to_env_text(&values);
        let parsed = dotenv::parse(Path::new("-"), &text).unwrap();
        let got: Vec<&str> = parsed.entries.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(got, nasty);
    }
}
