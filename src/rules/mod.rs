//! Rules: raw syntax (`schema`, serde) → compiled `Rule` → `RuleSet` (one keyword automaton
//! for all rules, regexes compiled on first use). Loading is strict: every problem is an error
//! naming the file. This module never reads the files being scanned.

pub mod automaton;
pub mod builtin;
pub(crate) mod globs;
pub mod needs;
pub mod pattern;
pub mod schema;
pub mod yaml;

use crate::finding::{Kind, Maker, Severity};
use automaton::KeywordDfa;
use globs::PathGlobs;
use needs::Run;
use pattern::RulePattern;
pub use schema::Validator;
use schema::{RuleFile, RuleSyntax};
pub use schema::{Text, TextList};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A rule file or rule that cannot be loaded, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct RuleError {
    pub file: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::spans_lines;

    #[test]
    fn the_built_in_keyword_tables_are_what_indexing_the_rules_gives() {
        use super::{builtin_rules, builtin_rules_for_scan, RuleSet};
        let taken = RuleSet::new(builtin_rules_for_scan().unwrap()).unwrap();
        let indexed = RuleSet::indexed(builtin_rules().unwrap()).unwrap();
        assert!(matches!(taken.keyword_rules, std::borrow::Cow::Borrowed(_)));
        assert_eq!(taken.keywords(), indexed.keywords());
        assert_eq!(taken.longest_keyword(), indexed.longest_keyword());
        assert_eq!(taken.keywordless(), indexed.keywordless());
        assert!(!taken.keywordless().is_empty());
        for k in 0..indexed.keywords().len() {
            assert_eq!(
                taken.rules_for_keyword(k),
                indexed.rules_for_keyword(k),
                "{k}"
            );
        }
        // One rule less (disabled) is indexed here, with the built-in keywords and automaton;
        // the keywords lead only to rules that list them.
        let mut fewer = builtin_rules_for_scan().unwrap();
        let gone = fewer.remove(3);
        assert!(!gone.keywords.is_empty());
        let fewer = RuleSet::new(fewer).unwrap();
        assert!(matches!(fewer.keyword_rules, std::borrow::Cow::Owned(_)));
        assert_eq!(fewer.keywords(), super::builtin::BUILTIN_KEYWORDS);
        assert_eq!(fewer.automaton().parts(), super::builtin::BUILTIN_DFA);
        for (k, keyword) in fewer.keywords().iter().enumerate() {
            for &r in fewer.rules_for_keyword(k) {
                let rule = fewer.rule(r);
                assert_ne!(rule.id, gone.id);
                assert!(rule
                    .keywords
                    .iter()
                    .any(|w| w.to_ascii_lowercase() == *keyword));
            }
        }
    }

    #[test]
    fn the_built_in_rules_borrow_their_text() {
        use std::borrow::Cow::Borrowed;
        let rules = super::builtin_rules_for_scan().unwrap();
        assert_eq!(rules.len(), super::builtin::BUILTIN_RULES.len());
        for r in &rules {
            let texts = [&r.id, &r.title, &r.pattern, &r.remediation, &r.source];
            assert!(texts.iter().all(|t| matches!(t, Borrowed(_))), "{}", r.id);
            let lists = [&r.keywords, &r.path_globs, &r.references, &r.examples];
            assert!(lists.iter().all(|l| matches!(l, Borrowed(_))), "{}", r.id);
            assert!(matches!(r.negative_examples, Borrowed(_)), "{}", r.id);
        }
        let set = super::RuleSet::new(rules).unwrap();
        assert!(matches!(set.keywords, Borrowed(_)));
        // A rule read from YAML owns its text, and compares equal to the same text borrowed.
        let yaml = "rules:\n  - {id: a-b, title: T, kind: secret, severity: high, \
                    keywords: [x_], pattern: '(?P<secret>x_[0-9]{9})', remediation: R}\n";
        let raw = super::parse_file("f.yaml", yaml).unwrap().remove(0);
        assert!(matches!(raw.id, std::borrow::Cow::Owned(_)));
        assert!(matches!(raw.keywords, std::borrow::Cow::Owned(_)));
        assert_eq!(*raw.keywords, ["x_"]);
        assert!(raw.paths.is_empty());
    }

    #[test]
    fn multiline_patterns_are_recognised() {
        assert!(spans_lines(r"(?s)-----BEGIN.*?-----END"));
        assert!(spans_lines(r"key\n[A-Z]+"));
        assert!(!spans_lines(r"token[^\n]{0,20}=(?P<secret>\w+)"));
        assert!(!spans_lines(r"(?P<secret>ghp_[A-Za-z0-9]{36})"));
    }

    #[test]
    fn every_built_in_match_holds_the_runs_of_its_rule() {
        for (rule, needs) in super::builtin::BUILTIN_RULES
            .iter()
            .zip(super::builtin::BUILTIN_NEEDS)
        {
            // The statics are what this module finds now.
            assert_eq!(
                *needs,
                super::needs::of_pattern(rule.pattern, rule.keywords),
                "{}",
                rule.id
            );
            let re = regex::bytes::RegexBuilder::new(rule.pattern)
                .unicode(false)
                .build()
                .unwrap();
            for text in rule.examples.iter().chain(rule.negative_examples.iter()) {
                for m in re.find_iter(text.as_bytes()) {
                    // The match alone: no byte around it helps.
                    assert!(
                        super::needs::admits(needs, m.as_bytes()),
                        "{}: {text}",
                        rule.id
                    );
                }
            }
        }
    }

    #[test]
    fn a_window_without_the_runs_a_match_needs_does_not_compile_the_pattern() {
        let raw: super::RuleSyntax = super::yaml::from_str(
            "id: test-token\ntitle: t\nkind: secret\nseverity: high\nkeywords: [token]\n\
             pattern: 'token=(?P<secret>[A-F0-9]{32})'\nremediation: r\n",
        )
        .unwrap();
        let rule = super::compile("rules.yaml", raw, true).unwrap();
        assert!(!rule.may_match(b"token=ABC token=DEF"));
        assert!(rule.regex.get().is_none());
        let hit = format!("token={}", "0A".repeat(16));
        assert!(rule.may_match(hit.as_bytes()));
        assert!(rule.regex().unwrap().is_match(hit.as_bytes()));
    }
}

