//! The matching engine: one pass of the keyword automaton over a buffer, then each rule's
//! regex only in windows around its keywords, then the gates (entropy, placeholder, generic
//! value checks, inline allow). With the prefilter off every rule runs over the whole buffer;
//! the two modes must give identical findings (tested).

use super::knownsecrets::{self as known, KnownSecrets};
use super::{
    allow, checksum, entropy, generic, keywords, lineindex::LineIndex, notebook, placeholder,
};
use crate::finding::{Finding, Kind};
use crate::rules::{Rule, RuleSet, Validator};

/// How far a window reaches around a keyword when the line is long.
const BEFORE: usize = 512;
const AFTER: usize = 1024;
/// How far a window reaches after the keyword for rules that span lines (key blocks).
const MULTILINE_AFTER: usize = 16 * 1024;

#[derive(Debug, Clone, Copy)]
struct Window {
    rule: u32,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    rule: u32,
    start: usize,
    end: usize,
}

/// Per-thread scratch space, reused across buffers.
#[derive(Default)]
pub struct Scratch {
    windows: Vec<Window>,
    hits: Vec<Hit>,
    /// Per rule, for the current file: 0 unknown, 1 applies, 2 does not (path globs).
    applies: Vec<u8>,
    /// `--known-secrets` values confirmed during the keyword walk.
    known_hits: Vec<known::Hit>,
}

pub struct Detector<'r> {
    rules: &'r RuleSet,
    prefilter: bool,
    secrets_only: bool,
    known: Option<&'r KnownSecrets>,
}

impl<'r> Detector<'r> {
    pub fn new(rules: &'r RuleSet, prefilter: bool) -> Self {
        Detector {
            rules,
            prefilter,
            secrets_only: false,
            known: None,
        }
    }

    /// Also looks for the `--known-secrets` values in every buffer.
    pub fn with_known(mut self, known: Option<&'r KnownSecrets>) -> Self {
        self.known = known;
        self
    }

    /// Runs only `kind: secret` rules: for history, where configuration checks on old
    /// revisions are not reported, so matching them would be wasted work.
    pub fn secrets_only(mut self) -> Self {
        self.secrets_only = true;
        self
    }

    /// Whether rule `r` runs on a file at `path`.
    fn wanted(&self, r: u32, path: &str) -> bool {
        let rule = self.rules.rule(r);
        (!self.secrets_only || rule.kind == Kind::Secret) && rule.applies_to(path)
    }

    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    /// All findings of the rule set in `data`, a file at `path` (relative, `/`-separated).
    pub fn scan(&self, path: &str, data: &[u8], scratch: &mut Scratch) -> Vec<Finding> {
        if notebook::is_notebook(path) {
            let view = notebook::prepare(data);
            return self.scan_view(path, &view, scratch);
        }
        self.scan_view(path, data, scratch)
    }

    /// The findings in a binary file: only `--known-secrets` values (exact, so a string
    /// constant in a committed `.pyc` or a SQLite file counts); rules do not run on binaries.
    pub fn scan_binary(&self, path: &str, data: &[u8]) -> Vec<Finding> {
        let mut findings = Vec::new();
        if let Some(known) = self.known {
            known.find(path, data, &mut findings);
        }
        findings
    }

    fn scan_view(&self, path: &str, data: &[u8], scratch: &mut Scratch) -> Vec<Finding> {
        scratch.known_hits.clear();
        let mut findings = self.rule_findings(path, data, scratch);
        match self.known {
            Some(known) if self.prefilter => {
                known.findings(path, data, &mut scratch.known_hits, &mut findings)
            }
            Some(known) => known.find(path, data, &mut findings),
            None => {}
        }
        findings
    }

    fn rule_findings(&self, path: &str, data: &[u8], scratch: &mut Scratch) -> Vec<Finding> {
        scratch.windows.clear();
        scratch.hits.clear();
        scratch.applies.clear();
        scratch.applies.resize(self.rules.rules().len(), 0);
        if self.prefilter {
            self.keyword_windows(path, data, scratch);
        } else {
            self.whole_windows(path, data, &mut scratch.windows);
        }
        if scratch.windows.is_empty() {
            return Vec::new();
        }
        merge_windows(&mut scratch.windows);
        for w in &scratch.windows {
            self.match_window(path, data, *w, &mut scratch.hits);
        }
        drop_shadowed_generics(self.rules, &mut scratch.hits);
        self.to_findings(path, data, &scratch.hits)
    }

