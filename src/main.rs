//! The `keyward` binary: parse the command line, run, print the error chain once.

use std::process::ExitCode;

fn main() -> ExitCode {
    match keyward::app::run() {
        Ok(code) => code,
        Err(err) => {
            keyward::messages::error_chain(&err);
            ExitCode::from(2)
        }
    }
}