impl RuleError {
    fn new(file: &str, message: impl Into<String>) -> Self {
        RuleError {
            file: file.to_string(),
            message: message.into(),
        }
    }
}

/// A loaded rule. Its text borrows the statics of a built-in rule (building the built-in set
/// allocates no string) and owns that of a user rule.
#[derive(Debug)]
pub struct Rule {
    pub id: Text,
    pub title: Text,
    pub kind: Kind,
    pub severity: Severity,
    pub keywords: TextList,
    pub pattern: Text,
    pub min_entropy: Option<f64>,
    pub path_globs: TextList,
    /// `path_globs` as a matcher, built on first use (a glob set compiles regexes).
    paths: OnceLock<Option<PathGlobs>>,
    pub remediation: Text,
    pub references: TextList,
    pub examples: TextList,
    pub negative_examples: TextList,
    /// The file the rule came from (`patterns/…` or a user file).
    pub source: Text,
    /// The check after the regex (`validate:`).
    pub validator: Option<Validator>,
    /// Whether the pattern can span lines, found on first use (`multiline`).
    multiline: OnceLock<bool>,
    /// Boxed: a compiled pattern is a couple of KiB, and most rules never compile theirs (a
    /// rule set of 449 inline ones made start-up fault in a megabyte).
    regex: OnceLock<Result<Box<RulePattern>, String>>,
    /// Runs of bytes every match holds (`needs`): a window without them is not searched, and
    /// the pattern not compiled for it. Statics for a built-in rule.
    needs: Cow<'static, [Run]>,
}

