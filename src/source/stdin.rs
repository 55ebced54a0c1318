//! `keyward scan -`: the bytes of standard input, as one file named `-` (or `--stdin-name`).

use std::io::Read;

/// All of standard input; UTF-16 text is decoded to UTF-8 (see `source::utf16`).
pub fn read_all() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().lock().read_to_end(&mut buf)?;
    if super::looks_binary(&buf) {
        if let Some(text) = super::utf16::decode(&buf) {
            return Ok(text);
        }
    }
    Ok(buf)
}
