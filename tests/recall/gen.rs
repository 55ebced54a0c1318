//! Token generation for the recall set: a seeded PRNG (splitmix64), the character classes of
//! the spec templates, CRC32 (IEEE) with the base62 encoding of GitHub-style checksums, and
//! the derived negatives (placeholder bodies, truncated bodies, wrong checksums). Knows nothing
//! of files or contexts.

use super::spec::{Class, Part};

/// splitmix64: small, seedable, and good enough to make values that look random.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `min..=max`.
    pub fn between(&mut self, min: usize, max: usize) -> usize {
        min + self.below(max - min + 1)
    }
}

/// FNV-1a, to derive a stable seed from a spec line (so adding a line elsewhere changes
/// nothing here).
pub fn seed_of(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

pub fn alphabet(class: Class) -> &'static [u8] {
    match class {
        Class::Hex => b"0123456789abcdef",
        Class::HexUpper => b"0123456789ABCDEF",
        Class::Digit => b"0123456789",
        Class::Lower => b"abcdefghijklmnopqrstuvwxyz",
        Class::Upper => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        Class::Alnum => b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        Class::AlnumLower => b"0123456789abcdefghijklmnopqrstuvwxyz",
        Class::AlnumUpper => b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        Class::B64 => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        Class::B64Url => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    }
}

/// `n` random characters of `class` with no run of three equal characters and no three
/// consecutive ascending or descending ones, so a value never trips a placeholder gate
/// (`aaaaaa`, `123456`) by construction of the generator rather than by chance.
pub fn random_chars(rng: &mut Rng, class: Class, n: usize) -> String {
    let abc = alphabet(class);
    let mut out: Vec<u8> = Vec::with_capacity(n);
    while out.len() < n {
        let c = abc[rng.below(abc.len())];
        if let [.., a, b] = out[..] {
            let run = a == b && b == c;
            let step = |d: i16| b as i16 - a as i16 == d && c as i16 - b as i16 == d;
            if run || step(1) || step(-1) {
                continue;
            }
        }
        out.push(c);
    }
    String::from_utf8(out).unwrap()
}

