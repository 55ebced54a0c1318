//! Fuzz harnesses on the stable toolchain: seeded generators (no nightly, no extra crate) that
//! mutate the tests' own inputs — the sample project, the rule files, real loose objects,
//! pack indexes and git indexes of repositories built here — and feed them to the pack/object
//! readers, the git index reader, the scanner on random bytes, notebook parsing and the rule
//! loader. Each target runs for `KEYWARD_FUZZ_SECS` seconds (default 2; CI may give more),
//! from `KEYWARD_FUZZ_SEED` (default fixed, so a failure replays). A target fails on a panic,
//! on an input that takes longer than the per-input limit (a hang), or on one that allocates
//! more than its bound (a counting allocator, per thread). Each prints how many inputs it ran.

use crate::gitrepo::{commit_all, git, repo};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

/// The allocator of the test binary: `System`, plus a per-thread count of live bytes and their
/// peak, so a harness can bound what one input allocates.
pub struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: forwards to `System`; the counters are const-initialised thread-locals (no
// allocation on access).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        count(new as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` on `input` and returns the bytes it allocated at its peak (above what was live).
fn peak_of(f: impl FnOnce()) -> usize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    f();
    (PEAK.with(Cell::get) - base).max(0) as usize
}

/// xorshift64*: deterministic and enough for mutation (also the env-file fuzz's generator).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn seed() -> u64 {
    std::env::var("KEYWARD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6b65_7977_6172_6421)
}

fn budget() -> Duration {
    let secs = std::env::var("KEYWARD_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

/// A mutation of one of `seeds` (or of two spliced): bit flips, byte runs, cuts, repeats,
/// interesting integers, random bytes.
fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(6) {
        let len = data.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = [0, 0xff, 0x7f, 0x80, b'\n', b'"', b'[', b'*'][rng.below(8)];
            }
            2 => data.truncate(rng.below(len + 1)),
            3 if len > 0 => {
                let (a, b) = (rng.below(len), rng.below(len));
                let (a, b) = (a.min(b), a.max(b).min(a + 4096));
                let piece = data[a..b].to_vec();
                let at = rng.below(data.len() + 1);
                for _ in 0..1 + rng.below(8) {
                    data.splice(at..at, piece.iter().copied());
                }
            }
            4 if len >= 4 => {
                let i = rng.below(len - 3);
                let v: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000, 65535][rng.below(6)];
                data[i..i + 4].copy_from_slice(&v.to_be_bytes());
            }
            5 => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(other.len() + 1);
                let at = rng.below(data.len() + 1);
                data.truncate(at);
                data.extend_from_slice(&other[cut..]);
            }
            6 => {
                let at = rng.below(data.len() + 1);
                let noise: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                data.splice(at..at, noise);
            }
            7 if len > 0 => {
                let (a, b) = (rng.below(len), rng.below(len));
                data.drain(a.min(b)..a.max(b));
            }
            _ => data = (0..rng.below(512)).map(|_| rng.next() as u8).collect(),
        }
    }
    data
}

