//! Jupyter notebooks: turns the JSON of a `.ipynb` into text with the same line structure, so
//! that code, markdown and text outputs are scanned with their real line numbers. Each line that
//! is a JSON string (nbformat writes one source line per string) is replaced by its decoded
//! content; embedded images (`image/png`, `image/jpeg`…) are blanked.

pub fn is_notebook(path: &str) -> bool {
    path.ends_with(".ipynb")
}

/// The scan view of a notebook: same number of lines, decoded strings, images removed.
pub fn prepare(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut in_image = false;
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let trimmed = trim(line);
        if let Some(rest) = image_key(trimmed) {
            // `"image/png": "iVBOR…"` on one line, or a list of base64 lines that follows.
            in_image = rest.starts_with(b"[");
            continue;
        }
        if in_image {
            if trimmed.starts_with(b"]") {
                in_image = false;
            }
            continue;
        }
        match decode_string_line(trimmed) {
            Some(text) => out.extend(text.replace('\n', " ").into_bytes()),
            None => out.extend_from_slice(line),
        }
    }
    out
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &line[start..end]
}

/// `"image/png": …` → the bytes after the colon.
fn image_key(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(b"\"image/")?;
    let colon = rest.iter().position(|&b| b == b':')?;
    Some(trim(&rest[colon + 1..]))
}

/// A line that is exactly one JSON string, optionally followed by a comma.
fn decode_string_line(line: &[u8]) -> Option<String> {
    let line = line.strip_suffix(b",").unwrap_or(line);
    if line.len() < 2 || line[0] != b'"' || line[line.len() - 1] != b'"' {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    serde_json::from_str::<String>(text).ok()
}

#[cfg(test)]
mod tests {
    use super::prepare;

    #[test]
    fn keeps_lines_decodes_strings_and_drops_images() {
        let nb = br#"{
 "cells": [
  {
   "source": [
    "import os\n",
    "key = \"sk-proj-abc\"\n"
   ],
   "outputs": [
    {
     "data": {
      "image/png": "iVBORw0KGgoAAAANSUhEUg",
      "text/plain": [
       "<Figure>"
      ]
     }
    }
   ]
  }
 ]
}"#;
        let out = prepare(nb);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().count(),
            String::from_utf8_lossy(nb).lines().count()
        );
        assert_eq!(text.lines().nth(5).unwrap(), "key = \"sk-proj-abc\" ");
        assert!(!text.contains("iVBOR"));
    }
}
