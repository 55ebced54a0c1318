//! Detection: pure functions from (path, bytes) to findings. Nothing here reads files, walks
//! directories or prints; sources hand bytes in and reports take findings out.

pub mod allow;
pub mod catalog;
pub mod engine;
pub mod entropy;
pub mod generic;
pub mod hygiene;
pub mod keywords;
pub mod knownsecrets;
pub mod lineindex;
pub mod notebook;
pub mod placeholder;
pub mod rulecheck;

pub use engine::{Detector, Scratch};
