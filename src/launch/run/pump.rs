//! `--mask`: runs the program with its stdout and stderr on pipes and passes each, as it
//! comes, through a `Redactor` to the launcher's own stdout and stderr; forwards signals
//! (Unix) and returns the program's exit code, or 128+N when signal N ended it.

use super::coredump::CoreLimit;
use super::exec::{self, StartError};
use crate::launch::mask::{Redactor, Spellings};
use anyhow::{Context, Result};
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};

const CHUNK: usize = 64 * 1024;

pub fn run_masked(
    mut command: Command,
    program: &OsString,
    patterns: Spellings,
    core: &CoreLimit,
) -> Result<u8> {
    let out = Redactor::new(patterns).context("failed to build the output mask")?;
    let err = out.another();
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    // Blocked before any thread starts, so that only the forwarder ever takes these signals.
    #[cfg(unix)]
    let blocked = super::signals::block_for(&mut command);
    #[cfg(unix)]
    core.restore_in_child(&mut command);
    let spawned = command.spawn();
    let mut child = spawned.map_err(|e| StartError::from_io(program, e))?;
    // Frees, and through `ZeroOnFree` wipes, the command's copy of the environment.
    drop(command);
    let pumps = [
        pump(child.stdout.take(), Box::new(io::stdout()), out),
        pump(child.stderr.take(), Box::new(io::stderr()), err),
    ];
    #[cfg(unix)]
    let status = super::signals::wait_forwarding(&mut child, blocked);
    #[cfg(not(unix))]
    let status = child.wait();
    let status: ExitStatus = status.context("failed to wait for the program")?;
    for handle in pumps.into_iter().flatten() {
        let _ = handle.join();
    }
    Ok(exec::exit_code(status))
}

fn pump(
    source: Option<impl Read + Send + 'static>,
    sink: Box<dyn Write + Send>,
    redactor: Redactor,
) -> Option<JoinHandle<()>> {
    let source = source?;
    Some(thread::spawn(move || copy_masked(source, sink, redactor)))
}

/// Copies until the program closes its end. If the launcher's own output is gone, stops
/// reading, so the program gets EPIPE (or SIGPIPE) like it would writing there directly.
fn copy_masked(mut source: impl Read, mut sink: Box<dyn Write + Send>, mut redactor: Redactor) {
    let mut buf = vec![0u8; CHUNK];
    let mut out = Vec::with_capacity(2 * CHUNK);
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        redactor.push(&buf[..n], &mut out);
        if write_now(&mut sink, &out).is_err() {
            return;
        }
        out.clear();
    }
    redactor.finish(&mut out);
    let _ = write_now(&mut sink, &out);
}

fn write_now(sink: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    sink.write_all(bytes)?;
    sink.flush()
}
