//! The `keyward` binary: parse the command line, run, print the error chain once.

use std::process::ExitCode;

/// Wipes freed memory while `--known-secrets` values are loaded (see `WipeWhenArmed`).
#[global_allocator]
static ALLOCATOR: keyward::env::wipe::WipeWhenArmed =
    keyward::env::wipe::WipeWhenArmed(keyward::env::wipe::ZeroOnFree(std::alloc::System));

fn main() -> ExitCode {
    match keyward::app::run() {
        Ok(code) => code,
        Err(err) => {
            keyward::messages::error_chain(&err);
            ExitCode::from(2)
        }
    }
}