impl Rule {
    /// The compiled regex, built on first use so that start-up stays cheap. Patterns are
    /// validated when loaded (user rules) or by the test suite (built-in rules); one that still
    /// fails matches nothing, and `RuleSet::regex_errors` names it for the scan to report
    /// (detection never prints).
    pub fn regex(&self) -> Option<&RulePattern> {
        self.regex
            .get_or_init(|| match build_regex(&self.pattern) {
                Ok(regex) => Ok(Box::new(regex)),
                Err(e) => Err(e.to_string()),
            })
            .as_deref()
            .ok()
    }

    /// Whether `window` may hold a match: `false` when it lacks a run every match holds, which
    /// is decided without compiling the pattern.
    pub fn may_match(&self, window: &[u8]) -> bool {
        needs::admits(&self.needs, window)
    }

    /// The pattern can span lines (`(?s)` or `\n`): its search window extends past the line.
    /// Found when a scan first meets one of its keywords, like its regex.
    pub fn multiline(&self) -> bool {
        *self.multiline.get_or_init(|| spans_lines(&self.pattern))
    }

    /// The error of a regex that failed to compile on first use.
    fn regex_error(&self) -> Option<RuleError> {
        let error = match self.regex.get()? {
            Err(e) => e.clone(),
            Ok(regex) => regex.late_error()?.to_string(),
        };
        Some(RuleError::new(
            &self.source,
            format!("rule `{}`: {error}", self.id),
        ))
    }

    /// What its findings say about it.
    pub fn maker(&self) -> Maker<'_> {
        Maker {
            id: &self.id,
            title: &self.title,
            kind: self.kind,
            severity: self.severity,
            remediation: &self.remediation,
        }
    }

    /// Whether the rule applies to a file at `path` (its `paths` globs, if any).
    pub fn applies_to(&self, path: &str) -> bool {
        let paths = self.paths.get_or_init(|| {
            PathGlobs::new(&self.path_globs).expect("globs are validated when the rule is loaded")
        });
        match paths {
            None => true,
            Some(set) => {
                // The file name: what follows the last `/` (memrchr: a reverse `rsplit('/')`
                // walks the path a character at a time, for every rule and file).
                let name = memchr::memrchr(b'/', path.as_bytes()).map_or(path, |i| &path[i + 1..]);
                set.may_match(path) && (set.is_match(path) || set.is_match(name))
            }
        }
    }

    /// Whether the rule only runs on some paths (`paths:` globs).
    pub fn is_path_scoped(&self) -> bool {
        !self.path_globs.is_empty()
    }

    /// Whether the rule is one of the generic (provider-less) detectors, which give way to a
    /// provider rule that matched the same value.
    pub fn is_generic(&self) -> bool {
        self.validator == Some(Validator::GenericValue)
    }
}

/// Parses one rule file into raw syntax, naming the file in every error.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<RuleSyntax>, RuleError> {
    let parsed: RuleFile = yaml::from_str(text).map_err(|e| RuleError::new(file, e))?;
    Ok(parsed.rules)
}

/// Compiles a built-in or loaded rule pattern for scanning (see `pattern::RulePattern`).
pub fn build_regex(pattern: &str) -> Result<RulePattern, pattern::PatternError> {
    RulePattern::new(pattern, BUILTIN_REGEX_SIZE, DFA_CACHE)
}

/// Compiled size bounds: the largest built-in rule needs just under 1 MiB; a user rule gets
/// half that (`(\w{100}){100}` needs more, and would take minutes on a 1 MB line).
pub const BUILTIN_REGEX_SIZE: usize = 2 << 20;
pub const USER_REGEX_SIZE: usize = 512 << 10;
/// The lazy DFA's cache per regex (and thread).
const DFA_CACHE: usize = 4 << 20;

/// Checks that a pattern compiles within the user-rule size bound and has a `secret` group.
pub fn validate_pattern(pattern: &str) -> Result<(), String> {
    validate_pattern_within(pattern, USER_REGEX_SIZE)
}

