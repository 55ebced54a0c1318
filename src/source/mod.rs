//! Sources: where bytes come from (files on disk, stdin; git history and the staged change in
//! their own modules). Sources never match and never print findings; they hand the
//! orchestrator paths and bytes, and report per-file problems through `messages`.

pub mod git;
pub mod gitblob;
pub mod gitpack;
pub mod history;
pub mod loose;
pub mod staged;
pub mod stdin;
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
