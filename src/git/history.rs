//! Every blob reachable from the refs (history included), each listed once, and their
//! contents streamed from long-running `git cat-file --batch` processes.
//!
//! `git rev-list --objects --all` walks every commit's whole tree, merge commits included, so
//! content that exists only in a merge (an "evil merge", which `git log -p` never shows) is
//! listed like any other blob.

use std::collections::HashSet;
use std::io::Write;
use std::sync::mpsc::{channel, Receiver};

use super::command::{Git, GitError};
use super::version::GitVersion;

/// One blob of the history, under the first path `rev-list` reported for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryBlob {
    pub oid: String,
    pub path: String,
}

/// Lists every blob reachable from every ref and `HEAD` (`--all`) plus `extra_tips` (commit
/// ids that no ref names, such as the packager's snapshot), each blob once, except the blobs
/// reachable from `known_clean` (tips whose whole history was scanned before).
pub fn reachable_blobs(
    git: &Git,
    version: GitVersion,
    extra_tips: &[String],
    known_clean: &[String],
) -> Result<Vec<HistoryBlob>, GitError> {
    let mut args: Vec<String> = vec!["rev-list".into(), "--objects".into(), "--all".into()];
    // `object:type` filters (git 2.32) make rev-list drop trees itself; older gits list
    // everything and `cat-file --batch-check` tells the types.
    let filtered = version >= GitVersion::new(2, 32, 0);
    if filtered {
        args.push("--filter=object:type=blob".into());
        // Tips (an annotated tag's object) are printed despite the filter unless this is
        // given; a tag object would then be taken for a blob named after the tag.
        args.push("--filter-provided-objects".into());
    }
    push_tips(&mut args, extra_tips, known_clean);
    let out = git.run(&args)?;
    let listed = parse_rev_list(&out, &args.join(" "))?;
    if filtered {
        return Ok(listed);
    }
    keep_blobs(git, listed)
}

/// Streams the blobs reachable from every ref and `HEAD` (`--all`) plus `extra_tips` to
/// `emit` as `rev-list` finds them, so that reading and scanning start before the walk ends.
/// `rev-list --objects` prints each object once, so each blob is emitted once. `emit`
/// returning `false` stops the walk early (`Ok`). Gits older than 2.32 (no `object:type`
/// filter) list everything first and filter by type, then emit.
pub fn for_each_reachable_blob<F>(
    git: &Git,
    version: GitVersion,
    extra_tips: &[String],
    known_clean: &[String],
    mut emit: F,
) -> Result<(), GitError>
where
    F: FnMut(HistoryBlob) -> bool,
{
    if version < GitVersion::new(2, 32, 0) {
        for b in reachable_blobs(git, version, extra_tips, known_clean)? {
            if !emit(b) {
                break;
            }
        }
        return Ok(());
    }
    let mut args: Vec<String> = vec![
        "rev-list".into(),
        "--objects".into(),
        "--all".into(),
        "--filter=object:type=blob".into(),
        // Without it, an annotated tag's object is printed as `<oid> <tag name>`, like a blob.
        "--filter-provided-objects".into(),
    ];
    push_tips(&mut args, extra_tips, known_clean);
    let shown = args.join(" ");
    let mut stopped = false;
    let result = git.stream(
        &args,
        |_stdin| Ok(()),
        |out| {
            let mut line = Vec::new();
            // A blob is emitted once the next line shows its path did not continue.
            let mut pending: Option<HistoryBlob> = None;
            loop {
                line.clear();
                let n = out.read_until(b'\n', &mut line).map_err(|e| GitError::Io {
                    args: shown.clone(),
                    message: e.to_string(),
                })?;
                if n == 0 {
                    break;
                }
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let (head, path) = match memchr::memchr(b' ', text) {
                    Some(i) => (&text[..i], Some(&text[i + 1..])),
                    None => (text, None),
                };
                if !is_oid(head) {
                    match pending.as_mut() {
                        Some(b) => {
                            b.path.push('\n');
                            b.path.push_str(&String::from_utf8_lossy(text));
                            continue;
                        }
                        None if text.is_empty() => continue,
                        None => {
                            return Err(GitError::Parse {
                                args: shown.clone(),
                                message: format!("line {:?}", String::from_utf8_lossy(text)),
                            })
                        }
                    }
                }
                if let Some(b) = pending.take() {
                    if !emit(b) {
                        stopped = true;
                        return Ok(());
                    }
                }
                if let Some(path) = path {
                    pending = Some(HistoryBlob {
                        oid: String::from_utf8_lossy(head).into_owned(),
                        path: String::from_utf8_lossy(path).into_owned(),
                    });
                }
            }
            if let Some(b) = pending.take() {
                if !emit(b) {
                    stopped = true;
                }
            }
            Ok(())
        },
    );
    match result {
        // Stopping early closes the pipe under git: its failure then is ours, not an error.
        Err(_) if stopped => Ok(()),
        other => other,
    }
}