    /// Windows around every keyword occurrence (see `keywords`).
    /// With `--known-secrets` the walk is over the automaton that also holds the known values'
    /// fragments, and the fragments it meets are confirmed on the spot.
    fn keyword_windows(&self, path: &str, data: &[u8], scratch: &mut Scratch) {
        let (automaton, reach) = match self.known {
            Some(known) => (known.automaton(), known.reach()),
            None => (self.rules.automaton(), self.rules.longest_keyword()),
        };
        keywords::occurrences(automaton, data, reach, |start, end, pattern| {
            match self.known {
                Some(known) if known.is_fragment(pattern) => {
                    known.confirm(pattern, start, data, &mut scratch.known_hits)
                }
                _ => self.push_keyword_windows(path, data, pattern, start, end, scratch),
            }
        });
        for &r in self.rules.keywordless() {
            if self.wanted(r, path) {
                scratch.windows.push(Window {
                    rule: r,
                    start: 0,
                    end: data.len(),
                });
            }
        }
    }

    fn push_keyword_windows(
        &self,
        path: &str,
        data: &[u8],
        pattern: usize,
        start: usize,
        end: usize,
        scratch: &mut Scratch,
    ) {
        for &r in self.rules.rules_for_keyword(pattern) {
            let rule = self.rules.rule(r);
            let state = &mut scratch.applies[r as usize];
            if *state == 0 {
                *state = if self.wanted(r, path) { 1 } else { 2 };
            }
            if *state == 1 {
                let (ws, we) = window_around(data, start, end, rule.multiline);
                scratch.windows.push(Window {
                    rule: r,
                    start: ws,
                    end: we,
                });
            }
        }
    }

    fn whole_windows(&self, path: &str, data: &[u8], out: &mut Vec<Window>) {
        for i in 0..self.rules.rules().len() as u32 {
            if self.wanted(i, path) {
                out.push(Window {
                    rule: i,
                    start: 0,
                    end: data.len(),
                });
            }
        }
    }

    fn match_window(&self, path: &str, data: &[u8], w: Window, hits: &mut Vec<Hit>) {
        let rule = self.rules.rule(w.rule);
        let Some(regex) = rule.regex() else { return };
        let hay = &data[w.start..w.end];
        // Most windows hold no match: the plain test is far cheaper than setting up captures.
        if !regex.is_match(hay) {
            return;
        }
        for caps in regex.captures_iter(hay) {
            let Some(secret) = caps.name("secret") else {
                continue;
            };
            let ctx = MatchContext::of(&caps, hay, secret.end());
            if !passes_gates(rule, path, &ctx, secret.as_bytes()) {
                continue;
            }
            let start = w.start + secret.start();
            if allow::is_allowed(data, start) {
                continue;
            }
            hits.push(Hit {
                rule: w.rule,
                start,
                end: w.start + secret.end(),
            });
        }
    }

    fn to_findings(&self, path: &str, data: &[u8], hits: &[Hit]) -> Vec<Finding> {
        if hits.is_empty() {
            return Vec::new();
        }
        let index = LineIndex::new(data);
        hits.iter()
            .map(|h| {
                let rule = self.rules.rule(h.rule);
                let (line, column) = index.locate(data, h.start);
                let value = &data[h.start..h.end];
                Finding::new(&rule.maker(), path, line, column, value)
            })
            .collect()
    }
}

/// What the validators see of a match besides its value: the `key` group (the secret-named
/// key of an assignment) and whether the value is a literal: a `quote` group matched, or a
/// `query` group (the key is a URL query parameter, inside a string).
pub struct MatchContext<'a> {
    pub key: &'a [u8],
    pub quoted: bool,
    /// Up to 96 bytes that follow the secret (a URL's `@host`).
    pub tail: &'a [u8],
}

impl<'a> MatchContext<'a> {
    pub fn of(caps: &regex::bytes::Captures<'a>, hay: &'a [u8], secret_end: usize) -> Self {
        MatchContext {
            key: caps.name("key").map_or(&b""[..], |k| k.as_bytes()),
            quoted: caps.name("quote").is_some() || caps.name("query").is_some(),
            tail: &hay[secret_end..hay.len().min(secret_end + 96)],
        }
    }
}

/// The gates after the regex: entropy, placeholder (secrets only), code validators.
pub fn passes_gates(rule: &Rule, path: &str, ctx: &MatchContext, value: &[u8]) -> bool {
    if let Some(min) = rule.min_entropy {
        if entropy::shannon(value) < min {
            return false;
        }
    }
    if rule.kind == Kind::Secret && placeholder::is_placeholder(value) {
        return false;
    }
    match rule.validator {
        None => true,
        Some(Validator::GenericValue) => generic::plausible(ctx.key, ctx.quoted, value, path),
        Some(Validator::UrlPassword) => generic::url_password_plausible(value, ctx.tail),
        Some(Validator::Base62Crc32) => checksum::base62_crc32(value),
        Some(Validator::HexCrc32) => checksum::hex_crc32(value),
    }
}

