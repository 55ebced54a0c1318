//! The spec files `tests/recall/specs/*.tsv`: one line per token shape,
//! `rule_id <TAB> context_name <TAB> template [<TAB> contexts]`, `#` comments and blank lines
//! allowed. Parses templates into literal text and generators; a bad line is an error naming
//! `file:line`. Knows nothing of generation or scanning.

use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Class {
    Hex,
    HexUpper,
    Digit,
    Lower,
    Upper,
    Alnum,
    AlnumLower,
    AlnumUpper,
    B64,
    B64Url,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Lit(String),
    Chars {
        class: Class,
        min: usize,
        max: usize,
    },
    Uuid,
    Crc32B62,
    Crc32Hex,
}

/// Where a token is written (see `contexts.rs`); a spec may restrict itself to some.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ctx {
    Py,
    PyKw,
    PyClient,
    PyDict,
    Yaml,
    YamlNested,
    Json,
    Env,
    Sh,
    /// The template is a whole file, named after the context name (`key.json`, `.edgerc`);
    /// never a default.
    File,
}

impl Ctx {
    pub const ALL: [Ctx; 9] = [
        Ctx::Py,
        Ctx::PyKw,
        Ctx::PyClient,
        Ctx::PyDict,
        Ctx::Yaml,
        Ctx::YamlNested,
        Ctx::Json,
        Ctx::Env,
        Ctx::Sh,
    ];

    /// Whether this context's positives count towards the recall bar. The SDK-constructor
    /// form (`Pinecone(api_key="…")`) and nested YAML (`pinecone:` then `api_key: …`), where
    /// the provider's name is not in the assigned name, are measured and reported beside it:
    /// the issue's bar is for assignments in Python, YAML, JSON, `.env` and shell.
    pub fn in_bar(self) -> bool {
        !matches!(self, Ctx::PyClient | Ctx::YamlNested)
    }

    pub fn name(self) -> &'static str {
        match self {
            Ctx::Py => "py",
            Ctx::PyKw => "pykw",
            Ctx::PyClient => "pyclient",
            Ctx::PyDict => "pydict",
            Ctx::Yaml => "yaml",
            Ctx::YamlNested => "yamlnest",
            Ctx::Json => "json",
            Ctx::Env => "env",
            Ctx::Sh => "sh",
            Ctx::File => "file",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Spec {
    /// `specs/<file>` name, e.g. `keys.tsv`.
    pub file: String,
    pub line: usize,
    pub rule: String,
    pub context: String,
    pub template: String,
    pub parts: Vec<Part>,
    pub contexts: Vec<Ctx>,
}

impl Spec {
    pub fn area(&self) -> &str {
        self.file.trim_end_matches(".tsv")
    }

    pub fn has_checksum(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Crc32B62 | Part::Crc32Hex))
    }

    pub fn is_multiline(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Lit(t) if t.contains('\n')))
    }
}

/// Every spec line of every `*.tsv` in `dir`, and the errors (`file:line: what`), in file order.
pub fn load_dir(dir: &Path) -> (Vec<Spec>, Vec<String>) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    let (mut specs, mut errors) = (Vec::new(), Vec::new());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                errors.push(format!("tests/recall/specs/{name}: failed to read: {e}"));
                continue;
            }
        };
        for (i, line) in text.lines().enumerate() {
            match parse_line(&name, i + 1, line) {
                Ok(Some(spec)) => specs.push(spec),
                Ok(None) => {}
                Err(e) => errors.push(format!("tests/recall/specs/{name}:{}: {e}", i + 1)),
            }
        }
    }
    (specs, errors)
}

/// One line: `None` for a comment or a blank line.
pub fn parse_line(file: &str, line: usize, text: &str) -> Result<Option<Spec>, String> {
    let text = text.trim_end_matches('\r');
    if text.trim().is_empty() || text.trim_start().starts_with('#') {
        return Ok(None);
    }
    let cols: Vec<&str> = text.split('\t').collect();
    if !(3..=4).contains(&cols.len()) {
        return Err(format!(
            "expected 3 or 4 tab-separated columns (rule_id, context_name, template[, contexts]), found {}",
            cols.len()
        ));
    }
    let (rule, context, template) = (cols[0].trim(), cols[1].trim(), cols[2]);
    if rule.is_empty()
        || !rule
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!("rule id `{rule}` is not [a-z0-9-]+"));
    }
    if context.is_empty()
        || !context
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    {
        return Err(format!(
            "context name `{context}` is not a variable name ([A-Za-z0-9_.-]+)"
        ));
    }
    let parts = parse_template(template)?;
    if !parts.iter().any(|p| !matches!(p, Part::Lit(_))) {
        return Err("template has no generator: every value would be the same".into());
    }
    let contexts = match cols.get(3) {
        None => Ctx::ALL.to_vec(),
        Some(list) => parse_contexts(list)?,
    };
    Ok(Some(Spec {
        file: file.to_string(),
        line,
        rule: rule.to_string(),
        context: context.to_string(),
        template: template.to_string(),
        parts,
        contexts,
    }))
}

