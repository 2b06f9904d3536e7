//! Scanning a repository's whole history: every unique blob once, in parallel, findings named
//! by path and by the first commit that introduced the blob.
//!
//! Two first passes (see `docs/design.md`):
//! - full scans decode the packs in process (`packed_pass`) while the path walk lists the
//!   reachable blobs; blobs the pass did not prove clean are then read through git;
//! - incremental scans (known-clean tips) list the new blobs with `rev-list --not`.
//!
//! Blobs read through git go through one pipeline: a lister → batches round-robin to a few
//! `cat-file --batch` readers → a bounded channel → the rayon scanning threads; listing,
//! reading and scanning overlap, and memory is bounded by the channels. Then the path-class
//! pass (`rescan_other_paths`) and attribution.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::attribution::{first_commits, shorten};
use super::blob_paths::for_each_introduction;
use super::command::{Git, GitError};
use super::history::{for_each_reachable_blob, stream_blob_batches, HistoryBlob};
use super::pack::{ObjectId, PackedObjects};
use super::packed_pass::{object_dirs, packed_objects_dir, scan_packed};
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

    /// A blob the packed first pass proved clean.
    fn count(&mut self, path: &str, size: u64) {
        self.blobs += 1;
        self.bytes += size;
        keep_largest(&mut self.largest, path, size);
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
    // One `rev-parse` for what the scan needs to know of the repository (a git start costs
    // milliseconds). Gits that do not know an option print it back: then no packed pass.
    let about = git
        .run(&[
            "rev-parse",
            "--is-shallow-repository",
            "--show-object-format",
            "--git-path",
            "objects",
        ])
        .map(|o| String::from_utf8_lossy(&o).into_owned())
        .unwrap_or_default();
    let about: Vec<&str> = about.lines().collect();
    // A shallow clone lacks the commits before its boundary: what is here is scanned, and
    // the report says the rest was not (it is not on this machine to be read, or shipped).
    if about.first() == Some(&"true") {
        report.warnings.push(format!(
            "{} is a shallow clone: commits before its shallow boundary are not present and were not scanned",
            git.dir().display()
        ));
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
    // A full scan decodes the packs itself; an incremental one (known-clean tips) lists the
    // new blobs with `rev-list --not`, which is what makes it incremental.
    let packs = if known_clean.is_empty() && !git_reader_forced() {
        match packed_objects_dir(git, about.get(1).copied(), about.get(2).copied()) {
            Ok(dir) => dir.and_then(|d| {
                // The repository's packs, and those of the object directories it borrows
                // from (the packager's staging repository borrows all of the user's).
                // Without any pack (a repository never packed), listing is the faster way:
                // it overlaps the walk with reading.
                object_dirs(&d)
                    .iter()
                    .map(|d| PackedObjects::open(d))
                    .collect::<Result<Vec<_>, _>>()
                    .ok()
                    .filter(|p| p.iter().any(|p| p.pack_count() > 0))
            }),
            Err(e) => {
                fail(&mut report, e);
                return (report, stats);
            }
        }
    } else {
        None
    };
    let first = match &packs {
        Some(packs) => first_pass_packed(scanner, git, extra_tips, &pool, packs, flag),
        None => first_pass_listed(scanner, git, version, extra_tips, known_clean, &pool, flag),
    };
    let FirstPass {
        errors,
        listing_failed,
        acc,
        facts,
        mut flagged,
        listed_oids,
        reach,
    } = first;
    for e in errors {
        fail(&mut report, e);
    }
    stats.blobs = acc.blobs;
    stats.bytes = acc.bytes;
    stats.largest = acc.largest;
    report.files_scanned += acc.blobs;
    report.bytes_scanned += acc.bytes;
    report.errors.extend(acc.errors);
    let mut found = acc.found;
    match facts {
        Ok(facts) if !listing_failed => {
            let known = (!known_clean.is_empty()).then_some(&listed_oids);
            match rescan_other_paths(scanner, git, &facts, known, &mut found) {
                Ok(extra) => {
                    flagged.extend(extra.into_iter().filter(|p| flag.is_some_and(|f| f(p))))
                }
                Err(e) => fail(&mut report, e),
            }
        }
        Ok(_) => {}
        Err(e) => fail(&mut report, e),
    }
    flagged.sort();
    flagged.dedup();
    stats.flagged = flagged;

    // First commits, only for the blobs with findings: clean histories pay nothing.
    let commits = match attribute(git, reach.as_ref(), &found, extra_tips) {
        Ok(c) => c,
        Err(e) => {
            fail(&mut report, e);
            HashMap::new()
        }
    };
    for (blob, found) in found {
        let commit = commits.get(&(blob.oid.clone(), blob.path.clone())).cloned();
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

/// Set to `git`, this environment variable makes full history scans read every blob through
/// git (`rev-list` + `cat-file`) instead of decoding the packs: for comparisons and
/// diagnosis; both give the same result.
pub const HISTORY_READER_ENV: &str = "AMPLIHACK_REMOTE_HISTORY_READER";

fn git_reader_forced() -> bool {
    std::env::var_os(HISTORY_READER_ENV).is_some_and(|v| v == "git")
}

/// What the first pass over the history's blobs leaves for the path-class pass.
struct FirstPass {
    errors: Vec<GitError>,
    /// The blob listing failed: the path-class pass is skipped (the scan is incomplete anyway).
    listing_failed: bool,
    acc: Acc,
    facts: Result<PathFacts, GitError>,
    /// Paths the caller's `flag` selects.
    flagged: Vec<String>,
    /// With known-clean tips: the blobs listed (the new ones).
    listed_oids: HashSet<String>,
    /// The walk's reachable set and first introductions (packed first pass only).
    reach: Option<Reach>,
}

/// The short id of the first commit that introduced each found (blob, path): from the walk
/// when it recorded introductions (no second walk), else from `first_commits`.
fn attribute(
    git: &Git,
    reach: Option<&Reach>,
    found: &[(HistoryBlob, BufferFindings)],
    extra_tips: &[String],
) -> Result<HashMap<(String, String), String>, GitError> {
    let mut full: HashMap<String, String> = HashMap::new();
    let mut wanted: HashMap<String, String> = HashMap::new();
    let key = |b: &HistoryBlob| format!("{}\0{}", b.oid, b.path);
    for (b, _) in found {
        match reach.and_then(|r| r.first_commit(&b.oid, &b.path)) {
            Some(c) => {
                full.insert(key(b), c.to_string());
            }
            None => {
                wanted.insert(b.oid.clone(), b.path.clone());
            }
        }
    }
    shorten(git, &mut full)?;
    let by_oid = first_commits(git, &wanted, extra_tips)?;
    Ok(found
        .iter()
        .filter_map(|(b, _)| {
            let c = full.get(&key(b)).or_else(|| by_oid.get(&b.oid))?;
            Some(((b.oid.clone(), b.path.clone()), c.clone()))
        })
        .collect())
}

fn panicked(what: &str) -> GitError {
    GitError::Io {
        args: what.into(),
        message: "a reading thread panicked".into(),
    }
}

/// The first pass by listing: `rev-list` lists the blobs (each under its first path) and the
/// path walk runs alongside.
fn first_pass_listed(
    scanner: &Scanner,
    git: &Git,
    version: GitVersion,
    extra_tips: &[String],
    known_clean: &[String],
    pool: &rayon::ThreadPool,
    flag: Option<&(dyn Fn(&str) -> bool + Sync)>,
) -> FirstPass {
    let mut flagged = Vec::new();
    // With known-clean tips, the blobs listed are the new ones: remember them, so that an old
    // blob committed again at a new path is recognised (`rescan_other_paths`).
    let mut listed_oids = HashSet::new();
    let (listed, read, acc, facts) = std::thread::scope(|scope| {
        // The walk for path-dependent results runs alongside (see `rescan_other_paths`).
        let walker =
            scope.spawn(|| PathFacts::collect(scanner, git, extra_tips, known_clean, false));
        let (listed, read, acc) = read_and_scan(scanner, git, pool, |emit| {
            for_each_reachable_blob(git, version, extra_tips, known_clean, |b| {
                if flag.is_some_and(|f| f(&b.path)) {
                    flagged.push(b.path.clone());
                }
                if !known_clean.is_empty() {
                    listed_oids.insert(b.oid.clone());
                }
                emit(b)
            })
        });
        let facts = walker.join().unwrap_or_else(|_| Err(panicked("log --raw")));
        (listed, read, acc, facts)
    });
    let listing_failed = listed.is_err();
    let mut errors: Vec<GitError> = listed.err().into_iter().collect();
    errors.extend(read);
    FirstPass {
        errors,
        listing_failed,
        acc,
        facts,
        flagged,
        listed_oids,
        reach: None,
    }
}

/// The first pass from the packs (see `packed_pass`): the packed blobs are decoded and
/// scanned while the path walk lists the reachable ones; then every reachable blob the pass
/// did not prove clean is read through git and scanned under its path.
fn first_pass_packed(
    scanner: &Scanner,
    git: &Git,
    extra_tips: &[String],
    pool: &rayon::ThreadPool,
    packs: &[PackedObjects],
    flag: Option<&(dyn Fn(&str) -> bool + Sync)>,
) -> FirstPass {
    let (facts, pass) = std::thread::scope(|scope| {
        let walker = scope.spawn(|| PathFacts::collect(scanner, git, extra_tips, &[], true));
        let pass = pool.install(|| scan_packed(scanner, packs));
        let facts = walker.join().unwrap_or_else(|_| Err(panicked("log --raw")));
        (facts, pass)
    });
    let mut facts = match facts {
        Ok(f) => f,
        Err(e) => {
            return FirstPass {
                errors: Vec::new(),
                listing_failed: true,
                acc: Acc::default(),
                facts: Err(e),
                flagged: Vec::new(),
                listed_oids: HashSet::new(),
                reach: None,
            }
        }
    };
    let reach = facts.reach.take().unwrap_or_default();
    let mut errors = Vec::new();
    if let Some(oid) = reach.unparsable.first() {
        errors.push(GitError::Parse {
            args: "log --raw".into(),
            message: format!("not a SHA-1 object id: {oid:?}"),
        });
    }
    let mut acc = Acc::default();
    let mut jobs = Vec::new();
    for (id, &p) in &reach.blobs {
        let path = &reach.paths[p as usize];
        match pass.visited.get(id) {
            Some(&size) if !pass.suspect.contains(id) => acc.count(path, size),
            _ => jobs.push(HistoryBlob {
                oid: id.to_hex(),
                path: path.clone(),
            }),
        }
    }
    let (listed, read, more) = read_and_scan(scanner, git, pool, move |emit| {
        for job in jobs {
            if !emit(job) {
                break;
            }
        }
        Ok(())
    });
    let acc = acc.merge(more);
    let listing_failed = listed.is_err() || !errors.is_empty();
    errors.extend(listed.err());
    errors.extend(read);
    let flagged = match flag {
        Some(f) => reach.paths.iter().filter(|p| f(p)).cloned().collect(),
        None => Vec::new(),
    };
    FirstPass {
        errors,
        listing_failed,
        acc,
        facts: Ok(facts),
        flagged,
        listed_oids: HashSet::new(),
        reach: Some(reach),
    }
}

/// Reads the blobs that `list` emits through a few `cat-file --batch` readers and scans them on
/// `pool`, each under its path. Listing, reading and scanning overlap; memory is bounded by
/// the channels. Returns the listing's result, the readers' errors and what was scanned.
fn read_and_scan<L>(
    scanner: &Scanner,
    git: &Git,
    pool: &rayon::ThreadPool,
    list: L,
) -> (Result<(), GitError>, Vec<GitError>, Acc)
where
    L: FnOnce(&mut dyn FnMut(HistoryBlob) -> bool) -> Result<(), GitError> + Send,
{
    // Several readers: git resolves deltas on one core per process, and that, more than the
    // scan, bounds a history scan.
    let readers = pool.current_num_threads().clamp(1, MAX_READERS);
    let (batch_txs, batch_rxs): (Vec<_>, Vec<_>) = (0..readers)
        .map(|_| sync_channel::<Vec<HistoryBlob>>(4))
        .unzip();
    let (tx, rx) = sync_channel::<(HistoryBlob, Vec<u8>)>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let lister = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut next = 0;
            let mut open = true;
            let result = list(&mut |b| {
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
            if open {
                result
            } else {
                Ok(())
            }
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
        let read: Vec<GitError> = handles
            .into_iter()
            .filter_map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(panicked("cat-file --batch")))
                    .err()
            })
            .collect();
        let listed = lister.join().unwrap_or_else(|_| Err(panicked("rev-list")));
        (listed, read, acc)
    })
}

