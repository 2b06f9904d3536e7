//! The staging repository and the snapshot of uncommitted work.
//!
//! Nothing of the user's repository changes: no ref, no index, no stash, no config, not even
//! its object store. A bare staging repository in the private temporary directory borrows the
//! user's objects (`objects/info/alternates`), holds a copy of every ref plus the snapshot
//! ref, and receives the few new objects of the snapshot, which is built in the user's work
//! tree with a temporary index (`GIT_INDEX_FILE`) and the staging object directory
//! (`GIT_OBJECT_DIRECTORY`, the user's as an alternate). The bundle is made from the staging
//! repository, so what is scanned there is exactly what ships.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::git::Git;

use super::exclude::Exclusions;
use super::preflight::Repo;
use super::PackageError;

/// The ref that carries the snapshot, in the bundle only.
pub const SNAPSHOT_REF: &str = "refs/amplihack-remote/snapshot";

/// The staging repository, ready to be scanned and bundled.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The bare staging repository.
    pub git_dir: PathBuf,
    /// `HEAD` commit (None before the first commit).
    pub head: Option<String>,
    /// The ref `HEAD` points to (None when detached).
    pub head_ref: Option<String>,
    /// Every ref copied from the user's repository, with its target.
    pub refs: BTreeMap<String, String>,
    /// The snapshot commit, when the work tree differs from `HEAD`.
    pub snapshot: Option<String>,
    /// Working-tree paths left out of the snapshot by an exclusion pattern.
    pub excluded: Vec<(String, &'static str)>,
    /// Untracked nested git repositories (`dir/`): not part of this repository, not shipped.
    pub nested: Vec<String>,
}

impl Staged {
    /// Git running in the staging repository, whatever `GIT_*` variables the user has set.
    pub fn git(&self) -> Git {
        staging_git(&self.git_dir)
    }
}

fn staging_git(git_dir: &Path) -> Git {
    without_repo_env(Git::new(git_dir)).with_env("GIT_DIR", git_dir)
}

/// Drops the user's `GIT_DIR`-like variables (they name the user's repository).
fn without_repo_env(mut git: Git) -> Git {
    for k in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
    ] {
        git = git.without_env(k);
    }
    git
}

fn git_err(e: crate::git::GitError) -> PackageError {
    PackageError::Git(e.to_string())
}

