//! The `.claude` tree as it is on disk (untracked and ignored files included), minus the
//! exclusion patterns. Links and special files are never shipped: they are named in warnings.

use std::path::{Path, PathBuf};

use super::exclude::Exclusions;
use super::PackageError;

/// One regular file of the `.claude` tree.
#[derive(Debug, Clone)]
pub struct ClaudeFile {
    /// Repository-relative, `/`-separated (`.claude/settings.json`).
    pub rel: String,
    pub abs: PathBuf,
    pub size: u64,
    pub executable: bool,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct ClaudeTree {
    /// Sorted by `rel` (bytes).
    pub files: Vec<ClaudeFile>,
    /// Paths left out by an exclusion pattern, with the pattern.
    pub excluded: Vec<(String, &'static str)>,
    /// Links and special files, not shipped.
    pub not_shipped: Vec<(String, &'static str)>,
}

/// Walks `root/.claude` without following links.
pub fn collect(root: &Path, exclusions: &Exclusions) -> Result<ClaudeTree, PackageError> {
    let mut tree = ClaudeTree::default();
    let mut stack = vec![(root.join(".claude"), ".claude".to_string())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| PackageError::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| PackageError::io(&dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                tree.not_shipped.push((
                    format!("{rel}/{}", name.to_string_lossy()),
                    "file name is not valid UTF-8",
                ));
                continue;
            };
            let child = format!("{rel}/{name}");
            if let Some(pattern) = exclusions.matching(&child) {
                tree.excluded.push((child, pattern));
                continue;
            }
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|e| PackageError::io(&path, e))?;
            let ft = meta.file_type();
            if ft.is_dir() {
                stack.push((path, child));
            } else if ft.is_file() {
                tree.files.push(ClaudeFile {
                    rel: child,
                    abs: path,
                    size: meta.len(),
                    executable: is_executable(&meta),
                });
            } else if ft.is_symlink() {
                tree.not_shipped.push((child, "symbolic link"));
            } else {
                tree.not_shipped
                    .push((child, "not a regular file (FIFO, socket or device)"));
            }
        }
    }
    tree.files
        .sort_by(|a, b| a.rel.as_bytes().cmp(b.rel.as_bytes()));
    tree.excluded.sort();
    tree.not_shipped.sort();
    Ok(tree)
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}