/// `validate_pattern` with a compiled size bound of `limit` bytes.
pub fn validate_pattern_within(pattern: &str, limit: usize) -> Result<(), String> {
    let regex = RulePattern::new(pattern, limit, DFA_CACHE)
        .and_then(RulePattern::complete)
        .map_err(|e| match e {
            pattern::PatternError::TooLarge(_) => format!("{e}: bound its repetitions"),
            e => e.to_string(),
        })?;
    if !regex.has_group("secret") {
        return Err("pattern has no `(?P<secret>…)` group".into());
    }
    Ok(())
}

/// Compiles raw syntax from `file` into a `Rule`. `validate` compiles the regex now (user
/// rules); built-in rules skip it to keep start-up cheap, because `cargo test` validates every
/// one of them.
pub fn compile(file: impl Into<Text>, raw: RuleSyntax, validate: bool) -> Result<Rule, RuleError> {
    let file = file.into();
    let problems = rule_problems(&raw, validate);
    if !problems.is_empty() {
        let msg = format!("rule `{}`: {}", raw.id, problems.join("; "));
        return Err(RuleError::new(&file, msg));
    }
    let needs = needs::of_pattern(&raw.pattern, &raw.keywords).into();
    Ok(assemble(file, raw, needs))
}

/// The `Rule` of syntax that has no problems, whose matches need `needs`.
fn assemble(file: Text, raw: RuleSyntax, needs: Cow<'static, [Run]>) -> Rule {
    Rule {
        id: raw.id,
        title: raw.title,
        kind: raw.kind,
        severity: raw.severity,
        keywords: raw.keywords,
        pattern: raw.pattern,
        min_entropy: raw.min_entropy,
        path_globs: raw.paths,
        paths: OnceLock::new(),
        remediation: raw.remediation,
        references: raw.references,
        examples: raw.examples,
        negative_examples: raw.negative_examples,
        source: file,
        validator: raw.validate,
        multiline: OnceLock::new(),
        regex: OnceLock::new(),
        needs,
    }
}

/// Every problem of one rule's syntax (its id, pattern, keywords and path globs), so that a
/// rule file is fixed in one round.
fn rule_problems(raw: &RuleSyntax, validate: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let id_ok = (raw.id.bytes()).all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if raw.id.is_empty() || !id_ok {
        problems.push("id must be non-empty and use only [a-z0-9-]".to_string());
    }
    if validate {
        problems.extend(validate_pattern(&raw.pattern).err());
    } else if !raw.pattern.contains("(?P<secret>") && !raw.pattern.contains("(?<secret>") {
        problems.push("pattern has no `(?P<secret>…)` group".into());
    }
    if raw.keywords.iter().any(|k| k.is_empty()) {
        problems.push("a keyword is empty".into());
    }
    if validate {
        problems.extend(PathGlobs::new(&raw.paths).err());
    } else if let Some(bad) = raw.paths.iter().find(|g| !globs::parses(g)) {
        problems.push(format!("bad path glob `{bad}`"));
    }
    problems
}

/// Whether a pattern can match across lines: `(?s)` mode, or a `\n` outside a negated class
/// (`[^\n]` keeps a match on one line).
fn spans_lines(pattern: &str) -> bool {
    if pattern.contains("(?s") {
        return true;
    }
    let bytes = pattern.as_bytes();
    let mut negated_class = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b'n') && !negated_class => return true,
            b'\\' => i += 1,
            b'[' if bytes.get(i + 1) == Some(&b'^') => negated_class = true,
            b']' => negated_class = false,
            _ => {}
        }
        i += 1;
    }
    false
}

/// Whether `rules` are the built-in rules, in their order, with their keywords.
fn is_builtin(rules: &[Rule]) -> bool {
    rules.len() == builtin::BUILTIN_RULES.len()
        && rules.iter().zip(builtin::BUILTIN_RULES).all(|(r, b)| {
            same(&*r.source, b.file) && same(&*r.id, b.id) && same(&*r.keywords, b.keywords)
        })
}

