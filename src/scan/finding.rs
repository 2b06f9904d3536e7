//! What a scan reports: findings, with the secret held privately and shown redacted.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::rules::Confidence;

/// A secret value. Its `Debug` and `Display` are redacted; the full value is reachable only
/// through [`Secret::expose`], which output code calls only when the user asked for it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

/// At most this many leading characters of a secret are ever shown.
pub const MAX_SHOWN_PREFIX: usize = 8;

impl Secret {
    pub fn new(bytes: &[u8]) -> Self {
        Secret(bytes.to_vec())
    }

    /// The full value. Callers must not print it unless the user passed `--show-secrets`.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many leading characters may be shown: a fifth of the length, at most
    /// [`MAX_SHOWN_PREFIX`]; enough to recognise `sk-ant-`, `ghp_`, `AKIA`, never enough to
    /// use. The length counts characters (invalid UTF-8 bytes count one each), not bytes: a
    /// secret of multi-byte characters must not show more than a fifth of its characters.
    pub fn shown_prefix_len(&self) -> usize {
        let chars = String::from_utf8_lossy(&self.0).chars().count();
        (chars.min(self.0.len()) / 5).min(MAX_SHOWN_PREFIX)
    }

    /// `sk-ant-a…(108 chars)`: a short prefix and the length; control characters escaped.
    pub fn redacted(&self) -> String {
        let prefix: String = String::from_utf8_lossy(&self.0)
            .chars()
            .take(self.shown_prefix_len())
            .flat_map(char::escape_default)
            .collect();
        format!("{prefix}…({} chars)", self.0.len())
    }

    /// Hex SHA-256 of the value: the key of baseline entries.
    pub fn sha256(&self) -> String {
        crate::digest::sha256_hex(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// One secret found in one input.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The input's path as the user knows it (repository-relative for `--staged`).
    pub path: String,
    /// 1-based line and column (in characters) where the secret starts.
    pub line: usize,
    pub column: usize,
    /// 1-based line and column just past the secret's last character.
    pub end_line: usize,
    pub end_column: usize,
    /// Byte range of the secret in the input.
    pub start: usize,
    pub end: usize,
    pub rule_id: Arc<str>,
    pub rule_name: Arc<str>,
    pub confidence: Confidence,
    /// Stable identity of this secret in this file under this rule (survives line moves).
    pub fingerprint: String,
    /// The secret's line, with every secret on it redacted (for humans).
    pub excerpt: String,
    /// The commit that introduced the blob, when scanning git objects.
    pub commit: Option<String>,
    pub secret: Secret,
}

/// `sha256("amplihack-remote/fingerprint/v1" NUL rule NUL path NUL secret)`, first 16 bytes.
pub fn fingerprint(rule_id: &str, path: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"amplihack-remote/fingerprint/v1\0");
    h.update(rule_id.as_bytes());
    h.update(b"\0");
    h.update(path.as_bytes());
    h.update(b"\0");
    h.update(secret);
    crate::digest::hex(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the redaction property test: the prefix length was a fifth of the BYTES, so a
    /// secret of two-byte characters showed two fifths of its characters.
    #[test]
    fn the_shown_prefix_is_a_fifth_of_the_characters_not_of_the_bytes() {
        let s = Secret::new("éééééééééé".as_bytes());
        assert_eq!(s.redacted(), "\\u{e9}\\u{e9}…(20 chars)");
        let s = Secret::new("ж1ж2ж3ж4ж5".as_bytes());
        assert_eq!(s.shown_prefix_len(), 2);
    }

    #[test]
    fn redaction_shows_a_short_prefix_and_the_length() {
        let s = Secret::new(b"sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789");
        let r = s.redacted();
        assert_eq!(r, "sk-ant-a…(49 chars)");
        assert!(!r.contains("api03"));
        assert_eq!(format!("{s:?}"), "Secret(sk-ant-a…(49 chars))");
    }

    #[test]
    fn short_secrets_show_almost_nothing() {
        assert_eq!(Secret::new(b"hunter22").redacted(), "h…(8 chars)");
        assert_eq!(Secret::new(b"abc").redacted(), "…(3 chars)");
    }

    #[test]
    fn redaction_escapes_control_characters() {
        let s = Secret::new(b"\x1b[31mABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
        assert!(!s.redacted().contains('\x1b'));
    }
}
