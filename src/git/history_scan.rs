//! Scanning a repository's whole history: every unique blob once, in parallel, findings named
//! by path and by the first commit that introduced the blob.

use std::collections::HashMap;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use rayon::prelude::*;

use super::command::{Git, GitError};
use super::history::{first_commits, reachable_blobs, stream_blobs, HistoryBlob};
use super::version::GitVersion;
use crate::scan::report::InputError;
use crate::scan::{InputName, ScanReport, Scanner, Scratch};

/// Blobs in flight between the `cat-file` reader and the scanning threads (bounds memory).
const IN_FLIGHT: usize = 256;
/// At most this many `git cat-file --batch` processes read blobs at once.
const MAX_READERS: usize = 4;

/// What a history scan read, besides its report.
#[derive(Debug, Clone, Default)]
pub struct HistoryStats {
    /// Unique blobs scanned.
    pub blobs: u64,
    /// Their total size.
    pub bytes: u64,
    /// The largest blobs, biggest first (at most [`LARGEST_KEPT`]): what makes a bundle big.
    pub largest: Vec<(String, u64)>,
    /// Paths of blobs for which the caller's `flag` predicate held, sorted, deduplicated.
    pub flagged: Vec<String>,
}

/// How many of the largest blobs [`HistoryStats::largest`] keeps.
pub const LARGEST_KEPT: usize = 5;

/// Scans like [`scan_history`] and also lists the blob paths that `flag` selects (the
/// packager flags history files that match its exclusion patterns).
pub fn scan_history_flagging(
    scanner: &Scanner,
    git: &Git,
    extra_tips: &[String],
    threads: usize,
    flag: &(dyn Fn(&str) -> bool + Sync),
) -> (ScanReport, HistoryStats) {
    scan(scanner, git, extra_tips, threads, Some(flag))
}

/// Scans every blob reachable from every ref (and `extra_tips`) of the repository `git` runs
/// in. Fails closed: any git error, or a blob that cannot be read, is an error of the report
/// (exit 2), never a clean result. `threads` 0 means one per core.
pub fn scan_history(
    scanner: &Scanner,
    git: &Git,
    extra_tips: &[String],
    threads: usize,
) -> (ScanReport, HistoryStats) {
    scan(scanner, git, extra_tips, threads, None)
}

fn scan(
    scanner: &Scanner,
    git: &Git,
    extra_tips: &[String],
    threads: usize,
    flag: Option<&(dyn Fn(&str) -> bool + Sync)>,
) -> (ScanReport, HistoryStats) {
    let started = Instant::now();
    let mut report = scanner.empty_report();
    let mut stats = HistoryStats::default();
    let fail = |report: &mut ScanReport, e: GitError| {
        report.errors.push(InputError {
            path: format!("<git history of {}>", git.dir().display()),
            message: e.to_string(),
        })
    };
    let version = match GitVersion::of(git) {
        Ok(v) => v,
        Err(e) => {
            fail(&mut report, e);
            return (report, stats);
        }
    };
    let blobs = match reachable_blobs(git, version, extra_tips) {
        Ok(b) => b,
        Err(e) => {
            fail(&mut report, e);
            return (report, stats);
        }
    };
    if let Some(flag) = flag {
        stats.flagged = blobs
            .iter()
            .filter(|b| flag(&b.path))
            .map(|b| b.path.clone())
            .collect();
        stats.flagged.sort();
        stats.flagged.dedup();
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("history-{i}"))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            report.errors.push(InputError {
                path: "<scanner>".into(),
                message: format!("cannot start worker threads: {e}"),
            });
            return (report, stats);
        }
    };
    // Several `cat-file` readers on contiguous slices of the list: git resolves deltas on
    // one core per process, and that, not the scan, is the bottleneck of a history scan.
    let readers = pool.current_num_threads().clamp(1, MAX_READERS);
    let chunk = blobs.len().div_ceil(readers).max(1);
    let (tx, rx) = sync_channel::<(&HistoryBlob, Vec<u8>)>(IN_FLIGHT);
    let (read, outcomes) = std::thread::scope(|scope| {
        let handles: Vec<_> = blobs
            .chunks(chunk)
            .map(|slice| {
                let tx = tx.clone();
                scope
                    .spawn(move || stream_blobs(git, slice, |b, bytes| tx.send((b, bytes)).is_ok()))
            })
            .collect();
        drop(tx);
        let outcomes: Vec<_> = pool.install(|| {
            rx.into_iter()
                .par_bridge()
                .map_init(Scratch::default, |scratch, (blob, bytes)| {
                    let name = InputName {
                        display: blob.path.clone(),
                        repo_relative: blob.path.clone(),
                        commit: None,
                    };
                    let found = scanner.scan_buffer(&name, &bytes, scratch);
                    (blob, bytes.len() as u64, found)
                })
                .collect()
        });
        let read: Result<(), GitError> = handles.into_iter().try_for_each(|h| {
            h.join().unwrap_or_else(|_| {
                Err(GitError::Io {
                    args: "cat-file --batch".into(),
                    message: "a reading thread panicked".into(),
                })
            })
        });
        (read, outcomes)
    });
    if let Err(e) = read {
        fail(&mut report, e);
    }
    let mut with_findings: Vec<&HistoryBlob> = Vec::new();
    for (blob, bytes, found) in outcomes {
        match found {
            Ok(found) => {
                stats.blobs += 1;
                stats.bytes += bytes;
                keep_largest(&mut stats.largest, &blob.path, bytes);
                report.files_scanned += 1;
                report.bytes_scanned += bytes;
                if !found.findings.is_empty() || !found.suppressed.is_empty() {
                    with_findings.push(blob);
                }
                let tag = |mut f: crate::scan::Finding| {
                    f.commit = Some(blob.oid.clone());
                    f
                };
                report.findings.extend(found.findings.into_iter().map(tag));
                report
                    .suppressed
                    .extend(found.suppressed.into_iter().map(|(f, why)| (tag(f), why)));
            }
            Err(e) => report.errors.push(InputError {
                path: format!("{} (blob {})", blob.path, blob.oid),
                message: format!("scan failed: {e}"),
            }),
        }
    }
    // First commits, only for the blobs with findings (one `git log --raw` pass): clean
    // histories pay nothing.
    let wanted: HashMap<String, String> = with_findings
        .iter()
        .map(|b| (b.oid.clone(), b.path.clone()))
        .collect();
    let commits = match first_commits(git, &wanted, extra_tips) {
        Ok(c) => c,
        Err(e) => {
            fail(&mut report, e);
            HashMap::new()
        }
    };
    let resolve = |f: &mut crate::scan::Finding| {
        if let Some(oid) = f.commit.take() {
            f.commit = commits.get(&oid).cloned();
        }
    };
    report.findings.iter_mut().for_each(resolve);
    report.suppressed.iter_mut().for_each(|(f, _)| resolve(f));
    report.sort();
    // Two versions of one file can hold a finding at the same offset: order them by commit
    // too, so the report does not depend on thread timing.
    let key = |f: &crate::scan::Finding| (f.path.clone(), f.start, f.commit.clone());
    report.findings.sort_by_key(key);
    report.suppressed.sort_by_key(|(f, _)| key(f));
    report.duration = started.elapsed();
    (report, stats)
}

fn keep_largest(largest: &mut Vec<(String, u64)>, path: &str, size: u64) {
    if largest.len() == LARGEST_KEPT && largest.last().is_some_and(|l| l.1 >= size) {
        return;
    }
    let at = largest.partition_point(|l| l.1 >= size);
    largest.insert(at, (path.to_string(), size));
    largest.truncate(LARGEST_KEPT);
}
