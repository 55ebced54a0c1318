//! Detection: pure functions from (path, bytes) to findings. Nothing here reads files, walks
//! directories or prints; sources hand bytes in and reports take findings out.

pub(crate) mod allow;
mod b64;
mod blob;
pub(crate) mod catalog;
mod checksum;
pub(crate) mod engine;
pub(crate) mod entropy;
pub(crate) mod generic;
pub(crate) mod hygiene;
mod joined;
mod jsonspan;
mod jwt;
mod keyname;
pub(crate) mod keywords;
pub(crate) mod knownsecrets;
mod kube;
pub(crate) mod lineindex;
mod made;
pub mod notebook;
pub(crate) mod placeholder;
pub mod rulecheck;
mod wholevalue;

pub use engine::{Detector, Scratch};
pub use hygiene::Scope;
