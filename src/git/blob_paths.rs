//! Every path a blob was committed under, for the parts of a scan result that depend on the
//! path.
//!
//! A history scan reads each unique blob once, under the first path `rev-list` names for it.
//! Two things make a blob's result depend on its path: rules restricted to some files
//! (`paths`, such as the dotenv rule) and the allowlist's path globs. So the same bytes
//! committed as `notes.txt` and as `.env`, or as `tests/fixtures/key.txt` (allowlisted) and as
//! `src/key.txt`, need more than one look. This module walks the history's changes once
//! (`git log --raw`, merges against each parent, root commits included) and reports each
//! (blob, path) pair a commit introduced; the history scan keeps only the pairs whose path
//! matters (see `history_scan`).

use super::command::{Git, GitError};

/// Calls `f(commit id, blob id, path)` for every blob a commit reachable from the refs (and
/// `extra_tips`, but not from `known_clean`) introduced at a path: added or modified files
/// and symbolic links, merges compared with each parent, root commits with the empty tree.
/// Commits come in `git log`'s order (newest first), so the last commit seen for a (blob,
/// path) pair is the first that introduced it, the commit `attribution::first_commits` finds
/// with `--reverse`.
pub fn for_each_introduction<F>(
    git: &Git,
    extra_tips: &[String],
    known_clean: &[String],
    mut f: F,
) -> Result<(), GitError>
where
    F: FnMut(&str, &str, &str),
{
    let mut args: Vec<String> = [
        "log",
        "--all",
        "--full-history",
        "-m",
        "--root",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--no-ext-diff",
        "--format=%x01%H",
        "-z",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra_tips.iter().cloned());
    if !known_clean.is_empty() {
        args.push("--not".into());
        args.extend(known_clean.iter().cloned());
    }
    args.push("--".into());
    let shown = args.join(" ");
    git.stream(
        &args,
        |_stdin| Ok(()),
        |out| {
            // Records: `\x01<commit>` NUL, then for each change
            // `:old_mode new_mode old_oid new_oid status` NUL `path` NUL.
            let mut token = Vec::new();
            let mut pending: Option<String> = None;
            let mut commit = String::new();
            loop {
                token.clear();
                let n = out
                    .read_until(b'\0', &mut token)
                    .map_err(|e| GitError::Io {
                        args: shown.clone(),
                        message: e.to_string(),
                    })?;
                if n == 0 {
                    break;
                }
                let text = token.strip_suffix(b"\0").unwrap_or(&token);
                let text = text.strip_prefix(b"\n").unwrap_or(text);
                if let Some(oid) = pending.take() {
                    f(&commit, &oid, &String::from_utf8_lossy(text));
                    continue;
                }
                if let Some(meta) = text.strip_prefix(b":") {
                    pending = introduced_blob(meta);
                } else if let Some(id) = text.strip_prefix(b"\x01") {
                    commit = String::from_utf8_lossy(id).into_owned();
                }
            }
            Ok(())
        },
    )
}

/// The new blob of a raw diff record's metadata, if it introduces one: a file or a symbolic
/// link that was not deleted. Every mode other than none, a tree or a submodule counts as a
/// blob (git prints canonical modes, 100644, 100755 and 120000; anything else is taken as a
/// blob too rather than missed: the packed history pass relies on this walk to list them).
fn introduced_blob(meta: &[u8]) -> Option<String> {
    let fields: Vec<&[u8]> = meta.split(|&b| b == b' ').collect();
    let [_, new_mode, _, new_oid, status] = fields.as_slice() else {
        return None;
    };
    let blob_mode = !matches!(*new_mode, b"000000" | b"040000" | b"160000");
    let deleted = status.first() == Some(&b'D');
    let null = new_oid.iter().all(|&b| b == b'0');
    (blob_mode && !deleted && !null).then(|| String::from_utf8_lossy(new_oid).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_records_name_the_introduced_blob() {
        let a = "a".repeat(40);
        let z = "0".repeat(40);
        let meta = |s: String| introduced_blob(s.as_bytes());
        assert_eq!(meta(format!("000000 100644 {z} {a} A")), Some(a.clone()));
        assert_eq!(meta(format!("100644 100755 {a} {a} M")), Some(a.clone()));
        assert_eq!(meta(format!("100644 000000 {a} {z} D")), None);
        assert_eq!(meta(format!("000000 160000 {z} {a} A")), None); // a submodule
        assert_eq!(meta("garbage".into()), None);
    }
}
