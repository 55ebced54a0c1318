//! The environment a program runs with, shared by both binaries: env files (`dotenv`,
//! `declarations`, python-dotenv's reading in `dialect`, `${…}` expansion in `expand`), references (`refs`: `vault://`, `file://`) and their resolution
//! (`resolve`, `vault`), the merged variables (`plan`), which values are secrets (`names`,
//! `sensitive`), the known values the scanner looks for (`knownvalues`), checks of env and
//! secret files (`problems`, `tracked`, `secretfile` reads one within bounds), and the allocator that wipes freed memory (`wipe`).
//! `hidden` holds the values no message may show. It never imports the scanner's stages nor
//! `launch`.

pub(crate) mod declarations;
pub(crate) mod dialect;
pub(crate) mod dotenv;
pub(crate) mod expand;
pub(crate) mod hidden;
pub mod knownvalues;
pub(crate) mod names;
pub(crate) mod plan;
pub(crate) mod problems;
pub(crate) mod refs;
pub(crate) mod resolve;
pub(crate) mod secretfile;
pub(crate) mod sensitive;
pub(crate) mod tracked;
pub(crate) mod vault;
pub mod wipe;
