//! The rule file format (see `docs/rules.md`): what a rule says, as parsed from TOML.

use serde::{Deserialize, Serialize};

/// How sure a finding is: `high` (unique prefix or verified checksum), `medium` (a format
/// match, with context where the format alone is ambiguous), `low` (the generic family).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Named offline validators a rule can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// GitHub `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` tokens: base62 CRC32 of the 30-character body.
    GithubCrc32,
    /// Base64 (standard or URL-safe, padding optional) of printable `user:password` text with
    /// a non-empty password: HTTP basic-auth headers, Docker `auths`, npm `_auth`.
    Base64Credentials,
    /// Base64 of printable text (UTF-8 without control characters other than tab and
    /// newline): Kubernetes Secret `data:` values and similar encoded settings.
    Base64Text,
    /// A JSON Web Token whose header is JSON naming an `alg` and whose claims name at least
    /// one registered claim (`exp`, `iat`, `nbf`, `sub`, `iss`, `aud`, `jti`): a token that
    /// identifies nobody and never expires is a documentation value (`{"k": "value"}`).
    JwtClaims,
}

impl Checksum {
    /// True if a passing check proves the token genuine (and raises it to high confidence),
    /// not merely well-formed.
    pub fn proves_token(self) -> bool {
        matches!(self, Checksum::GithubCrc32)
    }
}

/// A character class a secret must contain at least once (`require = ["digit", "upper"]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CharClass {
    Digit,
    Upper,
    Lower,
    /// Any ASCII letter.
    Letter,
    /// Any printable ASCII character that is not a letter or digit.
    Symbol,
}

impl CharClass {
    pub fn matches(self, b: u8) -> bool {
        match self {
            CharClass::Digit => b.is_ascii_digit(),
            CharClass::Upper => b.is_ascii_uppercase(),
            CharClass::Lower => b.is_ascii_lowercase(),
            CharClass::Letter => b.is_ascii_alphabetic(),
            CharClass::Symbol => b.is_ascii_punctuation(),
        }
    }
}

/// A context requirement: one of `patterns` must match within `lines` lines of the match.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextDef {
    pub patterns: Vec<String>,
    #[serde(default = "default_context_lines")]
    pub lines: usize,
}

fn default_context_lines() -> usize {
    3
}

fn default_max_len() -> usize {
    256
}

fn yes() -> bool {
    true
}

/// One rule, exactly as written in a rule file or in the user's config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub confidence: Confidence,
    pub keywords: Vec<String>,
    pub pattern: String,
    #[serde(default = "default_max_len")]
    pub max_len: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_entropy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    #[serde(default = "yes")]
    pub placeholder_check: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextDef>,
    /// Character classes the secret must each contain at least once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<CharClass>,
    /// Globs over the file's repository-relative path (`/`-separated): the rule runs only in
    /// matching files. A glob without `/` matches the file name at any depth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The file name `rules check` scans the examples under (required with `paths`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_path: Option<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// A rule data file: a list of `[[rules]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub rules: Vec<RuleDef>,
}

/// The largest `max_len` a rule may ask for: it bounds the confirmation window.
pub const MAX_RULE_LEN: usize = 64 * 1024;
