//! Starting the program: `exec` replaces the launcher (through `environ` on Unix), `pump` runs
//! it with masked output, `signals` forwards signals to it; `coredump` keeps core dumps off
//! meanwhile.

pub(crate) mod coredump;
#[cfg(unix)]
pub(crate) mod environ;
pub(crate) mod exec;
pub(crate) mod pump;
#[cfg(unix)]
pub(crate) mod signals;
