//! A lenient base64 decoder for the gates: standard and URL-safe alphabets, padding optional.
//! It only answers "what text does this value hide one layer down" (a JWT's claims, a
//! base64-wrapped password); it never decodes for output.

/// The 6-bit value of a base64 character of either alphabet.
fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// The bytes `text` encodes, or `None` when it is not base64 (a character outside both
/// alphabets, padding in the middle, or a length no encoder produces).
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let body = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in body {
        acc = (acc << 6) | u32::from(sextet(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The text `value` decodes to when it is base64 of printable ASCII (at least 4 characters):
/// base64 of a random key is bytes of every value, almost never all printable.
pub fn printable_text(value: &[u8]) -> Option<String> {
    if value.len() < 8 {
        return None;
    }
    let bytes = decode(value)?;
    let printable = bytes.len() >= 4 && bytes.iter().all(|b| (0x20..0x7f).contains(b));
    printable.then(|| String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_alphabets_with_or_without_padding() {
        assert_eq!(decode(b"YWJjOjEyMw==").unwrap(), b"abc:123");
        assert_eq!(decode(b"YWJjOjEyMw").unwrap(), b"abc:123");
        assert_eq!(decode(b"-_8").unwrap(), vec![0xfb, 0xff]);
        assert!(decode(b"abc!").is_none());
        assert!(decode(b"abcde").is_none());
    }

    #[test]
    fn only_printable_text_is_returned() {
        assert_eq!(
            printable_text(b"TXlWZXJpZmllclN0cmluZw").as_deref(),
            Some("MyVerifierString")
        );
        // Random key material decodes to unprintable bytes.
        assert!(printable_text(b"k1zPZM6uVxMQ3oxqgoYlNuJPyRTZ1vREs76zTQE3eJk=").is_none());
        assert!(printable_text(b"short").is_none());
    }
}
