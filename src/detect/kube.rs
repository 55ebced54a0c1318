//! Kubernetes `Secret` manifests: the values under a Secret's `data:` are base64 of the real
//! values, so the rules never see them. This module finds those values and what they decode
//! to, in YAML (every document of a stream, every item of a `kind: List`) and in JSON (a Secret
//! or a List as `kubectl get -o json` writes them); the engine scans `key: decoded` with the
//! same rules and reports what it finds at the value's place. `stringData:` holds plain text,
//! which the rules already read.

use super::b64;
use super::jsonspan::{self, Node};
use super::lineindex::LineIndex;

/// One base64 value under a Secret's `data:`.
#[derive(Debug, PartialEq, Eq)]
pub struct DataValue {
    /// 1-based line and column of the encoded value.
    pub line: u32,
    pub column: u32,
    /// The key it is stored under (`DB_PASSWORD`, `.dockerconfigjson`, `tls.key`).
    pub key: String,
    /// The decoded text (only values that decode to text are kept).
    pub decoded: String,
}

/// JSON files larger than this are not read as manifests.
const MAX_JSON: usize = 8 << 20;

/// Whether `data` may hold a Secret manifest (a cheap test before parsing).
fn may_hold_secret(data: &[u8]) -> bool {
    memchr::memmem::find(data, b"kind").is_some() && memchr::memmem::find(data, b"Secret").is_some()
}

/// The base64 values under `data:` of every Secret in a manifest file: each document of a YAML
/// stream, each item of a `kind: List` (`items:`), in YAML or in JSON (`kubectl get -o json`).
pub fn secret_data(data: &[u8]) -> Vec<DataValue> {
    if !may_hold_secret(data) {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if text.trim_start().starts_with(['{', '[']) {
        // The tree costs memory in proportion to the file: API dumps and data files of many
        // megabytes are not manifests someone wrote by hand or exported with kubectl.
        if text.len() <= MAX_JSON && text.contains("\"Secret\"") {
            json_values(text, &mut out);
        }
        return out;
    }
    let index = LineIndex::new(data);
    let mut doc: Vec<Line> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") {
            document_values(text, &index, &doc, &mut out);
            doc.clear();
        } else if let Some(l) = Line::read(i as u32 + 1, line) {
            doc.push(l);
        }
    }
    document_values(text, &index, &doc, &mut out);
    out
}

/// One non-blank, non-comment line of a YAML document. A sequence item's line (`- kind: x`)
/// counts as its first key: its indent is where the key starts.
struct Line<'a> {
    number: u32,
    indent: usize,
    content: &'a str,
    item: bool,
}

impl<'a> Line<'a> {
    fn read(number: u32, line: &'a str) -> Option<Line<'a>> {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return None;
        }
        let mut indent = line.len() - trimmed.len();
        let mut content = trimmed;
        let item = trimmed.starts_with("- ");
        if item {
            let rest = trimmed[1..].trim_start();
            indent += trimmed.len() - rest.len();
            content = rest;
        }
        Some(Line {
            number,
            indent,
            content,
            item,
        })
    }

    fn key_is(&self, key: &str) -> Option<&'a str> {
        self.content
            .strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
    }
}

/// The Secrets of one YAML document: the document itself, and every sequence item that is a
/// mapping (the `items:` of a `kind: List`, a template's `objects:`).
fn document_values(text: &str, index: &LineIndex, doc: &[Line], out: &mut Vec<DataValue>) {
    object_values(text, index, doc, 0, out);
    for (i, line) in doc.iter().enumerate() {
        if !line.item || !line.content.contains(':') {
            continue;
        }
        let end = doc[i + 1..]
            .iter()
            .position(|l| l.indent < line.indent || (l.item && l.indent == line.indent))
            .map_or(doc.len(), |n| i + 1 + n);
        object_values(text, index, &doc[i..end], line.indent, out);
    }
}

