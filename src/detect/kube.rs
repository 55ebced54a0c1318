//! Kubernetes `Secret` manifests: the values under a Secret's top-level `data:` are base64 of
//! the real values, so the rules never see them. This module finds those values and what they
//! decode to; the engine scans `key: decoded` with the same rules and reports what it finds at
//! the value's place. `stringData:` holds plain text, which the rules already read.

use super::b64;

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

/// Whether `data` may hold a Secret manifest (a cheap test before parsing).
fn may_hold_secret(data: &[u8]) -> bool {
    memchr::memmem::find(data, b"kind:").is_some()
        && memchr::memmem::find(data, b"Secret").is_some()
}

/// The base64 values of every `kind: Secret` document's `data:` map in a YAML stream.
pub fn secret_data(data: &[u8]) -> Vec<DataValue> {
    if !may_hold_secret(data) {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut doc: Vec<(u32, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") {
            document_values(&doc, &mut out);
            doc.clear();
        } else {
            doc.push((i as u32 + 1, line));
        }
    }
    document_values(&doc, &mut out);
    out
}

/// The `data:` values of one YAML document, when it is a Secret.
fn document_values(doc: &[(u32, &str)], out: &mut Vec<DataValue>) {
    let is_secret = doc.iter().any(|(_, l)| {
        l.strip_prefix("kind:")
            .is_some_and(|v| unquote(strip_comment(v).trim()) == "Secret")
    });
    if !is_secret {
        return;
    }
    let mut in_data = false;
    for &(number, line) in doc {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 {
            in_data = strip_comment(trimmed).trim_end() == "data:";
            continue;
        }
        if !in_data {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        let raw = strip_comment(value).trim();
        let value = unquote(raw);
        let Some(decoded) = decoded_text(value) else {
            continue;
        };
        let offset = value.as_ptr() as usize - line.as_ptr() as usize;
        out.push(DataValue {
            line: number,
            column: offset as u32 + 1,
            key: unquote(key.trim()).to_string(),
            decoded,
        });
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

    #[test]
    fn other_documents_give_nothing() {
        assert!(secret_data(b"kind: ConfigMap\ndata:\n  a: UnE3THoyWHY5UmtQNG1Xbg==\n").is_empty());
        assert!(secret_data(b"data:\n  a: UnE3THoyWHY5UmtQNG1Xbg==\n").is_empty());
    }
}
