//! The working-tree source: a parallel walk with the `ignore` crate (honouring `.gitignore`
//! unless `--no-ignore`), plus the files git tracks that an ignore pattern would hide — a
//! tracked `.env` is exactly the leak to find. Symlinks are not followed.

use super::Content;
use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct TreeOptions {
    pub no_ignore: bool,
    pub threads: usize,
}

/// One file found by the walk.
pub struct Entry {
    pub abs: PathBuf,
    /// Relative to the scan root, `/`-separated (the file name when the root is a file).
    pub rel: String,
}

/// Walks `root` in parallel, calling `visit` on worker threads with per-thread state built by
/// `init`. Returns after every file has been visited.
pub fn walk<S, I, V>(root: &Path, opts: &TreeOptions, init: I, visit: V)
where
    S: Send,
    I: Fn() -> S + Sync,
    V: Fn(&mut S, Entry) + Sync,
{
    // The files the walk met, to tell apart the tracked files it did not (kept as a list: a
    // set of paths would hash every path even when git tracks nothing here).
    let seen: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .require_git(true)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .threads(opts.threads)
        .build_parallel();
    // The index is read on a thread of its own while the walk runs: it is only needed after.
    let tracked = std::thread::scope(|scope| {
        let tracked = (!opts.no_ignore).then(|| scope.spawn(|| tracked_files(root)));
        walker.run(|| {
            let mut state = init();
            let seen = &seen;
            let visit = &visit;
            Box::new(move |result| {
                match result {
                    Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                        let abs = entry.into_path();
                        if !opts.no_ignore {
                            seen.lock().unwrap().push(abs.clone());
                        }
                        let rel = relative(root, &abs);
                        visit(&mut state, Entry { abs, rel });
                    }
                    Ok(_) => {}
                    Err(err) => crate::messages::file_error(&root.display().to_string(), err),
                }
                ignore::WalkState::Continue
            })
        });
        tracked
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default()
    });
    if tracked.is_empty() {
        return;
    }
    let seen = seen.into_inner().unwrap();
    // Both lists name a file as `root` joined with its path below it, so the same bytes.
    let seen: HashSet<&[u8]> = seen
        .iter()
        .map(|p| p.as_os_str().as_encoded_bytes())
        .collect();
    let mut state = init();
    for abs in tracked {
        if !seen.contains(abs.as_os_str().as_encoded_bytes())
            && abs.symlink_metadata().is_ok_and(|m| m.is_file())
        {
            let rel = relative(root, &abs);
            visit(&mut state, Entry { abs, rel });
        }
    }
}

/// The files in the git index under `root`, as the walk names them (so that the ones an
/// ignore rule hid from the walk can be told apart), sorted. The index is read by
/// `crate::gitindex` (libgit2 reads it only in a form that reader does not handle).
fn tracked_files(root: &Path) -> Vec<PathBuf> {
    let Ok(repo) = git2::Repository::discover(root) else {
        return Vec::new();
    };
    let Some(workdir) = repo.workdir() else {
        return Vec::new();
    };
    let (Ok(root_abs), Ok(workdir)) = (root.canonicalize(), workdir.canonicalize()) else {
        return Vec::new();
    };
    // Where the root is in the work tree (empty at its top); outside it, nothing is tracked.
    let Ok(inside) = root_abs.strip_prefix(&workdir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |path: &[u8]| {
        let path = String::from_utf8_lossy(path);
        match Path::new(path.as_ref()).strip_prefix(inside) {
            // The root itself is the tracked file (`join` would add a `/`).
            Ok(under) if under.as_os_str().is_empty() => out.push(root.to_path_buf()),
            Ok(under) => out.push(root.join(under)),
            Err(_) => {}
        }
    };
    let own = std::fs::read(repo.path().join("index"))
        .ok()
        .and_then(|data| crate::gitindex::Index::parse(&data));
    match own {
        Some(index) => (0..index.len()).for_each(|i| add(index.path(i))),
        None => match repo.index() {
            Ok(index) => index.iter().for_each(|entry| add(&entry.path)),
            Err(_) => return Vec::new(),
        },
    }
    out.sort();
    out
}

fn relative(root: &Path, abs: &Path) -> String {
    let rel = match abs.strip_prefix(root) {
        Ok(r) if !r.as_os_str().is_empty() => r,
        _ => abs.file_name().map(Path::new).unwrap_or(abs),
    };
    path_text(rel)
}

/// How the files under one scan root are named in reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prefix {
    /// Inside a git work tree: paths from the repository root (`scan .` and `scan app` name
    /// `app/settings.py` alike, so fingerprints and baselines agree); the root's own path
    /// there, `/`-terminated (empty at the top).
    Repo(String),
    /// A file given as an argument: reported by the path given.
    File(String),
    /// A directory outside git: relative to it, after its own path when several roots are
    /// scanned at once.
    Dir(String),
}

/// The report prefix of scan root `root`; `several` when more than one root is scanned.
pub fn report_prefix(root: &Path, several: bool) -> Prefix {
    if let Some(rel) = in_work_tree(root) {
        return Prefix::Repo(rel);
    }
    let given = path_text(root);
    let given = given.strip_prefix("./").unwrap_or(&given).to_string();
    if !root.is_dir() {
        return Prefix::File(given);
    }
    match several {
        true => Prefix::Dir(format!("{}/", given.trim_end_matches('/'))),
        false => Prefix::Dir(String::new()),
    }
}

