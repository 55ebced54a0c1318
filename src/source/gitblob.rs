//! Blob contents for the history scan, each read once and handed to worker threads. Where
//! `git` is installed the blobs stream out of one `git cat-file --batch` process, asked for
//! in pack order so its delta-base cache hits (several times faster than libgit2's object
//! reads); otherwise, or when that process fails, git2 reads them with one `Repository` per
//! worker thread. Nothing here scans or prints findings.

use super::loose::Loose;
use super::Content;
use git2::{Oid, Repository};
use rayon::iter::{IndexedParallelIterator, IntoParallelRefIterator};
use rayon::iter::{ParallelBridge, ParallelIterator};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

/// Forces the libgit2 reader (`libgit2`) instead of `git cat-file`: a testing and
/// troubleshooting aid, both readers give the same bytes.
pub const READER_ENV: &str = "KEYWARD_BLOB_READER";

/// Below this many blobs libgit2's own reads (parallel, in memory) beat streaming through
/// `git cat-file`; above it git's pack-order delta-base cache wins. Measured: pallets/flask
/// (9k blobs) 0.35 s with libgit2 against 0.50 s through cat-file; sqlalchemy (82k blobs)
/// 11.3 s against 6.9 s.
const CAT_FILE_FROM_BLOBS: usize = 30_000;

/// Which reader to use: `KEYWARD_BLOB_READER=libgit2|cat-file` forces one, else by size.
fn use_cat_file(blobs: usize) -> bool {
    match std::env::var(READER_ENV).as_deref() {
        Ok("libgit2") => false,
        Ok("cat-file") => true,
        _ => blobs >= CAT_FILE_FROM_BLOBS,
    }
}

/// Reads every blob of `oids` and calls `visit` on the current rayon pool's threads with
/// per-thread state from `init`, the blob's index in `oids` and its content. `git cat-file`
/// is asked for them in `order` (pack order: see `gitpack`). Blobs over `max_size` are not
/// read into memory. `git_dir` is the repository's git directory.
pub fn for_each<S, I, V>(
    (git_dir, loose): (&Path, &Loose),
    (oids, order): (&[Oid], Vec<usize>),
    max_size: u64,
    init: I,
    visit: V,
) where
    S: Send,
    I: Fn() -> S + Sync + Send,
    V: Fn(&mut S, usize, io::Result<Content>) + Sync + Send,
{
    let stream = if use_cat_file(oids.len()) {
        CatFile::spawn(git_dir, oids, order).ok()
    } else {
        None
    };
    match stream {
        Some(cat) => {
            let items = Stream {
                cat,
                oids,
                pos: 0,
                max_size,
                git_dir: git_dir.to_path_buf(),
                loose,
                fallback: None,
            };
            items
                .par_bridge()
                .for_each_init(&init, |s, (i, content)| visit(s, i, content));
        }
        None => oids.par_iter().enumerate().for_each_init(
            || (init(), Repository::open(git_dir).ok()),
            |(s, repo), (i, &oid)| visit(s, i, read_git2(repo.as_ref(), loose, oid, max_size)),
        ),
    }
}

/// Caps on `git cat-file`'s memory: its delta-base cache, and how much of a pack it keeps
/// mapped (resident). Unbounded it peaks at about 240 MB on sqlalchemy's 113 MB pack; so it
/// stays near 150 MB, for about 20% more of its CPU time.
const BOUNDED_MEMORY: [&str; 6] = [
    "-c",
    "core.deltaBaseCacheLimit=64m",
    "-c",
    "core.packedGitWindowSize=16m",
    "-c",
    "core.packedGitLimit=64m",
];

/// One `git cat-file --batch` process, fed the object ids by a writer thread.
struct CatFile {
    child: Child,
    out: BufReader<ChildStdout>,
    order: Vec<usize>,
}