/// What the history's changes say about paths, collected in one walk (`blob_paths`) while
/// the blobs are being scanned: the pairs that can change a blob's result.
struct PathFacts {
    /// (blob, path, restricted rules that run there) for paths where such rules run.
    gated: Vec<(String, String, Vec<usize>)>,
    /// For each blob, a path the allowlist does not cover (only when it has path globs).
    uncovered: HashMap<String, String>,
    /// Every pair of the walk, when it is limited to new commits (known-clean tips).
    new_pairs: Vec<(String, String)>,
    /// Every blob the walk met, with the first path it met it at (only when asked for: the
    /// packed first pass needs the reachable set, see `packed_pass`).
    reach: Option<Reach>,
}

/// The blobs reachable from the refs, each with one path, every path met, and the commit
/// that first introduced each (blob, path) pair (for attribution without a second walk).
#[derive(Default)]
struct Reach {
    blobs: HashMap<ObjectId, u32>,
    paths: Vec<String>,
    path_ids: HashMap<String, u32>,
    /// (blob, path) → the last commit the walk showed introducing it: the first in history.
    introduced: HashMap<(ObjectId, u32), u32>,
    commits: Vec<String>,
    /// Blob ids the walk printed that are not SHA-1 ids (never expected).
    unparsable: Vec<String>,
}

