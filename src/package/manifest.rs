//! `manifest.json`: what the archive holds, where it came from, and the scan that cleared it.
//! Written without timestamps or host names, so the same inputs give the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the manifest and archive layout.
pub const FORMAT_VERSION: u32 = 1;
/// Entry names inside the archive.
pub const MANIFEST_NAME: &str = "manifest.json";
pub const BUNDLE_NAME: &str = "repo.bundle";
/// A manifest larger than this is refused when reading (it is held in memory).
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format_version: u32,
    pub tool: Tool,
    pub created_from: Source,
    /// The modification time every entry carries (HEAD's commit time or `SOURCE_DATE_EPOCH`).
    pub mtime: u64,
    /// Every entry of the archive except the manifest itself, in archive order.
    pub entries: Vec<Entry>,
    pub scan: Attestation,
    /// Notes for the remote side and the reader (history files matching exclusions, ...).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `HEAD` commit (None before the first commit).
    pub head: Option<String>,
    /// The branch `HEAD` points to (None when detached).
    pub head_ref: Option<String>,
    /// Every ref in the bundle (besides the snapshot ref), with its target.
    pub refs: BTreeMap<String, String>,
    /// The snapshot of uncommitted work, if the work tree differed from `HEAD`.
    pub snapshot: Option<Snapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    #[serde(rename = "ref")]
    pub ref_name: String,
    pub commit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// `0o644` or `0o755`.
    pub mode: u32,
}

/// The scan that every shipped byte went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// `RuleSet::digest()` of the rules applied.
    pub rules_digest: String,
    pub rules: usize,
    /// Unique blobs of the bundle scanned.
    pub blobs_scanned: u64,
    /// `.claude` files scanned.
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Always 0: packaging stops at the first finding.
    pub findings: u64,
    /// Findings hidden by an inline marker, the allowlist or the baseline.
    pub suppressed: u64,
    /// `Scanner::fingerprint()`: tool version, rules, allowlist, baseline and minimum
    /// confidence of the scan.
    #[serde(default)]
    pub scanner_fingerprint: String,
    /// Commits whose whole history an earlier scan with the same fingerprint found clean:
    /// the blobs reachable from them were not scanned again (see `git::scan_cache`). Empty
    /// when this run scanned every blob itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_clean: Vec<String>,
}

impl Manifest {
    /// Pretty JSON, newline-terminated.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if m.format_version != FORMAT_VERSION {
            return Err(format!(
                "format version {} is not supported (expected {FORMAT_VERSION})",
                m.format_version
            ));
        }
        Ok(m)
    }
}
