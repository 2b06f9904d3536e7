//! Human-readable report, in the tone of the seed documents: where, what, and what to do.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::scan::position::escape_controls;
use crate::scan::ScanReport;

use super::OutputOptions;

/// Writes findings as `path:line:column: rule (name) [confidence]` with a redacted excerpt,
/// then errors, notes, a summary line and the actions to take.
pub fn write_human(
    out: &mut dyn Write,
    report: &ScanReport,
    options: OutputOptions,
) -> io::Result<()> {
    for f in &report.findings {
        let commit = f
            .commit
            .as_deref()
            .map(|c| format!(" (commit {c})"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}:{}:{}{commit}: {} ({}) [{}]",
            printable(&f.path),
            f.line,
            f.column,
            f.rule_id,
            printable(&f.rule_name),
            f.confidence
        )?;
        writeln!(out, "    Content: {}", f.excerpt)?;
        if options.show_secrets {
            writeln!(
                out,
                "    Secret:  {}",
                String::from_utf8_lossy(f.secret.expose()).escape_debug()
            )?;
        }
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    if !report.errors.is_empty() {
        writeln!(
            out,
            "ERROR: {} input{} could not be scanned; this result is incomplete:",
            report.errors.len(),
            plural(report.errors.len())
        )?;
        for e in &report.errors {
            writeln!(out, "  {}: {}", printable(&e.path), printable(&e.message))?;
        }
        writeln!(out)?;
    }
    if !report.skipped.is_empty() {
        writeln!(out, "Not scanned ({}):", report.skipped.len())?;
        for s in report.skipped.iter().take(20) {
            writeln!(out, "  {}: {}", printable(&s.path), printable(&s.reason))?;
        }
        if report.skipped.len() > 20 {
            writeln!(
                out,
                "  ... and {} more (--format json lists all)",
                report.skipped.len() - 20
            )?;
        }
    }
    for w in &report.warnings {
        writeln!(out, "warning: {}", printable(w))?;
    }
    let scanned = format!(
        "{} file{}, {} scanned in {:.2} s",
        report.files_scanned,
        plural(report.files_scanned as usize),
        human_bytes(report.bytes_scanned),
        report.duration.as_secs_f64()
    );
    let s = report.suppressed_counts();
    let suppressed = if report.suppressed.is_empty() {
        String::new()
    } else {
        let below = if s.below_min_confidence > 0 {
            format!(", {} below --min-confidence", s.below_min_confidence)
        } else {
            String::new()
        };
        format!(
            "; {} suppressed ({} inline, {} allowlist, {} baseline{below})",
            report.suppressed.len(),
            s.inline,
            s.allowlist,
            s.baseline
        )
    };
    if report.findings.is_empty() {
        if report.errors.is_empty() {
            writeln!(out, "No secrets found: {scanned}{suppressed}.")?;
        } else {
            writeln!(
                out,
                "No secrets found in what could be scanned: {scanned}{suppressed}."
            )?;
        }
        return Ok(());
    }
    let n = report.findings.len();
    writeln!(
        out,
        "ERROR: {n} secret{} detected in {} file{} ({scanned}{suppressed})",
        plural(n),
        report.files_with_findings(),
        plural(report.files_with_findings())
    )?;
    writeln!(out)?;
    writeln!(out, "Action required:")?;
    writeln!(out, "  1. Remove each secret from its file, and rotate it if it was ever committed, pushed or shared")?;
    writeln!(out, "  2. Load it at run time instead (an environment variable or a secret manager; .env files are never packaged)")?;
    writeln!(out, "  3. If a finding is not a secret, mark its line with `amplihack-remote:allow`, or accept it with `amplihack-remote baseline`")?;
    writeln!(out, "  4. Retry")?;
    Ok(())
}

/// Escapes control characters: file names come from the scanned tree and must not be able to
/// send escape sequences to the user's terminal.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    escape_controls(s, &mut out);
    Cow::Owned(out)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1.5 MB`-style sizes (decimal units).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
