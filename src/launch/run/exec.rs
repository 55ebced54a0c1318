//! Starts the program, never through a shell: on Unix the launcher `exec`s it, so signals and
//! the exit status are the program's own; elsewhere it waits for it. Maps failures to the
//! `env(1)` exit codes: 127 not found, 126 found but not executable.

use super::coredump::CoreLimit;
use crate::env::plan::Plan;
use std::ffi::OsString;
use std::io;
use std::process::{Command, ExitStatus};

/// Why the program could not be started; the exit code tells the two apart.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{program}: command not found")]
    NotFound { program: String },
    /// The program exists, but what runs it does not: `#!/missing/python` or an ELF whose
    /// loader is absent; exec says "not found" for both.
    #[error("{program}: cannot run it: {missing} (named by its first line, `#!`) was not found")]
    InterpreterNotFound { program: String, missing: String },
    #[error(
        "{program}: the file exists but cannot be run: its interpreter or dynamic loader was \
         not found"
    )]
    LoaderNotFound { program: String },
    #[error("{program}: cannot execute: {reason}")]
    NotExecutable { program: String, reason: io::Error },
}

impl StartError {
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::NotFound { .. }
            | StartError::InterpreterNotFound { .. }
            | StartError::LoaderNotFound { .. } => 127,
            StartError::NotExecutable { .. } => 126,
        }
    }

    pub fn from_io(program: &OsString, err: io::Error) -> StartError {
        let found = locate(program);
        let program = crate::launch::notice::escape(&program.to_string_lossy());
        match err.kind() {
            io::ErrorKind::NotFound => match found.as_deref().map(interpreter) {
                None => StartError::NotFound { program },
                Some(Some(missing)) => StartError::InterpreterNotFound {
                    program,
                    missing: crate::launch::notice::escape(&missing),
                },
                Some(None) => StartError::LoaderNotFound { program },
            },
            _ => StartError::NotExecutable {
                program,
                reason: err,
            },
        }
    }
}

/// The file exec would have run: the program itself when it names a path, else the first match
/// on the launcher's `PATH`.
fn locate(program: &OsString) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(program);
    if path.components().count() > 1 {
        return path.is_file().then(|| path.to_path_buf());
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The interpreter a `#!` line names, if the file starts with one.
fn interpreter(file: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(file).ok()?.read(&mut head).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = line.split(|&b| b == b'\n').next()?;
    let text = String::from_utf8_lossy(line);
    text.split_whitespace().next().map(str::to_string)
}

/// The command with the plan's variables set and Vault credentials removed (the token stays
/// with `--pass-vault-token`).
pub fn command(argv: &[OsString], plan: &Plan) -> Command {
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]).envs(plan.changes());
    for key in plan.withheld() {
        command.env_remove(key);
    }
    command
}

/// Replaces the launcher with the program (`argv`, with the plan's environment). Returns only
/// on failure.
#[cfg(unix)]
pub fn exec(argv: &[OsString], plan: &Plan, core: &CoreLimit) -> StartError {
    core.restore();
    let err = super::environ::exec(argv, plan.changes(), plan.withheld());
    StartError::from_io(&argv[0], err)
}

/// Without `exec`, the launcher runs the program and passes its exit code on.
#[cfg(not(unix))]
pub fn exec(argv: &[OsString], plan: &Plan, core: &CoreLimit) -> StartError {
    core.restore();
    let program = &argv[0];
    match command(argv, plan).status() {
        Ok(status) => std::process::exit(i32::from(exit_code(status))),
        Err(err) => StartError::from_io(program, err),
    }
}

/// The program's exit code, or 128+N when signal N ended it (what a shell reports).
pub fn exit_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return code as u8;
    }
    signal_code(status)
}

#[cfg(unix)]
fn signal_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    status
        .signal()
        .map_or(125, |signal| 128u8.wrapping_add(signal as u8))
}

#[cfg(not(unix))]
fn signal_code(_: ExitStatus) -> u8 {
    125
}
