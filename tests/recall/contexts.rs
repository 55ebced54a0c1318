//! Writes the labelled set: every spec's generated tokens (positives) and derived
//! non-secrets (negatives) into files of the matching type, one value per line (a multi-line
//! value spans several), and remembers which lines hold what. Python assignments, keyword
//! arguments and dicts, YAML, JSON, `.env` and shell, as real configuration writes them.

use super::gen::{self, LengthPick, Rng};
use super::spec::{Ctx, Spec};
use std::fmt::Write as _;
use std::path::Path;

/// Tokens per spec and context: the shortest and longest of a length range, and one between.
const PICKS: [LengthPick; 3] = [LengthPick::Min, LengthPick::Max, LengthPick::Random];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    Positive,
    /// Random parts replaced by `x`/`X`/`0` runs.
    Placeholder,
    /// Random parts replaced by `0`.
    Zeros,
    /// `<your-…>`.
    YourValue,
    /// `${NAME}`, `os.environ["NAME"]`.
    EnvLookup,
    /// A generated value cut to half its length.
    Truncated,
    /// A generated value whose checksum is wrong (templates with `{crc32b62}` / `{crc32hex}`).
    BadChecksum,
}

impl Label {
    pub fn name(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Placeholder => "placeholder x/X/0",
            Label::Zeros => "placeholder zeros",
            Label::YourValue => "<your-...>",
            Label::EnvLookup => "env lookup",
            Label::Truncated => "truncated",
            Label::BadChecksum => "bad checksum",
        }
    }
}

/// A value on disk: the spec it came from (index), where, and what it is.
pub struct Record {
    pub spec: usize,
    pub ctx: Ctx,
    pub label: Label,
    /// Relative to the set's root, `/`-separated.
    pub path: String,
    pub first_line: usize,
    pub last_line: usize,
    pub value: String,
}

enum Val {
    Literal(String),
    Lookup,
}

/// Generates the set for `specs` under `root`; the records of every value written.
pub fn write_set(root: &Path, specs: &[Spec]) -> Vec<Record> {
    let shapes = regex::RegexSetBuilder::new(specs.iter().map(|s| gen::regex_of(&s.parts)))
        .size_limit(1 << 28)
        .build()
        .expect("failed to compile the spec templates as regexes");
    let mut records = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let seed = format!("{}\t{}\t{}", spec.rule, spec.context, spec.template);
        let mut rng = Rng::new(gen::seed_of(&seed));
        for &ctx in &spec.contexts {
            let pos = PICKS
                .iter()
                .map(|&pick| {
                    let token = gen::render(&spec.parts, &mut rng, pick, false);
                    (Label::Positive, Val::Literal(token))
                })
                .collect();
            let neg = negatives(spec, ctx, &mut rng, specs, &shapes);
            let stem = format!("{}-{:04}-{}", spec.area(), spec.line, ctx.name());
            for (dir, values) in [("pos", pos), ("neg", neg)] {
                let file = |n: Option<usize>| match (ctx, n) {
                    (Ctx::File, Some(n)) => format!("{dir}/{stem}-{n}/{}", spec.context),
                    (_, Some(n)) => format!("{dir}/{stem}-{n}.{}", extension(ctx)),
                    (_, None) => format!("{dir}/{stem}.{}", extension(ctx)),
                };
                if spec.is_multiline() || matches!(ctx, Ctx::File | Ctx::YamlNested) {
                    // One file per value: a multi-line rule must not match from one value's
                    // header to the next one's body.
                    for (n, value) in values.into_iter().enumerate() {
                        let at = Place {
                            root,
                            path: file(Some(n)),
                            spec: i,
                            ctx,
                        };
                        write_file(&at, &spec.context, vec![value], &mut records);
                    }
                } else {
                    let at = Place {
                        root,
                        path: file(None),
                        spec: i,
                        ctx,
                    };
                    write_file(&at, &spec.context, values, &mut records);
                }
            }
        }
    }
    records
}

