//! The environment a program runs with, shared by both binaries: env files (`dotenv`,
//! `declarations`), references (`refs`: `vault://`, `file://`) and their resolution
//! (`resolve`, `vault`), the merged variables (`plan`), which values are secrets (`names`,
//! `sensitive`), the known values the scanner looks for (`knownvalues`), checks of env and
//! secret files (`problems`, `tracked`), and the allocator that wipes freed memory (`wipe`).
//! It never imports the scanner's stages nor `launch`.

pub mod declarations;
pub mod dotenv;
pub mod knownvalues;
pub mod names;
pub mod plan;
pub mod problems;
pub mod refs;
pub mod resolve;
pub mod sensitive;
pub mod tracked;
pub mod vault;
pub mod wipe;
