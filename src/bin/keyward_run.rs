//! `keyward-run`: start a program with its secrets (being built; see issue 6).

fn main() -> std::process::ExitCode {
    eprintln!("keyward-run: not built yet");
    std::process::ExitCode::from(125)
}
