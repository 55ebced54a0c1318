//! `keyward-run`: start a program with its secrets (`keyward-run -- gunicorn app:app`). The
//! work is in `keyward::launch`; this file parses, runs, and prints the error once.

use keyward::launch;
use std::process::ExitCode;

/// Every heap buffer is wiped before it is freed: the launcher handles secrets.
#[global_allocator]
static ALLOCATOR: keyward::env::wipe::ZeroOnFree =
    keyward::env::wipe::ZeroOnFree(std::alloc::System);

fn main() -> ExitCode {
    let args = match launch::parse_args() {
        Ok(args) => args,
        Err(code) => return code,
    };
    match launch::run(args) {
        Ok(code) => code,
        Err(err) => {
            launch::report_error(&err);
            launch::exit_code(&err)
        }
    }
}