/// `a == b`, without comparing the contents when both borrow the same static.
fn same<T: PartialEq + ?Sized>(a: &T, b: &T) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Compiles every built-in rule (embedded as statics by `build.rs`).
pub fn builtin_rules() -> Result<Vec<Rule>, RuleError> {
    builtin::BUILTIN_RULES
        .iter()
        .map(|rule| compile(rule.file, builtin_syntax(rule), false))
        .collect()
}

/// The built-in rules as a scan needs them: without the syntax checks of `compile`, which
/// `builtin_rules` makes (the test suite runs it on every built-in rule). Their text borrows
/// the statics: this allocates the `Vec` of rules and nothing per rule.
pub fn builtin_rules_for_scan() -> Result<Vec<Rule>, RuleError> {
    Ok((builtin::BUILTIN_RULES.iter().zip(builtin::BUILTIN_NEEDS))
        .map(|(rule, needs)| {
            assemble(
                Cow::Borrowed(rule.file),
                rule.syntax(),
                Cow::Borrowed(needs),
            )
        })
        .collect())
}

/// The raw syntax of a built-in rule (borrowing its statics).
pub fn builtin_syntax(rule: &builtin::BuiltinRule) -> RuleSyntax {
    rule.syntax()
}

/// Loads and compiles (with full validation) a user rule file.
pub fn load_user_file(path: &std::path::Path) -> Result<Vec<Rule>, RuleError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| RuleError::new(&name, format!("cannot read rule file: {e}")))?;
    parse_file(&name, &text)?
        .into_iter()
        .map(|raw| compile(name.clone(), raw, true))
        .collect()
}

/// `rules check FILE`: every rule of a user rule file that compiles, and a problem for each one
/// that does not (or one for the file, when it cannot be read or parsed): all are reported.
pub fn check_user_file(path: &std::path::Path) -> (Vec<Rule>, Vec<RuleError>) {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            return (
                vec![],
                vec![RuleError::new(&name, format!("cannot read rule file: {e}"))],
            )
        }
    };
    let raws = match parse_file(&name, &text) {
        Ok(raws) => raws,
        Err(e) => return (vec![], vec![e]),
    };
    let (mut rules, mut problems) = (Vec::new(), Vec::new());
    for raw in raws {
        match compile(name.clone(), raw, true) {
            Ok(rule) => rules.push(rule),
            Err(e) => problems.push(e),
        }
    }
    (rules, problems)
}

/// All rules with one keyword automaton (`automaton::KeywordDfa`, built on first use).
/// Keywords are matched ASCII case-insensitively; each keyword maps to the rules that listed it.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// The keywords; the built-in static itself when the rules are the built-in ones.
    keywords: TextList,
    longest_keyword: usize,
    automaton: OnceLock<KeywordDfa>,
    /// The rules of keyword `k` are `keyword_rules[keyword_rule_start[k]..keyword_rule_start[k + 1]]`.
    keyword_rule_start: Cow<'static, [u32]>,
    keyword_rules: Cow<'static, [u32]>,
    keywordless: Cow<'static, [u32]>,
}

impl RuleSet {
    /// Builds the set; a duplicate id is an error naming both files. The built-in rules alone
    /// (the common case: no user rules, none disabled) take the keyword tables `build.rs`
    /// wrote for them, which are what indexing them here gives (tested).
    pub fn new(rules: Vec<Rule>) -> Result<Self, RuleError> {
        if is_builtin(&rules) {
            return Ok(RuleSet {
                rules,
                keywords: Cow::Borrowed(builtin::BUILTIN_KEYWORDS),
                longest_keyword: builtin::BUILTIN_KEYWORDS
                    .iter()
                    .map(|k| k.len())
                    .max()
                    .unwrap_or(0),
                automaton: OnceLock::new(),
                keyword_rule_start: Cow::Borrowed(builtin::BUILTIN_KEYWORD_RULE_START),
                keyword_rules: Cow::Borrowed(builtin::BUILTIN_KEYWORD_RULES),
                keywordless: Cow::Borrowed(builtin::BUILTIN_KEYWORDLESS),
            });
        }
        Self::indexed(rules)
    }

