//! `known-secret`: finds the exact values a program runs with (`--known-secrets`), as written,
//! line by line for multi-line values, and in their base64 and URL-encoded spellings.
//!
//! It adds no pass over the data: the first bytes of each spelling (a fragment) join the rule
//! keywords in one keyword automaton, which the engine walks anyway, and a fragment found there
//! is confirmed by hashing the bytes that follow it. So the matcher keeps no value, only
//! fragments, lengths and SHA-256 fingerprints, and a finding names the variable, never the
//! value.

use super::catalog;
use super::keywords;
use super::lineindex::LineIndex;
use crate::env::knownvalues::KnownValue;
use crate::finding::{Finding, Kind};
use crate::rules::automaton::KeywordDfa;
use crate::secret::{fingerprint, Secret};
use std::collections::HashMap;

/// How many leading bytes of a spelling go into the automaton.
const FRAGMENT: usize = 16;
/// Lines of a multi-line value (a PEM key) shorter than this, and armour lines, are not
/// looked for on their own: they are not specific to this value.
const MIN_LINE: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Value,
    Line,
    Encoded,
}

impl Form {
    fn describe(self) -> &'static str {
        match self {
            Form::Value => "",
            Form::Line => ", a line of it",
            Form::Encoded => ", base64- or URL-encoded",
        }
    }
}

/// One spelling of one value.
struct Spelling {
    value: u32,
    form: Form,
    len: usize,
    fingerprint: String,
}

/// A spelling found at `start..start + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    start: usize,
    len: usize,
    spelling: u32,
}

pub struct KnownSecrets {
    /// The rule keywords (pattern ids `0..first_fragment`), then the fragments.
    automaton: KeywordDfa,
    first_fragment: usize,
    reach: usize,
    /// Per fragment: the spellings that start with it.
    fragments: Vec<Vec<u32>>,
    spellings: Vec<Spelling>,
    /// Per value: its label and where it came from.
    labels: Vec<(String, String)>,
}

impl KnownSecrets {
    /// The matcher for `values` beside the rule keywords `keywords` (the `RuleSet`'s, in
    /// pattern id order); `None` when there is nothing to look for.
    pub fn new<K: AsRef<str>>(values: &[KnownValue], keywords: &[K]) -> Option<KnownSecrets> {
        let mut spellings: Vec<Spelling> = Vec::new();
        let mut by_print: HashMap<String, ()> = HashMap::new();
        let mut fragment_ids: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut fragment_bytes: Vec<Vec<u8>> = Vec::new();
        let mut fragments: Vec<Vec<u32>> = Vec::new();
        for (index, known) in values.iter().enumerate() {
            for (form, bytes) in forms(known.value.as_bytes()) {
                let print = fingerprint(catalog::KNOWN_SECRET, &bytes);
                if by_print.insert(print.clone(), ()).is_some() {
                    continue;
                }
                let head = bytes[..bytes.len().min(FRAGMENT)].to_ascii_lowercase();
                let id = *fragment_ids.entry(head.clone()).or_insert_with(|| {
                    fragment_bytes.push(head);
                    fragments.push(Vec::new());
                    fragments.len() - 1
                });
                fragments[id].push(spellings.len() as u32);
                spellings.push(Spelling {
                    value: index as u32,
                    form,
                    len: bytes.len(),
                    fingerprint: print,
                });
            }
        }
        if spellings.is_empty() {
            return None;
        }
        let mut all: Vec<&[u8]> = keywords.iter().map(|k| k.as_ref().as_bytes()).collect();
        all.extend(fragment_bytes.iter().map(Vec::as_slice));
        let reach = all.iter().map(|k| k.len()).max().unwrap_or(0);
        let automaton = KeywordDfa::new(&all);
        drop(all);
        let labels = values
            .iter()
            .map(|k| (k.label(), k.origin.clone()))
            .collect();
        Some(KnownSecrets {
            automaton,
            first_fragment: keywords.len(),
            reach,
            fragments,
            spellings,
            labels,
        })
    }

