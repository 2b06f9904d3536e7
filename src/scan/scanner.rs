//! The scanner: a rule set plus the user's suppressions, turning bytes into findings.

use std::sync::Arc;

use super::allowlist::Allowlist;
use super::baseline::Baseline;
use super::engine::{self, EngineError, Scratch};
use super::finding::{fingerprint, Finding, Secret};
use super::position::{excerpt, LineCounter, Redactions};
use super::report::Suppression;
use super::rules::{Confidence, RuleSet};
use super::suppress::inline_marker;

/// How an input is named in findings.
#[derive(Debug, Clone)]
pub struct InputName {
    /// As shown to the user.
    pub display: String,
    /// Relative to the repository root, `/`-separated: what allowlist globs match.
    pub repo_relative: String,
    /// The commit that introduced this content (git scans).
    pub commit: Option<String>,
}

impl InputName {
    /// A name that is the same for display and allowlist matching.
    pub fn plain(path: impl Into<String>) -> Self {
        let path = path.into();
        InputName {
            repo_relative: path.clone(),
            display: path,
            commit: None,
        }
    }
}

/// Findings of one buffer: reported ones and suppressed ones.
#[derive(Debug, Default)]
pub struct BufferFindings {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<(Finding, Suppression)>,
}

/// Rules plus allowlist and baseline; built once, shared by every scanning thread.
#[derive(Debug)]
pub struct Scanner {
    rules: RuleSet,
    allowlist: Allowlist,
    baseline: Baseline,
    min_confidence: Confidence,
    rule_ids: Vec<(Arc<str>, Arc<str>)>,
}

impl Scanner {
    pub fn new(rules: RuleSet) -> Scanner {
        let rule_ids = rules
            .rules()
            .iter()
            .map(|r| (Arc::from(r.def.id.as_str()), Arc::from(r.def.name.as_str())))
            .collect();
        Scanner {
            rules,
            allowlist: Allowlist::default(),
            baseline: Baseline::default(),
            min_confidence: Confidence::Low,
            rule_ids,
        }
    }

    pub fn with_allowlist(mut self, allowlist: Allowlist) -> Self {
        self.allowlist = allowlist;
        self
    }

    pub fn with_baseline(mut self, baseline: Baseline) -> Self {
        self.baseline = baseline;
        self
    }