/// The `data:` values of the mapping whose keys sit at `indent` in `lines`, when it is a Secret.
fn object_values(
    text: &str,
    index: &LineIndex,
    lines: &[Line],
    indent: usize,
    out: &mut Vec<DataValue>,
) {
    let keys = || lines.iter().filter(move |l| l.indent == indent);
    let is_secret = keys().any(|l| {
        l.key_is("kind")
            .is_some_and(|v| unquote(strip_comment(v).trim()) == "Secret")
    });
    if !is_secret {
        return;
    }
    let Some(at) = lines.iter().position(|l| {
        l.indent == indent
            && l.key_is("data")
                .is_some_and(|v| strip_comment(v).trim().is_empty())
    }) else {
        return;
    };
    for line in lines[at + 1..].iter().take_while(|l| l.indent > indent) {
        let Some((key, value)) = line.content.split_once(':') else {
            continue;
        };
        let value = unquote(strip_comment(value).trim());
        let Some(decoded) = decoded_text(value) else {
            continue;
        };
        let offset = value.as_ptr() as usize - text.as_ptr() as usize;
        let (_, column) = index.locate(text.as_bytes(), offset);
        out.push(DataValue {
            line: line.number,
            column,
            key: unquote(key.trim()).to_string(),
            decoded,
        });
    }
}

/// The Secrets of a JSON manifest: any object with `"kind": "Secret"` and a `"data"` object,
/// at any depth (a `List`'s `items`).
fn json_values(text: &str, out: &mut Vec<DataValue>) {
    let Some(tree) = jsonspan::parse(text) else {
        return;
    };
    let index = LineIndex::new(text.as_bytes());
    let mut stack = vec![&tree];
    while let Some(node) = stack.pop() {
        let is_secret =
            matches!(node.get(text, "kind"), Some(Node::Str(k)) if k.is(text, "Secret"));
        if let (true, Some(Node::Object(members))) = (is_secret, node.get(text, "data")) {
            for (key, value) in members {
                let Node::Str(value) = value else { continue };
                let Some(decoded) = decoded_text(&value.decode(text)) else {
                    continue;
                };
                let (line, column) = index.locate(text.as_bytes(), value.start);
                out.push(DataValue {
                    line,
                    column,
                    key: key.decode(text),
                    decoded,
                });
            }
        }
        match node {
            Node::Object(members) => stack.extend(members.iter().rev().map(|(_, v)| v)),
            Node::Array(items) => stack.extend(items.iter().rev()),
            _ => {}
        }
    }
}

/// The text a base64 value decodes to: UTF-8, printable apart from line breaks and tabs.
fn decoded_text(value: &str) -> Option<String> {
    if value.len() < 4 {
        return None;
    }
    let bytes = b64::decode(value.as_bytes())?;
    let text = String::from_utf8(bytes).ok()?;
    let printable = !text.trim().is_empty()
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    printable.then_some(text)
}

