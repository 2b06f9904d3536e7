//! Which commit introduced a blob: one `git log --raw` walk for all the blobs that need it,
//! run only when a history scan found something.

use std::collections::{HashMap, HashSet};

use super::command::{Git, GitError};

/// For each blob of `wanted` (blob id → a path it was listed under), the short id of the
/// first commit (oldest, over every ref and `extra_tips`) whose change introduced it.
/// Merges are compared with each parent (`-m`, and `--full-history` so no side of a merge is
/// simplified away), so a blob that only a merge introduced is attributed to the merge; root
/// commits count (`--root`). One `git log --raw` pass limited to the blobs' paths, then, for
/// any blob not found there (its content first appeared under another path), one unlimited
/// pass. Blobs no diff shows are absent.
pub fn first_commits(
    git: &Git,
    wanted: &HashMap<String, String>,
    extra_tips: &[String],
) -> Result<HashMap<String, String>, GitError> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let oids: HashSet<String> = wanted.keys().cloned().collect();
    // A blob a ref names directly (`git tag t <blob>`) has no path: it is no pathspec (and
    // no commit introduced it, so it gets none).
    let mut paths: Vec<String> = wanted.values().filter(|p| !p.is_empty()).cloned().collect();
    paths.sort();
    paths.dedup();
    let mut found = if paths.is_empty() {
        HashMap::new()
    } else {
        log_pass(git, &oids, extra_tips, &paths)?
    };
    if found.len() < oids.len() {
        let rest: HashSet<String> = oids
            .iter()
            .filter(|o| !found.contains_key(*o))
            .cloned()
            .collect();
        found.extend(log_pass(git, &rest, extra_tips, &[])?);
    }
    shorten(git, &mut found)?;
    Ok(found)
}

/// One `git log --raw` walk (limited to `paths` unless empty): blob id → full commit id.
fn log_pass(
    git: &Git,
    oids: &HashSet<String>,
    extra_tips: &[String],
    paths: &[String],
) -> Result<HashMap<String, String>, GitError> {
    let mut found = HashMap::new();
    let mut args: Vec<String> = [
        "--literal-pathspecs",
        "log",
        "--full-history",
        "--all",
        "--reverse",
        "-m",
        "--root",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--no-ext-diff",
        "--format=%x00%H",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra_tips.iter().cloned());
    args.push("--".into());
    args.extend(paths.iter().cloned());
    git.stream(
        &args,
        |_stdin| Ok(()),
        |out| {
            let mut line = Vec::new();
            let mut commit = String::new();
            loop {
                line.clear();
                let n = out.read_until(b'\n', &mut line).map_err(|e| GitError::Io {
                    args: args.join(" "),
                    message: e.to_string(),
                })?;
                if n == 0 {
                    break;
                }
                if found.len() == oids.len() {
                    continue; // all attributed: drain the rest
                }
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                if let Some(short) = text.strip_prefix(b"\0") {
                    commit = String::from_utf8_lossy(short).into_owned();
                } else if text.first() == Some(&b':') {
                    // :old_mode new_mode old_oid new_oid status\tpath
                    let meta = text.split(|&b| b == b'\t').next().unwrap_or_default();
                    if let Some(new) = meta.split(|&b| b == b' ').nth(3) {
                        let new = String::from_utf8_lossy(new);
                        if oids.contains(new.as_ref()) && !found.contains_key(new.as_ref()) {
                            found.insert(new.into_owned(), commit.clone());
                        }
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(found)
}

/// Replaces full commit ids by short ones, unambiguous in this repository.
pub(super) fn shorten(git: &Git, found: &mut HashMap<String, String>) -> Result<(), GitError> {
    let mut full: Vec<String> = found.values().cloned().collect();
    full.sort();
    full.dedup();
    if !full.is_empty() {
        let mut args = vec![
            "log".to_string(),
            "--no-walk=unsorted".into(),
            "--format=%H %h".into(),
        ];
        args.extend(full.iter().cloned());
        args.push("--".into());
        let out = String::from_utf8_lossy(&git.run(&args)?).into_owned();
        let short: HashMap<&str, String> = out
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(h, s)| (h, s.to_string()))
            .collect();
        for c in found.values_mut() {
            if let Some(s) = short.get(c.as_str()) {
                *c = s.clone();
            }
        }
    }
    Ok(())
}
