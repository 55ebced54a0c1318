//! One value, one verdict, whatever its layout: a value written in pieces (see `joined`) is
//! judged by the rules on its whole text and reported where it starts; what the generic rules
//! made of its first piece alone gives way. A provider token the rules found inside a piece
//! stays where it was found.

use super::engine::{Detector, Scratch};
use super::{allow, joined};
use crate::finding::{Finding, Kind};

impl Detector<'_> {
    pub(super) fn joined_value_findings(
        &self,
        path: &str,
        data: &[u8],
        scratch: &mut Scratch,
        findings: &mut Vec<Finding>,
    ) {
        let spans = scratch.generic_spans(self.rules());
        let values = joined::values(path, data, &spans);
        if values.is_empty() {
            return;
        }
        let generic = |id: &str| self.rules().get(id).is_some_and(|r| r.is_generic());
        findings.retain(|f| {
            f.kind != Kind::Secret
                || !generic(&f.rule)
                || !values
                    .iter()
                    .any(|v| v.line == f.line && v.column == f.column)
        });
        let in_place = findings.len();
        for v in values.iter().filter(|v| v.judge) {
            let Some(view) = view_of(path, v) else {
                continue;
            };
            if allow::is_allowed(data, v.offset) || allow::is_allowed(data, v.key_offset) {
                continue;
            }
            for mut f in self.view_findings(path, view.as_bytes(), scratch) {
                let whole = f.secret.expose() == v.value.as_bytes();
                // A provider token inside one piece was already found there.
                let known = findings[..in_place].iter().any(|g| {
                    g.fingerprint == f.fingerprint && (v.line..=v.last_line).contains(&g.line)
                });
                if f.kind != Kind::Secret || (generic(&f.rule) && !whole) || known {
                    continue;
                }
                f.line = v.line;
                f.column = v.column;
                findings.push(f);
            }
        }
    }
}

/// The value written as one literal assignment in the file's language, when it can be.
fn view_of(path: &str, v: &joined::Joined) -> Option<String> {
    let quote = if v.value.contains('"') { '\'' } else { '"' };
    if v.value.contains(quote) || v.value.contains(['\n', '\r']) {
        return None;
    }
    let operator = match joined::language(path)? {
        joined::Language::Python => "=",
        joined::Language::Yaml => ":",
    };
    Some(format!("{} {operator} {quote}{}{quote}\n", v.key, v.value))
}

#[cfg(test)]
mod tests {
    use crate::detect::{Detector, Scratch};
    use crate::rules::{builtin_rules, RuleSet};

    fn secrets(path: &str, text: &str) -> Vec<(String, u32, u32, String)> {
        let rules = RuleSet::new(builtin_rules().unwrap()).unwrap();
        let mut found: Vec<(String, u32, u32, String)> = Detector::new(&rules, true)
            .scan(path, text.as_bytes(), &mut Scratch::default())
            .into_iter()
            .map(|f| {
                let value = String::from_utf8_lossy(f.secret.expose()).into_owned();
                (f.rule, f.line, f.column, value)
            })
            .collect();
        found.sort();
        found
    }

    fn row(rule: &str, line: u32, column: u32, value: &str) -> (String, u32, u32, String) {
        (rule.to_string(), line, column, value.to_string())
    }

    #[test]
    fn python_values_in_pieces_are_judged_whole() {
        // Values made up for this test.
        let text = "API_KEY = (\n    \"Aq7Lz2Xv9R\"\n    \"kP4mWn8bYc\"\n)\nDB_PASSWORD = (\n    \"Hq7Lz2Xv9RkP4mWn\"\n)\nSMTP_PASSWORD = (\"Hq7Lz2Xv9R\" \"kP4mWn\")\nHF_TOKEN = (\n    \"hf_R7x2Lq9Vt4Mn8Kp3\"\n    \"Wz6Yb1Hc5Jd0Fg2Sa7Qe\"\n)\n";
        assert_eq!(
            secrets("settings.py", text),
            vec![
                row("generic-api-key", 2, 6, "Aq7Lz2Xv9RkP4mWn8bYc"),
                row("generic-password", 6, 6, "Hq7Lz2Xv9RkP4mWn"),
                row("generic-password", 8, 19, "Hq7Lz2Xv9RkP4mWn"),
                row(
                    "huggingface-token",
                    10,
                    6,
                    // In two pieces here too, so this file holds no whole token.
                    concat!("hf_R7x2Lq9Vt4Mn8Kp3", "Wz6Yb1Hc5Jd0Fg2Sa7Qe")
                ),
            ]
        );
        // Pieces that make a placeholder or a test value are judged as that, not as a piece.
        let fixtures = "API_KEY = (\n    \"Aq7Lz2Xv9R\"\n    \"-changeme\"\n)\nDB_PASSWORD = (\"Hq7Lz2Xv9R\" \"${SUFFIX}\")\nTOKEN = (\n    \"test-token-\"\n    \"1234\"\n)\nSECRET_KEY = (  # keyward:allow\n    \"Sq7Lz2Xv9RkP4mWn\"\n)\n# keyward:allow\nSIGNING_SECRET = (\n    \"Rq7Lz2Xv9R\"\n    \"kP4mWn\"\n)\n";
        assert_eq!(secrets("settings.py", fixtures), vec![]);
    }

    #[test]
    fn yaml_values_across_lines_are_judged_whole() {
        let text = "db:\n  password: \"Tq7Lz2Xv9R\\\n    kP4mWn\"\n  api_token: \"Uq7Lz2Xv9R\n    kP4mWn8b\"\n  private_key: |\n    Vq7Lz2Xv9RkP4mWn\n    Wq7Lz2Xv9RkP4mWn\n  secret: |\n    Xq7Lz2Xv9RkP4mWn\n  auth_token: Yq7Lz2Xv9R\n    kP4mWn\n";
        // The escaped line break joins; a plain one folds to a space (quoted or plain), and a
        // value with a space is not a credential to the generic gate; a block of two lines is
        // text, whose lines the rules read where they are, not a key; a block of one line is a
        // key.
        assert_eq!(
            secrets("values.yaml", text),
            vec![
                row("generic-password", 2, 14, "Tq7Lz2Xv9RkP4mWn"),
                row("generic-yaml-block-secret", 10, 5, "Xq7Lz2Xv9RkP4mWn"),
            ]
        );
    }
}
