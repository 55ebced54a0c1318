//! Blob contents for the history scan, each read once and handed to worker threads. A large
//! scan reads the packs itself (`packread`: each delta family resolved once, in parallel), and
//! what the packs cannot give through libgit2; a small scan (a pull request's range) reads
//! each blob through libgit2, with less fixed cost. A `git cat-file --batch` process, asked in
//! pack order, is kept as a third reader to compare against (`KEYWARD_BLOB_READER`). Nothing
//! here scans or prints findings.

use super::gitpack::Layout;
use super::loose::Loose;
use super::Content;
use git2::{Oid, Repository};
use rayon::iter::IntoParallelRefIterator;
use rayon::iter::{ParallelBridge, ParallelIterator};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

/// Forces a reader: `pack` (keyward's own, the default), `cat-file` (a `git cat-file --batch`
/// process) or `libgit2`: a testing and troubleshooting aid, every reader gives the same bytes.
pub const READER_ENV: &str = "KEYWARD_BLOB_READER";

/// Below this many blobs libgit2 reads them (each on its own, through its delta-base cache)
/// faster than keyward's pack reader, whose fixed cost is one pass over every entry header of
/// every pack. Measured with callgrind on sqlalchemy (277k objects, 113 MB of packs): 73
/// blobs took 319 M instructions through libgit2 and 508 M through the packs; the whole
/// history of pallets/flask (9k blobs) 6.04 G against 5.28 G.
const PACK_FROM_BLOBS: usize = 1_000;

/// Reads every blob of `oids` and calls `visit` on the current rayon pool's threads with
/// per-thread state from `init`, the blob's index in `oids` and its content. Blobs over
/// `max_size` are not given whole (`Content::TooLarge`). By default the packs are read
/// directly (see `packread`), and what they do not hold (loose objects, a damaged entry)
/// through libgit2. `git_dir` is the repository's git directory, `common_dir` the one that
/// holds its objects.
pub fn for_each<S, I, V>(
    (git_dir, common_dir, loose): (&Path, &Path, &Loose),
    oids: &[Oid],
    max_size: u64,
    init: I,
    visit: V,
) where
    S: Send,
    I: Fn() -> S + Sync + Send,
    V: Fn(&mut S, usize, io::Result<Content>) + Sync + Send,
{
    let reader = match std::env::var(READER_ENV) {
        Ok(forced) => forced,
        Err(_) if oids.len() < PACK_FROM_BLOBS => "libgit2".into(),
        Err(_) => "pack".into(),
    };
    let rest: Vec<usize> = match reader.as_str() {
        "libgit2" => (0..oids.len()).collect(),
        "cat-file" => match CatFile::spawn(git_dir, oids, Layout::read(common_dir, oids).order()) {
            Ok(cat) => {
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
                Vec::new()
            }
            Err(_) => (0..oids.len()).collect(),
        },
        _ => super::packread::for_each(common_dir, oids, max_size, &init, &visit),
    };
    rest.par_iter().for_each_init(
        || (init(), Repository::open(git_dir).ok()),
        |(s, repo), &i| visit(s, i, read_git2(repo.as_ref(), loose, oids[i], max_size)),
    );
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