    /// A SHA-256 over what is looked for (each spelling's fingerprint and its variable's
    /// label and origin): equal digests, equal findings.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for spelling in &self.spellings {
            let (label, origin) = &self.labels[spelling.value as usize];
            for part in [spelling.fingerprint.as_str(), label, origin] {
                hasher.update(part.as_bytes());
                hasher.update([0]);
            }
        }
        crate::secret::hex(&hasher.finalize())
    }

    /// The automaton to walk instead of the rule set's: same pattern ids, plus fragments.
    pub fn automaton(&self) -> &KeywordDfa {
        &self.automaton
    }

    /// The longest pattern of `automaton`, in bytes.
    pub fn reach(&self) -> usize {
        self.reach
    }

    /// Whether automaton pattern `pattern` is a fragment of a known value (not a rule keyword).
    pub fn is_fragment(&self, pattern: usize) -> bool {
        pattern >= self.first_fragment
    }

    /// Confirms fragment `pattern` found at `start`: pushes a hit for each spelling that
    /// starting with it is whole at `start` in `data`.
    pub fn confirm(&self, pattern: usize, start: usize, data: &[u8], hits: &mut Vec<Hit>) {
        for &s in &self.fragments[pattern - self.first_fragment] {
            let spelling = &self.spellings[s as usize];
            let Some(candidate) = data.get(start..start + spelling.len) else {
                continue;
            };
            if fingerprint(catalog::KNOWN_SECRET, candidate) == spelling.fingerprint {
                hits.push(Hit {
                    start,
                    len: spelling.len,
                    spelling: s,
                });
            }
        }
    }

    /// The findings for the confirmed `hits` in `data`, a file at `path`: where spellings
    /// overlap, the leftmost and then longest one is kept.
    pub fn findings(&self, path: &str, data: &[u8], hits: &mut [Hit], out: &mut Vec<Finding>) {
        if hits.is_empty() {
            return;
        }
        hits.sort_unstable_by_key(|h| (h.start, std::cmp::Reverse(h.len)));
        let index = LineIndex::new(data);
        let mut covered = 0;
        for hit in hits.iter() {
            // No inline allow marker applies: an exact known value is never a false positive.
            if hit.start < covered {
                continue;
            }
            covered = hit.start + hit.len;
            let (line, column) = index.locate(data, hit.start);
            out.push(self.finding(hit.spelling, path, line, column));
        }
    }

    /// Every known value in `data` on its own walk (the engine without its prefilter).
    pub fn find(&self, path: &str, data: &[u8], out: &mut Vec<Finding>) {
        let mut hits = Vec::new();
        keywords::occurrences(&self.automaton, data, self.reach, |start, _, pattern| {
            if self.is_fragment(pattern) {
                self.confirm(pattern, start, data, &mut hits);
            }
        });
        self.findings(path, data, &mut hits, out);
    }

    fn finding(&self, spelling: u32, path: &str, line: u32, column: u32) -> Finding {
        let check = catalog::check(catalog::KNOWN_SECRET);
        let spelling = &self.spellings[spelling as usize];
        let (label, origin) = &self.labels[spelling.value as usize];
        Finding {
            rule: check.id.to_string(),
            title: format!(
                "{}: the value of {label} ({origin}{})",
                check.title,
                spelling.form.describe()
            ),
            kind: Kind::Secret,
            severity: check.severity,
            path: path.to_string(),
            line,
            column,
            commit: None,
            secret: Secret::withheld(label),
            fingerprint: spelling.fingerprint.clone(),
            remediation: check.remediation.to_string(),
        }
    }
}

impl std::fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KnownSecrets({} spellings)", self.spellings.len())
    }
}

impl Drop for KnownSecrets {
    /// The automaton's tables spell out the values' first bytes: wipe them (and anything
    /// else freed from here on) as they are freed.
    fn drop(&mut self) {
        crate::env::wipe::wipe_frees(true);
    }
}

/// The spellings of one value: itself (multi-line values also line by line), then its
/// encodings.
fn forms(value: &[u8]) -> Vec<(Form, Vec<u8>)> {
    let mut forms = vec![(Form::Value, value.to_vec())];
    if value.contains(&b'\n') {
        for line in value.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() >= MIN_LINE && !line.starts_with(b"-----") {
                forms.push((Form::Line, line.to_vec()));
            }
        }
    }
    for encoded in crate::env::knownvalues::encoded_forms(value) {
        if encoded != value {
            forms.push((Form::Encoded, encoded));
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::knownvalues::Part;

    fn known(name: &str, value: &str) -> KnownValue {
        KnownValue {
            name: name.into(),
            part: Part::Whole,
            origin: ".env:1".into(),
            value: value.into(),
        }
    }

    fn matcher(values: &[KnownValue]) -> KnownSecrets {
        let keywords = ["password".to_string(), "ghp_".to_string()];
        KnownSecrets::new(values, &keywords).unwrap()
    }

    fn found(matcher: &KnownSecrets, text: &str) -> Vec<(u32, u32, String)> {
        let mut out = Vec::new();
        matcher.find("a.py", text.as_bytes(), &mut out);
        out.iter()
            .map(|f| (f.line, f.column, f.secret.redacted()))
            .collect()
    }

    #[test]
    fn exact_and_encoded_values_are_found_by_name() {
        let matcher = matcher(&[known("DB_PASSWORD", "pa55 word&more")]);
        let text =
            "x = 1\npw = 'pa55 word&more'\nq = 'pa55%20word%26more'\nb = 'cGE1NSB3b3JkJm1vcmU='\n";
        let got = found(&matcher, text);
        let lines: Vec<u32> = got.iter().map(|g| g.0).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert!(got.iter().all(|g| g.2 == "DB_PASSWORD"));
        assert_eq!(got[0].1, 7);
        assert!(found(&matcher, "pa55 word&mor\n").is_empty());
        assert!(
            found(&matcher, "PA55 WORD&MORE\n").is_empty(),
            "case matters"
        );
    }

    #[test]
    fn spellings_sharing_a_fragment_are_told_apart_by_length() {
        let long = "abcdefghijklmnopqrstuvwxyz-0123";
        let matcher = matcher(&[known("A", &long[..20]), known("B", long)]);
        let got = found(&matcher, &format!("x={long}\ny={}\n", &long[..20]));
        assert_eq!(got, [(1, 3, "B".into()), (2, 3, "A".into())]);
    }

    #[test]
    fn findings_never_hold_the_value() {
        let matcher = matcher(&[known("TOKEN", "tok-3f9a-77c1-b2")]);
        let mut out = Vec::new();
        matcher.find("a", b"t = 'tok-3f9a-77c1-b2'", &mut out);
        let f = &out[0];
        assert_eq!(f.rule, "known-secret");
        assert!(!format!("{f:?}").contains("tok-3f9a"));
        assert!(!String::from_utf8_lossy(f.secret.expose()).contains("tok-3f9a"));
        assert!(f.title.contains("TOKEN"), "{}", f.title);
    }

    #[test]
    fn key_lines_count_but_armour_does_not() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
        let matcher = matcher(&[known("KEY", pem)]);
        assert!(found(&matcher, "-----BEGIN PRIVATE KEY-----\nother\n").is_empty());
        assert_eq!(
            found(&matcher, "k = \"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\"").len(),
            1
        );
        assert_eq!(found(&matcher, pem).len(), 1);
    }
}
