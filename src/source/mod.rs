//! Sources: where bytes come from (files on disk, stdin; git history and the staged change in
//! their own modules). Sources never match and never print findings; they hand the
//! orchestrator paths and bytes, and report per-file problems through `messages`.

pub(crate) mod git;
pub mod gitblob;
pub mod gitpack;
pub(crate) mod history;
pub mod loose;
pub(crate) mod packread;
pub mod staged;
pub(crate) mod stdin;
pub mod tree;

/// How a source reads one file's bytes.
pub enum Content {
    /// The bytes to scan.
    Text(Vec<u8>),
    /// Content sniffing found a binary file: not scanned by the rules (only for
    /// `--known-secrets` values, which are exact).
    Binary(Vec<u8>),
    /// Larger than `--max-file-size`: reported, not scanned.
    TooLarge(u64),
}

/// How many leading bytes are sniffed for a NUL to decide that a file is binary.
const SNIFF: usize = 8192;

pub fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(SNIFF)]).is_some()
}

/// Sorts read bytes into text (UTF-16 decoded to UTF-8 first) and binary.
pub fn classify(data: Vec<u8>) -> Content {
    if !looks_binary(&data) {
        return Content::Text(data);
    }
    match utf16::decode(&data) {
        Some(text) => Content::Text(text),
        None => Content::Binary(data),
    }
}

/// UTF-16 text (Windows editors and PowerShell write it): recognised by its byte order mark,
/// or without one by the zero high bytes of mostly-ASCII text, and decoded to UTF-8 so the
/// rules see it. Lines and columns are then those of the decoded text (columns in characters,
/// like every other file). Nothing else is decoded.
pub mod utf16 {
    /// How many leading bytes decide the byte order of a file without a mark.
    const SNIFF: usize = 4096;

    /// The UTF-8 text of `data` when it is UTF-16 (LE or BE, with or without BOM).
    pub fn decode(data: &[u8]) -> Option<Vec<u8>> {
        let (little, body) = match data {
            [0xFF, 0xFE, rest @ ..] => (true, rest),
            [0xFE, 0xFF, rest @ ..] => (false, rest),
            _ => (order_without_mark(data)?, data),
        };
        let units = body.chunks_exact(2).map(|pair| match little {
            true => u16::from_le_bytes([pair[0], pair[1]]),
            false => u16::from_be_bytes([pair[0], pair[1]]),
        });
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        // A file that only looked like UTF-16: NULs or a run of replacement characters mean
        // it is binary after all.
        let bad = text
            .chars()
            .filter(|&c| c == '\0' || c == char::REPLACEMENT_CHARACTER)
            .count();
        (bad * 100 <= text.chars().count()).then(|| text.into_bytes())
    }

    /// `Some(true)` for little-endian, `Some(false)` for big-endian text without a mark: in
    /// the first bytes, nearly every high byte is zero and no low byte is.
    fn order_without_mark(data: &[u8]) -> Option<bool> {
        let head = &data[..data.len().min(SNIFF) & !1];
        if head.len() < 4 {
            return None;
        }
        let pairs = head.len() / 2;
        let zero_at = |i: usize| head.chunks_exact(2).filter(|p| p[i] == 0).count();
        let (even, odd) = (zero_at(0), zero_at(1));
        if odd * 10 >= pairs * 9 && even == 0 {
            Some(true)
        } else if even * 10 >= pairs * 9 && odd == 0 {
            Some(false)
        } else {
            None
        }
    }
}
