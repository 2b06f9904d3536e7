//! JSON (one object: `findings` and `summary`) and JSON Lines (one record per line).

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Value};

use crate::scan::{Finding, ScanReport};

use super::OutputOptions;

/// One finding as JSON. The secret appears only redacted, unless `show_secrets`.
pub fn finding_json(f: &Finding, options: OutputOptions) -> Value {
    let mut v = json!({
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "start": f.start,
        "end": f.end,
        "rule_id": &*f.rule_id,
        "rule_name": &*f.rule_name,
        "confidence": f.confidence,
        "fingerprint": f.fingerprint,
        "redacted": f.secret.redacted(),
        "secret_length": f.secret.len(),
        "excerpt": f.excerpt,
    });
    if let Some(c) = &f.commit {
        v["commit"] = json!(c);
    }
    if options.show_secrets {
        v["secret"] = json!(String::from_utf8_lossy(f.secret.expose()));
    }
    v
}

/// The report's summary: counts, errors, skipped inputs, suppressions, duration.
pub fn summary_json(report: &ScanReport) -> Value {
    json!({
        "findings": report.findings.len(),
        "files_scanned": report.files_scanned,
        "bytes_scanned": report.bytes_scanned,
        "errors": report.errors,
        "skipped": report.skipped,
        "warnings": report.warnings,
        "suppressed": report.suppressed_counts(),
        "duration_ms": report.duration.as_secs_f64() * 1000.0,
        "rules": report.rules,
        "rules_digest": report.rules_digest,
        "exit_code": report.exit_code(),
        "tool": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")},
    })
}

pub fn write_json(
    out: &mut dyn Write,
    report: &ScanReport,
    options: OutputOptions,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Document { report, options })?;
    writeln!(out)
}

/// `{"findings": [...], "summary": {...}}`, each finding turned into JSON as it is written: a
/// report of a hundred thousand findings never becomes a hundred thousand JSON trees at once.
struct Document<'a> {
    report: &'a ScanReport,
    options: OutputOptions,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("findings", &Findings(self))?;
        map.serialize_entry("summary", &summary_json(self.report))?;
        map.end()
    }
}

struct Findings<'a>(&'a Document<'a>);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let findings = &self.0.report.findings;
        let mut seq = serializer.serialize_seq(Some(findings.len()))?;
        for f in findings {
            seq.serialize_element(&finding_json(f, self.0.options))?;
        }
        seq.end()
    }
}

/// One `{"type": "finding", ...}` line per finding, `{"type": "error", ...}` per error, then
/// one `{"type": "summary", ...}`.
pub fn write_jsonl(
    out: &mut dyn Write,
    report: &ScanReport,
    options: OutputOptions,
) -> io::Result<()> {
    for f in &report.findings {
        let mut v = finding_json(f, options);
        v["type"] = json!("finding");
        serde_json::to_writer(&mut *out, &v)?;
        writeln!(out)?;
    }
    for e in &report.errors {
        serde_json::to_writer(
            &mut *out,
            &json!({"type": "error", "path": e.path, "message": e.message}),
        )?;
        writeln!(out)?;
    }
    let mut summary = summary_json(report);
    summary["type"] = json!("summary");
    serde_json::to_writer(&mut *out, &summary)?;
    writeln!(out)
}
