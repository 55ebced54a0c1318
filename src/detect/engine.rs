//! The matching engine: one pass of the keyword automaton over a buffer, then each rule's
//! regex only in windows around its keywords, then the gates (entropy, placeholder, generic
//! value checks, inline allow). With the prefilter off every rule runs over the whole buffer;
//! the two modes must give identical findings (tested).

use super::knownsecrets::{self as known, KnownSecrets};
use super::{
    allow, checksum, entropy, generic, joined, jwt, keywords, kube, lineindex::LineIndex, notebook,
    placeholder,
};
use crate::finding::{Finding, Kind};
use crate::rules::pattern::Captures;
use crate::rules::{Rule, RuleSet, Validator};

/// How far a window reaches around a keyword when the line is long.
const BEFORE: usize = 512;
const AFTER: usize = 1024;
/// How far a window reaches after the keyword for rules that span lines (key blocks).
const MULTILINE_AFTER: usize = 16 * 1024;
/// Keyword windows of one rule that overlap are merged (windows of separate lines are not: a
/// match must not start on one line and swallow the value on the next) up to this length; past it a new window starts, so a 200 MB line of keywords costs a few
/// thousand bounded runs and a few thousand windows, not one window per keyword.
const MAX_MERGED: usize = 64 * 1024;
/// Findings of one rule in one file beyond this many are counted, not listed: a generated
/// file with a million key-shaped values must not take the machine's memory. The report says
/// "and N more" and `stats.capped` counts them.
pub const CAP_PER_FILE_RULE: usize = 100;

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
    /// Per rule id, the findings of the last buffer past `CAP_PER_FILE_RULE`.
    capped: Vec<(String, u64)>,
    /// Per rule, 1 + the indexes in `windows` of its latest windows (0: none).
    last_window: Vec<[u32; RECENT]>,
    /// The window count at which the list is next merged (`COMPACT_FROM` at least).
    compact_at: usize,
    /// (rule, matched bytes) of the matches the gates rejected in the current buffer.
    rejected: std::collections::HashSet<Vec<u8>>,
    /// The lookup key being built.
    key: Vec<u8>,
    /// How many matches went through captures and the gates (for tests of the cost bound).
    gated: u64,
}

impl Scratch {
    /// Where the last buffer's keyword walk met the generic rules' keywords (the secret words
    /// of key names): the byte ranges of their windows, sorted and merged.
    pub(super) fn generic_spans(&self, rules: &RuleSet) -> Vec<(usize, usize)> {
        let mut spans: Vec<(usize, usize)> = (self.windows.iter())
            .filter(|w| rules.rule(w.rule).is_generic())
            .map(|w| (w.start, w.end))
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (start, end) in spans {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }
}

/// Matches up to this long are remembered when the gates reject them, at most this many per
/// buffer (then the memory starts over).
const REMEMBER_UP_TO: usize = 1024;
const REMEMBER_AT_MOST: usize = 4096;

/// How many of a rule's latest windows a new keyword window may merge into (the keyword walk
/// runs in interleaved lanes, each with its own latest window).
const RECENT: usize = 4;

/// Window lists shorter than this are never compacted while the keyword walk runs.
const COMPACT_FROM: usize = 4096;

impl Scratch {
    /// (rule id, how many findings past the cap) for the buffer scanned last, emptied.
    pub fn take_capped(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.capped)
    }
}

pub struct Detector<'r> {
    rules: &'r RuleSet,
    prefilter: bool,
    secrets_only: bool,
    known: Option<&'r KnownSecrets>,
    cap: usize,
}

impl<'r> Detector<'r> {
    pub fn new(rules: &'r RuleSet, prefilter: bool) -> Self {
        Detector {
            rules,
            prefilter,
            secrets_only: false,
            known: None,
            cap: CAP_PER_FILE_RULE,
        }
    }

