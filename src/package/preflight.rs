//! Checks before anything is written: a git work tree, git 2.30 or later, `.claude/` present.

use std::path::{Path, PathBuf};

use crate::git::{Git, GitVersion};

use super::PackageError;

/// The oldest git the packager supports.
pub const MIN_GIT: GitVersion = GitVersion::new(2, 30, 0);

/// What preflight learnt about the repository.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Top of the work tree.
    pub root: PathBuf,
    /// The repository's object directory (absolute).
    pub objects: PathBuf,
    /// Its index file (absolute; may not exist yet).
    pub index: PathBuf,
    pub version: GitVersion,
    /// `sha1` or `sha256`.
    pub object_format: String,
}

/// Runs every check, in the order a user would fix them.
pub fn preflight(start: &Path) -> Result<Repo, PackageError> {
    let git = Git::new(start);
    let version = GitVersion::of(&git).map_err(|e| PackageError::Preflight {
        problem: format!("git is not usable: {e}"),
        action: "Install git 2.30 or later (or set AMPLIHACK_REMOTE_GIT to its path)".into(),
    })?;
    if version < MIN_GIT {
        return Err(PackageError::Preflight {
            problem: format!("git {version} is too old: packaging needs git {MIN_GIT} or later"),
            action: "Upgrade git".into(),
        });
    }
    // One `rev-parse` answers every question (each git start costs milliseconds); outside a
    // work tree it fails at `--show-toplevel`.
    let out = git
        .run(&[
            "rev-parse",
            "--is-inside-work-tree",
            "--show-toplevel",
            "--is-shallow-repository",
            "--git-path",
            "objects",
            "--git-path",
            "index",
            "--show-object-format",
        ])
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    let lines: Vec<&str> = text.lines().collect();
    let [inside, toplevel, shallow, objects, index, object_format] = lines.as_slice() else {
        return Err(PackageError::Preflight {
            problem: format!("{} is not inside a git work tree", start.display()),
            action: "Run this command from inside the repository to package".into(),
        });
    };
    if *inside != "true" {
        return Err(PackageError::Preflight {
            problem: format!("{} is not inside a git work tree", start.display()),
            action: "Run this command from inside the repository to package".into(),
        });
    }
    let root = PathBuf::from(toplevel);
    let claude = std::fs::symlink_metadata(root.join(".claude"));
    if claude.as_ref().is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(PackageError::Preflight {
            problem: ".claude is a symbolic link: its target would be packaged from outside the repository".into(),
            action: "Replace the link with the directory itself".into(),
        });
    }
    if !claude.is_ok_and(|m| m.is_dir()) {
        return Err(PackageError::Preflight {
            problem: ".claude directory not found in repository".into(),
            action: format!(
                "Verify that {} holds the amplihack .claude directory (run from the repository that has it)",
                root.display()
            ),
        });
    }
    if *shallow == "true" {
        return Err(PackageError::Preflight {
            problem: "this repository is a shallow clone: its history is incomplete, so it can be neither bundled nor scanned whole".into(),
            action: "Fetch the whole history first: git fetch --unshallow".into(),
        });
    }
    // `--git-path` answers relative to the directory git ran in.
    let path_of = |p: &str| -> PathBuf {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            start.join(p)
        }
    };
    let objects = path_of(objects);
    let index = path_of(index);
    let object_format = object_format.to_string();
    Ok(Repo {
        root,
        objects,
        index,
        version,
        object_format,
    })
}