/// The negatives of one spec in one context.
fn negatives(
    spec: &Spec,
    ctx: Ctx,
    rng: &mut Rng,
    specs: &[Spec],
    shapes: &regex::RegexSet,
) -> Vec<(Label, Val)> {
    let mut neg = vec![
        (
            Label::Placeholder,
            Val::Literal(gen::placeholder(&spec.parts, false)),
        ),
        (
            Label::Zeros,
            Val::Literal(gen::placeholder(&spec.parts, true)),
        ),
    ];
    // A whole file has no variable to point elsewhere.
    if ctx != Ctx::File {
        neg.push((Label::YourValue, Val::Literal(your_value(&spec.context))));
        neg.push((Label::EnvLookup, Val::Lookup));
    }
    // Half of the shortest value the spec allows, unless that is itself a documented shape:
    // of the same rule (half a new-style GitLab token is an old-style one), or of a prefixed
    // token of another provider (half a Paystack `sk_live_` key has the shape of a Stripe
    // one), which is that provider's token wherever it stands.
    let shortest = gen::render(&spec.parts, rng, LengthPick::Min, false);
    let cut = gen::truncated(&spec.parts, &shortest);
    let documented = shapes
        .matches(&cut)
        .iter()
        .any(|j| specs[j].rule == spec.rule || gen::has_prefix(&specs[j].parts));
    if !documented {
        neg.push((Label::Truncated, Val::Literal(cut)));
    }
    if spec.has_checksum() {
        let bad = gen::render(&spec.parts, rng, LengthPick::Random, true);
        neg.push((Label::BadChecksum, Val::Literal(bad)));
    }
    neg
}

/// Where a file of values goes.
struct Place<'a> {
    root: &'a Path,
    path: String,
    spec: usize,
    ctx: Ctx,
}

fn write_file(at: &Place, name: &str, values: Vec<(Label, Val)>, records: &mut Vec<Record>) {
    let (root, path, spec, ctx) = (at.root, at.path.as_str(), at.spec, at.ctx);
    let (header, footer) = match ctx {
        Ctx::Json => ("[\n", "\n]\n"),
        _ => ("", "\n"),
    };
    let mut text = String::from(header);
    let mut line = 1 + header.matches('\n').count();
    let count = values.len();
    for (n, (label, value)) in values.into_iter().enumerate() {
        let sep = if ctx == Ctx::Json && n + 1 < count {
            ","
        } else {
            ""
        };
        let rendered = format!("{}{sep}", render(ctx, name, &value));
        let lines = rendered.matches('\n').count();
        records.push(Record {
            spec,
            ctx,
            label,
            path: path.to_string(),
            first_line: line,
            last_line: line + lines,
            value: match value {
                Val::Literal(v) => v,
                Val::Lookup => format!("${{{name}}}"),
            },
        });
        text.push_str(&rendered);
        if n + 1 < count {
            text.push('\n');
        }
        line += lines + 1;
    }
    text.push_str(footer);
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(&full, text)
        .unwrap_or_else(|e| panic!("failed to write {}: {e}", full.display()));
}

fn extension(ctx: Ctx) -> &'static str {
    match ctx {
        Ctx::Py | Ctx::PyKw | Ctx::PyClient | Ctx::PyDict => "py",
        Ctx::Yaml | Ctx::YamlNested => "yaml",
        Ctx::Json => "json",
        Ctx::Env => "env",
        Ctx::Sh => "sh",
        Ctx::File => "txt",
    }
}

/// `<your-pinecone-api-key>` for `PINECONE_API_KEY`.
fn your_value(name: &str) -> String {
    format!(
        "<your-{}>",
        name.to_ascii_lowercase().replace(['_', '.'], "-")
    )
}