fn parse_contexts(list: &str) -> Result<Vec<Ctx>, String> {
    list.split(',')
        .map(|name| {
            Ctx::ALL
                .into_iter()
                .chain([Ctx::File])
                .find(|c| c.name() == name.trim())
                .ok_or_else(|| {
                    let known: Vec<_> = Ctx::ALL.iter().map(|c| c.name()).collect();
                    format!(
                        "unknown context `{}` (known: {})",
                        name.trim(),
                        known.join(", ")
                    )
                })
        })
        .collect()
}

/// Literal text with `\n`, `\t`, `\\`, `\{`, `\}` escapes, and `{generator}` parts.
pub fn parse_template(template: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => lit.push('\n'),
                Some('t') => lit.push('\t'),
                Some(e @ ('\\' | '{' | '}')) => lit.push(e),
                other => {
                    return Err(format!(
                        "unknown escape `\\{}` in template",
                        other.map_or(String::new(), String::from)
                    ))
                }
            },
            '{' => {
                let mut body = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => body.push(c),
                        None => return Err(format!("unclosed `{{{body}` in template")),
                    }
                }
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(parse_generator(&body)?);
            }
            '}' => {
                return Err("unbalanced `}` in template (write `\\}` for a literal brace)".into())
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    Ok(parts)
}

fn parse_generator(body: &str) -> Result<Part, String> {
    match body {
        "uuid" => return Ok(Part::Uuid),
        "crc32b62" => return Ok(Part::Crc32B62),
        "crc32hex" => return Ok(Part::Crc32Hex),
        _ => {}
    }
    let (name, len) = body
        .split_once(':')
        .ok_or_else(|| format!("unknown generator `{{{body}}}` (e.g. {{alnum:36}}, {{hex:32-40}}, {{uuid}}, {{crc32b62}})"))?;
    let class = match name {
        "hex" => Class::Hex,
        "HEX" => Class::HexUpper,
        "digit" => Class::Digit,
        "lower" => Class::Lower,
        "upper" => Class::Upper,
        "alnum" => Class::Alnum,
        "alnumlower" => Class::AlnumLower,
        "alnumupper" => Class::AlnumUpper,
        "b64" => Class::B64,
        "b64url" => Class::B64Url,
        _ => return Err(format!("unknown character class `{name}` in `{{{body}}}`")),
    };
    let number = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| format!("bad length `{s}` in `{{{body}}}`"))
    };
    let (min, max) = match len.split_once('-') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => (number(len)?, number(len)?),
    };
    if min == 0 || min > max || max > 4096 {
        return Err(format!(
            "bad length range in `{{{body}}}` (need 1 <= min <= max <= 4096)"
        ));
    }
    Ok(Part::Chars { class, min, max })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_generators_ranges_and_escapes() {
        let parts = parse_template(r"ghp_{alnum:30}{crc32b62}\n{hex:8-12}\{").unwrap();
        assert_eq!(
            parts,
            vec![
                Part::Lit("ghp_".into()),
                Part::Chars {
                    class: Class::Alnum,
                    min: 30,
                    max: 30
                },
                Part::Crc32B62,
                Part::Lit("\n".into()),
                Part::Chars {
                    class: Class::Hex,
                    min: 8,
                    max: 12
                },
                Part::Lit("{".into()),
            ]
        );
    }

    #[test]
    fn bad_lines_are_errors() {
        for bad in [
            "rule\tNAME",
            "rule\tNAME\tabc_{alnum:30",
            "rule\tNAME\tabc_{base58:30}",
            "rule\tNAME\tabc_{alnum:40-30}",
            "Rule\tNAME\t{hex:32}",
            "rule\tNAME\tliteral-only",
            "rule\tNAME\t{hex:32}\tpy,toml",
        ] {
            assert!(parse_line("t.tsv", 1, bad).is_err(), "{bad}");
        }
        assert!(parse_line("t.tsv", 1, "# comment").unwrap().is_none());
    }
}
