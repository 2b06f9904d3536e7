//! Writing scan reports: human text (the seed's format, redacted), JSON, JSON Lines, SARIF.
//!
//! Every format redacts secrets unless [`OutputOptions::show_secrets`] is set (the CLI's
//! explicit `--show-secrets`).

mod human;
mod json;
mod sarif;

use std::io::{self, Write};

use crate::scan::{RuleSet, ScanReport};

pub use human::{human_bytes, printable, write_human};
pub use json::{finding_json, summary_json, write_json, write_jsonl};
pub use sarif::{sarif_log, write_sarif};

/// The output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOptions {
    /// Include each secret's full value. Off unless the user asks explicitly.
    pub show_secrets: bool,
}

/// Writes `report` in `format`.
pub fn write_report(
    out: &mut dyn Write,
    format: Format,
    report: &ScanReport,
    rules: &RuleSet,
    options: OutputOptions,
) -> io::Result<()> {
    match format {
        Format::Human => write_human(out, report, options),
        Format::Json => write_json(out, report, options),
        Format::Jsonl => write_jsonl(out, report, options),
        Format::Sarif => write_sarif(out, report, rules, options),
    }
}
