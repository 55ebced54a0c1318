//! `keyward scan -`: the bytes of standard input, as one file named `-` (or `--stdin-name`).

use std::io::Read;

pub fn read_all() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().lock().read_to_end(&mut buf)?;
    Ok(buf)
}
