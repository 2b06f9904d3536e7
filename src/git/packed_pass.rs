//! The first pass of a full history scan: every blob of the repository's packs, decoded in
//! process (`git::pack`) and scanned in parallel, before any path is known.
//!
//! Listing blobs with `rev-list --objects` and reading them through `cat-file --batch` costs
//! git more CPU than the scan itself. Here the packs are decoded by the scanning threads, and
//! each decoded blob is checked against its object id (SHA-1) before it is scanned, so this
//! pass sees exactly the bytes git would give. It answers one question per blob: can it hold
//! a finding under the rules that run in every file? A blob that cannot, is done. A blob that
//! can, and every reachable blob this pass did not see (loose objects, anything the reader
//! skipped), is read and scanned again through git, under its path, exactly as before; rules restricted to some paths run in the later path-class pass
//! (`rescan_other_paths`). Git stays the authority: this pass can only make work disappear
//! for blobs it proved clean.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::command::{Git, GitError};
use super::pack::{ObjectId, PackLimits, PackedBlob, PackedObjects};
use crate::scan::{Scanner, Scratch};

/// Larger blobs are left to git (the reader skips them; they are read like loose objects).
const MAX_OBJECT: u64 = 256 << 20;
/// Decoded delta bases kept on one chain at most; deeper parts are left to git.
const MAX_CHAIN_BYTES: u64 = 1 << 30;

/// What the pass saw.
#[derive(Debug, Default)]
pub(super) struct PackedPass {
    /// Blobs decoded, verified and scanned, with their sizes.
    pub visited: HashMap<ObjectId, u64>,
    /// Of those, the ones that may hold a finding (or could not be scanned): they are scanned
    /// again through git, under a path.
    pub suspect: HashSet<ObjectId>,
}

/// The repository's objects directory, if this pass can read its packs: SHA-1 object ids
/// (`format`, from `rev-parse --show-object-format`), and every ref (peeled) naming a
/// commit. A ref naming a tree or a blob directly makes blobs reachable that no commit
/// introduces, which the path walk would not list; such repositories keep the `rev-list`
/// listing. `objects` is `rev-parse --git-path objects` (relative to the repository's
/// directory).
pub(super) fn packed_objects_dir(
    git: &Git,
    format: Option<&str>,
    objects: Option<&str>,
) -> Result<Option<PathBuf>, GitError> {
    let (Some("sha1"), Some(objects)) = (format, objects) else {
        return Ok(None);
    };
    let refs = git.run(&["for-each-ref", "--format=%(objecttype) %(*objecttype)"])?;
    let only_commits = refs
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .all(|l| l == b"commit " || l == b"tag commit");
    if !only_commits {
        return Ok(None);
    }
    let dir = PathBuf::from(objects);
    Ok(Some(if dir.is_absolute() {
        dir
    } else {
        git.dir().join(dir)
    }))
}

/// `objects` and the object directories it borrows from (`info/alternates`, followed to the
/// depth git follows them, 5), each once. Lines git would read specially (quoted paths) are
/// left out: blobs found only there are read through git.
pub(super) fn object_dirs(objects: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![std::fs::canonicalize(objects).unwrap_or_else(|_| objects.to_path_buf())];
    let mut next = 0;
    let mut depth = vec![0usize];
    while next < dirs.len() {
        let (dir, d) = (dirs[next].clone(), depth[next]);
        next += 1;
        if d >= 5 {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(dir.join("info").join("alternates")) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') || line.starts_with('"') {
                continue;
            }
            let alt = dir.join(line);
            let alt = std::fs::canonicalize(&alt).unwrap_or(alt);
            if !dirs.contains(&alt) {
                dirs.push(alt);
                depth.push(d + 1);
            }
        }
    }
    dirs
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Decodes and scans every packed blob on the current rayon pool.
pub(super) fn scan_packed(scanner: &Scanner, packs: &[PackedObjects]) -> PackedPass {
    let state = Mutex::new(PackedPass::default());
    let limits = PackLimits {
        max_object: MAX_OBJECT,
        max_chain_bytes: MAX_CHAIN_BYTES,
    };
    let visit = |blob: PackedBlob<'_>| -> bool {
        {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            // A second copy (the same id in two packs) has the same bytes: the hash says so.
            if s.visited
                .insert(blob.id, blob.content.len() as u64)
                .is_some()
            {
                return false;
            }
        }
        let clean = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            matches!(scanner.any_candidate(blob.content, &mut scratch), Ok(false))
        });
        if !clean {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            s.suspect.insert(blob.id);
        }
        clean
    };
    for p in packs {
        p.for_each_blob(&limits, &visit);
    }
    state.into_inner().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_object_directories_are_followed_once_and_not_forever() {
        let t = tempfile::tempdir().unwrap();
        let dir = |n: &str| {
            let d = t.path().join(n);
            std::fs::create_dir_all(d.join("info")).unwrap();
            std::fs::canonicalize(d).unwrap()
        };
        let (a, b, c) = (dir("a"), dir("b"), dir("c"));
        // a borrows from b (absolute) and c (relative); c borrows from a again (a cycle),
        // and a comment, a blank line and a quoted path are skipped.
        std::fs::write(
            a.join("info/alternates"),
            format!("{}\n# comment\n\n../c\n\"quoted\"\n", b.display()),
        )
        .unwrap();
        std::fs::write(c.join("info/alternates"), format!("{}\n", a.display())).unwrap();
        assert_eq!(object_dirs(&a), vec![a.clone(), b, c]);
        // A chain deeper than git follows stops at depth 5.
        let chain: Vec<PathBuf> = (0..8).map(|i| dir(&format!("d{i}"))).collect();
        for w in chain.windows(2) {
            std::fs::write(
                w[0].join("info/alternates"),
                format!("{}\n", w[1].display()),
            )
            .unwrap();
        }
        assert_eq!(object_dirs(&chain[0]), chain[..6].to_vec());
    }
}
