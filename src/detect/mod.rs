//! Detection: pure functions from (path, bytes) to findings. Nothing here reads files, walks
//! directories or prints; sources hand bytes in and reports take findings out.

pub mod allow;
pub mod b64;
pub mod catalog;
pub mod engine;
pub mod entropy;
pub mod generic;
pub mod hygiene;
pub mod keyname;
pub mod keywords;
pub mod known;
pub mod lines;
pub mod made;
pub mod notebook;
pub mod placeholder;

pub use engine::{Detector, Scratch};
