//! `keyward rules check`: runs each rule's `examples` (each must produce a finding through the
//! real gates, and the match must contain a keyword, so the prefilter can never hide it) and
//! `negative_examples` (none may).

use crate::detect::engine::{passes_gates, MatchContext};
use crate::rules::schema::normalize_keyword;
use crate::rules::{validate_pattern_within, Rule, BUILTIN_REGEX_SIZE};

/// Problems with one rule; empty when it is sound.
pub fn check_rule(rule: &Rule) -> Vec<String> {
    let mut problems = Vec::new();
    // User rules met the smaller bound when they were loaded.
    if let Err(e) = validate_pattern_within(&rule.pattern, BUILTIN_REGEX_SIZE) {
        problems.push(e);
        return problems;
    }
    if rule.examples.is_empty() {
        problems.push("has no examples".into());
    }
    if rule.negative_examples.is_empty() {
        problems.push("has no negative_examples".into());
    }
    if rule.references.is_empty() {
        problems.push("has no references".into());
    }
    for (i, example) in rule.examples.iter().enumerate() {
        match first_match(rule, example.as_bytes()) {
            None => problems.push(format!("example {} does not match: {example:?}", i + 1)),
            Some((start, end)) if !contains_keyword(rule, &example.as_bytes()[start..end]) => {
                problems.push(format!(
                    "example {}: the match does not contain any keyword, so the prefilter would skip it",
                    i + 1
                ))
            }
            Some(_) => {}
        }
    }
    for (i, negative) in rule.negative_examples.iter().enumerate() {
        if first_match(rule, negative.as_bytes()).is_some() {
            problems.push(format!("negative example {} matches: {negative:?}", i + 1));
        }
    }
    problems
}

/// The whole-match span of the first match that passes the gates.
fn first_match(rule: &Rule, text: &[u8]) -> Option<(usize, usize)> {
    let path = example_path(rule);
    rule.regex()?
        .captures_iter(text)
        .into_iter()
        .find_map(|caps| {
            let secret = caps.name("secret")?;
            let whole = caps.get(0)?;
            passes_gates(
                rule,
                &path,
                &MatchContext::of(&caps, text, secret.end()),
                secret.as_bytes(),
            )
            .then(|| (whole.start(), whole.end()))
        })
}

/// A path the rule applies to, for validators that look at it: the first glob's file name.
fn example_path(rule: &Rule) -> String {
    rule.path_globs
        .first()
        .map(|g| g.rsplit('/').next().unwrap_or(g).replace('*', "x"))
        .unwrap_or_else(|| "example.txt".into())
}

fn contains_keyword(rule: &Rule, matched: &[u8]) -> bool {
    if rule.keywords.is_empty() {
        return true;
    }
    let lower = matched.to_ascii_lowercase();
    rule.keywords.iter().any(|k| {
        let k = normalize_keyword(k);
        lower.windows(k.len()).any(|w| w == k.as_bytes())
    })
}