    /// `new` without the built-in tables: indexes the rules' keywords here.
    fn indexed(rules: Vec<Rule>) -> Result<Self, RuleError> {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for rule in &rules {
            if let Some(first) = seen.insert(&rule.id, &rule.source) {
                return Err(RuleError::new(
                    &rule.source,
                    format!("duplicate rule id `{}` (first defined in {first})", rule.id),
                ));
            }
        }
        // The built-in keywords first, in their order, whether or not a rule here lists them
        // (one that none lists occurs to no effect): a set that only disables built-in rules,
        // or adds rules with known keywords, keeps the built-in automaton instead of building
        // one at every start.
        let mut keywords: Vec<Text> = builtin::BUILTIN_KEYWORDS.to_vec();
        let mut index: HashMap<Text, usize> = (keywords.iter().cloned())
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        let mut per_keyword: Vec<Vec<u32>> = vec![Vec::new(); keywords.len()];
        let mut keywordless = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                keywordless.push(i as u32);
            }
            for kw in rule.keywords.iter() {
                let key = schema::normalize_keyword(kw);
                let slot = match index.get(key.as_str()) {
                    Some(&slot) => slot,
                    None => {
                        let key = Text::Owned(key);
                        index.insert(key.clone(), keywords.len());
                        keywords.push(key);
                        per_keyword.push(Vec::new());
                        keywords.len() - 1
                    }
                };
                if !per_keyword[slot].contains(&(i as u32)) {
                    per_keyword[slot].push(i as u32);
                }
            }
        }
        let mut keyword_rule_start = vec![0u32];
        let mut keyword_rules = Vec::new();
        for listed in &per_keyword {
            keyword_rules.extend_from_slice(listed);
            keyword_rule_start.push(keyword_rules.len() as u32);
        }
        Ok(RuleSet {
            rules,
            longest_keyword: keywords.iter().map(|k| k.len()).max().unwrap_or(0),
            keywords: keywords.into(),
            automaton: OnceLock::new(),
            keyword_rule_start: keyword_rule_start.into(),
            keyword_rules: keyword_rules.into(),
            keywordless: keywordless.into(),
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, index: u32) -> &Rule {
        &self.rules[index as usize]
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The keyword automaton: the one `build.rs` built when the keywords are the built-in
    /// rules' (the common case), else built on first use (about half a millisecond).
    pub fn automaton(&self) -> &KeywordDfa {
        self.automaton.get_or_init(|| {
            if same(&*self.keywords, builtin::BUILTIN_KEYWORDS) {
                // SAFETY: `build.rs` wrote these statics from `KeywordDfa::new(..).parts()`
                // (and a test compares them with the automaton built at run time).
                unsafe { KeywordDfa::from_parts(builtin::BUILTIN_DFA) }
            } else {
                let keywords: Vec<&[u8]> = self.keywords.iter().map(|k| k.as_bytes()).collect();
                KeywordDfa::new(&keywords)
            }
        })
    }

    /// The keywords, in automaton pattern id order (lower-case).
    pub fn keywords(&self) -> &[Text] {
        &self.keywords
    }

    /// The rules that listed the keyword with automaton pattern id `pattern`.
    pub fn rules_for_keyword(&self, pattern: usize) -> &[u32] {
        let (start, end) = (
            self.keyword_rule_start[pattern],
            self.keyword_rule_start[pattern + 1],
        );
        &self.keyword_rules[start as usize..end as usize]
    }

    /// The length of the longest keyword, in bytes.
    pub fn longest_keyword(&self) -> usize {
        self.longest_keyword
    }

    /// The rules whose regex failed to compile when a scan first used it.
    pub fn regex_errors(&self) -> Vec<RuleError> {
        self.rules.iter().filter_map(Rule::regex_error).collect()
    }

    /// Rules without keywords: they run on every file.
    pub fn keywordless(&self) -> &[u32] {
        &self.keywordless
    }
}