/// Builds the staging repository in `tmp`, with the snapshot of the work tree (exclusions
/// applied, `skip` paths left out too: the archive being written, say), dated `epoch`.
pub fn stage(
    repo: &Repo,
    tmp: &Path,
    exclusions: &Exclusions,
    skip: &[String],
    epoch: u64,
) -> Result<Staged, PackageError> {
    let user = Git::new(&repo.root);
    let git_dir = tmp.join("staging.git");
    let init = without_repo_env(Git::new(tmp));
    // The user's refs and HEAD are read while the staging repository is made (each git
    // start costs milliseconds; these do not depend on each other).
    let (listed, head, head_tree, head_ref) = std::thread::scope(|scope| {
        let reads = scope.spawn(|| {
            let listed = user.run(&["for-each-ref", "--format=%(objectname) %(refname)"]);
            // HEAD's commit and tree in one start (`--`: revisions, whatever files are named);
            // an unborn HEAD fails: no HEAD.
            let (head, head_tree) =
                match user.run(&["rev-parse", "HEAD^{commit}", "HEAD^{tree}", "--"]) {
                    Ok(o) => {
                        let o = String::from_utf8_lossy(&o).into_owned();
                        let mut ids = o.lines().map(str::trim).filter(|s| !s.is_empty());
                        let hex = |s: &&str| s.bytes().all(|b| b.is_ascii_hexdigit());
                        match (ids.next().filter(hex), ids.next().filter(hex)) {
                            (Some(c), Some(t)) => (Some(c.to_string()), Some(t.to_string())),
                            _ => (None, None),
                        }
                    }
                    Err(_) => (None, None),
                };
            let head_ref = user
                .run(&["symbolic-ref", "-q", "HEAD"])
                .ok()
                .map(|o| String::from_utf8_lossy(&o).trim().to_string())
                .filter(|s| !s.is_empty());
            (listed, head, head_tree, head_ref)
        });
        let made = init
            .run(&[
                "init",
                "--bare",
                "-q",
                "--template=",
                &format!("--object-format={}", repo.object_format),
                &git_dir.to_string_lossy(),
            ])
            .map_err(git_err)
            .and_then(|_| {
                let info = git_dir.join("objects/info");
                std::fs::create_dir_all(&info).map_err(|e| PackageError::io(&info, e))?;
                let alternates = info.join("alternates");
                std::fs::write(&alternates, format!("{}\n", repo.objects.display()))
                    .map_err(|e| PackageError::io(&alternates, e))
            });
        let (listed, head, head_tree, head_ref) = reads
            .join()
            .map_err(|_| PackageError::Git("a git reading thread panicked".into()))?;
        made?;
        Ok::<_, PackageError>((listed.map_err(git_err)?, head, head_tree, head_ref))
    })?;

    // Refs and HEAD, read once: the staging copy is what gets scanned and bundled.
    let mut refs = BTreeMap::new();
    for line in String::from_utf8_lossy(&listed).lines() {
        if let Some((oid, name)) = line.split_once(' ') {
            refs.insert(name.to_string(), oid.to_string());
        }
    }

    // The snapshot, built with a temporary index and the staging object directory.
    let index = tmp.join("snapshot.index");
    if repo.index.is_file() {
        std::fs::copy(&repo.index, &index).map_err(|e| PackageError::io(&repo.index, e))?;
    }
    let snap = user
        .clone()
        .with_env("GIT_INDEX_FILE", &index)
        .with_env("GIT_OBJECT_DIRECTORY", git_dir.join("objects"))
        .with_env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &repo.objects)
        .without_env("GIT_DIR")
        .without_env("GIT_WORK_TREE");
    let mut excluded = Vec::new();
    let is_out = |p: &str, excluded: &mut Vec<(String, &'static str)>| {
        if skip.iter().any(|s| s == p) {
            return true;
        }
        match exclusions.matching(p) {
            Some(pattern) => {
                excluded.push((p.to_string(), pattern));
                true
            }
            None => false,
        }
    };
    let mut update = Vec::new();
    let mut nested = Vec::new();
    let mut seen = BTreeSet::new();
    // Untracked and changed files, listed by two gits at once, and the user's staged changes
    // by a third (see below: only excluded paths matter there, and the update of the index
    // never touches those, so the copied index gives the same answer as the updated one).
    let panicked = |what: &str| {
        Err(crate::git::GitError::Io {
            args: what.into(),
            message: "the listing thread panicked".into(),
        })
    };
    let (listings, staged) = std::thread::scope(|scope| {
        let others =
            scope.spawn(|| snap.run(&["ls-files", "-z", "--others", "--exclude-standard"]));
        let staged = scope.spawn(|| match &head {
            Some(h) => snap.run(&[
                "diff-index",
                "--cached",
                "-z",
                "--name-only",
                "--no-renames",
                h,
            ]),
            None => snap.run(&["ls-files", "-z"]),
        });
        let changed = snap.run(&["ls-files", "-z", "--modified", "--deleted"]);
        let others = others
            .join()
            .unwrap_or_else(|_| panicked("ls-files --others"));
        let staged = staged.join().unwrap_or_else(|_| panicked("diff-index"));
        ([others, changed], staged)
    });
    for out in listings {
        let out = out.map_err(git_err)?;
        for p in out.split(|&b| b == 0).filter(|p| !p.is_empty()) {
            let path = String::from_utf8_lossy(p).into_owned();
            if !seen.insert(path.clone()) {
                continue;
            }
            // git lists an untracked nested repository as `dir/`: its content is not ours.
            if path.ends_with('/') {
                nested.push(path);
                continue;
            }
            if !is_out(&path, &mut excluded) {
                update.extend_from_slice(p);
                update.push(0);
            }
        }
    }
    if !update.is_empty() {
        snap.run_with_input(
            &["update-index", "--add", "--remove", "-z", "--stdin"],
            Some(update),
        )
        .map_err(git_err)?;
    }
    // Staged changes to excluded paths (already in the copied index) go back to HEAD's
    // version: nothing excluded is taken from the work tree, staged or not.
    let staged = staged.map_err(git_err)?;
    let mut restore = Vec::new();
    let mut restore_paths = Vec::new();
    for p in staged.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(p).into_owned();
        if is_out(&path, &mut excluded) {
            restore.extend_from_slice(format!("0 {}\t", zero_oid(&repo.object_format)).as_bytes());
            restore.extend_from_slice(p);
            restore.push(0);
            restore_paths.push(path);
        }
    }
    if !restore.is_empty() {
        snap.run_with_input(&["update-index", "-z", "--index-info"], Some(restore))
            .map_err(git_err)?;
        if let Some(h) = &head {
            let mut args = vec![
                "--literal-pathspecs".to_string(),
                "ls-tree".into(),
                "-z".into(),
                "--full-tree".into(),
                h.clone(),
                "--".into(),
            ];
            args.extend(restore_paths);
            let tree = snap.run(&args).map_err(git_err)?;
            if !tree.is_empty() {
                snap.run_with_input(&["update-index", "-z", "--index-info"], Some(tree))
                    .map_err(git_err)?;
            }
        }
    }
    excluded.sort();
    excluded.dedup();
    let tree = snap.run(&["write-tree"]).map_err(git_err)?;
    let tree = String::from_utf8_lossy(&tree).trim().to_string();
    let snapshot = if head_tree.as_deref() == Some(tree.as_str()) {
        None
    } else {
        let date = format!("@{epoch} +0000");
        let mut args = vec!["commit-tree".to_string(), tree];
        if let Some(h) = &head {
            args.push("-p".into());
            args.push(h.clone());
        }
        args.push("-m".into());
        args.push("amplihack-remote: snapshot of uncommitted work".into());
        let out = snap
            .clone()
            .with_env("GIT_AUTHOR_NAME", "amplihack-remote")
            .with_env("GIT_AUTHOR_EMAIL", "amplihack-remote@localhost")
            .with_env("GIT_COMMITTER_NAME", "amplihack-remote")
            .with_env("GIT_COMMITTER_EMAIL", "amplihack-remote@localhost")
            .with_env("GIT_AUTHOR_DATE", &date)
            .with_env("GIT_COMMITTER_DATE", &date)
            .run(&args)
            .map_err(git_err)?;
        Some(String::from_utf8_lossy(&out).trim().to_string())
    };

    // The staging repository's refs: a packed-refs file, and HEAD.
    let mut packed = String::new();
    let mut all = refs.clone();
    if let Some(s) = &snapshot {
        all.insert(SNAPSHOT_REF.to_string(), s.clone());
    }
    for (name, oid) in &all {
        packed.push_str(&format!("{oid} {name}\n"));
    }
    let packed_path = git_dir.join("packed-refs");
    std::fs::write(&packed_path, packed).map_err(|e| PackageError::io(&packed_path, e))?;
    let head_text = match (&head_ref, &head) {
        (Some(r), _) => format!("ref: {r}\n"),
        (None, Some(h)) => format!("{h}\n"),
        (None, None) => "ref: refs/heads/main\n".to_string(),
    };
    let head_path = git_dir.join("HEAD");
    std::fs::write(&head_path, head_text).map_err(|e| PackageError::io(&head_path, e))?;
    Ok(Staged {
        git_dir,
        head,
        head_ref,
        refs,
        snapshot,
        excluded,
        nested,
    })
}

