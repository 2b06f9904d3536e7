//! What earlier history scans found clean, so that packaging the same repository again scans
//! only what is new.
//!
//! After a clean scan the packager records the commits it started from (the "tips": every
//! ref and `HEAD`) under the scanner's [`Scanner::fingerprint`](crate::scan::Scanner::fingerprint),
//! which covers the tool version, the rules, the allowlist, the baseline and the minimum
//! confidence. The next scan with the same fingerprint asks git for the blobs reachable from
//! the refs but not from those tips (`rev-list --objects --all --not <tips>`): git objects are
//! named by their content, so a blob reachable from a recorded tip is exactly a blob that was
//! scanned, with the same result. Anything that changes a result (another rule, an allowlist
//! entry, a baseline entry, a new version) changes the fingerprint, and the whole history is
//! scanned again.
//!
//! The file lives in the user's cache directory (`$AMPLIHACK_REMOTE_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/amplihack-remote`, else `~/.cache/amplihack-remote`), one per repository,
//! mode 0600, never inside the repository. It holds commit ids and the paths of history files
//! that match an exclusion pattern, never file contents. A file that cannot be read or parsed,
//! is too large, was written under another fingerprint, or names commits the repository no
//! longer has, is ignored (those parts are scanned again): it can make a scan longer, never
//! shorter than what it proves. Whoever can write the user's cache directory could make a
//! scan skip history; they could equally replace the user's binary, so the file is not
//! signed (see SECURITY.md).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::command::Git;

/// Environment variable naming the cache directory.
pub const CACHE_DIR_ENV: &str = "AMPLIHACK_REMOTE_CACHE_DIR";
/// At most this many tips are kept (the newest); older ones cost a rescan at worst.
const MAX_TIPS: usize = 256;
/// A larger cache file is ignored.
const MAX_FILE: u64 = 1 << 20;
const FORMAT: u32 = 1;

/// The cache directory, if one can be named.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var(CACHE_DIR_ENV)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("amplihack-remote")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("amplihack-remote")))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    format: u32,
    fingerprint: String,
    tips: Vec<String>,
    flagged: Vec<String>,
}

/// The clean history recorded for one repository and one scanner fingerprint.
#[derive(Debug)]
pub struct CleanHistory {
    file: PathBuf,
    fingerprint: String,
    tips: Vec<String>,
    flagged: Vec<String>,
}

impl CleanHistory {
    /// Loads the record of the repository at `repo_root` from `dir`, keeping the tips recorded
    /// under `fingerprint` that `git` can still read. Never fails: anything unusable is
    /// dropped, and dropped parts are scanned again.
    pub fn load(dir: &Path, repo_root: &Path, fingerprint: &str, git: &Git) -> CleanHistory {
        let root = repo_root
            .canonicalize()
            .unwrap_or_else(|_| repo_root.to_path_buf());
        let name = crate::digest::sha256_hex(root.to_string_lossy().as_bytes());
        let mut history = CleanHistory {
            file: dir.join("history").join(format!("{}.json", &name[..32])),
            fingerprint: fingerprint.to_string(),
            tips: Vec::new(),
            flagged: Vec::new(),
        };
        let Some(file) = read_file(&history.file) else {
            return history;
        };
        if file.format != FORMAT || file.fingerprint != fingerprint {
            return history;
        }
        history.tips = existing(git, file.tips);
        if !history.tips.is_empty() {
            history.flagged = file.flagged;
        }
        history
    }

    /// Commits whose whole history was found clean under this fingerprint.
    pub fn tips(&self) -> &[String] {
        &self.tips
    }

    /// History paths flagged (exclusion patterns) by the scans that found those tips clean.
    pub fn flagged(&self) -> &[String] {
        &self.flagged
    }

    /// Records that everything reachable from `tips` is clean (with the flagged paths of this
    /// scan), keeping earlier tips after them up to the limit, and writes the file atomically
    /// with mode 0600.
    pub fn record(&mut self, tips: Vec<String>, flagged: &[String]) -> std::io::Result<()> {
        let mut all = tips;
        for t in self.tips.drain(..) {
            if !all.contains(&t) {
                all.push(t);
            }
        }
        all.retain(|t| is_oid(t));
        all.truncate(MAX_TIPS);
        self.tips = all;
        self.flagged.extend(flagged.iter().cloned());
        self.flagged.sort();
        self.flagged.dedup();
        let text = serde_json::to_vec(&CacheFile {
            format: FORMAT,
            fingerprint: self.fingerprint.clone(),
            tips: self.tips.clone(),
            flagged: self.flagged.clone(),
        })
        .map_err(std::io::Error::other)?;
        let dir = self.file.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let partial = dir.join(format!(".partial-{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&partial)
            .and_then(|mut f| f.write_all(&text).and_then(|()| f.sync_all()))
            .and_then(|()| std::fs::rename(&partial, &self.file));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        written
    }
}

fn read_file(path: &Path) -> Option<CacheFile> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn is_oid(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The ids of `tips` that are well-formed and name objects `git` has.
fn existing(git: &Git, tips: Vec<String>) -> Vec<String> {
    let tips: Vec<String> = tips.into_iter().filter(|t| is_oid(t)).collect();
    if tips.is_empty() {
        return tips;
    }
    let mut input = Vec::with_capacity(tips.len() * 41);
    for t in &tips {
        input.extend_from_slice(t.as_bytes());
        input.push(b'\n');
    }
    let Ok(out) = git.run_with_input(&["cat-file", "--batch-check=%(objectname)"], Some(input))
    else {
        return Vec::new();
    };
    let found: std::collections::HashSet<&[u8]> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && !l.ends_with(b" missing"))
        .collect();
    tips.into_iter()
        .filter(|t| found.contains(t.as_bytes()))
        .collect()
}

/// Every commit (or tag) the refs and `HEAD` of the repository `git` runs in point at: what a
/// `rev-list --all` starts from.
pub fn current_tips(git: &Git) -> Result<Vec<String>, super::command::GitError> {
    let out = git.run(&["for-each-ref", "--format=%(objectname)"])?;
    let mut tips: Vec<String> = String::from_utf8_lossy(&out)
        .lines()
        .map(str::to_string)
        .collect();
    if let Ok(head) = git.run(&["rev-parse", "--verify", "-q", "HEAD"]) {
        tips.push(String::from_utf8_lossy(&head).trim().to_string());
    }
    tips.retain(|t| is_oid(t));
    tips.sort();
    tips.dedup();
    Ok(tips)
}
