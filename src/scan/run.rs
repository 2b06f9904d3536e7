//! Running a scan over many inputs in parallel: files from the walker, stdin, git blobs.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use rayon::prelude::*;

use super::engine::Scratch;
use super::report::{InputError, ScanReport, Skipped};
use super::scanner::{BufferFindings, InputName, Scanner};
use super::source;
use super::walk::{self, WalkOptions, Walked};

/// Upper bound on what is read from standard input (it is held in memory).
pub const MAX_STDIN_BYTES: u64 = 1 << 30;

/// How a path scan runs.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub walk: WalkOptions,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// The directory allowlist globs are relative to (the repository root).
    pub root: PathBuf,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            walk: WalkOptions::default(),
            threads: 0,
            root: PathBuf::from("."),
        }
    }
}

/// What one input produced.
enum Outcome {
    Scanned { bytes: u64, found: BufferFindings },
    Error(InputError),
    Skipped(Skipped),
    Warning(String),
}

impl Scanner {
    /// Scans files and directories (walked in parallel with the scan).
    pub fn scan_paths(&self, paths: &[PathBuf], options: &ScanOptions) -> ScanReport {
        let started = Instant::now();
        let mut report = self.empty_report();
        let pool = match rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .thread_name(|i| format!("scan-{i}"))
            .build()
        {
            Ok(pool) => pool,
            Err(e) => {
                report.errors.push(InputError {
                    path: "<scanner>".into(),
                    message: format!("cannot start worker threads: {e}"),
                });
                return report;
            }
        };
        let cwd = std::env::current_dir().unwrap_or_default();
        let root = walk::lexical_absolute(&cwd, &options.root);
        let (tx, rx) = sync_channel::<Vec<Walked>>(4096 / walk::BATCH);
        let outcomes: Vec<Vec<Outcome>> = std::thread::scope(|scope| {
            let walk_options = options.walk;
            scope.spawn(move || walk::walk(paths, walk_options, &tx));
            pool.install(|| {
                rx.into_iter()
                    .par_bridge()
                    .map_init(
                        || (Scratch::default(), Vec::new()),
                        |(scratch, buf), batch| {
                            batch
                                .into_iter()
                                .map(|item| match item {
                                    Walked::File(path) => {
                                        self.scan_file(&path, &cwd, &root, scratch, buf)
                                    }
                                    Walked::Error { path, message } => {
                                        Outcome::Error(InputError { path, message })
                                    }
                                    Walked::Skipped { path, reason } => {
                                        Outcome::Skipped(Skipped { path, reason })
                                    }
                                    Walked::Warning(w) => Outcome::Warning(w),
                                })
                                .collect()
                        },
                    )
                    .collect()
            })
        });
        for outcome in outcomes.into_iter().flatten() {
            report.absorb(outcome);
        }
        report.sort();
        report.duration = started.elapsed();
        report
    }

    fn scan_file(
        &self,
        path: &Path,
        cwd: &Path,
        root: &Path,
        scratch: &mut Scratch,
        buf: &mut Vec<u8>,
    ) -> Outcome {
        let display = walk::display(path);
        let name = InputName {
            repo_relative: repo_relative(&walk::lexical_absolute(cwd, path), root)
                .unwrap_or_else(|| display.clone()),
            display,
            commit: None,
        };
        let loaded = match source::load(path, buf) {
            Ok(l) => l,
            Err(e) => {
                return Outcome::Error(InputError {
                    path: name.display,
                    message: format!("cannot read: {e}"),
                })
            }
        };
        self.outcome(&name, &loaded, scratch)
    }

    fn outcome(&self, name: &InputName, bytes: &[u8], scratch: &mut Scratch) -> Outcome {
        match self.scan_buffer(name, bytes, scratch) {
            Ok(found) => Outcome::Scanned {
                bytes: bytes.len() as u64,
                found,
            },
            Err(e) => Outcome::Error(InputError {
                path: name.display.clone(),
                message: format!("scan failed: {e}"),
            }),
        }
    }

    /// Scans everything a reader yields (at most [`MAX_STDIN_BYTES`]).
    pub fn scan_reader(&self, name: &InputName, reader: impl Read) -> ScanReport {
        let started = Instant::now();
        let mut report = self.empty_report();
        let mut buf = Vec::new();
        let outcome = match source::read_bounded(reader, MAX_STDIN_BYTES, &mut buf) {
            Ok(()) => self.outcome(name, &buf, &mut Scratch::default()),
            Err(e) => Outcome::Error(InputError {
                path: name.display.clone(),
                message: format!("cannot read: {e}"),
            }),
        };
        report.absorb(outcome);
        report.duration = started.elapsed();
        report
    }

