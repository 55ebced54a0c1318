//! Starting the program: `exec` replaces the launcher, `pump` runs it with masked output,
//! `signals` forwards signals to it.

pub(crate) mod exec;
pub(crate) mod pump;
#[cfg(unix)]
pub(crate) mod signals;
