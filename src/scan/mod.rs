//! Scan drivers: the tree (`tree`), history and the staged change (`git`), the filters applied
//! to a finished summary (`filter`, `baseline`), the known-secrets result cache (`knowncache`)
//! and the pre-commit hook (`hook`). Drivers hand bytes from `source` to `detect` and the
//! finished `Summary` to `report`; they never write to stdout themselves.

pub(crate) mod baseline;
pub(crate) mod filter;
pub(crate) mod git;
pub(crate) mod hook;
pub(crate) mod knowncache;
pub(crate) mod tree;
pub(crate) mod treefacts;
