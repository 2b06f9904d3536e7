//! The context packager: every byte that ships is scanned first, and the archive proves it.
//!
//! [`package`] runs, in order: [`preflight`] (git work tree, git ≥ 2.30, `.claude/`), a
//! private temporary directory ([`tempdir`]), the staging repository with the snapshot of
//! uncommitted work ([`snapshot`]), the `.claude` tree ([`claude`]) with the exclusion
//! patterns applied at any depth ([`exclude`]), the scan of every blob of the bundle and every
//! `.claude` file (one finding stops here, before anything is written), the bundle, the
//! deterministic `context.tar.zst` with its size guard ([`archive`]) holding the
//! [`manifest`], and the Ed25519 signature ([`sign`]). [`verify`] and [`unpack`] are the
//! other side.

pub mod archive;
pub mod claude;
pub mod exclude;
mod gate;
pub mod manifest;
pub mod preflight;
pub mod sign;
pub mod snapshot;
pub mod tempdir;
pub mod unpack;
pub mod verify;

use crate::git::scan_cache::{current_tips, CleanHistory};
use crate::git::{scan_history_flagging, Git};
use crate::output::human_bytes;
use crate::scan::{ScanReport, Scanner};
use std::path::{Path, PathBuf};

use archive::{ArchiveEntry, Content};
use exclude::Exclusions;
use manifest::{Attestation, Entry, Manifest, Source, Tool, BUNDLE_NAME, MANIFEST_NAME};

/// Default size limit: 500 MiB, as the original module.
pub const DEFAULT_MAX_SIZE: u64 = 500 * 1024 * 1024;

/// Why packaging stopped.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{problem}\n\nAction required:\n  1. {action}\n  2. Retry")]
    Preflight { problem: String, action: String },
    #[error("git: {0}")]
    Git(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("cannot write the archive: {0}")]
    Archive(String),
    #[error("{0} changed while it was being packaged; it is not the content that was scanned.\n\nAction required:\n  1. Let whatever is writing it finish\n  2. Retry")]
    Changed(String),
    #[error("{}", too_large_message(*limit, contributors))]
    TooLarge {
        limit: u64,
        /// What made it large: entry or blob, and its (uncompressed) size.
        contributors: Vec<(String, u64)>,
    },
    /// Secrets were found: the report says where (exit 1).
    #[error("secret detected during packaging")]
    Secrets(Box<ScanReport>),
    /// Something could not be scanned: nothing is packaged (exit 2).
    #[error("the scan could not read everything that would ship")]
    ScanIncomplete(Box<ScanReport>),
    #[error(transparent)]
    Key(#[from] sign::KeyError),
}

