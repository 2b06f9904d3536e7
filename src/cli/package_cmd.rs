//! `amplihack-remote package`: the scan gate, then the signed archive.

use std::io::Write;

use amplihack_remote::config::LoadedConfig;
use amplihack_remote::git::scan_cache;
use amplihack_remote::output::{human_bytes, printable, write_human, OutputOptions};
use amplihack_remote::package::{package, sign, PackageError, PackageOptions};
use amplihack_remote::scan::{exit, Scanner};

use super::args::PackageArgs;

pub fn run(args: PackageArgs) -> Result<i32, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let loaded = LoadedConfig::discover(args.config.as_deref(), &cwd).map_err(|e| e.to_string())?;
    // Suppressions and the baseline apply; nothing skips the scan.
    let scanner =
        Scanner::from_config(&loaded, args.baseline.as_deref(), true).map_err(|e| e.to_string())?;
    let options = PackageOptions {
        start: cwd,
        output: args.output.clone(),
        max_size: args.max_size,
        dry_run: args.dry_run,
        threads: args.threads,
        config_dir: sign::config_dir().map_err(|e| e.to_string())?,
        history_cache: if args.full_scan {
            None
        } else {
            scan_cache::cache_dir()
        },
    };
    let mut out = std::io::stdout().lock();
    let w = |e: std::io::Error| format!("cannot write the report: {e}");
    match package(&options, &scanner) {
        Ok(done) => {
            let m = &done.manifest;
            for warning in &m.warnings {
                eprintln!("warning: {}", printable(warning));
            }
            let known = match m.scan.known_clean.len() {
                0 => String::new(),
                n => format!(
                    " (the history reachable from {n} commit{} was found clean by an earlier scan with the same rules and suppressions; --full-scan rescans it)",
                    if n == 1 { "" } else { "s" }
                ),
            };
            let scanned = format!(
                "{} unique blobs of the bundle and {} .claude files ({}) scanned, no secret found{known}",
                m.scan.blobs_scanned,
                m.scan.files_scanned,
                human_bytes(m.scan.bytes_scanned)
            );
            match (&done.archive, &done.signature) {
                (Some(archive), Some(sig)) => {
                    writeln!(out, "{scanned}.").map_err(w)?;
                    writeln!(
                        out,
                        "Packaged {} ({}, {} entries + manifest).",
                        printable(&archive.display().to_string()),
                        human_bytes(done.compressed_size),
                        m.entries.len()
                    )
                    .map_err(w)?;
                    writeln!(
                        out,
                        "Signed: {} (key {}).",
                        printable(&sig.display().to_string()),
                        done.public_key.as_deref().unwrap_or("")
                    )
                    .map_err(w)?;
                }
                _ => {
                    writeln!(out, "Dry run: {scanned}. Would package:").map_err(w)?;
                    for e in &m.entries {
                        writeln!(out, "  {} ({})", printable(&e.path), human_bytes(e.size))
                            .map_err(w)?;
                    }
                }
            }
            if let Some(s) = &m.created_from.snapshot {
                writeln!(
                    out,
                    "Uncommitted work is in the bundle as {} (commit {}).",
                    s.ref_name,
                    &s.commit[..s.commit.len().min(12)]
                )
                .map_err(w)?;
            }
            Ok(exit::CLEAN)
        }
        Err(PackageError::Secrets(report)) => {
            writeln!(
                out,
                "ERROR: Secret detected during packaging; nothing was written.\n"
            )
            .map_err(w)?;
            write_human(&mut out, &report, OutputOptions::default()).map_err(w)?;
            Ok(exit::FINDINGS)
        }
        Err(PackageError::ScanIncomplete(report)) => {
            writeln!(
                out,
                "ERROR: not everything that would ship could be scanned; nothing was written.\n"
            )
            .map_err(w)?;
            write_human(&mut out, &report, OutputOptions::default()).map_err(w)?;
            Ok(exit::ERROR)
        }
        Err(e) => Err(e.to_string()),
    }
}