impl Reach {
    fn add(&mut self, commit: &str, oid: &str, path: &str) {
        let Some(id) = ObjectId::from_hex(oid) else {
            self.unparsable.push(oid.to_string());
            return;
        };
        // The walk prints a commit's changes together: intern it once per run of changes.
        if self.commits.last().map(String::as_str) != Some(commit) {
            self.commits.push(commit.to_string());
        }
        let c = (self.commits.len() - 1) as u32;
        let p = self.intern(path);
        self.blobs.entry(id).or_insert(p);
        self.introduced.insert((id, p), c);
    }

    /// The full id of the first commit that introduced `oid` at `path`, if the walk saw it.
    fn first_commit(&self, oid: &str, path: &str) -> Option<&str> {
        let id = ObjectId::from_hex(oid)?;
        let p = *self.path_ids.get(path)?;
        let c = *self.introduced.get(&(id, p))?;
        self.commits.get(c as usize).map(String::as_str)
    }

    fn intern(&mut self, path: &str) -> u32 {
        if let Some(&p) = self.path_ids.get(path) {
            return p;
        }
        let p = self.paths.len() as u32;
        self.paths.push(path.to_string());
        self.path_ids.insert(path.to_string(), p);
        p
    }
}

impl PathFacts {
    fn collect(
        scanner: &Scanner,
        git: &Git,
        extra_tips: &[String],
        known_clean: &[String],
        with_reach: bool,
    ) -> Result<PathFacts, GitError> {
        let gates = scanner.rules().gates();
        let allowlist_paths = scanner.allowlist_has_paths();
        let mut facts = PathFacts {
            gated: Vec::new(),
            uncovered: HashMap::new(),
            new_pairs: Vec::new(),
            reach: with_reach.then(Reach::default),
        };
        let mut gated_seen: HashSet<(String, Vec<usize>)> = HashSet::new();
        for_each_introduction(git, extra_tips, known_clean, |commit, oid, path| {
            let gated = gates.allowed_at(path);
            if !gated.is_empty() && gated_seen.insert((oid.to_string(), gated.clone())) {
                facts.gated.push((oid.to_string(), path.to_string(), gated));
            }
            if allowlist_paths
                && !facts.uncovered.contains_key(oid)
                && !scanner.allowlist_covers(path)
            {
                facts.uncovered.insert(oid.to_string(), path.to_string());
            }
            if !known_clean.is_empty() {
                facts.new_pairs.push((oid.to_string(), path.to_string()));
            }
            if let Some(reach) = facts.reach.as_mut() {
                reach.add(commit, oid, path);
            }
        })?;
        Ok(facts)
    }
}