    /// Reports only findings of at least this confidence; the others are counted as
    /// suppressed (`--min-confidence`). The packaging gate never raises it above `low`.
    pub fn with_min_confidence(mut self, min: Confidence) -> Self {
        self.min_confidence = min;
        self
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// True if the allowlist has path globs (a result can then depend on the path).
    pub fn allowlist_has_paths(&self) -> bool {
        self.allowlist.has_paths()
    }

    /// True if the allowlist's path globs cover `repo_relative` (its findings are suppressed).
    pub fn allowlist_covers(&self, repo_relative: &str) -> bool {
        self.allowlist.path(repo_relative)
    }

    /// SHA-256 over everything a buffer's result depends on besides its bytes and path: the
    /// tool version, the rule set, the allowlist, the baseline and the minimum confidence.
    /// Two scanners with the same fingerprint give the same result for the same blob, so a
    /// blob found clean under one is clean under the other (the history cache relies on it).
    pub fn fingerprint(&self) -> String {
        let mut source = format!(
            "amplihack-remote {}\nrules {}\nallowlist {}\nmin-confidence {:?}\n",
            env!("CARGO_PKG_VERSION"),
            self.rules.digest(),
            self.allowlist.digest(),
            self.min_confidence
        );
        for e in self.baseline.entries() {
            source.push_str(&format!("baseline {} {}\n", e.rule_id, e.secret_sha256));
        }
        crate::digest::sha256_hex(source.as_bytes())
    }

    /// True if `hay` holds any candidate secret under the rules that run in every file (rules
    /// restricted by `paths` do not run), before any suppression: a `false` means no path and
    /// no suppression can make this buffer report a finding under those rules. The history
    /// scan's first pass over packed blobs, which have no path yet, relies on it.
    pub fn any_candidate(&self, hay: &[u8], scratch: &mut Scratch) -> Result<bool, EngineError> {
        engine::find_candidates(&self.rules, hay, "", scratch).map(|c| !c.is_empty())
    }

    /// Scans one buffer.
    pub fn scan_buffer(
        &self,
        name: &InputName,
        hay: &[u8],
        scratch: &mut Scratch,
    ) -> Result<BufferFindings, EngineError> {
        let candidates = engine::find_candidates(&self.rules, hay, &name.repo_relative, scratch)?;
        let mut out = BufferFindings::default();
        if candidates.is_empty() {
            return Ok(out);
        }
        let secrets: Vec<Secret> = candidates
            .iter()
            .map(|c| Secret::new(c.value(hay)))
            .collect();
        // Every candidate on a line is redacted in every excerpt of that line.
        let mut redactions: Vec<_> = candidates
            .iter()
            .zip(&secrets)
            .map(|(c, s)| (c.secret.clone(), s.redacted()))
            .collect();
        let windows: Vec<_> = candidates.iter().map(|c| c.secret.clone()).collect();
        redactions.extend(repeated_values(hay, &windows, &secrets));
        let redactions = Redactions::new(redactions);
        let mut lines = LineCounter::new(hay);
        for (c, secret) in candidates.iter().zip(secrets) {
            let (rule_id, rule_name) = &self.rule_ids[c.rule];
            let (line, column) = lines.position(c.secret.start);
            let (end_line, end_column) = lines.position(c.secret.end);
            let finding = Finding {
                path: name.display.clone(),
                line,
                column,
                end_line,
                end_column,
                start: c.secret.start,
                end: c.secret.end,
                rule_id: rule_id.clone(),
                rule_name: rule_name.clone(),
                confidence: c.confidence,
                fingerprint: fingerprint(rule_id, &name.repo_relative, secret.expose()),
                excerpt: excerpt(hay, &c.secret, &redactions),
                commit: name.commit.clone(),
                secret,
            };
            match self.suppression(name, hay, &finding) {
                Some(why) => out.suppressed.push((finding, why)),
                None => out.findings.push(finding),
            }
        }
        Ok(out)
    }

    fn suppression(&self, name: &InputName, hay: &[u8], f: &Finding) -> Option<Suppression> {
        if f.confidence < self.min_confidence {
            Some(Suppression::MinConfidence)
        } else if inline_marker(hay, f.start, f.end) {
            Some(Suppression::Inline)
        } else if self.allowlist.path(&name.repo_relative)
            || self.allowlist.secret(f.secret.expose())
        {
            Some(Suppression::Allowlist)
        } else if !self.baseline.is_empty()
            && self.baseline.contains(&f.rule_id, &f.secret.sha256())
        {
            Some(Suppression::Baseline)
        } else {
            None
        }
    }
}

/// Shortest secret value whose other occurrences are redacted too (shorter ones would blank
/// ordinary words; no rule reports values this short).
const MIN_REPEATED_VALUE: usize = 6;

/// Other occurrences of the secret values near the findings, where no rule flagged them
/// (`export K=VALUE; echo VALUE`, or the value inside a token the rules rejected): an
/// excerpt shows up to 48 bytes before and 24 after a finding, and must never show a
/// secret in clear there. Searched only in each finding's excerpt window (widened by the
/// longest value), with one Aho-Corasick automaton over the values: linear in the windows.
fn repeated_values(
    hay: &[u8],
    findings: &[std::ops::Range<usize>],
    secrets: &[Secret],
) -> Vec<(std::ops::Range<usize>, String)> {
    let mut distinct = std::collections::HashSet::new();
    let values: Vec<(&[u8], String)> = secrets
        .iter()
        .filter(|s| s.len() >= MIN_REPEATED_VALUE && distinct.insert(s.expose()))
        .map(|s| (s.expose(), s.redacted()))
        .collect();
    let flagged: std::collections::HashSet<_> = findings.iter().cloned().collect();
    let Some(longest) = values.iter().map(|(v, _)| v.len()).max() else {
        return Vec::new();
    };
    let Ok(ac) = aho_corasick::AhoCorasick::new(values.iter().map(|(v, _)| v)) else {
        return Vec::new();
    };
    // Each finding's window, merged where they overlap: every byte is searched once.
    let mut windows: Vec<std::ops::Range<usize>> = findings
        .iter()
        .map(|f| {
            let line =
                super::position::line_start(hay, f.start)..super::position::line_end(hay, f.start);
            let from = line.start.max(f.start.saturating_sub(48 + longest));
            from..line.end.min(f.end + 24 + longest).max(from)
        })
        .collect();
    windows.sort_by_key(|w| w.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for w in windows {
        match merged.last_mut() {
            Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
            _ => merged.push(w),
        }
    }
    let mut out = Vec::new();
    for w in merged {
        for m in ac.find_overlapping_iter(&hay[w.clone()]) {
            let r = w.start + m.start()..w.start + m.end();
            if !flagged.contains(&r) {
                out.push((r, values[m.pattern().as_usize()].1.clone()));
            }
        }
    }
    out
}

/// Why a scanner could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ScannerError {
    #[error(transparent)]
    Rules(#[from] super::rules::RuleError),
    #[error(transparent)]
    Allowlist(#[from] super::allowlist::AllowlistError),
    #[error(transparent)]
    Baseline(#[from] super::baseline::BaselineError),
    #[error(
        "no rules are enabled (the configuration disables them all): a scan could find nothing"
    )]
    NoRules,
}

impl Scanner {
    /// The built-in rules plus the config's rules, allowlist and baseline (`baseline`
    /// overrides the config's; `use_baseline: false` ignores baselines entirely).
    pub fn from_config(
        loaded: &crate::config::LoadedConfig,
        baseline: Option<&std::path::Path>,
        use_baseline: bool,
    ) -> Result<Scanner, ScannerError> {
        let rules = rule_set_from_config(loaded)?;
        if rules.is_empty() {
            return Err(ScannerError::NoRules);
        }
        let allowlist = Allowlist::new(&loaded.config.allowlist)?;
        let mut scanner = Scanner::new(rules).with_allowlist(allowlist);
        if use_baseline {
            let path = baseline
                .map(std::path::Path::to_path_buf)
                .or_else(|| loaded.baseline_path());
            if let Some(path) = path {
                scanner = scanner.with_baseline(Baseline::load(&path)?);
            }
        }
        Ok(scanner)
    }
}

/// The built-in rules, plus the config's extra rules, minus its disabled ones.
pub fn rule_set_from_config(
    loaded: &crate::config::LoadedConfig,
) -> Result<RuleSet, super::rules::RuleError> {
    let origin = loaded
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "config".into());
    let mut builder = RuleSet::builder();
    for def in &loaded.config.rules {
        builder = builder.rule(def.clone(), origin.clone());
    }
    for id in &loaded.config.disable_rules {
        builder = builder.disable(id.clone());
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random buffers built from keyword fragments, secret-alphabet runs,
    /// newlines and arbitrary bytes: the scanner must not panic, and every finding must lie
    /// inside the input with consistent positions and a redaction that hides the value.
    #[test]
    fn arbitrary_bytes_never_panic_and_findings_stay_inside() {
        let scanner = Scanner::new(RuleSet::builtin().unwrap());
        let pieces: &[&[u8]] = &[
            b"sk-ant-api03-",
            b"ghp_",
            b"AKIA",
            b"password",
            b"=",
            b"\"",
            b"'",
            b"\n",
            b"\r\n",
            b"-----BEGIN RSA PRIVATE KEY-----\n",
            b"T3BlbkFJ",
            b".eyJ",
            b"8Q~",
            b"AccountKey=",
            b"xoxb-",
            b"secret: ",
            b"\xff\xfe",
            b"\0",
            b"\x1b[2J",
            b"pragma: allowlist secret",
        ];
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-=";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut scratch = Scratch::default();
        let name = InputName::plain("fuzz");
        let mut checked = 0;
        for _ in 0..3000 {
            let mut hay = Vec::new();
            for _ in 0..(next() % 24) {
                // A keyword, usually followed by a run of the secret alphabet, or raw bytes.
                if next() % 4 == 0 {
                    for _ in 0..(next() % 16) {
                        hay.push(next() as u8);
                    }
                    continue;
                }
                hay.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
                if next() % 3 != 0 {
                    for _ in 0..(next() % 120) {
                        hay.push(alphabet[(next() % alphabet.len() as u64) as usize]);
                    }
                }
            }
            let found = scanner.scan_buffer(&name, &hay, &mut scratch).unwrap();
            for f in found
                .findings
                .iter()
                .chain(found.suppressed.iter().map(|(f, _)| f))
            {
                assert!(f.start < f.end && f.end <= hay.len());
                assert_eq!(f.secret.expose(), &hay[f.start..f.end]);
                assert!(f.line >= 1 && f.column >= 1 && f.end_line >= f.line);
                let shown = f.secret.shown_prefix_len();
                assert!(
                    shown <= crate::scan::finding::MAX_SHOWN_PREFIX && shown <= f.secret.len() / 5
                );
                if f.secret.len() >= 12 {
                    assert!(!f
                        .excerpt
                        .contains(&*String::from_utf8_lossy(f.secret.expose())));
                }
                checked += 1;
            }
        }
        // The inputs are built to produce findings: the assertions above must have run.
        assert!(checked > 200, "only {checked} findings checked");
    }
}
