//! Starting the program: `exec` replaces the launcher, `pump` runs it with masked output,
//! `signals` forwards signals to it.

pub mod exec;
pub mod pump;
#[cfg(unix)]
pub mod signals;
