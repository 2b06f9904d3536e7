//! Scanning a repository's whole history: every unique blob once, in parallel, findings named
//! by path and by the first commit that introduced the blob.
//!
//! A pipeline: `rev-list` lists blobs (one thread) → batches go round-robin to a few
//! `cat-file --batch` readers → a bounded channel → the rayon scanning threads. Listing,
//! reading and scanning overlap; memory is bounded by the channels.

use std::collections::HashMap;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use rayon::prelude::*;

use super::attribution::first_commits;
use super::command::{Git, GitError};
use super::history::{for_each_reachable_blob, stream_blob_batches, HistoryBlob};
use super::version::GitVersion;
use crate::scan::report::InputError;
use crate::scan::{BufferFindings, Finding, InputName, ScanReport, Scanner, Scratch};

/// Blobs in flight between the `cat-file` readers and the scanning threads (bounds memory).
const IN_FLIGHT: usize = 256;
/// Blob ids per batch handed to a reader.
const BATCH: usize = 512;
/// At most this many `git cat-file --batch` processes read blobs at once.
const MAX_READERS: usize = 4;
/// How many of the largest blobs [`HistoryStats::largest`] keeps.
pub const LARGEST_KEPT: usize = 5;

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

/// Scans every blob reachable from every ref (and `extra_tips`) of the repository `git` runs
/// in. Fails closed: any git error, or a blob that cannot be read, is an error of the report
/// (exit 2), never a clean result. `threads` 0 means one per core.
pub fn scan_history(
    scanner: &Scanner,
    git: &Git,
    extra_tips: &[String],
    threads: usize,
) -> (ScanReport, HistoryStats) {
    scan(scanner, git, extra_tips, &[], threads, None)
}

/// Scans like [`scan_history`], except the blobs reachable from `known_clean` (commits whose
/// whole history an earlier scan with the same [`Scanner::fingerprint`] found clean, see
/// [`super::scan_cache`]), and also lists the blob paths that `flag` selects (the packager
/// flags history files that match its exclusion patterns).
pub fn scan_history_flagging(
    scanner: &Scanner,
    git: &Git,
    extra_tips: &[String],
    known_clean: &[String],
    threads: usize,
    flag: &(dyn Fn(&str) -> bool + Sync),
) -> (ScanReport, HistoryStats) {
    scan(scanner, git, extra_tips, known_clean, threads, Some(flag))
}

/// What the scanning threads accumulate.
#[derive(Default)]
struct Acc {
    blobs: u64,
    bytes: u64,
    largest: Vec<(String, u64)>,
    found: Vec<(HistoryBlob, BufferFindings)>,
    errors: Vec<InputError>,
}

impl Acc {
    fn add(mut self, blob: HistoryBlob, size: u64, found: Result<BufferFindings, String>) -> Acc {
        match found {
            Ok(found) => {
                self.blobs += 1;
                self.bytes += size;
                keep_largest(&mut self.largest, &blob.path, size);
                if !found.findings.is_empty() || !found.suppressed.is_empty() {
                    self.found.push((blob, found));
                }
            }
            Err(e) => self.errors.push(InputError {
                path: format!("{} (blob {})", blob.path, blob.oid),
                message: format!("scan failed: {e}"),
            }),
        }
        self
    }

    fn merge(mut self, other: Acc) -> Acc {
        self.blobs += other.blobs;
        self.bytes += other.bytes;
        for (p, s) in other.largest {
            keep_largest(&mut self.largest, &p, s);
        }
        self.found.extend(other.found);
        self.errors.extend(other.errors);
        self
    }
}