/// Runs `target` on mutations of `seeds` until the budget is spent. Fails on a panic (the
/// harness's own), on an input over `per_input` (a hang: the loop is in this thread, so a true
/// infinite loop is caught by the watchdog below), or over `max_alloc(input)` bytes.
fn fuzz(
    name: &str,
    seeds: Vec<Vec<u8>>,
    per_input: Duration,
    max_alloc: impl Fn(&[u8]) -> usize,
    target: impl Fn(&[u8]) + Send + Sync + 'static,
) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = Rng(seed() ^ name.bytes().fold(0, |h, b| h * 31 + u64::from(b)));
    let started = Instant::now();
    let mut runs = 0u64;
    let target = std::sync::Arc::new(target);
    while started.elapsed() < budget() || runs < seeds.len() as u64 {
        let input = if (runs as usize) < seeds.len() {
            seeds[runs as usize].clone()
        } else {
            mutate(&mut rng, &seeds)
        };
        runs += 1;
        let (tx, rx) = std::sync::mpsc::channel();
        let t = std::sync::Arc::clone(&target);
        let bound = max_alloc(&input);
        let job = input.clone();
        std::thread::spawn(move || {
            let t0 = Instant::now();
            let peak = peak_of(|| t(&job));
            let _ = tx.send((peak, t0.elapsed()));
        });
        let keep = std::env::temp_dir().join(format!("keyward-fuzz-{name}.bin"));
        match rx.recv_timeout(per_input * 20) {
            Ok((peak, took)) => {
                if peak > bound || took > per_input {
                    std::fs::write(&keep, &input).unwrap();
                }
                assert!(
                    peak <= bound,
                    "{name}: input {runs} allocated {peak} bytes (bound {bound}); saved to {}",
                    keep.display()
                );
                assert!(
                    took <= per_input,
                    "{name}: input {runs} took {took:?} (limit {per_input:?}); saved to {}",
                    keep.display()
                );
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                std::fs::write(&keep, &input).unwrap();
                panic!("{name}: input {runs} hangs; saved to {}", keep.display());
            }
            Err(_) => {
                std::fs::write(&keep, &input).unwrap();
                panic!("{name}: input {runs} panicked; saved to {}", keep.display());
            }
        }
    }
    eprintln!(
        "fuzz {name}: {runs} inputs in {:.1} s, no finding (seed {})",
        started.elapsed().as_secs_f64(),
        seed()
    );
}

const MB: usize = 1 << 20;

fn files_under(dir: &Path, ext: &[&str], out: &mut Vec<Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, ext, out);
        } else if ext.is_empty()
            || path
                .extension()
                .is_some_and(|e| ext.iter().any(|x| e == *x))
        {
            out.push(std::fs::read(&path).unwrap());
        }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A small repository with a few commits, packed or not: its `.git`, kept for the harness.
fn sample_repo(pack: bool) -> crate::harness::Project {
    let p = repo();
    p.write("app.py", crate::gitrepo::token_line(1));
    p.write("lib/util.py", "def f(x):\n    return x\n".repeat(20));
    commit_all(&p, "One");
    p.write("app.py", "import os\n");
    p.write(".env", "API_KEY=abc\n");
    commit_all(&p, "Two");
    if pack {
        git(p.path(), &["gc", "-q"]);
    }
    p
}

#[test]
fn fuzz_loose_object_reader() {
    let p = sample_repo(false);
    let mut seeds = Vec::new();
    files_under(&p.join(".git/objects"), &[], &mut seeds);
    seeds.retain(|s| s.first() == Some(&0x78)); // zlib streams only
    fuzz(
        "loose-object",
        seeds,
        Duration::from_secs(2),
        |input| 16 * MB + 64 * input.len(),
        |input| {
            let _ = keyward::source::loose::read_object(input, 8 * MB as u64);
        },
    );
}

#[test]
fn fuzz_pack_index_reader() {
    let p = sample_repo(true);
    let mut seeds = Vec::new();
    files_under(&p.join(".git/objects/pack"), &["idx"], &mut seeds);
    let oids: Vec<git2::Oid> = git(p.path(), &["rev-list", "--objects", "--all"])
        .lines()
        .filter_map(|l| git2::Oid::from_str(&l[..40]).ok())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().to_path_buf();
    fuzz(
        "pack-index",
        seeds,
        Duration::from_secs(2),
        |input| 16 * MB + 16 * input.len(),
        move |input| {
            // Each input in its own pack directory (the harness runs inputs one at a time).
            let pack_dir = objects.join("objects/pack");
            let _ = std::fs::remove_dir_all(&pack_dir);
            std::fs::create_dir_all(&pack_dir).unwrap();
            std::fs::write(pack_dir.join("pack-x.idx"), input).unwrap();
            std::fs::write(pack_dir.join("pack-x.pack"), &input[..input.len() / 2]).unwrap();
            let layout = keyward::source::gitpack::Layout::read(&objects, &oids);
            assert_eq!(layout.order().len(), oids.len());
            let _ = keyward::source::gitpack::damaged_packs(&objects);
        },
    );
}

