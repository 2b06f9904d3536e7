//! What comes back from the VM is hostile: every file is size-checked after the copy, the
//! status file is parsed strictly, and the log archive is extracted only through
//! [`extract_logs`]: regular files and directories only, under `.claude/runtime/logs/`, with
//! clean relative names, no duplicates, bounded entry count, per-entry and total size, and
//! the decompressed stream itself counted (a zstd bomb stops at the bound). Links and special
//! files are skipped and reported; anything else wrong refuses the whole archive, and
//! nothing is left half-extracted.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Where results of runs go, relative to the repository root.
pub const RESULTS_DIR: &str = ".claude/runtime/remote";
/// Where extracted logs go, relative to the repository root.
pub const LOGS_DIR: &str = ".claude/runtime/logs/remote";
/// The prefix every log archive entry must have.
pub const LOG_PREFIX: &str = ".claude/runtime/logs/";
/// `status.json` is tiny.
pub const MAX_STATUS_BYTES: u64 = 4096;
/// At most this many entries in a log archive.
pub const MAX_LOG_ENTRIES: usize = 10_000;
/// Path depth limit inside the log tree.
const MAX_DEPTH: usize = 32;

/// Creates `root/rel` one component at a time, refusing any component that exists and is
/// not a real directory (a link is never followed). Returns the directory.
pub fn ensure_dir(root: &Path, rel: &str) -> io::Result<PathBuf> {
    let mut path = root.to_path_buf();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io::Error::other(format!(
                    "{} exists and is not a directory (links are not followed)",
                    path.display()
                )))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir(&path)?,
            Err(e) => return Err(e),
        }
    }
    Ok(path)
}

/// Makes `root/<base>` with a `.gitignore` holding `*` (so retrieved files never show up in
/// `git status` or a `git add -A`), and returns `root/<base>/<run_id>` (not created).
pub fn prepare_base(root: &Path, base: &str, run_id: &str) -> io::Result<PathBuf> {
    let dir = ensure_dir(root, base)?;
    let ignore = dir.join(".gitignore");
    if std::fs::symlink_metadata(&ignore).is_err() {
        let _ = std::fs::write(
            &ignore,
            "# Written by amplihack-remote run: results of remote runs.\n*\n",
        );
    }
    Ok(dir.join(run_id))
}

/// Makes `root/<base>/<run_id>` (new: fails if it exists); see [`prepare_base`].
pub fn make_run_dir(root: &Path, base: &str, run_id: &str) -> io::Result<PathBuf> {
    let run = prepare_base(root, base, run_id)?;
    std::fs::create_dir(&run)?;
    Ok(run)
}

/// A downloaded file must be a regular file no larger than `max`; otherwise it is removed.
pub fn check_download(path: &Path, max: u64) -> Result<u64, String> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("{} did not arrive: {e}", path.display()))?;
    if !meta.file_type().is_file() {
        let _ = std::fs::remove_file(path);
        return Err(format!(
            "{} is not a regular file: refused and removed",
            path.display()
        ));
    }
    if meta.len() > max {
        let _ = std::fs::remove_file(path);
        return Err(format!(
            "{} is {} bytes, over the limit of {max} bytes: refused and removed (raise [run] max_result_bytes if this is expected)",
            path.display(),
            meta.len()
        ));
    }
    Ok(meta.len())
}

/// Reads a small file (bounded).
pub fn read_small(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() as u64 > max {
        return Err(format!("{} is larger than {max} bytes", path.display()));
    }
    Ok(bytes)
}

/// What [`extract_logs`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    pub files: usize,
    pub bytes: u64,
    /// Entries not extracted (links, devices), with the reason.
    pub skipped: Vec<String>,
}

/// Counts decompressed bytes and fails past the limit (the bomb guard).
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(format!(
                "the log archive decompresses to more than {} bytes",
                self.limit
            )));
        }
        Ok(n)
    }
}

/// Checks a log entry's name and returns its path relative to `.claude/runtime/logs/`
/// (`None` for the logs directory itself).
pub fn log_entry_name(raw: &[u8]) -> Result<Option<String>, String> {
    let shown = String::from_utf8_lossy(raw).escape_debug().to_string();
    let name = std::str::from_utf8(raw).map_err(|_| format!("{shown}: name is not UTF-8"))?;
    if name.starts_with('/') || name.contains('\\') || name.chars().any(char::is_control) {
        return Err(format!("{shown}: absolute or malformed name"));
    }
    let trimmed = name.trim_end_matches('/');
    let rest = match trimmed.strip_prefix(LOG_PREFIX) {
        Some(r) => r,
        None if trimmed == LOG_PREFIX.trim_end_matches('/') => return Ok(None),
        None => return Err(format!("{shown}: outside {LOG_PREFIX}")),
    };
    let parts: Vec<&str> = rest.split('/').collect();
    if parts
        .iter()
        .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return Err(format!(
            "{shown}: path with an empty, `.` or `..` component"
        ));
    }
    if parts.len() > MAX_DEPTH {
        return Err(format!("{shown}: nested too deep"));
    }
    Ok(Some(rest.to_string()))
}

