//! Scan drivers: the tree (`tree`), history and the staged change (`git`), the filters applied
//! to a finished summary (`filter`, `baseline` with its entry hashing `entryprint`), what a
//! commit range inherited from its base (`inherited`), the known-secrets result cache
//! (`knowncache`), the pre-commit hook (`hook`) and the incremental history state (`state`).
//! Drivers hand bytes from `source` to `detect` and the
//! finished `Summary` to `report`; they never write to stdout themselves.

pub(crate) mod baseline;
pub(crate) mod entryprint;
pub(crate) mod filter;
pub(crate) mod git;
pub(crate) mod hook;
pub(crate) mod inherited;
pub(crate) mod knowncache;
pub(crate) mod state;
pub(crate) mod tree;
pub(crate) mod treefacts;
