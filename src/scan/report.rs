//! The result of a scan: findings, what was suppressed and why, what could not be scanned.

use std::time::Duration;

use serde::Serialize;

use super::finding::Finding;

/// Why a finding was not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    /// An inline marker (`pragma: allowlist secret`, `gitleaks:allow`, ...).
    Inline,
    /// The config's `[allowlist]` (path or secret).
    Allowlist,
    /// An entry of the baseline file.
    Baseline,
    /// Below `--min-confidence`.
    MinConfidence,
}

/// An input that could not be scanned. Any of these makes the scan incomplete (exit 2).
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

/// An input deliberately not scanned, and why (reported, never silent).
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SuppressedCounts {
    pub inline: u64,
    pub allowlist: u64,
    pub baseline: u64,
    pub below_min_confidence: u64,
}

#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Reported findings, sorted by path then position.
    pub findings: Vec<Finding>,
    /// Findings that a suppression hid, with the reason.
    pub suppressed: Vec<(Finding, Suppression)>,
    pub errors: Vec<InputError>,
    pub skipped: Vec<Skipped>,
    /// Non-fatal notes (e.g. an unparsable `.gitignore` line).
    pub warnings: Vec<String>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub duration: Duration,
    pub rules: usize,
    pub rules_digest: String,
}

/// Process exit codes, as documented in `--help` and the README.
pub mod exit {
    /// Every input was scanned and nothing was found.
    pub const CLEAN: i32 = 0;
    /// At least one secret was found (and every input was scanned).
    pub const FINDINGS: i32 = 1;
    /// An error: bad arguments or configuration, or an input that could not be scanned.
    pub const ERROR: i32 = 2;
}

impl ScanReport {
    /// 2 if anything could not be scanned, else 1 if anything was found, else 0.
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() {
            exit::ERROR
        } else if !self.findings.is_empty() {
            exit::FINDINGS
        } else {
            exit::CLEAN
        }
    }

    pub fn suppressed_counts(&self) -> SuppressedCounts {
        let mut c = SuppressedCounts::default();
        for (_, why) in &self.suppressed {
            match why {
                Suppression::Inline => c.inline += 1,
                Suppression::Allowlist => c.allowlist += 1,
                Suppression::Baseline => c.baseline += 1,
                Suppression::MinConfidence => c.below_min_confidence += 1,
            }
        }
        c
    }

    /// Number of distinct paths with findings.
    pub fn files_with_findings(&self) -> usize {
        let mut paths: Vec<&str> = self.findings.iter().map(|f| f.path.as_str()).collect();
        paths.dedup();
        paths.len()
    }

    /// Adds another report's results to this one (durations add up).
    pub fn merge(&mut self, other: ScanReport) {
        self.findings.extend(other.findings);
        self.suppressed.extend(other.suppressed);
        self.errors.extend(other.errors);
        self.skipped.extend(other.skipped);
        self.warnings.extend(other.warnings);
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.duration += other.duration;
    }

    /// Sorts everything into a deterministic order.
    pub fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.path.cmp(&b.path).then(a.start.cmp(&b.start)));
        self.suppressed
            .sort_by(|a, b| a.0.path.cmp(&b.0.path).then(a.0.start.cmp(&b.0.start)));
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    }
}