fn scan(
    scanner: &Scanner,
    git: &Git,
    extra_tips: &[String],
    known_clean: &[String],
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
    // Several readers: git resolves deltas on one core per process, and that, more than the
    // scan, bounds a history scan.
    let readers = pool.current_num_threads().clamp(1, MAX_READERS);
    let (batch_txs, batch_rxs): (Vec<_>, Vec<_>) = (0..readers)
        .map(|_| sync_channel::<Vec<HistoryBlob>>(4))
        .unzip();
    let (tx, rx) = sync_channel::<(HistoryBlob, Vec<u8>)>(IN_FLIGHT);
    let (listed, read, acc) = std::thread::scope(|scope| {
        let lister = scope.spawn(move || {
            let mut flagged = Vec::new();
            let mut batch = Vec::with_capacity(BATCH);
            let mut next = 0;
            let mut open = true;
            let result = for_each_reachable_blob(git, version, extra_tips, known_clean, |b| {
                if flag.is_some_and(|f| f(&b.path)) {
                    flagged.push(b.path.clone());
                }
                batch.push(b);
                if batch.len() == BATCH {
                    open = batch_txs[next % readers]
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_ok();
                    next += 1;
                }
                open
            });
            if open && !batch.is_empty() {
                let _ = batch_txs[next % readers].send(batch);
            }
            drop(batch_txs);
            // A reader that failed closed its channel: its error is the one to report.
            (if open { result } else { Ok(()) }, flagged)
        });
        let handles: Vec<_> = batch_rxs
            .into_iter()
            .map(|batches| {
                let tx = tx.clone();
                scope.spawn(move || {
                    stream_blob_batches(git, batches, |b, bytes| tx.send((b, bytes)).is_ok())
                })
            })
            .collect();
        drop(tx);
        let acc = pool.install(|| {
            rx.into_iter()
                .par_bridge()
                .map_init(Scratch::default, |scratch, (blob, bytes)| {
                    let name = InputName {
                        display: blob.path.clone(),
                        repo_relative: blob.path.clone(),
                        commit: None,
                    };
                    let found = scanner
                        .scan_buffer(&name, &bytes, scratch)
                        .map_err(|e| e.to_string());
                    (blob, bytes.len() as u64, found)
                })
                .fold(Acc::default, |acc, (blob, size, found)| {
                    acc.add(blob, size, found)
                })
                .reduce(Acc::default, Acc::merge)
        });
        let panicked = || GitError::Io {
            args: "cat-file --batch".into(),
            message: "a reading thread panicked".into(),
        };
        let read: Vec<GitError> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap_or_else(|_| Err(panicked())).err())
            .collect();
        let listed = lister
            .join()
            .unwrap_or_else(|_| (Err(panicked()), Vec::new()));
        (listed, read, acc)
    });
    let (listed, mut flagged) = listed;
    if let Err(e) = listed {
        fail(&mut report, e);
    }
    for e in read {
        fail(&mut report, e);
    }
    flagged.sort();
    flagged.dedup();
    stats.flagged = flagged;
    stats.blobs = acc.blobs;
    stats.bytes = acc.bytes;
    stats.largest = acc.largest;
    report.files_scanned += acc.blobs;
    report.bytes_scanned += acc.bytes;
    report.errors.extend(acc.errors);

    // First commits, only for the blobs with findings: clean histories pay nothing.
    let wanted: HashMap<String, String> = acc
        .found
        .iter()
        .map(|(b, _)| (b.oid.clone(), b.path.clone()))
        .collect();
    let commits = match first_commits(git, &wanted, extra_tips) {
        Ok(c) => c,
        Err(e) => {
            fail(&mut report, e);
            HashMap::new()
        }
    };
    for (blob, found) in acc.found {
        let commit = commits.get(&blob.oid).cloned();
        let tag = |mut f: Finding| {
            f.commit = commit.clone();
            f
        };
        report.findings.extend(found.findings.into_iter().map(tag));
        report
            .suppressed
            .extend(found.suppressed.into_iter().map(|(f, why)| (tag(f), why)));
    }
    report.sort();
    // Two versions of one file can hold a finding at the same offset: order them by commit
    // too, so the report does not depend on thread timing.
    let key = |f: &Finding| (f.path.clone(), f.start, f.commit.clone());
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
