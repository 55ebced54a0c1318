//! Checksums that providers document for their tokens, verified after the regex matched, so a
//! string of the right shape whose checksum fails (a placeholder, a truncated or edited token)
//! is not reported. Pure functions over the matched secret; nothing here reads or prints.
//! Used by the `validate:` key of a rule (`rules::schema::Validator`).

/// The base62 alphabet GitHub and npm encode their token checksums in (digits, upper, lower).
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Length of the encoded checksum at the end of the token.
const CHECKSUM_LEN: usize = 6;

/// The documented body: 30 random characters and the checksum.
const DOCUMENTED_LEN: usize = 30 + CHECKSUM_LEN;

/// GitHub's token format (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and npm's (`npm_`): a type
/// prefix ending in `_`, a random base62 body, then six base62 characters holding the CRC-32
/// (IEEE) of the body, left-padded with `0`. Described in GitHub's "Behind GitHub's new
/// authentication token formats" (2021). Only the documented 36-character form (30 random + 6)
/// is judged; a longer token (GitHub reserves up to 255 characters) passes unverified.
pub fn base62_crc32(token: &[u8]) -> bool {
    let Some(sep) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let rest = &token[sep + 1..];
    if rest.len() != DOCUMENTED_LEN {
        return true;
    }
    let (body, check) = rest.split_at(rest.len() - CHECKSUM_LEN);
    decode_base62(check) == Some(crc32(body))
}

/// Private Packagist's token format: a type prefix and a random part, then eight lower-case
/// hex digits holding the CRC-32 of everything before them ("Composer Authentication", token
/// format, packagist.com docs).
pub fn hex_crc32(token: &[u8]) -> bool {
    const HEX_LEN: usize = 8;
    if token.len() <= HEX_LEN {
        return false;
    }
    let (body, check) = token.split_at(token.len() - HEX_LEN);
    let expected = format!("{:08x}", crc32(body));
    check == expected.as_bytes()
}

/// The value of a base62 number, or `None` when it has a character outside the alphabet or
/// does not fit 32 bits.
fn decode_base62(digits: &[u8]) -> Option<u32> {
    let mut value: u64 = 0;
    for &d in digits {
        let digit = BASE62.iter().position(|&c| c == d)? as u64;
        value = value * 62 + digit;
        if value > u64::from(u32::MAX) {
            return None;
        }
    }
    u32::try_from(value).ok()
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit: tokens are short and
/// this runs only on matches that passed every other gate.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(mut n: u32) -> String {
        let mut out = vec![b'0'; CHECKSUM_LEN];
        for slot in out.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn packagist_tokens_carry_the_crc_of_prefix_and_body() {
        let body = "packagist_ort_".to_string() + &"3f9a0c1e7b5d2846".repeat(4)[..60];
        let token = format!("{body}{:08x}", crc32(body.as_bytes()));
        assert!(hex_crc32(token.as_bytes()));
        let mut edited = token.into_bytes();
        let last = edited.len() - 1;
        edited[last] = if edited[last] == b'0' { b'1' } else { b'0' };
        assert!(!hex_crc32(&edited));
        assert!(!hex_crc32(b"short"));
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32/ISO-HDLC check value for "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn a_token_with_its_checksum_passes_and_an_edited_one_fails() {
        let body = "Zq7fK2mR9xWc4TnB8vLp3HsD6yGj1E";
        let token = format!("ghp_{body}{}", encode(crc32(body.as_bytes())));
        assert!(base62_crc32(token.as_bytes()));
        let mut edited = token.clone().into_bytes();
        edited[10] = if edited[10] == b'a' { b'b' } else { b'a' };
        assert!(!base62_crc32(&edited));
        assert!(!base62_crc32(b"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
        assert!(!base62_crc32(b"no-separator-here"));
        // Longer tokens than the documented form are not judged.
        assert!(base62_crc32(format!("{token}abcd").as_bytes()));
    }
}