    /// Lists at most `cap` findings per rule in one buffer (default `CAP_PER_FILE_RULE`).
    pub fn with_cap(mut self, cap: usize) -> Self {
        self.cap = cap.max(1);
        self
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

    /// Whether the content of a file at `a` gives the same rule findings at `b`: the same
    /// notebook handling, the same path class for the generic checks, and the same path-scoped
    /// rules. History uses it to scan a blob once and move its findings to its other paths.
    pub fn judges_alike(&self, a: &str, b: &str) -> bool {
        notebook::is_notebook(a) == notebook::is_notebook(b)
            && generic::path_class(a) == generic::path_class(b)
            && joined::language(a) == joined::language(b)
            && self
                .rules
                .rules()
                .iter()
                .filter(|r| r.is_path_scoped())
                .all(|r| r.applies_to(a) == r.applies_to(b))
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
        scratch.capped.clear();
        let mut findings = self.rule_findings(path, data, scratch);
        self.secret_manifest_findings(path, data, scratch, &mut findings);
        self.joined_value_findings(path, data, scratch, &mut findings);
        let mut known_found = Vec::new();
        match self.known {
            Some(known) if self.prefilter => {
                known.findings(path, data, &mut scratch.known_hits, &mut known_found)
            }
            Some(known) => known.find(path, data, &mut known_found),
            None => {}
        }
        if known_found.len() > self.cap {
            known_found.sort_by_key(|f| (f.line, f.column));
            let rule = known_found[0].rule.clone();
            let more = (known_found.len() - self.cap) as u64;
            known_found.truncate(self.cap);
            scratch.capped.push((rule, more));
        }
        findings.extend(known_found);
        findings
    }

    /// A Kubernetes `Secret`'s `data:` values are base64: each one that decodes to text is
    /// scanned as `key: decoded` and its findings are placed at the encoded value; what the
    /// rules found in the encoded text itself on those lines gives way (one value, one verdict).
    fn secret_manifest_findings(
        &self,
        path: &str,
        data: &[u8],
        scratch: &mut Scratch,
        findings: &mut Vec<Finding>,
    ) {
        if !may_be_manifest(path) {
            return;
        }
        let values = kube::secret_data(data);
        if values.is_empty() {
            return;
        }
        findings.retain(|f| {
            f.kind != Kind::Secret
                || !values
                    .iter()
                    .any(|v| v.line == f.line && f.column >= v.column)
        });
        for v in &values {
            let view = format!("{}: {}\n", v.key, v.decoded);
            // An image pull secret holds a Docker client config: judged as one.
            let view_path = match v.key.as_str() {
                ".dockerconfigjson" => ".docker/config.json",
                ".dockercfg" => ".dockercfg",
                _ => path,
            };
            for mut f in self.view_findings(view_path, view.as_bytes(), scratch) {
                if f.kind == Kind::Secret && !allow::is_allowed(data, line_start(data, v.line)) {
                    // A secret's fingerprint is its rule and value, not its path.
                    f.path = path.to_string();
                    f.line = v.line;
                    f.column = v.column;
                    findings.push(f);
                }
            }
        }
    }

    /// The findings of the rules in a view derived from a file (a decoded value, a joined
    /// one): what the file's own scan counted past the cap stays as it was.
    pub(super) fn view_findings(
        &self,
        path: &str,
        view: &[u8],
        scratch: &mut Scratch,
    ) -> Vec<Finding> {
        let capped = std::mem::take(&mut scratch.capped);
        let found = self.rule_findings(path, view, scratch);
        scratch.capped = capped;
        found
    }

    fn rule_findings(&self, path: &str, data: &[u8], scratch: &mut Scratch) -> Vec<Finding> {
        scratch.windows.clear();
        scratch.hits.clear();
        scratch.applies.clear();
        scratch.applies.resize(self.rules.rules().len(), 0);
        scratch.last_window.clear();
        scratch
            .last_window
            .resize(self.rules.rules().len(), [0; RECENT]);
        scratch.compact_at = COMPACT_FROM;
        if self.prefilter {
            self.keyword_windows(path, data, scratch);
        } else {
            self.whole_windows(path, data, &mut scratch.windows);
        }
        if scratch.windows.is_empty() {
            return Vec::new();
        }
        merge_windows(&mut scratch.windows);
        scratch.rejected.clear();
        let windows = std::mem::take(&mut scratch.windows);
        for w in &windows {
            self.match_window(path, data, *w, scratch);
        }
        scratch.windows = windows;
        drop_overlapping_hits(&mut scratch.hits);
        drop_shadowed_generics(self.rules, &mut scratch.hits);
        self.cap(scratch);
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
                // A keyword inside one of the rule's recent windows, with room after it, adds
                // nothing: the window around it is already (nearly) covered.
                let recent = scratch.last_window[r as usize];
                let multiline = rule.multiline();
                let after = if multiline { MULTILINE_AFTER } else { AFTER };
                let inside = recent.iter().any(|&i| {
                    i.checked_sub(1).is_some_and(|i| {
                        let w = scratch.windows[i as usize];
                        start >= w.start + BEFORE && end + after <= w.end
                    })
                });
                if inside {
                    continue;
                }
                let (ws, we) = window_around(data, start, end, multiline);
                let merged = recent.iter().any(|&i| {
                    let Some(w) = i.checked_sub(1).map(|i| &mut scratch.windows[i as usize]) else {
                        return false;
                    };
                    let fits =
                        ws <= w.end && ws >= w.start && we.max(w.end) - w.start <= MAX_MERGED;
                    if fits {
                        w.end = w.end.max(we);
                    }
                    fits
                });
                if merged {
                    continue;
                }
                scratch.windows.push(Window {
                    rule: r,
                    start: ws,
                    end: we,
                });
                let ring = &mut scratch.last_window[r as usize];
                ring.rotate_right(1);
                ring[0] = scratch.windows.len() as u32;
                // The walk's lanes interleave keyword occurrences, so merging into the last
                // window is not enough: the list is compacted as it grows.
                if scratch.windows.len() >= scratch.compact_at.max(COMPACT_FROM) {
                    merge_windows(&mut scratch.windows);
                    scratch
                        .last_window
                        .iter_mut()
                        .for_each(|l| *l = [0; RECENT]);
                    scratch.compact_at = 2 * scratch.windows.len();
                }
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

    /// The hits of one rule in one window. A file of a million identical assignments
    /// (`password = "hunter2x"` on every line) would run the capture engine and the gates a
    /// million times: a match the gates rejected is remembered (by rule and matched bytes, in
    /// this buffer) and the next identical match costs one lookup. Only rejections are
    /// remembered, and only where the verdict depends on the match alone (not for the URL
    /// password check, which reads what follows).
    fn match_window(&self, path: &str, data: &[u8], w: Window, scratch: &mut Scratch) {
        let rule = self.rules.rule(w.rule);
        let hay = &data[w.start..w.end];
        // Most windows hold no match. The runs every match needs are checked first (no
        // pattern compiled), then the pattern's filter (far cheaper than its exact engines).
        if !rule.may_match(hay) {
            return;
        }
        let Some(regex) = rule.regex() else { return };
        if !regex.may_match(hay) {
            return;
        }
        let cacheable = rule.validator != Some(Validator::UrlPassword);
        for m in regex.find_iter(hay) {
            let remember = cacheable && m.len() <= REMEMBER_UP_TO;
            if remember {
                scratch.key.clear();
                scratch.key.extend_from_slice(&w.rule.to_le_bytes());
                scratch.key.extend_from_slice(m.as_bytes());
                if scratch.rejected.contains(scratch.key.as_slice()) {
                    continue;
                }
            }
            scratch.gated += 1;
            let Some(caps) = regex.captures_of(hay, m.range()) else {
                continue;
            };
            let Some(secret) = caps.name("secret") else {
                continue;
            };
            let ctx = MatchContext::of(&caps, hay, secret.end());
            if !passes_gates(rule, path, &ctx, secret.as_bytes()) {
                if remember && caps.get(0).is_some_and(|c| c.range() == m.range()) {
                    if scratch.rejected.len() >= REMEMBER_AT_MOST {
                        scratch.rejected.clear();
                    }
                    scratch.rejected.insert(scratch.key.clone());
                }
                continue;
            }
            let start = w.start + secret.start();
            if allow::is_allowed(data, start) {
                continue;
            }
            scratch.hits.push(Hit {
                rule: w.rule,
                start,
                end: w.start + secret.end(),
            });
        }
    }

    /// Keeps the first `cap` hits of each rule; counts the rest.
    fn cap(&self, scratch: &mut Scratch) {
        if scratch.hits.len() <= self.cap {
            return;
        }
        let cap = self.cap as u64;
        let mut per_rule = vec![0u64; self.rules.rules().len()];
        scratch.hits.retain(|h| {
            per_rule[h.rule as usize] += 1;
            per_rule[h.rule as usize] <= cap
        });
        for (r, &n) in per_rule.iter().enumerate() {
            if n > cap {
                let id = self.rules.rule(r as u32).id.to_string();
                scratch.capped.push((id, n - cap));
            }
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
    /// What lies between the key and the value (`": "`, ` = (`, `: "`).
    pub separator: &'a [u8],
    /// Up to 96 bytes that follow the secret (a URL's `@host`).
    pub tail: &'a [u8],
}

impl<'a> MatchContext<'a> {
    pub fn of(caps: &Captures<'a>, hay: &'a [u8], secret_end: usize) -> Self {
        let secret_start = caps.name("secret").map_or(secret_end, |s| s.start());
        let separator = match caps.name("key") {
            Some(k) if k.end() <= secret_start => &hay[k.end()..secret_start],
            _ => &b""[..],
        };
        MatchContext {
            key: caps.name("key").map_or(&b""[..], |k| k.as_bytes()),
            quoted: caps.name("quote").is_some() || caps.name("query").is_some(),
            separator,
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
        Some(Validator::GenericValue) => {
            generic::plausible(ctx.key, ctx.quoted, value, path)
                && !generic::is_string_annotation(ctx.separator, value, path)
        }
        Some(Validator::UrlPassword) => generic::url_password_plausible(value, ctx.tail),
        Some(Validator::Base62Crc32) => checksum::base62_crc32(value),
        Some(Validator::HexCrc32) => checksum::hex_crc32(value),
        Some(Validator::JwtHeader) => jwt::well_formed(value),
    }
}

/// Whether a file at `path` can be a Kubernetes manifest (YAML or JSON, or stdin): the test
/// for one reads the whole file, which other files need not pay.
fn may_be_manifest(path: &str) -> bool {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    path == "-"
        || ["yaml", "yml", "json"]
            .iter()
            .any(|e| ext.eq_ignore_ascii_case(e))
}

/// The byte offset where 1-based `line` starts.
fn line_start(data: &[u8], line: u32) -> usize {
    if line <= 1 {
        return 0;
    }
    memchr::memchr_iter(b'\n', data)
        .nth(line as usize - 2)
        .map_or(data.len(), |i| i + 1)
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

/// Sorts windows by (rule, start) and merges overlapping windows of one rule, up
/// to `MAX_MERGED` bytes (a window that is already longer, a whole buffer, stays as it is).
fn merge_windows(windows: &mut Vec<Window>) {
    windows.sort_unstable_by_key(|w| (w.rule, w.start));
    // In place: a file of a million keyword lines has a million windows.
    let mut kept = 0;
    for i in 0..windows.len() {
        let w = windows[i];
        if kept > 0 {
            let last = &mut windows[kept - 1];
            if last.rule == w.rule
                && w.start <= last.end
                && (w.end <= last.end || w.end - last.start <= MAX_MERGED)
            {
                last.end = last.end.max(w.end);
                continue;
            }
        }
        windows[kept] = w;
        kept += 1;
    }
    windows.truncate(kept);
}

/// Overlapping windows of one rule (a merge stopped at `MAX_MERGED`) can find one value twice,
/// or a tail of it: per rule, a hit that starts inside the previous one is dropped.
fn drop_overlapping_hits(hits: &mut Vec<Hit>) {
    hits.sort_unstable_by_key(|h| (h.rule, h.start, std::cmp::Reverse(h.end)));
    let mut last: Option<(u32, usize)> = None;
    hits.retain(|h| {
        let keep = !matches!(last, Some((rule, end)) if rule == h.rule && h.start < end);
        if keep {
            last = Some((h.rule, h.end));
        }
        keep
    });
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

    #[test]
    fn secret_manifests_are_read_in_yaml_json_and_stdin() {
        let manifest =
            "apiVersion: v1\nkind: Secret\ndata:\n  DB_PASSWORD: UnE3THoyWHY5UmtQNG1Xbg==\n";
        for path in ["k8s/secret.yaml", "deploy/S.YML", "secret.json", "-"] {
            assert_eq!(
                rules_found(path, manifest),
                vec![("generic-password".to_string(), 4)],
                "{path}"
            );
        }
        assert!(!may_be_manifest("notes.txt") && !may_be_manifest("conf.d/app"));
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

    #[test]
    fn kubernetes_secret_data_is_decoded_and_judged() {
        // DB_PASSWORD: base64 of a random password; aws: base64 of an AWS key id (made up for
        // this test); username: too short; note: base64 of a placeholder.
        let manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ledger\ndata:\n  DB_PASSWORD: UnE3THoyWHY5UmtQNG1Xbg==\n  aws: QUtJQVFZTEZOM0M3SlRMTjVXUUU=\n  username: c3Zj\n  note: cGFzc3dvcmQ=\n  API_TOKEN: Y2hhbmdlbWUtY2hhbmdlbWU=\n";
        assert_eq!(
            rules_found("k8s/secret.yaml", manifest),
            vec![
                ("aws-access-key".to_string(), 7),
                ("generic-password".to_string(), 6)
            ]
        );
        // An image pull secret is judged as the Docker client config it holds.
        let pull = "kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5sZWRnZXJsaW5lLmlvIjp7ImF1dGgiOiJZMmt0WW05ME9sZHhOMHg2TWxoMk9WSnJVRFJ0VjI1SVpEWksifX19\n";
        assert_eq!(
            rules_found("k8s/pull.yaml", pull),
            vec![("docker-config-auth".to_string(), 4)]
        );
        // The same values in a ConfigMap are not decoded.
        let config = manifest.replace("kind: Secret", "kind: ConfigMap");
        assert!(!rules_found("k8s/config.yaml", &config)
            .iter()
            .any(|(r, _)| r == "aws-access-key"));
    }
}

#[cfg(test)]
mod bound_tests {
    use super::*;
    use crate::rules::{builtin_rules, RuleSet};

    // regression: a 200 MB line of `password=` made one window per keyword (1.25 GB) and one
    // huge merged window.
    #[test]
    fn windows_on_a_line_of_keywords_stay_few_and_bounded() {
        let rules = RuleSet::new(builtin_rules().unwrap()).unwrap();
        let detector = Detector::new(&rules, true);
        let data = "password=".repeat(1 << 17).into_bytes(); // 1.1 MB, one line
        let mut scratch = Scratch::default();
        scratch.applies.resize(rules.rules().len(), 0);
        scratch.last_window.resize(rules.rules().len(), [0; RECENT]);
        detector.keyword_windows("a.py", &data, &mut scratch);
        // While the walk runs the list stays near the compaction threshold...
        assert!(
            scratch.windows.len() <= 2 * COMPACT_FROM,
            "{}",
            scratch.windows.len()
        );
        merge_windows(&mut scratch.windows);
        let rules_hit: std::collections::BTreeSet<u32> =
            scratch.windows.iter().map(|w| w.rule).collect();
        let per_rule = data.len() / (MAX_MERGED / 2) + 2;
        assert!(
            scratch.windows.len() <= rules_hit.len() * per_rule,
            "{} windows for {} rules",
            scratch.windows.len(),
            rules_hit.len()
        );
        assert!(scratch
            .windows
            .iter()
            .all(|w| w.end - w.start <= MAX_MERGED));
    }

    // regression: a file of `password = "hunter2x"` lines scanned 32 times slower than a
    // normal file: every line ran the capture engine and the gates.
    #[test]
    fn identical_rejected_matches_are_gated_once() {
        let rules = RuleSet::new(builtin_rules().unwrap()).unwrap();
        let detector = Detector::new(&rules, true);
        let mut scratch = Scratch::default();
        let same = "password = \"hunter2x\"\n".repeat(20_000);
        let found = detector.scan("a.py", same.as_bytes(), &mut scratch);
        assert!(found.is_empty());
        assert!(
            scratch.gated < 50,
            "{} gate runs for one repeated value",
            scratch.gated
        );
        // Distinct values are each judged (and the same findings come out either way).
        let distinct: String = (0..2000)
            .map(|i| format!("password = \"Zq{i}x9Lw{}Rt\"\n", i * 7919))
            .collect();
        scratch.gated = 0;
        let found = detector.scan("a.py", distinct.as_bytes(), &mut scratch);
        assert!(scratch.gated >= 2000, "{}", scratch.gated);
        let unprefiltered =
            Detector::new(&rules, false).scan("a.py", distinct.as_bytes(), &mut Scratch::default());
        assert_eq!(found.len(), unprefiltered.len());
    }

    // regression (found on pallets/flask's history while bounding windows): windows of two
    // neighbouring lines merged, a match started on the comment line and swallowed the
    // assignment on the next, and its value was lost.
    #[test]
    fn a_comment_line_with_a_keyword_does_not_hide_the_next_lines_value() {
        let rules = RuleSet::new(builtin_rules().unwrap()).unwrap();
        // keyward:allow (test data)
        let text = "    # set the secret key.  keep this really secret:\n    app.secret_key = 'Q7xk2/9Lm4 P~TR!zd]W/,?K'\n\n";
        let found =
            Detector::new(&rules, true).scan("a.py", text.as_bytes(), &mut Scratch::default());
        let found: Vec<(String, u32)> = found.iter().map(|f| (f.rule.clone(), f.line)).collect();
        assert!(
            found.contains(&("generic-api-key".to_string(), 2)),
            "{found:?}"
        );
    }

    #[test]
    fn a_user_rule_too_large_once_compiled_is_refused() {
        let err = crate::rules::validate_pattern(r"(?P<secret>(\w{100}){100})").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        assert!(crate::rules::validate_pattern(r"(?P<secret>\w{100})").is_ok());
    }
}
