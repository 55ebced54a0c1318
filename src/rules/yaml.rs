//! The only file that touches `serde_yaml`, so the YAML crate can be swapped for a maintained
//! fork in one place.

use serde::de::DeserializeOwned;

/// Parses `text` as YAML into `T`. The error carries serde_yaml's location (line, column).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_yaml::from_str(text).map_err(|e| e.to_string())
}
