//! Offline checksum validation: proves a token is well-formed without any network call.

use super::decode;
use super::rules::Checksum;

/// What a validator concluded about a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The checksum verifies: the token is real-shaped beyond doubt.
    Valid,
    /// The checksum does not verify: a documentation example or a typo, never a live token.
    Invalid,
    /// The validator does not apply to this shape (e.g. a longer refresh token).
    NotApplicable,
}

pub fn validate(kind: Checksum, secret: &[u8]) -> Verdict {
    match kind {
        Checksum::GithubCrc32 => github_crc32(secret),
        Checksum::Base64Credentials => decoded(secret, decode::is_credentials),
        Checksum::Base64Text => decoded(secret, |t| !t.is_empty() && decode::is_printable_text(t)),
        Checksum::JwtClaims => jwt_claims(secret),
    }
}

/// JWS compact form: `header.claims.signature`, header naming `alg`, claims naming a
/// registered claim.
fn jwt_claims(secret: &[u8]) -> Verdict {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(claims)) = (parts.next(), parts.next()) else {
        return Verdict::Invalid;
    };
    let header = decode::base64(header).unwrap_or_default();
    let claims = decode::base64(claims).unwrap_or_default();
    let has = |text: &[u8], key: &[u8]| memchr::memmem::find(text, key).is_some();
    let registered = [
        &b"\"exp\""[..],
        b"\"iat\"",
        b"\"nbf\"",
        b"\"sub\"",
        b"\"iss\"",
        b"\"aud\"",
        b"\"jti\"",
    ];
    if has(&header, b"\"alg\"") && registered.iter().any(|k| has(&claims, k)) {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}

/// Valid if the secret is base64 whose payload passes `test`; invalid otherwise (a random
/// identifier that merely looks like base64 decodes to binary and is dropped).
fn decoded(secret: &[u8], test: impl Fn(&[u8]) -> bool) -> Verdict {
    match decode::base64(secret) {
        Some(text) if test(&text) => Verdict::Valid,
        _ => Verdict::Invalid,
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `xxx_` + 30-character body + 6-character base62 CRC32 of the body, zero-padded.
fn github_crc32(secret: &[u8]) -> Verdict {
    let Some(underscore) = secret.iter().position(|&b| b == b'_') else {
        return Verdict::NotApplicable;
    };
    let rest = &secret[underscore + 1..];
    if rest.len() != 36 || !rest.iter().all(u8::is_ascii_alphanumeric) {
        return Verdict::NotApplicable;
    }
    let (body, check) = rest.split_at(30);
    if base62_6(crc32fast::hash(body)) == check {
        Verdict::Valid
    } else {
        Verdict::Invalid
    }
}

fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// Builds a GitHub-style token with a valid checksum (for tests and examples).
pub fn github_token_with_checksum(prefix: &str, body: &str) -> String {
    let check = base62_6(crc32fast::hash(body.as_bytes()));
    format!("{prefix}{body}{}", String::from_utf8_lossy(&check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_round_trips() {
        let token = github_token_with_checksum("ghp_", "q8Rk2LmZ4xW9vT1nB7cY3sJ6fH0dPe");
        assert_eq!(
            validate(Checksum::GithubCrc32, token.as_bytes()),
            Verdict::Valid
        );
        let mut broken = token.into_bytes();
        let last = broken.len() - 1;
        broken[last] = if broken[last] == b'a' { b'b' } else { b'a' };
        assert_eq!(validate(Checksum::GithubCrc32, &broken), Verdict::Invalid);
    }

    #[test]
    fn other_shapes_are_not_applicable() {
        assert_eq!(
            validate(Checksum::GithubCrc32, b"ghr_abc"),
            Verdict::NotApplicable
        );
    }

    #[test]
    fn jwt_claims_need_alg_and_a_registered_claim() {
        // {"alg":"HS256"} . {"sub":"a1","exp":1}  and  {"alg":"HS256"} . {"k":"value"}
        let good = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhMSIsImV4cCI6MX0.c2lnbmF0dXJl";
        let bare = b"eyJhbGciOiJIUzI1NiJ9.eyJrIjoidmFsdWUifQ.c2lnbmF0dXJl";
        assert_eq!(validate(Checksum::JwtClaims, good), Verdict::Valid);
        assert_eq!(validate(Checksum::JwtClaims, bare), Verdict::Invalid);
        assert_eq!(
            validate(Checksum::JwtClaims, b"eyJub3QgYSB0b2tlbg.x.y"),
            Verdict::Invalid
        );
    }

    #[test]
    fn base62_pads_with_zero() {
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(61), b"00000z");
        assert_eq!(&base62_6(62), b"000010");
    }
}