fn zero_oid(format: &str) -> String {
    "0".repeat(if format == "sha256" { 64 } else { 40 })
}

/// `git bundle create --all` from the staging repository, then `git bundle verify`. The
/// bundle is streamed from git into `out` and hashed on the way (one pass, no re-read);
/// returns its size and SHA-256.
pub fn bundle(staged: &Staged, out: &Path) -> Result<(u64, String), PackageError> {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let git = staged.git();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(|e| PackageError::io(out, e))?;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let written = git.stream(
        &["bundle", "create", "-", "--all"],
        |_stdin| Ok(()),
        |stdout| {
            let io = |e: std::io::Error| crate::git::GitError::Io {
                args: "bundle create - --all".into(),
                message: format!("writing {}: {e}", out.display()),
            };
            loop {
                let chunk = stdout.fill_buf().map_err(io)?;
                if chunk.is_empty() {
                    break;
                }
                hasher.update(chunk);
                file.write_all(chunk).map_err(io)?;
                let n = chunk.len();
                size += n as u64;
                stdout.consume(n);
            }
            file.flush().map_err(io)
        },
    );
    written.map_err(git_err)?;
    drop(file);
    let path = out.to_string_lossy();
    git.run(&["bundle", "verify", &path])
        .map_err(|e| PackageError::Git(format!("the bundle does not verify: {e}")))?;
    Ok((size, crate::digest::hex(&hasher.finalize())))
}
