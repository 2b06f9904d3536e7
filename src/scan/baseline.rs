//! The baseline: accepted findings, keyed on the rule and the SHA-256 of the secret.
//!
//! No paths, line numbers or timestamps: moving code does not invalidate an entry, two branches
//! that accept the same secret write the same line (sorted, so merges do not conflict), and a
//! different secret written later on the same line is still reported.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Current baseline format version.
pub const BASELINE_VERSION: u32 = 1;

/// Upper bound on a baseline file's size: it is read whole.
const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub rule_id: String,
    /// Lower-case hex SHA-256 of the secret's bytes.
    pub secret_sha256: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeSet<BaselineEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    entries: Vec<BaselineEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("baseline {path} is larger than {MAX_BASELINE_BYTES} bytes")]
    TooLarge { path: String },
    #[error("baseline {path} is not a valid baseline file: {message}")]
    Invalid { path: String, message: String },
    #[error("cannot write baseline {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl Baseline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a baseline from its JSON text.
    pub fn parse(text: &[u8], path: &str) -> Result<Baseline, BaselineError> {
        let invalid = |message: String| BaselineError::Invalid {
            path: path.to_string(),
            message,
        };
        let file: BaselineFile =
            serde_json::from_slice(text).map_err(|e| invalid(e.to_string()))?;
        if file.version != BASELINE_VERSION {
            return Err(invalid(format!(
                "version {} is not supported (expected {BASELINE_VERSION})",
                file.version
            )));
        }
        for e in &file.entries {
            let hex_ok = e.secret_sha256.len() == 64
                && e.secret_sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex_ok || e.rule_id.is_empty() {
                return Err(invalid(format!(
                    "entry {:?}/{:?}: secret_sha256 must be 64 lower-case hex digits and rule_id non-empty",
                    e.rule_id, e.secret_sha256
                )));
            }
        }
        Ok(Baseline {
            entries: file.entries.into_iter().collect(),
        })
    }

    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| BaselineError::Read {
            path: shown.clone(),
            source,
        })?;
        if meta.len() > MAX_BASELINE_BYTES {
            return Err(BaselineError::TooLarge { path: shown });
        }
        let text = std::fs::read(path).map_err(|source| BaselineError::Read {
            path: shown.clone(),
            source,
        })?;
        Baseline::parse(&text, &shown)
    }

    pub fn contains(&self, rule_id: &str, secret_sha256: &str) -> bool {
        // BTreeSet lookup needs an owned key; baselines are small and lookups rare.
        self.entries.contains(&BaselineEntry {
            rule_id: rule_id.to_string(),
            secret_sha256: secret_sha256.to_string(),
        })
    }

    pub fn insert(&mut self, rule_id: &str, secret_sha256: &str) -> bool {
        self.entries.insert(BaselineEntry {
            rule_id: rule_id.to_string(),
            secret_sha256: secret_sha256.to_string(),
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> impl Iterator<Item = &BaselineEntry> {
        self.entries.iter()
    }

    /// The file's text: sorted entries, one per line, stable across runs.
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\n  \"version\": {BASELINE_VERSION},\n  \"entries\": [");
        for (i, e) in self.entries.iter().enumerate() {
            out.push_str(if i == 0 { "\n    " } else { ",\n    " });
            out.push_str(&format!(
                "{{\"rule_id\": {}, \"secret_sha256\": \"{}\"}}",
                serde_json::Value::String(e.rule_id.clone()),
                e.secret_sha256
            ));
        }
        out.push_str(if self.entries.is_empty() {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        });
        out
    }

    /// Writes the baseline atomically (temporary file in the same directory, then rename).
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let err = |source| BaselineError::Write {
            path: path.display().to_string(),
            source,
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("baseline"),
            std::process::id()
        ));
        std::fs::write(&tmp, self.to_json()).map_err(err)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_sorted_and_stable() {
        let mut b = Baseline::new();
        b.insert("z-rule", &"b".repeat(64));
        b.insert("a-rule", &"a".repeat(64));
        let text = b.to_json();
        assert!(text.find("a-rule").unwrap() < text.find("z-rule").unwrap());
        let again = Baseline::parse(text.as_bytes(), "b.json").unwrap();
        assert_eq!(again, b);
        assert_eq!(again.to_json(), text);
        assert!(Baseline::parse(Baseline::new().to_json().as_bytes(), "e")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            "{}",
            r#"{"version": 2, "entries": []}"#,
            r#"{"version": 1, "entries": [], "line": 3}"#,
            r#"{"version": 1, "entries": [{"rule_id": "x", "secret_sha256": "zz"}]}"#,
        ] {
            assert!(Baseline::parse(bad.as_bytes(), "b").is_err(), "{bad}");
        }
    }
}
