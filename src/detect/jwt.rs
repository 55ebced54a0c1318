//! JSON Web Tokens (RFC 7519, JWS compact form RFC 7515 §7.1): a match of the `jwt` rule is a
//! token only when its header decodes to a JSON object naming an `alg` (RFC 7515 §4.1.1: the
//! one header parameter every JWS carries). Base64 of other JSON joined by dots (opaque page
//! tokens, encoded documents) is not reported. The claims are not parsed: a JWE-style or
//! compressed payload is still a token.

use super::b64;

/// Whether `value` (`header.claims.signature`) starts with a JOSE header naming `alg`.
pub fn well_formed(value: &[u8]) -> bool {
    let Some(header) = value.split(|&c| c == b'.').next() else {
        return false;
    };
    let Some(bytes) = b64::decode(header) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(map)) => map.get("alg").is_some_and(|a| a.is_string()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn header_must_be_json_naming_alg() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"4242"} . signature
        // keyward:allow (test data)
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIn0.q8rT2vLx9KpW4mNc7Yb3Hd6Jf1Gs5Ua";
        assert!(well_formed(token.as_bytes()));
        // {"typ":"JWT"} . {"sub":"4242"}: no alg.
        assert!(!well_formed(
            b"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiI0MjQyIn0.q8rT2vLx9KpW4mNc7Yb3Hd6Jf1Gs5Ua"
        ));
        // `{"not json` . {"sub":"4242"}
        assert!(!well_formed(
            b"eyJub3QganNvbg.eyJzdWIiOiI0MjQyIn0.q8rT2vLx9KpW4mNc7Yb3Hd6Jf1Gs5Ua"
        ));
        // {"alg":5}: alg is not a name.
        assert!(!well_formed(
            b"eyJhbGciOjV9.eyJzdWIiOiI0MjQyIn0.q8rT2vLx9KpW"
        ));
    }
}
