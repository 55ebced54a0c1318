//! Reads the small files the launcher takes credentials and secrets from (`file://` references,
//! the AppRole secret id file, the Kubernetes service-account token, `~/.vault-token`, Vault's
//! CA files): regular files only, at most `MAX_SIZE` bytes. The file is opened non-blocking and
//! checked with `fstat` on the opened descriptor, so a FIFO, a device such as `/dev/zero` or a
//! file swapped in after a check can neither hang the start nor fill memory.

use std::io::{self, Read};
use std::path::Path;

/// The largest file read: far above any credential or key (and above the kernel's 128 KiB
/// limit on one environment string), far below what would strain memory.
pub const MAX_SIZE: u64 = 1024 * 1024;

/// The whole file, or an error that says what is wrong with it (for `path: error` messages).
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let file = open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "it is not a regular file (a {}); point it at a file",
            kind(&meta)
        )));
    }
    if meta.len() > MAX_SIZE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_SIZE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SIZE {
        return Err(too_large());
    }
    Ok(bytes)
}

fn too_large() -> io::Error {
    io::Error::other(format!(
        "it is larger than {} MiB, the most keyward-run reads from a secret file",
        MAX_SIZE >> 20
    ))
}

#[cfg(unix)]
fn open(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer. Reads from a
    // regular file ignore the flag.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "named pipe";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "device";
        }
        if kind.is_socket() {
            return "socket";
        }
    }
    if meta.is_dir() {
        return "directory";
    }
    "special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_small_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "value\n").unwrap();
        assert_eq!(read(&path).unwrap(), b"value\n");
        let err = read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        std::fs::write(&path, vec![b'x'; MAX_SIZE as usize + 1]).unwrap();
        let err = read(&path).unwrap_err();
        assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
        #[cfg(unix)]
        {
            let err = read(Path::new("/dev/zero")).unwrap_err();
            assert!(err.to_string().contains("a device"), "{err}");
        }
    }
}