impl CatFile {
    fn spawn(git_dir: &Path, oids: &[Oid], order: Vec<usize>) -> io::Result<CatFile> {
        let mut child = Command::new("git")
            .arg("--git-dir")
            .arg(git_dir)
            .args(BOUNDED_MEMORY)
            .args(["cat-file", "--batch", "--buffer"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let mut request = Vec::with_capacity(order.len() * 41);
        for &i in &order {
            writeln!(request, "{}", oids[i])?;
        }
        std::thread::spawn(move || stdin.write_all(&request));
        let out = BufReader::with_capacity(1 << 20, child.stdout.take().expect("piped stdout"));
        Ok(CatFile { child, out, order })
    }

    /// The next object's content; an error of kind `BrokenPipe` means the process failed.
    fn read(&mut self, oid: Oid, max_size: u64) -> io::Result<Content> {
        let mut header = String::new();
        if self.out.read_line(&mut header)? == 0 {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let mut fields = header.split_ascii_whitespace();
        let (name, kind, size) = (fields.next(), fields.next(), fields.next());
        if name != Some(&oid.to_string()) {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let size: u64 = match (kind, size.map(str::parse)) {
            (Some("blob"), Some(Ok(size))) => size,
            (Some("missing"), _) => return Err(io::Error::other("object is missing")),
            _ => return Err(io::Error::other(format!("not a blob: {}", header.trim()))),
        };
        if size > max_size {
            io::copy(&mut (&mut self.out).take(size + 1), &mut io::sink())?;
            return Ok(Content::TooLarge(size));
        }
        let mut data = vec![0; size as usize + 1];
        self.out.read_exact(&mut data)?;
        data.pop();
        Ok(classify(data))
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The blobs in pack order, read from `git cat-file`; when the process fails (killed, or
/// refusing the repository) the rest are read through git2.
struct Stream<'a> {
    cat: CatFile,
    oids: &'a [Oid],
    pos: usize,
    max_size: u64,
    git_dir: PathBuf,
    loose: &'a Loose,
    fallback: Option<Option<Repository>>,
}

impl Iterator for Stream<'_> {
    type Item = (usize, io::Result<Content>);

    fn next(&mut self) -> Option<Self::Item> {
        let &i = self.cat.order.get(self.pos)?;
        self.pos += 1;
        let oid = self.oids[i];
        if self.fallback.is_none() {
            match self.cat.read(oid, self.max_size) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe || is_eof(&e) => {
                    crate::messages::note("git cat-file failed; reading the rest through libgit2");
                    self.fallback = Some(Repository::open(&self.git_dir).ok());
                }
                other => return Some((i, other)),
            }
        }
        let repo = self.fallback.as_ref().and_then(Option::as_ref);
        Some((i, read_git2(repo, self.loose, oid, self.max_size)))
    }
}

fn is_eof(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof
}

/// One blob through git2, or through `loose` when it is a loose object (libgit2 would hang on
/// a truncated one).
pub fn read_git2(
    repo: Option<&Repository>,
    loose: &Loose,
    oid: Oid,
    max_size: u64,
) -> io::Result<Content> {
    if loose.contains(oid) {
        let (header, data) = loose.read(oid, max_size)?;
        if header.kind != "blob" {
            return Err(io::Error::other(format!("not a blob: {}", header.kind)));
        }
        return Ok(match data {
            Some(data) => classify(data),
            None => Content::TooLarge(header.size),
        });
    }
    let repo = repo.ok_or_else(|| io::Error::other("cannot open the repository"))?;
    let odb = repo.odb().map_err(io::Error::other)?;
    let (size, _) = odb.read_header(oid).map_err(io::Error::other)?;
    if size as u64 > max_size {
        return Ok(Content::TooLarge(size as u64));
    }
    let blob = repo.find_blob(oid).map_err(io::Error::other)?;
    Ok(classify(blob.content().to_vec()))
}

fn classify(data: Vec<u8>) -> Content {
    super::classify(data)
}