/// Appends the extra tips, then `--not` and the known-clean tips, then `--`.
fn push_tips(args: &mut Vec<String>, extra_tips: &[String], known_clean: &[String]) {
    args.extend(extra_tips.iter().cloned());
    if !known_clean.is_empty() {
        args.push("--not".into());
        args.extend(known_clean.iter().cloned());
    }
    args.push("--".into());
}

/// Parses `rev-list --objects` output: `<oid>` for commits, `<oid> <path>` for trees and
/// blobs. (git prints a name with a newline only up to it; a line that is not an object id is
/// joined to the previous path, in case a git version prints the rest.)
fn parse_rev_list(out: &[u8], args: &str) -> Result<Vec<HistoryBlob>, GitError> {
    let mut seen = HashSet::new();
    let mut blobs: Vec<HistoryBlob> = Vec::new();
    let mut last_was_listed = false;
    for line in out.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let (head, path) = match memchr::memchr(b' ', line) {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        if !is_oid(head) {
            // The rest of a path with a newline in it.
            if last_was_listed {
                if let Some(b) = blobs.last_mut() {
                    b.path.push('\n');
                    b.path.push_str(&String::from_utf8_lossy(line));
                    continue;
                }
            }
            return Err(GitError::Parse {
                args: args.to_string(),
                message: format!("line {:?}", String::from_utf8_lossy(line)),
            });
        }
        last_was_listed = false;
        let Some(path) = path else { continue }; // a commit
        let oid = String::from_utf8_lossy(head).into_owned();
        if seen.insert(oid.clone()) {
            blobs.push(HistoryBlob {
                oid,
                path: String::from_utf8_lossy(path).into_owned(),
            });
            last_was_listed = true;
        }
    }
    Ok(blobs)
}

fn is_oid(s: &[u8]) -> bool {
    (s.len() == 40 || s.len() == 64) && s.iter().all(u8::is_ascii_hexdigit)
}

/// Keeps the blobs of `listed` (trees dropped), asking git for each object's type.
fn keep_blobs(git: &Git, listed: Vec<HistoryBlob>) -> Result<Vec<HistoryBlob>, GitError> {
    let args = ["cat-file", "--batch-check=%(objectname) %(objecttype)"];
    let out = git.run_with_input(&args, Some(request(&listed)))?;
    let mut types = out.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let mut blobs = Vec::with_capacity(listed.len());
    for b in listed {
        let line = types.next().ok_or_else(|| GitError::Parse {
            args: args.join(" "),
            message: format!("no answer for {}", b.oid),
        })?;
        let line = String::from_utf8_lossy(line);
        match line.split_once(' ') {
            Some((oid, "blob")) if oid == b.oid => blobs.push(b),
            Some((oid, _)) if oid == b.oid && !line.ends_with(" missing") => {}
            _ => {
                return Err(GitError::Parse {
                    args: args.join(" "),
                    message: format!("object {} could not be read: {line}", b.oid),
                })
            }
        }
    }
    Ok(blobs)
}

