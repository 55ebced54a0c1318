//! Checks only the launcher makes before a start: the keys an example env file requires
//! (`schema`) and whether a value the program runs with is committed (`leaks`).

pub(crate) mod leaks;
pub(crate) mod schema;