/// Extracts the logs of `archive` (tar.zst) into `dest`, which must not exist. Everything
/// is first written to a sibling staging directory that is renamed into place only when the
/// whole archive passed; on any refusal the staging directory is removed.
pub fn extract_logs(archive: &Path, dest: &Path, max_bytes: u64) -> Result<Extracted, String> {
    if std::fs::symlink_metadata(dest).is_ok() {
        return Err(format!("{} already exists", dest.display()));
    }
    let parent = dest.parent().ok_or("no parent directory")?;
    let staging = parent.join(format!(
        ".partial-{}",
        dest.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    crate::package::tempdir::register(&staging);
    let result = extract_into(archive, &staging, max_bytes);
    let result = result.and_then(|x| {
        std::fs::rename(&staging, dest)
            .map(|_| x)
            .map_err(|e| format!("{}: {e}", dest.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    crate::package::tempdir::forget(&staging);
    result
}

fn extract_into(archive: &Path, dir: &Path, max_bytes: u64) -> Result<Extracted, String> {
    let file = File::open(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let decoder = zstd::stream::read::Decoder::new(file)
        .map_err(|e| format!("the log archive is not zstd: {e}"))?;
    // Content plus tar headers and padding (at most ~1.5 KiB per entry).
    let overhead = (MAX_LOG_ENTRIES as u64 + 2) * 1536;
    let bounded = Bounded {
        inner: decoder,
        read: 0,
        limit: max_bytes.saturating_add(overhead),
    };
    let mut tar = tar::Archive::new(bounded);
    let entries = tar
        .entries()
        .map_err(|e| format!("the log archive cannot be read: {e}"))?;
    let mut out = Extracted::default();
    let mut seen = HashSet::new();
    let mut count = 0usize;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("the log archive cannot be decoded: {e}"))?;
        count += 1;
        if count > MAX_LOG_ENTRIES {
            return Err(format!(
                "the log archive has more than {MAX_LOG_ENTRIES} entries"
            ));
        }
        let raw = entry.path_bytes().into_owned();
        let Some(rel) = log_entry_name(&raw).map_err(|e| format!("refused entry {e}"))? else {
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            ensure_dir(dir, &rel).map_err(|e| format!("{rel}: {e}"))?;
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            out.skipped
                .push(format!("{rel}: a link (links are never extracted)"));
            continue;
        }
        if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            out.skipped
                .push(format!("{rel}: a device or FIFO (not extracted)"));
            continue;
        }
        if !kind.is_file() {
            return Err(format!("refused entry {rel}: entry type {kind:?}"));
        }
        if !seen.insert(rel.clone()) {
            return Err(format!("refused entry {rel}: it appears more than once"));
        }
        let size = entry.header().size().map_err(|e| format!("{rel}: {e}"))?;
        if out.bytes.saturating_add(size) > max_bytes {
            return Err(format!(
                "refused entry {rel}: the logs exceed {max_bytes} bytes (raise [run] max_log_bytes if this is expected)"
            ));
        }
        let (parent, name) = match rel.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", rel.as_str()),
        };
        let target = ensure_dir(dir, parent)
            .map_err(|e| format!("{rel}: {e}"))?
            .join(name);
        let mut options = std::fs::OpenOptions::new();
        // create_new never follows a link planted at the target.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let f = options.open(&target).map_err(|e| format!("{rel}: {e}"))?;
        let mut w = io::BufWriter::new(f);
        let n = io::copy(&mut (&mut entry).take(size + 1), &mut w)
            .map_err(|e| format!("{rel}: {e}"))?;
        w.flush().map_err(|e| format!("{rel}: {e}"))?;
        if n != size {
            return Err(format!(
                "refused entry {rel}: its size does not match its header"
            ));
        }
        out.files += 1;
        out.bytes += size;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw entry: (name, type, data, link target).
    type Raw<'a> = (&'a [u8], tar::EntryType, &'a [u8], &'a [u8]);

    /// A tar.zst of raw entries.
    fn archive(entries: &[Raw]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, kind, data, link) in entries {
            let mut h = tar::Header::new_gnu();
            h.as_old_mut().name[..name.len()].copy_from_slice(name);
            h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
            h.set_entry_type(*kind);
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            h.set_cksum();
            out.extend_from_slice(h.as_bytes());
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        zstd::encode_all(out.as_slice(), 1).unwrap()
    }

    fn run(entries: &[Raw], max: u64) -> (tempfile::TempDir, Result<Extracted, String>) {
        let work = tempfile::tempdir().unwrap();
        let a = work.path().join("logs.tar.zst");
        std::fs::write(&a, archive(entries)).unwrap();
        let base = work.path().join("repo/.claude/runtime/logs/remote");
        std::fs::create_dir_all(&base).unwrap();
        let r = extract_logs(&a, &base.join("run1"), max);
        (work, r)
    }

    use tar::EntryType as T;

    #[test]
    fn good_logs_extract_and_links_are_skipped() {
        let (work, r) = run(
            &[
                (b".claude/runtime/logs/", T::Directory, b"", b""),
                (b".claude/runtime/logs/a.log", T::Regular, b"hello", b""),
                (b".claude/runtime/logs/sub/b.log", T::Regular, b"x", b""),
                (
                    b".claude/runtime/logs/evil",
                    T::Symlink,
                    b"",
                    b"/etc/passwd",
                ),
                (b".claude/runtime/logs/hard", T::Link, b"", b"/etc/passwd"),
                (b".claude/runtime/logs/fifo", T::Fifo, b"", b""),
            ],
            1 << 20,
        );
        let r = r.unwrap();
        assert_eq!(r.files, 2);
        assert_eq!(r.skipped.len(), 3, "{:?}", r.skipped);
        let dest = work.path().join("repo/.claude/runtime/logs/remote/run1");
        assert_eq!(std::fs::read(dest.join("a.log")).unwrap(), b"hello");
        assert_eq!(std::fs::read(dest.join("sub/b.log")).unwrap(), b"x");
        assert!(std::fs::symlink_metadata(dest.join("evil")).is_err());
    }

    #[test]
    fn hostile_archives_are_refused_whole() {
        let cases: Vec<(Vec<Raw>, &str)> = vec![
            (vec![(b"../../evil", T::Regular, b"x", b"")], "outside"),
            (
                vec![(b".claude/runtime/logs/../../../evil", T::Regular, b"x", b"")],
                "`..`",
            ),
            (vec![(b"/tmp/evil", T::Regular, b"x", b"")], "absolute"),
            (
                vec![(b".claude/settings.json", T::Regular, b"x", b"")],
                "outside",
            ),
            (
                vec![(b".claude/runtime/logs/a\nb", T::Regular, b"x", b"")],
                "malformed",
            ),
            (
                vec![(b".claude/runtime/logs/\xff", T::Regular, b"x", b"")],
                "UTF-8",
            ),
            (
                vec![
                    (b".claude/runtime/logs/a.log", T::Regular, b"1", b""),
                    (b".claude/runtime/logs/a.log", T::Regular, b"2", b""),
                ],
                "more than once",
            ),
            (
                vec![(b".claude/runtime/logs/big", T::Regular, &[b'x'; 2048], b"")],
                "exceed",
            ),
        ];
        for (entries, why) in cases {
            let (work, r) = run(&entries, 1024);
            let e = r.unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
            let base = work.path().join("repo/.claude/runtime/logs/remote");
            // Nothing extracted, nothing left behind, nothing outside.
            assert_eq!(std::fs::read_dir(&base).unwrap().count(), 0, "{why}");
            assert!(!work.path().join("evil").exists());
            assert!(!work.path().join("repo/evil").exists());
        }
    }

    #[test]
    fn a_zstd_bomb_stops_at_the_bound() {
        // 64 MiB of zeros in one entry compresses to a few KiB.
        let mut tarball = Vec::new();
        let mut h = tar::Header::new_gnu();
        h.set_path(".claude/runtime/logs/zeros").unwrap();
        h.set_size(64 << 20);
        h.set_entry_type(T::Regular);
        h.set_cksum();
        tarball.extend_from_slice(h.as_bytes());
        tarball.resize(512 + (64 << 20) + 1024, 0);
        let work = tempfile::tempdir().unwrap();
        let a = work.path().join("bomb.tar.zst");
        std::fs::write(&a, zstd::encode_all(tarball.as_slice(), 19).unwrap()).unwrap();
        assert!(std::fs::metadata(&a).unwrap().len() < 64 << 10);
        let base = work.path().join("logs");
        std::fs::create_dir(&base).unwrap();
        let e = extract_logs(&a, &base.join("r"), 1 << 20).unwrap_err();
        assert!(e.contains("exceed") || e.contains("decompresses"), "{e}");
        assert_eq!(std::fs::read_dir(&base).unwrap().count(), 0);
    }

    #[test]
    fn downloads_are_bounded_and_must_be_files() {
        let work = tempfile::tempdir().unwrap();
        let f = work.path().join("f");
        std::fs::write(&f, vec![0u8; 100]).unwrap();
        assert_eq!(check_download(&f, 100).unwrap(), 100);
        assert!(check_download(&f, 99).is_err());
        assert!(!f.exists());
        #[cfg(unix)]
        {
            let l = work.path().join("l");
            std::os::unix::fs::symlink("/etc/passwd", &l).unwrap();
            assert!(check_download(&l, 1 << 20).is_err());
        }
    }

    #[test]
    fn run_dirs_refuse_links() {
        let work = tempfile::tempdir().unwrap();
        let root = work.path();
        std::fs::create_dir_all(root.join(".claude/runtime")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/tmp", root.join(".claude/runtime/remote")).unwrap();
        assert!(make_run_dir(root, RESULTS_DIR, "r").is_err());
        let root2 = tempfile::tempdir().unwrap();
        let d = make_run_dir(root2.path(), RESULTS_DIR, "r").unwrap();
        assert!(d.is_dir());
        assert!(root2
            .path()
            .join(".claude/runtime/remote/.gitignore")
            .is_file());
        assert!(make_run_dir(root2.path(), RESULTS_DIR, "r").is_err());
    }
}
