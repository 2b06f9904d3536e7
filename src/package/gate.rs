//! The gate's own pieces: scanning the `.claude` files, and naming uncommitted work in
//! findings. The history is scanned by [`crate::git::scan_history_flagging`].

use std::sync::Mutex;

use rayon::prelude::*;

use crate::scan::report::InputError;
use crate::scan::{InputName, ScanReport, Scanner, Scratch};

use super::claude;

/// Findings first introduced by the snapshot commit are uncommitted work: say so.
pub(super) fn label_snapshot(report: &mut ScanReport, snapshot: &str) {
    let label = |f: &mut crate::scan::Finding| {
        if let Some(c) = &f.commit {
            if !c.is_empty() && snapshot.starts_with(c.as_str()) {
                f.commit = Some(format!("{c}, uncommitted work"));
            }
        }
    };
    report.findings.iter_mut().for_each(label);
    report.suppressed.iter_mut().for_each(|(f, _)| label(f));
}

/// Reads and scans files in parallel; returns the report and each file's SHA-256 (of the
/// bytes that were scanned), in order.
pub(super) fn scan_files(
    scanner: &Scanner,
    files: &[claude::ClaudeFile],
    threads: usize,
) -> (ScanReport, Vec<String>) {
    let mut report = scanner.empty_report();
    let errors = Mutex::new(Vec::new());
    let run = || {
        files
            .par_iter()
            .map_init(Scratch::default, |scratch, f| {
                let name = InputName::plain(f.rel.clone());
                let fail = |message: String| {
                    if let Ok(mut e) = errors.lock() {
                        e.push(InputError {
                            path: f.rel.clone(),
                            message,
                        });
                    }
                    None
                };
                let bytes = match crate::scan::source::read_regular(&f.abs, f.size) {
                    Ok(b) => b,
                    Err(e) => return fail(format!("cannot read: {e}")),
                };
                if bytes.len() as u64 != f.size {
                    return fail("changed size while being packaged".into());
                }
                match scanner.scan_buffer(&name, &bytes, scratch) {
                    Ok(found) => {
                        Some((bytes.len() as u64, crate::digest::sha256_hex(&bytes), found))
                    }
                    Err(e) => fail(format!("scan failed: {e}")),
                }
            })
            .collect::<Vec<_>>()
    };
    let outcomes = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(run),
        Err(e) => {
            report.errors.push(InputError {
                path: "<scanner>".into(),
                message: format!("cannot start worker threads: {e}"),
            });
            return (report, Vec::new());
        }
    };
    let mut digests = Vec::with_capacity(files.len());
    for o in outcomes {
        match o {
            Some((bytes, sha, found)) => {
                report.files_scanned += 1;
                report.bytes_scanned += bytes;
                report.findings.extend(found.findings);
                report.suppressed.extend(found.suppressed);
                digests.push(sha);
            }
            None => digests.push(String::new()),
        }
    }
    report
        .errors
        .extend(errors.into_inner().unwrap_or_default());
    (report, digests)
}
