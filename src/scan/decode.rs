//! Decoding primitives for secrets hidden in encoded text: base64 (standard and URL-safe,
//! padding optional), hex escapes, and the text/credentials tests on decoded bytes. Pure
//! functions over bytes; `scan::encoded` finds the spans and percent-decodes them with an
//! offset map.

/// Value of a base64 character (standard or URL-safe alphabet), or `NONE`.
const NONE: u8 = 0xff;
const B64: [u8; 256] = {
    let mut t = [NONE; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t
};

/// True for a byte of the standard base64 alphabet (`A-Za-z0-9+/`): what encoded spans are
/// searched for. (URL-safe base64 is JWTs and URL tokens, which rules match directly; leaving
/// out `-` and `_` keeps snake_case identifiers from forming long runs.)
#[inline]
pub fn is_standard_base64_byte(b: u8) -> bool {
    STANDARD[b as usize]
}

const STANDARD: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        i += 1;
    }
    t
};

/// Standard base64 with padding: the inverse of [`base64`] (the remote script travels in it;
/// tests build encoded inputs with it).
pub fn base64_encode(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64 in either alphabet, with or without `=` padding. `None` for a length that
/// cannot be base64, a foreign byte, or non-zero trailing bits (which real encoders never
/// produce, so identifiers that happen to be base64-shaped are mostly rejected).
pub fn base64(input: &[u8]) -> Option<Vec<u8>> {
    let data = match input.iter().position(|&b| b == b'=') {
        Some(p) => {
            let pad = &input[p..];
            if pad.len() > 2 || pad.iter().any(|&b| b != b'=') || input.len() % 4 != 0 {
                return None;
            }
            &input[..p]
        }
        None => input,
    };
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in data {
        let v = B64[b as usize];
        if v == NONE {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return None;
    }
    Some(out)
}

/// True if the first 12 characters of a base64 span decode to 9 bytes of printable ASCII
/// (or tab/newline, or the start of UTF-8): a cheap test before decoding a whole span.
pub fn base64_prefix_is_text(prefix: &[u8]) -> bool {
    let mut acc: u32 = 0;
    for (i, &b) in prefix.iter().take(12).enumerate() {
        let v = B64[b as usize];
        if v == NONE {
            return false;
        }
        acc = (acc << 6) | u32::from(v);
        if i % 4 == 3 {
            for byte in [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8] {
                if !(byte.is_ascii_graphic()
                    || byte == b' '
                    || byte == b'\t'
                    || byte == b'\n'
                    || byte == b'\r'
                    || byte >= 0xc2)
                {
                    return false;
                }
            }
            acc = 0;
        }
    }
    true
}

/// True if `text` reads as text: valid UTF-8 with no control characters but tab, CR and LF.
pub fn is_printable_text(text: &[u8]) -> bool {
    match std::str::from_utf8(text) {
        Ok(s) => s
            .chars()
            .all(|c| !c.is_control() || c == '\t' || c == '\n' || c == '\r'),
        Err(_) => false,
    }
}

/// True if `text` is printable `user:password` with a non-empty password (the payload of
/// HTTP basic auth, Docker `auths` and npm `_auth`).
pub fn is_credentials(text: &[u8]) -> bool {
    let Some(colon) = text.iter().position(|&b| b == b':') else {
        return false;
    };
    colon + 1 < text.len()
        && !text.iter().any(|&b| b == b'\n' || b == b'\r')
        && is_printable_text(text)
}

/// The byte of two hex digits (`2F` → `/`).
pub fn hex_byte(hex: &[u8]) -> Option<u8> {
    let [hi, lo] = hex else { return None };
    let hi = (*hi as char).to_digit(16)?;
    let lo = (*lo as char).to_digit(16)?;
    Some((hi * 16 + lo) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_both_alphabets() {
        assert_eq!(base64(b"aHVudGVyMg==").unwrap(), b"hunter2");
        assert_eq!(base64(b"aHVudGVyMg").unwrap(), b"hunter2");
        assert_eq!(base64(b"Pz8_").unwrap(), b"???");
        assert_eq!(base64(b"Pz8/").unwrap(), b"???");
        assert_eq!(base64(b"").unwrap(), b"");
    }

    #[test]
    fn base64_rejects_malformed_input() {
        assert!(base64(b"abcde").is_none()); // length 5 mod 4 == 1
        assert!(base64(b"ab=c").is_none()); // padding in the middle
        assert!(base64(b"a===").is_none());
        assert!(base64(b"aHVudGVyMh").is_none()); // trailing bits set
        assert!(base64(b"ab c").is_none());
    }

    #[test]
    fn prefix_test_accepts_text_and_rejects_identifiers() {
        assert!(base64_prefix_is_text(b"cGFzc3dvcmQ6IGh1bnRlcjI="));
        assert!(!base64_prefix_is_text(b"SOME_CONSTANT_NAME_HERE"));
        assert!(!base64_prefix_is_text(b"abcdefghijklmnop"));
    }

    #[test]
    fn text_and_credentials() {
        assert!(is_printable_text("naïve: café\n".as_bytes()));
        assert!(!is_printable_text(b"\x00\x01bin"));
        assert!(!is_printable_text(b"\xff\xfe"));
        assert!(is_credentials(b"deploy:s3cr3t"));
        assert!(!is_credentials(b"deploy:"));
        assert!(!is_credentials(b"nocolon"));
        assert!(!is_credentials(b"a:b\nc"));
    }
}
