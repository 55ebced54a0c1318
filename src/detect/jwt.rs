//! JSON Web Tokens (RFC 7519, JWS compact form RFC 7515 §7.1): a match of the `jwt` rule is a
//! token only when its header decodes to a JSON object naming an `alg` and its claims decode
//! to a JSON object. Base64 of other JSON joined by dots (opaque page tokens, encoded
//! documents) is not reported.

use super::b64;

/// Whether `value` (`header.claims.signature`) has a JOSE header with `alg` and JSON claims.
pub fn well_formed(value: &[u8]) -> bool {
    let mut parts = value.split(|&c| c == b'.');
    let (Some(header), Some(claims)) = (parts.next(), parts.next()) else {
        return false;
    };
    let object = |part: &[u8]| -> Option<serde_json::Map<String, serde_json::Value>> {
        let bytes = b64::decode(part)?;
        match serde_json::from_slice(&bytes).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let has_alg = object(header).is_some_and(|h| h.get("alg").is_some_and(|a| a.is_string()));
    has_alg && object(claims).is_some()
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn header_must_name_alg_and_claims_must_be_json() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"4242"} . signature
        assert!(well_formed(
            b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIn0.q8rT2vLx9KpW4mNc7Yb3Hd6Jf1Gs5Ua"
        ));
        // {"typ":"JWT"} . {"sub":"4242"}: no alg.
        assert!(!well_formed(
            b"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiI0MjQyIn0.q8rT2vLx9KpW4mNc7Yb3Hd6Jf1Gs5Ua"
        ));
        // {"alg":"HS256"} . not JSON ("eyJub3QganNvbg" is `{"not json`).
        assert!(!well_formed(
            b"eyJhbGciOiJIUzI1NiJ9.eyJub3QganNvbg.q8rT2vLx9KpW4mNc7Yb3Hd6Jf1Gs5Ua"
        ));
        assert!(!well_formed(b"eyJhbGciOiJIUzI1NiJ9"));
    }
}