/// Scans blobs again under the other paths they were committed at, where that can change
/// the result (see `blob_paths`): a path where a restricted rule runs (`.env`); a path the
/// allowlist does not cover, for a blob whose findings it suppressed under the first path;
/// and, with known-clean tips (`known` = the blobs listed this time), an old blob that a new
/// commit put at some path (its earlier scan may have been under another). New findings
/// (rule and position not already reported in that blob) are added to `found`. Returns the
/// paths scanned this way.
fn rescan_other_paths(
    scanner: &Scanner,
    git: &Git,
    facts: &PathFacts,
    known: Option<&HashSet<String>>,
    found: &mut Vec<(HistoryBlob, BufferFindings)>,
) -> Result<Vec<String>, GitError> {
    let mut jobs: Vec<HistoryBlob> = Vec::new();
    let add = |oid: &str, path: &str, jobs: &mut Vec<HistoryBlob>| {
        jobs.push(HistoryBlob {
            oid: oid.to_string(),
            path: path.to_string(),
        })
    };
    for (oid, path, _) in &facts.gated {
        add(oid, path, &mut jobs);
    }
    for (b, f) in found.iter() {
        let suppressed_by_path = scanner.allowlist_covers(&b.path)
            && f.suppressed
                .iter()
                .any(|(_, why)| *why == crate::scan::Suppression::Allowlist);
        if let Some(path) = facts.uncovered.get(&b.oid).filter(|_| suppressed_by_path) {
            add(&b.oid, path, &mut jobs);
        }
    }
    if let Some(known) = known {
        for (oid, path) in &facts.new_pairs {
            if !known.contains(oid) {
                add(oid, path, &mut jobs);
            }
        }
    }
    // One scan per blob and path class.
    let mut classes: HashSet<(String, Vec<usize>, bool)> = HashSet::new();
    jobs.retain(|j| {
        classes.insert((
            j.oid.clone(),
            scanner.rules().gates().allowed_at(&j.path),
            scanner.allowlist_covers(&j.path),
        ))
    });
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    // A finding already reported stays reported once; one suppressed under the first path
    // but not under another is reported there.
    type Key = (String, Arc<str>, usize, usize);
    let key =
        |oid: &str, x: &Finding| -> Key { (oid.to_string(), x.rule_id.clone(), x.start, x.end) };
    let mut reported: HashSet<Key> = HashSet::new();
    let mut suppressed: HashSet<Key> = HashSet::new();
    for (b, f) in found.iter() {
        reported.extend(f.findings.iter().map(|x| key(&b.oid, x)));
        suppressed.extend(f.suppressed.iter().map(|(x, _)| key(&b.oid, x)));
    }
    let paths: Vec<String> = jobs.iter().map(|j| j.path.clone()).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(jobs).ok();
    drop(tx);
    let mut scratch = Scratch::default();
    let mut failure = None;
    stream_blob_batches(git, rx, |blob, bytes| {
        let name = InputName {
            display: blob.path.clone(),
            repo_relative: blob.path.clone(),
            commit: None,
        };
        match scanner.scan_buffer(&name, &bytes, &mut scratch) {
            Ok(mut f) => {
                f.findings.retain(|x| reported.insert(key(&blob.oid, x)));
                f.suppressed.retain(|(x, _)| {
                    let k = key(&blob.oid, x);
                    !reported.contains(&k) && suppressed.insert(k)
                });
                if !f.findings.is_empty() || !f.suppressed.is_empty() {
                    found.push((blob, f));
                }
                true
            }
            Err(e) => {
                failure = Some(GitError::Io {
                    args: format!("scan of {} (blob {})", blob.path, blob.oid),
                    message: e.to_string(),
                });
                false
            }
        }
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(paths),
    }
}

fn keep_largest(largest: &mut Vec<(String, u64)>, path: &str, size: u64) {
    if largest.len() == LARGEST_KEPT && largest.last().is_some_and(|l| l.1 >= size) {
        return;
    }
    let at = largest.partition_point(|l| l.1 >= size);
    largest.insert(at, (path.to_string(), size));
    largest.truncate(LARGEST_KEPT);
}