/// A double-quoted string literal (Python, JSON): escapes backslash, quote and newline.
fn quoted(v: &str) -> String {
    let mut out = String::from('"');
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One assignment of `value` to `name` in `ctx`.
fn render(ctx: Ctx, name: &str, value: &Val) -> String {
    let lower = name.to_ascii_lowercase();
    let v = match value {
        Val::Lookup => return lookup(ctx, name, &lower),
        Val::Literal(v) => v,
    };
    let multi = v.contains('\n');
    match ctx {
        Ctx::Py if multi => format!("{name} = \"\"\"\n{v}\n\"\"\""),
        Ctx::Py => format!("{name} = {}", quoted(v)),
        Ctx::PyKw => format!("client = Client({lower}={})", quoted(v)),
        Ctx::PyClient => {
            let (class, arg) = sdk_call(name);
            format!("client = {class}({arg}={})", quoted(v))
        }
        Ctx::PyDict => format!("CONFIG = {{{}: {}}}", quoted(name), quoted(v)),
        Ctx::Yaml if multi => {
            let mut out = format!("{lower}: |");
            for l in v.lines() {
                let _ = write!(out, "\n  {l}");
            }
            out
        }
        Ctx::YamlNested => {
            let (parent, key) = sdk_call(name);
            let nested = render(Ctx::Yaml, &key, value).replace('\n', "\n  ");
            format!("{}:\n  {nested}", parent.to_ascii_lowercase())
        }
        Ctx::Yaml if needs_yaml_quotes(v) => format!("{lower}: {}", quoted(v)),
        Ctx::Yaml => format!("{lower}: {v}"),
        Ctx::Json => format!("  {{{}: {}}}", quoted(&lower), quoted(v)),
        Ctx::Env if multi || v.contains([' ', '#', '\'']) => format!("{name}=\"{v}\""),
        Ctx::Env => format!("{name}={v}"),
        Ctx::Sh => format!("export {name}='{v}'"),
        Ctx::File => v.clone(),
    }
}

fn lookup(ctx: Ctx, name: &str, lower: &str) -> String {
    match ctx {
        Ctx::Py => format!("{name} = os.environ[\"{name}\"]"),
        Ctx::PyKw => format!("client = Client({lower}=os.getenv(\"{name}\"))"),
        Ctx::PyClient => {
            let (class, arg) = sdk_call(name);
            format!("client = {class}({arg}=os.environ[\"{name}\"])")
        }
        Ctx::PyDict => format!("CONFIG = {{\"{name}\": os.environ.get(\"{name}\")}}"),
        Ctx::Yaml => format!("{lower}: ${{{name}}}"),
        Ctx::YamlNested => {
            let (parent, key) = sdk_call(name);
            format!("{}:\n  {key}: ${{{name}}}", parent.to_ascii_lowercase())
        }
        Ctx::Json => format!("  {{\"{lower}\": \"${{{name}}}\"}}"),
        Ctx::Env => format!("{name}=${{{name}}}"),
        Ctx::Sh => format!("export {name}=\"${{{name}}}\""),
        Ctx::File => unreachable!("a whole-file value has no lookup"),
    }
}

/// The SDK constructor a variable name suggests: `PINECONE_API_KEY` -> `Pinecone(api_key=…)`.
fn sdk_call(name: &str) -> (String, String) {
    let lower = name.to_ascii_lowercase();
    match lower.split_once(['_', '.', '-']) {
        Some((provider, rest)) if !provider.is_empty() && !rest.is_empty() => {
            let mut class = provider.to_string();
            class[..1].make_ascii_uppercase();
            (class, rest.replace(['.', '-'], "_"))
        }
        _ => ("Client".to_string(), lower.replace(['.', '-'], "_")),
    }
}

/// Plain YAML scalars cannot start with an indicator or contain `: ` / ` #`.
fn needs_yaml_quotes(v: &str) -> bool {
    v.starts_with([
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`', ' ',
    ]) || v.contains(": ")
        || v.contains(" #")
        || v.ends_with([' ', ':'])
}
