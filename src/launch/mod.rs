//! The launcher behind `keyward-run` (being built; see issue 6). Uses none of the scanner's
//! rules, sources, detectors or reports.
