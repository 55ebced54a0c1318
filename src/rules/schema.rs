//! The rule schema, written once: the keys of a rule in `patterns/**/*.yaml` and user rule
//! files. `rule_schema!` turns the one list of keys into the YAML form (`RuleSyntax`, serde;
//! an unknown key is an error, never a silent no-op), the embedded form of the built-in rules
//! (`BuiltinRule`, statics that `build.rs` writes with `RuleSyntax::builtin_expr`) and the
//! conversion between them. `build.rs` includes this file with `#[path]`, so the build and the
//! run time read the same definition. Its text is `Text` and `TextList`: a built-in rule borrows
//! the statics (converting one allocates nothing), a rule read from YAML owns its strings.

use crate::finding::{Kind, Severity};
use serde::Deserialize;
use std::borrow::Cow;

/// A text field of a rule: borrowed from the built-in statics, or owned (read from YAML).
pub type Text = Cow<'static, str>;

/// A list field of a rule: the built-in statics' slice, borrowed, or a list read from YAML.
pub type TextList = Cow<'static, [Text]>;

/// A rule file: one key, `rules`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub rules: Vec<RuleSyntax>,
}

/// The code-level check a match must pass after the regex (`validate:`), for rules whose
/// precision needs more than a regex and an entropy bound. New checks (checksums of a token
/// format) are new variants here and an arm in `detect::engine::passes_gates`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// Secret-named assignment: the value must look like a real credential. Generic rules
    /// also give way to a provider rule that matched the same value.
    GenericValue,
    /// Password in a URL: a weak one for a local or documentation host is a dev default.
    /// Scheme-level rules give way to a provider rule that matched the same span (a Sentry
    /// DSN is reported as a Sentry DSN, not as a password in a URL).
    UrlPassword,
    /// The token ends in six base62 characters holding the CRC-32 of its body (the part after
    /// the type prefix's `_`), as GitHub documents for its tokens: a value whose checksum
    /// does not match is not a token (a documentation example, a placeholder, an edited or
    /// truncated token) and is dropped.
    Base62Crc32,
    /// The token ends in eight lower-case hex digits holding the CRC-32 of everything before
    /// them, prefix included, as Private Packagist documents its token format.
    HexCrc32,
    /// A JSON Web Token: the header decodes to a JSON object naming `alg`.
    JwtHeader,
}

/// A keyword as the automaton matches it (ASCII case-insensitively): lower-cased. `RuleSet`
/// and `build.rs` number keywords in this form, first seen first; `rules check` compares in it.
pub fn normalize_keyword(keyword: &str) -> String {
    keyword.to_ascii_lowercase()
}

/// A field of the schema: its embedded (static) form, how that becomes the rule's form
/// (borrowing it: nothing is allocated), and how `build.rs` writes it as a Rust expression.
pub trait Field: Sized {
    type Embedded;
    fn from_embedded(embedded: &Self::Embedded) -> Self;
    fn expr(&self) -> String;
}

impl Field for Text {
    type Embedded = &'static str;
    fn from_embedded(embedded: &&'static str) -> Self {
        Cow::Borrowed(embedded)
    }
    fn expr(&self) -> String {
        format!("{:?}", &**self)
    }
}

impl Field for TextList {
    type Embedded = &'static [Text];
    fn from_embedded(embedded: &&'static [Text]) -> Self {
        Cow::Borrowed(embedded)
    }
    fn expr(&self) -> String {
        let items: Vec<String> = self
            .iter()
            .map(|s| format!("Cow::Borrowed({:?})", &**s))
            .collect();
        format!("&[{}]", items.join(", "))
    }
}

impl Field for Option<f64> {
    type Embedded = Option<f64>;
    fn from_embedded(embedded: &Option<f64>) -> Self {
        *embedded
    }
    fn expr(&self) -> String {
        match self {
            Some(n) => format!("Some({n:?})"),
            None => "None".into(),
        }
    }
}

impl Field for Kind {
    type Embedded = Kind;
    fn from_embedded(embedded: &Kind) -> Self {
        *embedded
    }
    fn expr(&self) -> String {
        format!("Kind::{self:?}")
    }
}

impl Field for Severity {
    type Embedded = Severity;
    fn from_embedded(embedded: &Severity) -> Self {
        *embedded
    }
    fn expr(&self) -> String {
        format!("Severity::{self:?}")
    }
}

impl Field for Option<Validator> {
    type Embedded = Option<Validator>;
    fn from_embedded(embedded: &Option<Validator>) -> Self {
        *embedded
    }
    fn expr(&self) -> String {
        match self {
            Some(v) => format!("Some(Validator::{v:?})"),
            None => "None".into(),
        }
    }
}

/// Defines `RuleSyntax`, `BuiltinRule` and their conversions from one list of keys.
macro_rules! rule_schema {
    ($( $(#[$attr:meta])* $key:ident: $ty:ty, )*) => {
        /// One rule as written.
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct RuleSyntax {
            $( $(#[$attr])* pub $key: $ty, )*
        }

        /// One built-in rule as embedded by `build.rs`, with the file it came from.
        #[derive(Debug)]
        pub struct BuiltinRule {
            pub file: &'static str,
            $( pub $key: <$ty as Field>::Embedded, )*
        }

        impl BuiltinRule {
            /// The rule as written, borrowing the statics.
            pub fn syntax(&self) -> RuleSyntax {
                RuleSyntax { $( $key: Field::from_embedded(&self.$key), )* }
            }
        }

        impl RuleSyntax {
            /// The rule as a `BuiltinRule` expression from `file` (what `build.rs` writes).
            pub fn builtin_expr(&self, file: &str) -> String {
                let mut out = format!("    BuiltinRule {{\n        file: {file:?},\n");
                $( out.push_str(&format!(
                    "        {}: {},\n",
                    stringify!($key),
                    Field::expr(&self.$key)
                )); )*
                out.push_str("    },\n");
                out
            }
        }
    };
}

rule_schema! {
    id: Text,
    title: Text,
    kind: Kind,
    severity: Severity,
    #[serde(default)]
    keywords: TextList,
    pattern: Text,
    #[serde(default)]
    min_entropy: Option<f64>,
    #[serde(default)]
    paths: TextList,
    remediation: Text,
    #[serde(default)]
    references: TextList,
    #[serde(default)]
    examples: TextList,
    #[serde(default)]
    negative_examples: TextList,
    /// The code-level check after the regex (`generic-value`, `url-password`).
    #[serde(default)]
    validate: Option<Validator>,
}