/// A lower-case version 4 UUID.
pub fn uuid(rng: &mut Rng) -> String {
    let h = random_chars(rng, Class::Hex, 30);
    let variant = b"89ab"[rng.below(4)] as char;
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..15],
        variant,
        &h[15..18],
        &h[18..30]
    )
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum GitHub and npm tokens
/// carry.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Base62 (0-9A-Za-z) of `n`, left-padded with '0' to 6 characters.
pub fn base62_6(mut n: u32) -> String {
    let abc = alphabet(Class::Alnum);
    let mut out = Vec::new();
    while n > 0 {
        out.push(abc[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < 6 {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

/// One value of a template. `{crc32b62}` covers what the generators before it produced
/// (literal text such as the `ghp_` prefix excluded, as in GitHub's and npm's scheme);
/// `{crc32hex}` covers all the text before it, prefix included (Private Packagist's scheme).
/// With `bad_checksum`, every checksum is off by one bit of the CRC.
pub fn render(
    parts: &[Part],
    rng: &mut Rng,
    length_pick: LengthPick,
    bad_checksum: bool,
) -> String {
    let mut out = String::new();
    let mut generated = String::new();
    for part in parts {
        let piece = match part {
            Part::Lit(text) => {
                out.push_str(text);
                continue;
            }
            Part::Chars { class, min, max } => {
                let n = match length_pick {
                    LengthPick::Min => *min,
                    LengthPick::Max => *max,
                    LengthPick::Random => rng.between(*min, *max),
                };
                random_chars(rng, *class, n)
            }
            Part::Uuid => uuid(rng),
            Part::Crc32B62 => {
                let crc = crc32(generated.as_bytes()) ^ u32::from(bad_checksum);
                base62_6(crc)
            }
            // Private Packagist: the CRC of prefix and random part, lower-case hex.
            Part::Crc32Hex => {
                let crc = crc32(out.as_bytes()) ^ u32::from(bad_checksum);
                format!("{crc:08x}")
            }
        };
        generated.push_str(&piece);
        out.push_str(&piece);
    }
    out
}

/// Which length a `{class:min-max}` range takes: both bounds are covered on purpose.
#[derive(Clone, Copy)]
pub enum LengthPick {
    Min,
    Max,
    Random,
}

/// The template with every random part replaced by a placeholder run: `x` for lower-case and
/// mixed classes, `X` for upper-case ones, `0` for digits (or `0` everywhere with `zeros`).
pub fn placeholder(parts: &[Part], zeros: bool) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(text) => out.push_str(text),
            Part::Chars { class, min, max } => {
                let c = if zeros {
                    '0'
                } else {
                    match class {
                        Class::Digit => '0',
                        Class::Upper | Class::HexUpper | Class::AlnumUpper => 'X',
                        _ => 'x',
                    }
                };
                out.extend(std::iter::repeat_n(c, (min + max) / 2));
            }
            Part::Uuid if zeros => out.push_str("00000000-0000-0000-0000-000000000000"),
            Part::Uuid => out.push_str("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"),
            Part::Crc32B62 => out.push_str(if zeros { "000000" } else { "xxxxxx" }),
            Part::Crc32Hex => out.push_str(if zeros { "00000000" } else { "xxxxxxxx" }),
        }
    }
    out
}

/// A real-looking value cut to half: the leading literal (the prefix) is kept, the rest of
/// the value halved.
pub fn truncated(parts: &[Part], value: &str) -> String {
    let prefix = match parts.first() {
        Some(Part::Lit(text)) => text.len(),
        _ => 0,
    };
    let rest = &value[prefix..];
    format!("{}{}", &value[..prefix], &rest[..rest.len() / 2])
}

/// Whether a template starts with a literal prefix of three or more characters with a
/// separator (`sk_live_`, `glpat-`, `hvs.`): a token a rule finds by its shape alone.
pub fn has_prefix(parts: &[Part]) -> bool {
    matches!(parts.first(), Some(Part::Lit(p)) if p.len() >= 3 && p.contains(['_', '-', '.']))
}

/// A regex that matches exactly the values a template can produce (to tell a truncated value
/// that happens to have another documented shape from a real negative).
pub fn regex_of(parts: &[Part]) -> String {
    let mut out = String::from("^");
    for part in parts {
        match part {
            Part::Lit(text) => out.push_str(&regex::escape(text)),
            Part::Chars { class, min, max } => {
                let abc = String::from_utf8(alphabet(*class).to_vec()).unwrap();
                out.push_str(&format!("[{}]{{{min},{max}}}", regex::escape(&abc)));
            }
            Part::Uuid => {
                out.push_str("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
            }
            Part::Crc32B62 => out.push_str("[0-9A-Za-z]{6}"),
            Part::Crc32Hex => out.push_str("[0-9a-f]{8}"),
        }
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_ieee_check_value() {
        // The standard check value of CRC-32/ISO-HDLC over "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn checksums_cover_what_each_scheme_documents() {
        let parts = crate::recall::spec::parse_template("ghp_{alnum:30}{crc32b62}").unwrap();
        let token = render(&parts, &mut Rng::new(7), LengthPick::Random, false);
        assert_eq!(&token[34..], base62_6(crc32(&token.as_bytes()[4..34])));
        let bad = render(&parts, &mut Rng::new(7), LengthPick::Random, true);
        assert_eq!(bad[..34], token[..34]);
        assert_ne!(bad[34..], token[34..]);
        let parts =
            crate::recall::spec::parse_template("packagist_ort_{hex:60}{crc32hex}").unwrap();
        let token = render(&parts, &mut Rng::new(7), LengthPick::Random, false);
        assert_eq!(
            &token[74..],
            format!("{:08x}", crc32(&token.as_bytes()[..74]))
        );
    }

    #[test]
    fn values_have_no_runs_or_sequences() {
        let mut rng = Rng::new(1);
        for class in [Class::Digit, Class::Hex, Class::Alnum] {
            let v = random_chars(&mut rng, class, 4000);
            assert!(v.as_bytes().windows(3).all(|w| {
                let (d1, d2) = (w[1] as i16 - w[0] as i16, w[2] as i16 - w[1] as i16);
                // A run (0), an ascending (1) or a descending (-1) step twice.
                !(d1 == d2 && d1.abs() <= 1)
            }));
        }
    }

    #[test]
    fn base62_pads_to_six() {
        assert_eq!(base62_6(0), "000000");
        assert_eq!(base62_6(61), "00000z");
        assert_eq!(base62_6(62), "000010");
        assert_eq!(base62_6(u32::MAX), "4gfFC3");
    }
}