#[test]
fn fuzz_git_index_reader() {
    let p = sample_repo(false);
    let seeds = vec![std::fs::read(p.join(".git/index")).unwrap()];
    fuzz(
        "git-index",
        seeds,
        Duration::from_secs(2),
        |input| 16 * MB + 64 * input.len(),
        |input| {
            if let Some(index) = keyward::gitindex::Index::parse(input) {
                for i in 0..index.len() {
                    let _ = (index.path(i), index.fields(i));
                }
            }
            let mut entries = keyward::gitindex::Entries::new(input);
            while let Some(e) = entries.as_mut().and_then(|e| e.next_entry()) {
                let _ = e.mode;
            }
        },
    );
}

fn scanner_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    files_under(&root().join("samples"), &[], &mut seeds);
    seeds.push(crate::gitrepo::token_line(7).into_bytes());
    seeds
        .push(b"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n".to_vec());
    seeds.push("password = \"hunter2x\"\n".repeat(50).into_bytes());
    seeds
}

#[test]
fn fuzz_scanner_on_random_bytes() {
    let rules = keyward::rules::RuleSet::new(keyward::rules::builtin_rules().unwrap()).unwrap();
    let rules: &'static keyward::rules::RuleSet = Box::leak(Box::new(rules));
    fuzz(
        "scanner",
        scanner_seeds(),
        Duration::from_secs(5),
        |input| 64 * MB + 64 * input.len(),
        move |input| {
            let detector = keyward::detect::Detector::new(rules, true);
            let mut scratch = keyward::detect::Scratch::default();
            for path in ["app.py", ".env", "notebook.ipynb", "id_rsa"] {
                let scope = keyward::detect::Scope::All;
                let found = detector.text_blob(path, input, &mut scratch, scope);
                for f in &found {
                    assert!(f.line >= 1 && f.column >= 1);
                }
            }
        },
    );
}

#[test]
fn fuzz_notebook_parsing() {
    let mut seeds = vec![br#"{
 "cells": [
  {
   "cell_type": "code",
   "source": [
    "import os\n",
    "TOKEN = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n"
   ],
   "outputs": [{"data": {"image/png": "iVBORw0KGgo=", "text/plain": ["x\u00e9\n"]}}]
  }
 ],
 "nbformat": 4
}
"#
    .to_vec()];
    files_under(&root().join("samples"), &["py"], &mut seeds);
    fuzz(
        "notebook",
        seeds,
        Duration::from_secs(2),
        |input| 16 * MB + 16 * input.len(),
        |input| {
            let view = keyward::detect::notebook::prepare(input);
            let lines = |d: &[u8]| d.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(lines(&view), lines(input), "the line structure is kept");
        },
    );
}

#[test]
fn fuzz_rule_loader() {
    let mut seeds = Vec::new();
    files_under(&root().join("patterns"), &["yaml"], &mut seeds);
    seeds.truncate(40);
    seeds.push(b"rules: [[[[[[\n".to_vec());
    seeds.push(b"a: &x [1]\nb: *x\n".to_vec());
    fuzz(
        "rule-loader",
        seeds,
        Duration::from_secs(5),
        |input| 256 * MB + 256 * input.len(),
        |input| {
            let text = String::from_utf8_lossy(input);
            if let Ok(raws) = keyward::rules::parse_file("fuzz.yaml", &text) {
                for raw in raws {
                    let _ = keyward::rules::compile("fuzz.yaml", raw, true);
                }
            }
            // `.keyward.yaml` and every other YAML document go through the same bounded parser.
            let _ = keyward::rules::yaml::from_str::<serde_json::Value>(&text);
        },
    );
}

// regression (found by `fuzz_git_index_reader`): a damaged entry count in the header reserved
// memory for that many entries before reading any.
#[test]
fn a_damaged_index_entry_count_reserves_nothing_it_cannot_read() {
    let mut data = b"DIRC\0\0\0\x02\xff\xff\xff\xf0".to_vec();
    data.extend([0u8; 100]);
    let peak = peak_of(|| {
        assert!(keyward::gitindex::Index::parse(&data).is_none());
    });
    assert!(peak < MB, "{peak} bytes for a 112-byte index");
}