/// The line around a keyword occurrence, bounded on long lines; further for multi-line rules.
fn window_around(data: &[u8], start: usize, end: usize, multiline: bool) -> (usize, usize) {
    let floor = start.saturating_sub(BEFORE);
    let ws = memchr::memrchr(b'\n', &data[floor..start]).map_or(floor, |i| floor + i + 1);
    let we = if multiline {
        (end + MULTILINE_AFTER).min(data.len())
    } else {
        let ceil = (end + AFTER).min(data.len());
        memchr::memchr(b'\n', &data[end..ceil]).map_or(ceil, |i| end + i)
    };
    (ws, we)
}

/// Sorts windows by (rule, start) and merges overlapping or touching windows of one rule.
fn merge_windows(windows: &mut Vec<Window>) {
    windows.sort_unstable_by_key(|w| (w.rule, w.start));
    let mut merged: Vec<Window> = Vec::with_capacity(windows.len());
    for w in windows.drain(..) {
        match merged.last_mut() {
            Some(last) if last.rule == w.rule && w.start <= last.end => {
                last.end = last.end.max(w.end)
            }
            _ => merged.push(w),
        }
    }
    *windows = merged;
}

/// A generic finding gives way to a provider rule that matched an overlapping value.
fn drop_shadowed_generics(rules: &RuleSet, hits: &mut Vec<Hit>) {
    let specific: Vec<(usize, usize)> = hits
        .iter()
        .filter(|h| !rules.rule(h.rule).is_generic() && rules.rule(h.rule).kind == Kind::Secret)
        .map(|h| (h.start, h.end))
        .collect();
    hits.retain(|h| {
        !rules.rule(h.rule).is_generic() || !specific.iter().any(|&(s, e)| s < h.end && h.start < e)
    });
    // The same value at the same place found by two rules (`aws-secret-key` and the AWS
    // credentials-file rule): one finding, from the rule scoped to the file type if any. A
    // hygiene rule never displaces a secret (they report different problems).
    let hygiene = |h: &Hit| rules.rule(h.rule).kind == Kind::Hygiene;
    hits.sort_unstable_by_key(|h| {
        (
            h.start,
            h.end,
            hygiene(h),
            rules.rule(h.rule).validator == Some(Validator::UrlPassword),
            !rules.rule(h.rule).is_path_scoped(),
            h.rule,
        )
    });
    hits.dedup_by_key(|h| (h.start, h.end, hygiene(h)));
    drop_contained_secrets(rules, hits);
}

/// One secret, one finding: a secret hit lying inside another rule's secret hit (`private-key`
/// on the key block that `gcp-service-account` captured with its trailing `\n`) is the same
/// credential, reported by the rule that saw more of it.
fn drop_contained_secrets(rules: &RuleSet, hits: &mut Vec<Hit>) {
    let secret = |h: &Hit| rules.rule(h.rule).kind == Kind::Secret;
    let spans: Vec<(usize, usize, u32)> = hits
        .iter()
        .filter(|h| secret(h))
        .map(|h| (h.start, h.end, h.rule))
        .collect();
    hits.retain(|h| {
        !secret(h)
            || !spans.iter().any(|&(s, e, r)| {
                r != h.rule && s <= h.start && h.end <= e && (s, e) != (h.start, h.end)
            })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{builtin_rules, RuleSet};

    fn rules_found(path: &str, text: &str) -> Vec<(String, u32)> {
        let rules = RuleSet::new(builtin_rules().unwrap()).unwrap();
        let detector = Detector::new(&rules, true);
        let mut found: Vec<(String, u32)> = detector
            .scan(path, text.as_bytes(), &mut Scratch::default())
            .into_iter()
            .map(|f| (f.rule, f.line))
            .collect();
        found.sort();
        found
    }

    /// A key body with the DER prefix and no runs or sequences (written for this test).
    const BODY: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7q3Zk9Lp2Xw8Rj5Tn0Vb4Yc1Hd6Jf3Gs8Ua2QeMm7Pz\\nKx5Wr9Nt2Lb6Vc3Qh8Yj4Sd1Fg7Ku0Ip5Oa2Ze9Xm3Cn6Bv1Tq8Rw4Ey7Us2Id5Lo0Pk\\n";

    #[test]
    fn one_secret_inside_another_rules_match_is_one_finding() {
        let json = format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"billing-prod\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{BODY}-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"svc@billing-prod.iam.gserviceaccount.com\"\n}}\n"
        );
        let found = rules_found("sa.json", &json);
        assert_eq!(
            found,
            vec![("gcp-service-account".to_string(), 4)],
            "{found:?}"
        );
        // Alone, the key block is still a private key.
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}-----END PRIVATE KEY-----\n",
            BODY.replace("\\n", "\n")
        );
        assert_eq!(
            rules_found("notes.txt", &pem),
            vec![("private-key".to_string(), 1)]
        );
    }
}