fn strip_comment(value: &str) -> &str {
    value.split_once(" #").map_or(value, |(v, _)| v)
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "apiVersion: v1\nkind: Configmap\ndata:\n  a: UnE3THoyWHY5UmtQNG1Xbg==\n---\napiVersion: v1\nkind: Secret  # ledger\nmetadata:\n  name: ledger-db\ntype: Opaque\ndata:\n  DB_PASSWORD: UnE3THoyWHY5UmtQNG1Xbg==\n  \"username\": 'c3Zj'\n  # note: YWJjZGVmZ2g=\n  blob: 3q2+7w==\nstringData:\n  other: YWJjZGVmZ2g=\n";

    #[test]
    fn only_data_values_of_secrets_are_decoded() {
        let found = secret_data(MANIFEST.as_bytes());
        let got: Vec<(u32, u32, &str, &str)> = found
            .iter()
            .map(|v| (v.line, v.column, v.key.as_str(), v.decoded.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (12, 16, "DB_PASSWORD", "Rq7Lz2Xv9RkP4mWn"),
                (13, 16, "username", "svc"),
            ]
        );
    }

    fn found(text: &str) -> Vec<(u32, u32, String, String)> {
        secret_data(text.as_bytes())
            .into_iter()
            .map(|v| (v.line, v.column, v.key, v.decoded))
            .collect()
    }

    fn row(line: u32, column: u32, key: &str, decoded: &str) -> (u32, u32, String, String) {
        (line, column, key.to_string(), decoded.to_string())
    }

    #[test]
    fn items_of_a_yaml_list_are_secrets_when_their_kind_says_so() {
        // Items at the key's column and indented; a ConfigMap item and a nested list between.
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  data:\n    a: UnE3THoyWHY5UmtQNG1Xbg==\n- kind: Secret\n  metadata:\n    name: ledger\n    labels:\n    - data: c3Zj\n  data:\n    DB_PASSWORD: UnE3THoyWHY5UmtQNG1Xbg==\n  type: Opaque\n";
        assert_eq!(
            found(list),
            vec![row(14, 18, "DB_PASSWORD", "Rq7Lz2Xv9RkP4mWn")]
        );
        let indented = "kind: List\nitems:\n  -   kind: Secret\n      data:\n        token: dHE3THoyWHY5UmtQNG1XbjhiWWM=\n  - kind: ConfigMap\n    data:\n      b: UnE3THoyWHY5UmtQNG1Xbg==\n";
        assert_eq!(
            found(indented),
            vec![row(5, 16, "token", "tq7Lz2Xv9RkP4mWn8bYc")]
        );
        // A list whose items are not Secrets gives nothing.
        assert!(found(&indented.replace("kind: Secret", "kind: Service")).is_empty());
    }

    #[test]
    fn json_secrets_alone_in_a_list_or_on_one_line() {
        let secret = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Secret\",\n  \"data\": {\n    \"DB_PASSWORD\": \"UnE3THoyWHY5UmtQNG1Xbg==\",\n    \"user\": \"c3Zj\"\n  },\n  \"stringData\": {\"x\": \"YWJjZGVmZ2g=\"}\n}\n";
        assert_eq!(
            found(secret),
            vec![
                row(5, 21, "DB_PASSWORD", "Rq7Lz2Xv9RkP4mWn"),
                row(6, 14, "user", "svc")
            ]
        );
        let list = "{\"kind\": \"List\", \"items\": [{\"kind\": \"ConfigMap\", \"data\": {\"a\": \"UnE3THoyWHY5UmtQNG1Xbg==\"}}, {\"kind\": \"Secret\", \"data\": {\"api_token\": \"dHE3THoyWHY5UmtQNG1XbjhiWWM=\"}}]}";
        assert_eq!(
            found(list),
            vec![row(1, 136, "api_token", "tq7Lz2Xv9RkP4mWn8bYc")]
        );
        // An escaped slash is still base64; broken JSON and other kinds give nothing.
        let escaped = "{\"kind\":\"Secret\",\"data\":{\"k\":\"3q2+7w==\",\"p\":\"WnE3THoyWHY5Ums\\/UDRtV24=\"}}";
        assert_eq!(found(escaped), vec![row(1, 46, "p", "Zq7Lz2Xv9Rk?P4mWn")]);
        assert!(found(&list.replace("\"Secret\"", "\"Service\"")).is_empty());
        assert!(found(&secret.replace("},\n  \"stringData", "\n  \"stringData")).is_empty());
    }

    #[test]
    fn other_documents_give_nothing() {
        assert!(secret_data(b"kind: ConfigMap\ndata:\n  a: UnE3THoyWHY5UmtQNG1Xbg==\n").is_empty());
        assert!(secret_data(b"data:\n  a: UnE3THoyWHY5UmtQNG1Xbg==\n").is_empty());
    }
}
