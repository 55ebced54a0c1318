//! `keyward-run`: start a program with its secrets (`keyward-run -- gunicorn app:app`). The
//! work is in `keyward::launch`; this file parses, runs, and prints the error once.
//!
//! It starts at C's `main`, without Rust's runtime start (a tenth of what the launcher's start
//! cost); `launch::startup` does what of it the launcher needs.
// The unit-test build of this file keeps the test harness's own `main`.
#![cfg_attr(not(test), no_main)]

use keyward::launch;

/// Every heap buffer is wiped before it is freed: the launcher handles secrets.
#[global_allocator]
static ALLOCATOR: keyward::env::wipe::ZeroOnFree =
    keyward::env::wipe::ZeroOnFree(std::alloc::System);

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    launch::startup::prepare_process();
    // Unwinding must not cross into C; a panic ends the process as the runtime would end it.
    let code = std::panic::catch_unwind(launch_once).unwrap_or(launch::startup::PANIC);
    // Flushes stdout, as the runtime does on its way out.
    std::process::exit(i32::from(code))
}

#[cfg_attr(test, allow(dead_code))]
fn launch_once() -> u8 {
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