/// The report path of the file `rel` (relative to its scan root, as the walk names it).
pub fn report_path(prefix: &Prefix, rel: String) -> String {
    match prefix {
        Prefix::Repo(p) | Prefix::Dir(p) if p.is_empty() => rel,
        Prefix::Repo(p) if !p.ends_with('/') => p.clone(), // the root is a file
        Prefix::Repo(p) | Prefix::Dir(p) => format!("{p}{rel}"),
        Prefix::File(given) => given.clone(),
    }
}

/// `root`'s path from the root of the git work tree holding it (a directory's ends in `/`),
/// or `None` outside git.
fn in_work_tree(root: &Path) -> Option<String> {
    let dir = if root.is_dir() { root } else { root.parent()? };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let repo = git2::Repository::discover(dir).ok()?;
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let abs = root.canonicalize().ok()?;
    let rel = abs.strip_prefix(&workdir).ok()?;
    let mut text = path_text(rel);
    if abs.is_dir() && !text.is_empty() {
        text.push('/');
    }
    Some(text)
}

/// A path as reports show it: `/`-separated; a name is kept as it is (a backslash is a
/// character of a Unix name), except that bytes that are not UTF-8 are written `\xNN`, so
/// two such names stay two names. Terminal escaping happens in the reporters.
pub fn path_text(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => bytes
                .utf8_chunks()
                .flat_map(|chunk| {
                    let bad: String = chunk
                        .invalid()
                        .iter()
                        .map(|b| format!("\\x{b:02X}"))
                        .collect();
                    [chunk.valid().to_string(), bad]
                })
                .collect(),
        }
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().replace('\\', "/")
    }
}

/// Opens `path` for reading without blocking (a file replaced by a FIFO between the walk and
/// the read would block forever), then checks that what was opened is a regular file, and
/// returns it with its length (one `fstat`). A regular file ignores `O_NONBLOCK`, so reads
/// behave as plain reads and the flag is left set.
fn open_regular(path: &Path) -> std::io::Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::other(
            "not a regular file (it changed since the directory walk); not read",
        ));
    }
    Ok((file, meta.len()))
}

/// Reads a file for scanning into `data` (a buffer recycled across files, so the scan does not
/// fault in fresh pages for every file): refuses files over the size limit and binary files.
/// Four system calls a file (open, fstat, the reads, close): `read_to_end` would ask for the
/// size and position again, which a scan of a thousand small files pays for on the clock.
pub fn read(path: &Path, max_file_size: u64, mut data: Vec<u8>) -> std::io::Result<Content> {
    let (mut file, len) = open_regular(path)?;
    if len > max_file_size {
        return Ok(Content::TooLarge(len));
    }
    data.clear();
    // One byte more than the length, so that the read reaching the end sees it at once.
    data.reserve(len as usize + 1);
    read_all(&mut file, &mut data, len as usize)?;
    Ok(super::classify(data))
}

/// Appends everything left in `file` to `data`, growing it only when the file has grown since
/// its length (`len`) was taken. The bytes are read straight into the spare capacity (not
/// zeroed first: the buffer is recycled, and a scan reads every byte of the tree once). A read
/// that returns less than it was asked for once `len` bytes are in is the end of a regular
/// file, so a file costs one read, not a second one that returns nothing; a file that grew
/// fills the byte asked for beyond `len`, and is read on to its end.
fn read_all(file: &mut File, data: &mut Vec<u8>, len: usize) -> std::io::Result<()> {
    let end = data.len() + len;
    loop {
        if data.len() == data.capacity() {
            data.reserve(data.capacity().max(8 << 10));
        }
        let asked = data.capacity() - data.len();
        match read_spare(file, data) {
            Ok(0) => return Ok(()),
            Ok(n) if n < asked && data.len() >= end => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// One `read` into `data`'s spare capacity; the bytes read become part of `data`.
#[cfg(unix)]
fn read_spare(file: &mut File, data: &mut Vec<u8>) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    let spare = data.spare_capacity_mut();
    // SAFETY: `read` writes at most `spare.len()` bytes into memory `data` owns and does not
    // otherwise use; only the bytes it reports written are added to the length.
    let n = unsafe { libc::read(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len()) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: the first `n` bytes of the spare capacity were just written by `read`.
    unsafe { data.set_len(data.len() + n) };
    Ok(n)
}

#[cfg(not(unix))]
fn read_spare(file: &mut File, data: &mut Vec<u8>) -> std::io::Result<usize> {
    let filled = data.len();
    data.resize(data.capacity(), 0);
    let read = std::io::Read::read(file, &mut data[filled..]);
    data.truncate(filled + *read.as_ref().unwrap_or(&0));
    read
}

#[cfg(test)]
mod tests {
    use super::read_all;
    use std::io::Write;

    /// The whole file, whatever length was taken before the read: the same, smaller (the
    /// file grew since) or larger (it shrank).
    #[test]
    fn a_file_is_read_whole_whatever_its_length_was() {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        let text: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        tmp.write_all(&text).unwrap();
        for len in [text.len(), 10, 0, 30_000] {
            let mut file = std::fs::File::open(tmp.path()).unwrap();
            let mut data = b"kept".to_vec();
            data.reserve(len + 1);
            read_all(&mut file, &mut data, len).unwrap();
            assert_eq!(&data[..4], b"kept", "len {len}");
            assert_eq!(&data[4..], &text[..], "len {len}");
        }
    }
}
