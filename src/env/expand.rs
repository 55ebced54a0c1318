//! Expansion of `${NAME}`, `${NAME:-default}` and `${NAME-default}` in env-file values, with
//! python-dotenv's semantics (a reference is found as its `dotenv_values` finds it; `:-` gives
//! the default when NAME is unset; a bare `$NAME` stays literal) and keyward's precedence (the
//! process environment wins over the env files unless `--override`). It is the one expansion
//! path of `keyward-run` and `keyward scan|history --known-secrets`.
//!
//! Bounds, so that a hostile file cannot exhaust memory: a value at most `MAX_VALUE` bytes
//! after expansion, at most `MAX_EXPANDED` bytes substituted over all files, references at
//! most `MAX_DEPTH` deep. References to the launcher's own Vault credentials are refused.
//! Every difference from python-dotenv's reading, and every reference that adds nothing, is
//! a problem naming file, line and column; never the value.

use super::dialect::{characters, Quote};
use super::dotenv::{DotenvEntry as Entry, DotenvFile as EnvFile};
use super::plan::WITHHELD;
use super::problems::{Level, Problem};
use std::collections::BTreeMap;
use std::path::Path;

/// The most a value may hold after expansion: the kernel's limit for one variable.
pub const MAX_VALUE: usize = 128 * 1024;
/// The most expansion may add over all env files together.
pub const MAX_EXPANDED: usize = 1024 * 1024;
/// The longest chain of values built from values (`A=${B}`, `B=${C}`, …).
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--override`: the env files' values win over the process environment.
    pub override_existing: bool,
    /// `--expand-single-quoted`: expand `${…}` between single quotes, as python-dotenv does.
    pub expand_single_quoted: bool,
}

/// One `${…}` in a value, as python-dotenv's `\$\{([^}:]*)(?::-([^}]*))?\}` finds it.
#[derive(Debug, PartialEq, Eq)]
struct Reference<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    default: Option<&'a str>,
}

/// The references in `text`, leftmost first, without overlap (linear time).
fn references(text: &str) -> Vec<Reference<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find("${") {
        let start = from + offset;
        let body = &text[start + 2..];
        let Some(name_len) = body.find(['}', ':']) else {
            break;
        };
        let name = &body[..name_len];
        let after = &body[name_len..];
        let (default, len) = if after.starts_with('}') {
            (None, name_len + 1)
        } else if let Some(rest) = after.strip_prefix(":-") {
            let Some(close) = rest.find('}') else { break };
            (Some(&rest[..close]), name_len + 2 + close + 1)
        } else {
            // `${NAME:x`: no reference starts before this colon.
            from = start + 2 + name_len;
            continue;
        };
        let end = start + 2 + len;
        found.push(Reference {
            start,
            end,
            name,
            default,
        });
        from = end;
    }
    found
}

/// `NAME-default` read as a shell reads it, when NAME is a plain name.
fn shell_default(name: &str) -> Option<(&str, &str)> {
    let (name, default) = name.split_once('-')?;
    plain_name(name).then_some((name, default))
}

fn plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

/// How a message shows a reference: its name when it is a plain name, else only its place.
fn shown(name: &str) -> String {
    match plain_name(name) {
        true => format!("${{{name}}}"),
        false => "a ${…} reference".to_string(),
    }
}

struct Known {
    value: String,
    depth: usize,
}

/// Expands every entry of `files` in place, in order; earlier entries (of any file) are seen
/// by later ones. A refused entry is left empty and its problem is `Fatal`.
pub fn expand_files(
    files: &mut [EnvFile],
    process: &BTreeMap<String, String>,
    options: Options,
) -> Vec<Problem> {
    let mut scope = Scope {
        process,
        options,
        files: BTreeMap::new(),
        python_files: BTreeMap::new(),
        expanded: 0,
        problems: Vec::new(),
    };
    for file in files.iter_mut() {
        for entry in &mut file.entries {
            scope.entry(&file.path, entry);
        }
    }
    scope.problems
}

struct Scope<'a> {
    process: &'a BTreeMap<String, String>,
    options: Options,
    files: BTreeMap<String, Known>,
    /// What python-dotenv's expansion has read so far: `None` for a bare `KEY`.
    python_files: BTreeMap<String, Option<String>>,
    expanded: usize,
    problems: Vec<Problem>,
}

/// What one entry's expansion found, each noted once (the first place it happens).
#[derive(Default)]
struct Findings {
    unset: Option<String>,
    empty_default: Option<String>,
    shell_dash: Option<String>,
    precedence: Option<String>,
}

impl Scope<'_> {
    fn entry(&mut self, path: &Path, entry: &mut Entry) {
        if entry.bare {
            self.python_files.insert(entry.key.clone(), None);
            return;
        }
        let text = std::mem::take(&mut entry.value);
        let refs = references(&text);
        let here = |offset: usize| place(path, entry, &text, offset);
        let (value, depth) = if refs.is_empty() {
            (text.clone(), 0)
        } else if entry.quote == Quote::Single && !self.options.expand_single_quoted {
            let theirs = self.python_len(&text, &refs);
            self.problems.push(Problem {
                level: Level::Advisory,
                message: format!(
                    "{}: {} is single-quoted, so keyward keeps its ${{…}} literal ({}); \
                     python-dotenv expands it ({}); use double quotes to expand, or pass \
                     --expand-single-quoted to read single quotes as python-dotenv does",
                    here(refs[0].start),
                    entry.key,
                    characters(text.chars().count()),
                    characters(theirs)
                ),
            });
            (text.clone(), 0)
        } else {
            match self.expand(&entry.key, &text, &refs, &here) {
                Ok(expanded) => expanded,
                Err(message) => {
                    self.problems.push(Problem {
                        level: Level::Fatal,
                        message,
                    });
                    (String::new(), 0)
                }
            }
        };
        entry.value = value;
        let known = Known {
            value: entry.value.clone(),
            depth,
        };
        self.files.insert(entry.key.clone(), known);
        let python = Some(entry.value.clone());
        self.python_files.insert(entry.key.clone(), python);
    }

    /// The expanded value and its depth, or why it is refused.
    fn expand(
        &mut self,
        key: &str,
        text: &str,
        refs: &[Reference<'_>],
        here: &dyn Fn(usize) -> String,
    ) -> Result<(String, usize), String> {
        let mut out = String::new();
        let mut depth = 0;
        let mut cursor = 0;
        let mut findings = Findings::default();
        for reference in refs {
            let literal = &text[cursor..reference.start];
            out.push_str(literal);
            cursor = reference.end;
            let at = || here(reference.start);
            let (piece, from_depth) = self.resolve(key, reference, &at, &mut findings)?;
            depth = depth.max(from_depth + 1);
            if depth > MAX_DEPTH {
                return Err(format!(
                    "{}: {key} is built from values more than {MAX_DEPTH} references deep; \
                     keyward refuses (an expansion bomb?); write the value out",
                    at()
                ));
            }
            self.expanded += piece.len();
            if out.len() + piece.len() > MAX_VALUE || self.expanded > MAX_EXPANDED {
                return Err(format!(
                    "{}: {key} would be {} KiB or more after expanding {} ({} KiB expanded in \
                     all env files so far); keyward refuses values over {} KiB and more than {} \
                     KiB of expansion in total (an expansion bomb?); write the value out, or \
                     pass a large value as a file:// reference",
                    at(),
                    (out.len() + piece.len()) / 1024,
                    shown(reference.name),
                    self.expanded / 1024,
                    MAX_VALUE / 1024,
                    MAX_EXPANDED / 1024
                ));
            }
            out.push_str(&piece);
        }
        out.push_str(&text[cursor..]);
        self.report(findings);
        Ok((out, depth))
    }

    /// One reference: keyward's text and the depth of the value it comes from. `at` places it
    /// (called only for a message: counting columns on every reference would be quadratic).
    fn resolve(
        &self,
        key: &str,
        reference: &Reference<'_>,
        at: &dyn Fn() -> String,
        findings: &mut Findings,
    ) -> Result<(String, usize), String> {
        let dash = match reference.default {
            None => shell_default(reference.name),
            Some(_) => None,
        };
        let name = dash.map_or(reference.name, |(name, _)| name);
        if WITHHELD.contains(&name) {
            return Err(format!(
                "{}: {key} refers to ${{{name}}}, a credential keyward-run uses to reach Vault \
                 and never gives to the program; remove the reference (--pass-vault-token passes \
                 VAULT_TOKEN itself, under its own name)",
                at()
            ));
        }
        let (piece, depth) = match (self.keyward(name), dash, reference.default) {
            (Some((value, depth)), _, default) => {
                if value.is_empty() && default.is_some() {
                    note(&mut findings.empty_default, || {
                        format!(
                            "{}: {name} is set but empty, so ${{{name}:-…}} in {key} adds \
                             nothing, as in python-dotenv (a shell would use the default); give \
                             {name} a value or leave it unset",
                            at()
                        )
                    });
                }
                (value.to_string(), depth)
            }
            (None, Some((_, default)), _) | (None, None, Some(default)) => (default.to_string(), 0),
            (None, None, None) => {
                note(&mut findings.unset, || {
                    format!(
                        "{}: {} in {key} is set nowhere (not in the process environment, not \
                         earlier in the env files), so it adds nothing, as in python-dotenv; set \
                         it, or write ${{NAME:-default}}",
                        at(),
                        shown(name)
                    )
                });
                (String::new(), 0)
            }
        };
        self.differences(key, reference, dash, &piece, at, findings);
        Ok((piece, depth))
    }

    /// Notes where python-dotenv's `dotenv_values` substitutes something else for `reference`
    /// than keyward's `piece`: a shell-style `-` default, a bare `KEY` before, or the process
    /// environment winning over the files.
    fn differences(
        &self,
        key: &str,
        reference: &Reference<'_>,
        dash: Option<(&str, &str)>,
        piece: &str,
        at: &dyn Fn() -> String,
        findings: &mut Findings,
    ) {
        let name = dash.map_or(reference.name, |(name, _)| name);
        if dash.is_some() {
            note(&mut findings.shell_dash, || {
                format!(
                    "{}: keyward reads ${{{name}-…}} in {key} as a shell does ({name}, or the \
                     default when {name} is unset: {}); python-dotenv reads a variable named \
                     `{name}-…` ({}); write ${{{name}:-default}} for both to agree",
                    at(),
                    characters(piece.chars().count()),
                    characters(self.python_piece(reference))
                )
            });
        } else if findings.precedence.is_none() {
            let bare = self.python_files.get(name).is_some_and(Option::is_none);
            let why = match bare {
                true => Some(format!(
                    "{name} is declared without a value earlier, which keyward reads as unset \
                     ({}) and python-dotenv's dotenv_values as empty ({}); remove the bare \
                     {name} line or give it a value",
                    characters(piece.chars().count()),
                    characters(self.python_piece(reference))
                )),
                false => self.differs(name).then(|| {
                    format!(
                        "{name} is taken from the process environment ({}), as load_dotenv() \
                         does; python-dotenv's dotenv_values and `dotenv run` take the env \
                         file's ({}); pass --override to prefer the env files",
                        characters(piece.chars().count()),
                        characters(self.python_piece(reference))
                    )
                }),
            };
            findings.precedence =
                why.map(|why| format!("{}: {} in {key}: {why}", at(), shown(name)));
        }
    }

    /// The length of what python-dotenv substitutes for `reference`.
    fn python_piece(&self, reference: &Reference<'_>) -> usize {
        self.python(reference.name)
            .or(reference.default)
            .map_or(0, |value| value.chars().count())
    }

    /// Whether keyward and python-dotenv's `dotenv_values` see different values for `name`.
    fn differs(&self, name: &str) -> bool {
        match (self.keyward(name).map(|(v, _)| v), self.python(name)) {
            (Some(ours), Some(theirs)) => !std::ptr::eq(ours, theirs) && ours != theirs,
            (ours, theirs) => ours.is_some() != theirs.is_some(),
        }
    }

    /// keyward's lookup: the process environment first unless `--override`, then the files.
    fn keyward(&self, name: &str) -> Option<(&str, usize)> {
        let process = self.process.get(name).map(|v| (v.as_str(), 0));
        let file = self.files.get(name).map(|k| (k.value.as_str(), k.depth));
        match self.options.override_existing {
            true => file.or(process),
            false => process.or(file),
        }
    }

    /// `dotenv_values`' lookup: the values read so far (a bare `KEY` reads as empty), then
    /// the process environment.
    fn python(&self, name: &str) -> Option<&str> {
        match self.python_files.get(name) {
            Some(value) => Some(value.as_deref().unwrap_or("")),
            None => self.process.get(name).map(String::as_str),
        }
    }

    /// The length python-dotenv's expansion of `text` would have (not built: it may be huge).
    fn python_len(&self, text: &str, refs: &[Reference<'_>]) -> usize {
        let mut len = text.chars().count();
        for reference in refs {
            len -= text[reference.start..reference.end].chars().count();
            let piece = self.python(reference.name).or(reference.default);
            len = len.saturating_add(piece.map_or(0, |p| p.chars().count()));
        }
        len
    }

    fn report(&mut self, findings: Findings) {
        let warnings = [findings.unset, findings.empty_default];
        for message in warnings.into_iter().flatten() {
            self.problems.push(Problem {
                level: Level::Warning,
                message,
            });
        }
        let advisories = [findings.shell_dash, findings.precedence];
        for message in advisories.into_iter().flatten() {
            self.problems.push(Problem {
                level: Level::Advisory,
                message,
            });
        }
    }
}

/// Fills an empty finding; the message is built only then.
fn note(slot: &mut Option<String>, message: impl FnOnce() -> String) {
    if slot.is_none() {
        *slot = Some(message());
    }
}

/// `path:line:column` of the byte `offset` into an entry's value (read, not source, text:
/// after an escape sequence the column is approximate).
fn place(path: &Path, entry: &Entry, text: &str, offset: usize) -> String {
    let before = &text[..offset];
    let (line, column) = match before.rfind('\n') {
        Some(last) => (
            entry.at.line + before.matches('\n').count(),
            before[last + 1..].chars().count() + 1,
        ),
        None => {
            let quote = usize::from(entry.quote != Quote::None);
            (
                entry.at.line,
                entry.at.column + quote + before.chars().count(),
            )
        }
    };
    format!("{}:{line}:{column}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(&str, Option<&str>)> {
        references(text)
            .into_iter()
            .map(|r| (r.name, r.default))
            .collect()
    }

    #[test]
    fn finds_references_as_python_dotenv_does() {
        assert_eq!(
            names("${A}/$B/${C:-x y}${D:=z}${E-f}${"),
            [("A", None), ("C", Some("x y")), ("E-f", None)]
        );
        assert_eq!(names("${A${B}"), [("A${B", None)]);
        assert_eq!(names("${A:-${B}}"), [("A", Some("${B"))]);
        assert_eq!(shell_default("E-f"), Some(("E", "f")));
        assert_eq!(shell_default("1-f"), None);
    }

    fn expand_text(text: &str) -> (Vec<(String, usize)>, Vec<Problem>) {
        let file = crate::env::dotenv::parse(Path::new(".env"), text).unwrap();
        let mut files = [file];
        let problems = expand_files(&mut files, &BTreeMap::new(), Options::default());
        let lengths = files[0]
            .entries
            .iter()
            .map(|e| (e.key.clone(), e.value.len()))
            .collect();
        (lengths, problems)
    }

    fn fatal(problems: &[Problem]) -> Vec<&str> {
        problems
            .iter()
            .filter(|p| p.level == Level::Fatal)
            .map(|p| p.message.as_str())
            .collect()
    }

    #[test]
    fn chains_deeper_than_the_bound_are_refused() {
        let mut text = String::from("V_0=x\n");
        for i in 1..=MAX_DEPTH + 1 {
            text.push_str(&format!("V_{i}=${{V_{}}}\n", i - 1));
        }
        let (_, problems) = expand_text(&text);
        let fatal = fatal(&problems);
        assert_eq!(fatal.len(), 1, "{fatal:?}");
        assert!(
            fatal[0].starts_with(".env:34:6: V_33 is built from values more than 32"),
            "{}",
            fatal[0]
        );
    }

    #[test]
    fn total_expansion_is_bounded_across_values() {
        let big = "b".repeat(100 * 1024);
        let mut text = format!("BIG={big}\n");
        for i in 0..12 {
            text.push_str(&format!("COPY_{i}=${{BIG}}\n"));
        }
        let (lengths, problems) = expand_text(&text);
        let fatal = fatal(&problems);
        // 10 copies fit in 1 MiB; the 11th and later are refused, each by name.
        assert_eq!(fatal.len(), 2, "{fatal:?}");
        assert!(
            fatal[0].contains("COPY_10 would be 100 KiB"),
            "{}",
            fatal[0]
        );
        assert_eq!(lengths[10], ("COPY_9".to_string(), big.len()));
        assert_eq!(lengths[11], ("COPY_10".to_string(), 0));
    }
}