impl PackageError {
    pub fn io(path: &Path, e: std::io::Error) -> PackageError {
        PackageError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

fn too_large_message(limit: u64, contributors: &[(String, u64)]) -> String {
    let mut s = format!(
        "Archive size exceeds limit ({:.1} MB): stopped after writing {:.1} MB of compressed output; the partial file was removed.\n\nLargest contributors (uncompressed):\n",
        limit as f64 / 1024.0 / 1024.0,
        limit as f64 / 1024.0 / 1024.0
    );
    for (name, size) in contributors {
        s.push_str(&format!("  {name}: {}\n", human_bytes(*size)));
    }
    s.push_str("\nAction required:\n  1. Remove large files from the history or .claude (or use git LFS for them)\n  2. Or raise the limit with --max-size\n  3. Retry");
    s
}

/// What [`package`] is asked to do.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// Where the command runs (inside the repository).
    pub start: PathBuf,
    /// The archive to write; its signature goes to `<output>.sig`.
    pub output: PathBuf,
    /// Limit on the compressed archive, in bytes.
    pub max_size: u64,
    /// Scan and report, write nothing.
    pub dry_run: bool,
    /// Scanning threads (0: one per core).
    pub threads: usize,
    /// Where the signing key lives.
    pub config_dir: PathBuf,
    /// The cache of clean history (`git::scan_cache`); `None` scans the whole history.
    pub history_cache: Option<PathBuf>,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct PackageOutcome {
    pub manifest: Manifest,
    /// `None` for a dry run.
    pub archive: Option<PathBuf>,
    pub signature: Option<PathBuf>,
    pub compressed_size: u64,
    pub public_key: Option<String>,
    /// The combined scan report (for its summary line).
    pub report: ScanReport,
}

/// Packages the repository holding `options.start`. See the module documentation.
pub fn package(
    options: &PackageOptions,
    scanner: &Scanner,
) -> Result<PackageOutcome, PackageError> {
    let repo = preflight::preflight(&options.start)?;
    let output = absolute(&options.output);
    // The key is needed at the end; failing on it after a long scan would waste the scan.
    let key = if options.dry_run {
        None
    } else {
        Some(sign::load_or_create(&options.config_dir, Some(&repo.root))?)
    };
    let tmp = tempdir::PrivateDir::new("amplihack-remote")
        .map_err(|e| PackageError::io(&std::env::temp_dir(), e))?;
    let exclusions = Exclusions::standard();
    let epoch = epoch(&Git::new(&repo.root));
    let skip: Vec<String> = [output.clone(), sign::signature_path(&output)]
        .iter()
        .filter_map(|p| p.strip_prefix(&repo.root).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    let staged = snapshot::stage(&repo, tmp.path(), &exclusions, &skip, epoch)?;
    let claude = claude::collect(&repo.root, &exclusions)?;

    // The gate: every blob of the bundle, every `.claude` file. The bundle is made from the
    // same staging repository meanwhile (it is only used if the scan is clean).
    let bundle_path = tmp.path().join(BUNDLE_NAME);
    let flag = |p: &str| exclusions.is_excluded(p);
    let fingerprint = scanner.fingerprint();
    let mut clean_history = options
        .history_cache
        .as_deref()
        .map(|dir| CleanHistory::load(dir, &repo.root, &fingerprint, &staged.git()));
    let known_clean: Vec<String> = clean_history
        .as_ref()
        .map(|c| c.tips().to_vec())
        .unwrap_or_default();
    let (bundled, (mut report, mut stats), (claude_report, digests)) =
        std::thread::scope(|scope| {
            let bundler = scope.spawn(|| snapshot::bundle(&staged, &bundle_path));
            let history = scan_history_flagging(
                scanner,
                &staged.git(),
                &[],
                &known_clean,
                options.threads,
                &flag,
            );
            let files = gate::scan_files(scanner, &claude.files, options.threads);
            let bundled = bundler
                .join()
                .unwrap_or_else(|_| Err(PackageError::Git("the bundling thread panicked".into())));
            (bundled, history, files)
        });
    let claude_scanned = claude_report.files_scanned;
    if let Some(snap) = &staged.snapshot {
        gate::label_snapshot(&mut report, snap);
    }
    report.merge(claude_report);
    report.sort();
    if !report.errors.is_empty() {
        return Err(PackageError::ScanIncomplete(Box::new(report)));
    }
    if !report.findings.is_empty() {
        return Err(PackageError::Secrets(Box::new(report)));
    }
    let (bundle_size, bundle_sha) = bundled?;
    // Clean: remember it, so the next run scans only what is new. A cache that cannot be
    // written costs the next run a full scan, nothing else.
    if let Some(cache) = clean_history.as_mut() {
        if let Ok(tips) = current_tips(&staged.git()) {
            let _ = cache.record(tips, &stats.flagged);
        }
        stats.flagged.extend(cache.flagged().iter().cloned());
        stats.flagged.sort();
        stats.flagged.dedup();
    }

    let mut warnings = Vec::new();
    warnings.extend(history_warnings(&stats.flagged, &exclusions));
    for path in &staged.nested {
        warnings.push(format!(
            "{path}: not shipped (an untracked nested git repository; commit it as a submodule to ship it)"
        ));
    }
    for (path, why) in &claude.not_shipped {
        warnings.push(format!("{path}: not shipped ({why})"));
    }

    let mut entries: Vec<ArchiveEntry> = Vec::new();
    let mut listed: Vec<Entry> = Vec::new();
    for (f, sha) in claude.files.iter().zip(&digests) {
        let mode = if f.executable { 0o755 } else { 0o644 };
        listed.push(Entry {
            path: f.rel.clone(),
            size: f.size,
            sha256: sha.clone(),
            mode,
        });
        entries.push(ArchiveEntry {
            name: f.rel.clone(),
            mode,
            content: Content::File {
                path: f.abs.clone(),
                size: f.size,
                sha256: sha.clone(),
            },
        });
    }
    listed.push(Entry {
        path: BUNDLE_NAME.into(),
        size: bundle_size,
        sha256: bundle_sha.clone(),
        mode: 0o644,
    });
    entries.push(ArchiveEntry {
        name: BUNDLE_NAME.into(),
        mode: 0o644,
        content: Content::File {
            path: bundle_path.clone(),
            size: bundle_size,
            sha256: bundle_sha,
        },
    });
    listed.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let manifest = Manifest {
        format_version: manifest::FORMAT_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created_from: Source {
            head: staged.head.clone(),
            head_ref: staged.head_ref.clone(),
            refs: staged.refs.clone(),
            snapshot: staged.snapshot.as_ref().map(|c| manifest::Snapshot {
                ref_name: snapshot::SNAPSHOT_REF.into(),
                commit: c.clone(),
            }),
        },
        mtime: epoch,
        entries: listed,
        scan: Attestation {
            rules_digest: report.rules_digest.clone(),
            rules: report.rules,
            blobs_scanned: stats.blobs,
            files_scanned: claude_scanned,
            bytes_scanned: report.bytes_scanned,
            findings: 0,
            suppressed: report.suppressed.len() as u64,
            scanner_fingerprint: fingerprint,
            known_clean,
        },
        warnings,
    };
    let manifest_bytes = manifest.to_bytes();
    let manifest_sha = crate::digest::sha256_hex(&manifest_bytes);
    entries.push(ArchiveEntry {
        name: MANIFEST_NAME.into(),
        mode: 0o644,
        content: Content::Bytes(manifest_bytes),
    });
    entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));

    let Some(key) = key.filter(|_| !options.dry_run) else {
        return Ok(PackageOutcome {
            manifest,
            archive: None,
            signature: None,
            compressed_size: 0,
            public_key: None,
            report,
        });
    };
    let partial = with_suffix(&output, &format!(".partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1);
    let (size, archive_sha) =
        match archive::write(&partial, &entries, epoch, options.max_size, threads) {
            Ok(r) => r,
            Err(PackageError::TooLarge { limit, .. }) => {
                let mut contributors: Vec<(String, u64)> = manifest
                    .entries
                    .iter()
                    .map(|e| (e.path.clone(), e.size))
                    .collect();
                contributors.sort_by_key(|c| std::cmp::Reverse(c.1));
                contributors.truncate(5);
                contributors.extend(
                    stats
                        .largest
                        .iter()
                        .map(|(p, s)| (format!("{p} (in the git history)"), *s)),
                );
                return Err(PackageError::TooLarge {
                    limit,
                    contributors,
                });
            }
            Err(e) => return Err(e),
        };
    let sig = sign::sign(&key, &manifest_sha, &archive_sha);
    let sig_path = sign::signature_path(&output);
    let sig_partial = with_suffix(&sig_path, &format!(".partial-{}", std::process::id()));
    tempdir::register(&sig_partial);
    std::fs::write(&sig_partial, sig.to_bytes()).map_err(|e| PackageError::io(&sig_partial, e))?;
    std::fs::rename(&partial, &output).map_err(|e| PackageError::io(&output, e))?;
    tempdir::forget(&partial);
    std::fs::rename(&sig_partial, &sig_path).map_err(|e| PackageError::io(&sig_path, e))?;
    tempdir::forget(&sig_partial);
    Ok(PackageOutcome {
        manifest,
        archive: Some(output),
        signature: Some(sig_path),
        compressed_size: size,
        public_key: Some(sign::public_hex(&key.verifying_key())),
        report,
    })
}

/// Warnings for history files that match an exclusion pattern: one per file (a `.env` file
/// always gets its own), or, past [`NAMED_PER_PATTERN`] files of one pattern, one line with
/// the first few and the count, so a history full of `node_modules/` does not bury the rest.
fn history_warnings(flagged: &[String], exclusions: &Exclusions) -> Vec<String> {
    let mut by_pattern: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for path in flagged {
        let pattern = exclusions.matching(path).unwrap_or("");
        by_pattern.entry(pattern).or_default().push(path);
    }
    let mut warnings = Vec::new();
    for (pattern, paths) in by_pattern {
        if Exclusions::is_dotenv(pattern) || paths.len() <= NAMED_PER_PATTERN {
            let strict = if Exclusions::is_dotenv(pattern) {
                " (a .env file: whatever values it ever held are in the history; rotate any real ones and rewrite the history to drop it)"
            } else {
                ""
            };
            for path in paths {
                warnings.push(format!(
                    "{path} is in the git history and matches the exclusion pattern `{pattern}`: it ships inside repo.bundle (scanned like everything else){strict}"
                ));
            }
        } else {
            warnings.push(format!(
                "{} files in the git history match the exclusion pattern `{pattern}` ({}, ...): they ship inside repo.bundle (scanned like everything else)",
                paths.len(),
                paths[..NAMED_PER_PATTERN].join(", ")
            ));
        }
    }
    warnings
}

/// Files of one exclusion pattern named one by one in warnings.
const NAMED_PER_PATTERN: usize = 3;

/// The entries' modification time: `SOURCE_DATE_EPOCH`, else HEAD's commit time, else 0.
fn epoch(git: &Git) -> u64 {
    if let Some(v) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return v;
    }
    git.run(&["log", "-1", "--format=%ct", "HEAD"])
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o).trim().parse().ok())
        .unwrap_or(0)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_warnings_name_few_files_and_summarise_many() {
        let ex = Exclusions::standard();
        let flagged: Vec<String> = (0..5)
            .map(|i| format!("web/node_modules/m{i}.js"))
            .chain([
                "a/.env".to_string(),
                "b/.env.local".into(),
                "c/.env.prod".into(),
            ])
            .chain(["k.pem".to_string()])
            .chain((0..4).map(|i| format!("x/.env.{i}")))
            .collect();
        let w = history_warnings(&flagged, &ex);
        // Every .env file is named on its own, whatever their number.
        assert_eq!(w.iter().filter(|l| l.contains("a .env file")).count(), 7);
        assert!(w
            .iter()
            .any(|l| l.starts_with("k.pem is in the git history")));
        let modules: Vec<_> = w.iter().filter(|l| l.contains("node_modules")).collect();
        assert_eq!(modules.len(), 1, "{modules:?}");
        assert!(modules[0].starts_with("5 files in the git history match"));
        assert!(modules[0].contains("web/node_modules/m0.js"));
    }
}