fn request(blobs: &[HistoryBlob]) -> Vec<u8> {
    let mut out = Vec::with_capacity(blobs.len() * 41);
    for b in blobs {
        out.extend_from_slice(b.oid.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Streams the content of every blob of the batches received on `batches`, in order, to
/// `sink`, through one `git cat-file --batch` that runs until the channel closes. A missing
/// or truncated object is an error (never skipped); `sink` returning `false` stops early.
pub fn stream_blob_batches<F>(
    git: &Git,
    batches: Receiver<Vec<HistoryBlob>>,
    mut sink: F,
) -> Result<(), GitError>
where
    F: FnMut(HistoryBlob, Vec<u8>) -> bool,
{
    let args = ["cat-file", "--batch", "--buffer"];
    // The feeder passes each batch on, in order, once its ids are written.
    let (order_tx, order_rx) = channel::<Vec<HistoryBlob>>();
    let feed = move |stdin: &mut dyn Write| {
        for batch in batches {
            let mut request = Vec::with_capacity(batch.len() * 41);
            for b in &batch {
                request.extend_from_slice(b.oid.as_bytes());
                request.push(b'\n');
            }
            stdin.write_all(&request)?;
            if order_tx.send(batch).is_err() {
                break;
            }
        }
        stdin.flush()
    };
    let mut stopped = false;
    let result = git.stream(&args, feed, |out| {
        let err = |message: String| GitError::Parse {
            args: args.join(" "),
            message,
        };
        let mut header = Vec::new();
        for batch in order_rx.iter() {
            for b in batch {
                header.clear();
                let n = out
                    .read_until(b'\n', &mut header)
                    .map_err(|e| io(&args, e))?;
                if n == 0 {
                    return Err(err(format!("output ended before object {}", b.oid)));
                }
                let text = String::from_utf8_lossy(&header);
                let parts: Vec<&str> = text.trim_end_matches('\n').split(' ').collect();
                match parts.as_slice() {
                    [oid, "blob", size] if *oid == b.oid => {
                        let size: usize = size
                            .parse()
                            .map_err(|_| err(format!("size in header {text:?}")))?;
                        let mut bytes = vec![0u8; size];
                        out.read_exact(&mut bytes)
                            .map_err(|_| err(format!("object {} is truncated", b.oid)))?;
                        let mut nl = [0u8; 1];
                        out.read_exact(&mut nl)
                            .map_err(|_| err(format!("object {} is truncated", b.oid)))?;
                        if nl[0] != b'\n' {
                            return Err(err(format!(
                                "object {} is not followed by a newline",
                                b.oid
                            )));
                        }
                        if !sink(b, bytes) {
                            stopped = true;
                            return Ok(());
                        }
                    }
                    [oid, "missing"] => {
                        return Err(err(format!(
                            "object {oid} ({}) is missing from the repository",
                            b.path
                        )))
                    }
                    _ => return Err(err(format!("unexpected header {text:?} for {}", b.oid))),
                }
            }
        }
        Ok(())
    });
    match result {
        Err(_) if stopped => Ok(()),
        other => other,
    }
}

fn io(args: &[&str], e: std::io::Error) -> GitError {
    GitError::Io {
        args: args.join(" "),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rev_list_output() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        let out = format!("{c}\n{a} src/x.rs\n{b} odd\nname\n{a} dup\n");
        let blobs = parse_rev_list(out.as_bytes(), "rev-list").unwrap();
        assert_eq!(
            blobs,
            vec![
                HistoryBlob {
                    oid: a.clone(),
                    path: "src/x.rs".into()
                },
                HistoryBlob {
                    oid: b,
                    path: "odd\nname".into()
                },
            ]
        );
        assert!(parse_rev_list(b"garbage\n", "rev-list").is_err());
    }
}