    /// Scans in-memory inputs (e.g. git blobs) in parallel.
    pub fn scan_buffers<I>(&self, inputs: I, threads: usize) -> ScanReport
    where
        I: IntoParallelIterator<Item = (InputName, Vec<u8>)> + Send,
    {
        let started = Instant::now();
        let mut report = self.empty_report();
        let run = |report: &mut ScanReport| {
            let outcomes: Vec<Outcome> = inputs
                .into_par_iter()
                .map_init(Scratch::default, |scratch, (name, bytes)| {
                    self.outcome(&name, &bytes, scratch)
                })
                .collect();
            for o in outcomes {
                report.absorb(o);
            }
        };
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => pool.install(|| run(&mut report)),
            Err(e) => report.errors.push(InputError {
                path: "<scanner>".into(),
                message: format!("cannot start worker threads: {e}"),
            }),
        }
        report.sort();
        report.duration = started.elapsed();
        report
    }

    /// A report with nothing in it yet, stamped with this scanner's rule set.
    pub fn empty_report(&self) -> ScanReport {
        ScanReport {
            rules: self.rules().len(),
            rules_digest: self.rules().digest().to_string(),
            ..ScanReport::default()
        }
    }
}

impl ScanReport {
    fn absorb(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Scanned { bytes, found } => {
                self.files_scanned += 1;
                self.bytes_scanned += bytes;
                self.findings.extend(found.findings);
                self.suppressed.extend(found.suppressed);
            }
            Outcome::Error(e) => self.errors.push(e),
            Outcome::Skipped(s) => self.skipped.push(s),
            Outcome::Warning(w) => self.warnings.push(w),
        }
    }
}

/// `path` relative to `root`, `/`-separated, or `None` if it lies outside.
fn repo_relative(path: &Path, root: &Path) -> Option<String> {
    // Normal paths (see `walk::is_normal`): the bytes after the root and its separator.
    if walk::is_normal(path) && walk::is_normal(root) {
        let (p, r) = (
            path.as_os_str().as_encoded_bytes(),
            root.as_os_str().as_encoded_bytes(),
        );
        let rest = p.strip_prefix(r)?;
        // The root itself, a root ending in `/` (only `/`, normal roots end otherwise), or
        // a separator after the root.
        let rest = if rest.is_empty() || r.ends_with(b"/") {
            rest
        } else {
            rest.strip_prefix(b"/")?
        };
        return Some(String::from_utf8_lossy(rest).into_owned());
    }
    repo_relative_slow(path, root)
}

/// [`repo_relative`] for any paths, component by component.
fn repo_relative_slow(path: &Path, root: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let root = Path::new("/repo");
        assert_eq!(
            repo_relative(
                &walk::lexical_absolute(Path::new("/repo/sub"), Path::new("../corpus/a.txt")),
                root
            ),
            Some("corpus/a.txt".into())
        );
        assert_eq!(repo_relative(Path::new("/elsewhere/a"), root), None);
    }

    #[test]
    fn fast_paths_agree_with_the_component_wise_ones() {
        let paths = [
            "/repo",
            "/repo/",
            "/repo/a",
            "/repo/a/b.txt",
            "/repository/a",
            "/rep",
            "/",
            "a",
            "a/b",
            "./a",
            "a/./b",
            "a/../b",
            "../a",
            "a//b",
            "a/",
            "/repo//a",
            "/repo/./a",
            "/repo/a/..",
            "/elsewhere/a",
            "x/..",
            ".",
            "..",
            "/a b/c\\d",
            "/repo/.hidden",
            "/repo/..x/y",
            "/repo/a./b",
        ];
        let roots = ["/repo", "/repo/", "/", "/repo/a", "/rep"];
        let cwds = [
            "/repo",
            "/repo/sub",
            "/",
            "/repo/./sub",
            "/repo/../x",
            "rel/dir",
        ];
        for p in paths {
            for cwd in cwds {
                let (p, cwd) = (Path::new(p), Path::new(cwd));
                assert_eq!(
                    walk::lexical_absolute(cwd, p),
                    walk::lexical_absolute_slow(cwd, p),
                    "lexical_absolute({cwd:?}, {p:?})"
                );
            }
            for root in roots {
                let (p, root) = (Path::new(p), Path::new(root));
                // The scanner's inputs: absolute, lexically normal paths and roots.
                let abs = walk::lexical_absolute(Path::new("/"), p);
                let root_abs = walk::lexical_absolute(Path::new("/"), root);
                assert_eq!(
                    repo_relative(&abs, &root_abs),
                    repo_relative_slow(&abs, &root_abs),
                    "repo_relative({abs:?}, {root_abs:?})"
                );
                assert_eq!(
                    repo_relative(p, root),
                    repo_relative_slow(p, root),
                    "repo_relative({p:?}, {root:?})"
                );
            }
        }
    }
}
