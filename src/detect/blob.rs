//! The entry points per blob that scan drivers call: a text blob gets the rules (with the
//! known secrets) and the per-file hygiene checks of its scope; a blob that is not scanned for
//! content (binary, too large, an LFS pointer) gets the checks on its name, and the known
//! secrets when its bytes are at hand.

use super::hygiene::{self, Scope};
use super::{Detector, Scratch};
use crate::finding::Finding;

impl Detector<'_> {
    /// Everything found in one text blob. History passes `Scope::CommittedFiles` (a committed
    /// `.env` or key file, not `DEBUG = True` in an old revision); the tree and the staged
    /// change pass `Scope::All`.
    pub fn text_blob(
        &self,
        path: &str,
        data: &[u8],
        scratch: &mut Scratch,
        scope: Scope,
    ) -> Vec<Finding> {
        let mut findings = self.scan(path, data, scratch);
        hygiene::refine(path, data, &mut findings, scope);
        findings.extend(hygiene::check_file(path, data, scope));
        findings
    }

    /// The findings of a blob not scanned for content: its name alone (a committed `.p12` key
    /// bundle), in every mode, and with `data` the `--known-secrets` values in its bytes.
    pub fn binary_blob(&self, path: &str, data: Option<&[u8]>) -> Vec<Finding> {
        let mut findings = hygiene::check_binary(path);
        if let Some(data) = data {
            findings.extend(self.scan_binary(path, data));
        }
        findings
    }
}
