//! What the next commit will contain: the staged blobs that differ from `HEAD`.

use super::command::{Git, GitError};

/// One staged file's content, read from the index (not the working tree).
#[derive(Debug)]
pub struct StagedBlob {
    /// Repository-relative path, `/`-separated, as git prints it.
    pub path: String,
    pub oid: String,
    pub bytes: Vec<u8>,
}

const GITLINK_MODE: &str = "160000";

/// Reads every added, copied, modified or type-changed entry of the index (compared with
/// `HEAD`, or with nothing before the first commit). Submodule entries carry no content and
/// are returned in the second list, to be reported.
pub fn staged_blobs(git: &Git) -> Result<(Vec<StagedBlob>, Vec<String>), GitError> {
    let args = [
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-renames",
        "--no-abbrev",
        "--no-ext-diff",
        "--no-textconv",
        "--diff-filter=ACMT",
    ];
    let raw = git.run(&args)?;
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut submodules = Vec::new();
    let mut fields = raw.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let Some(meta) = fields.next() {
        let parse = |message: &str| GitError::Parse {
            args: args.join(" "),
            message: message.to_string(),
        };
        let path = fields
            .next()
            .ok_or_else(|| parse("a record without a path"))?;
        let meta = std::str::from_utf8(meta).map_err(|_| parse("non-UTF-8 metadata"))?;
        // :old_mode new_mode old_oid new_oid status
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        if parts.len() != 5 {
            return Err(parse(&format!("record {meta:?}")));
        }
        let path = String::from_utf8_lossy(path).into_owned();
        if parts[1] == GITLINK_MODE {
            submodules.push(path);
        } else {
            entries.push((path, parts[3].to_string()));
        }
    }
    if entries.is_empty() {
        return Ok((Vec::new(), submodules));
    }
    let mut request = Vec::new();
    for (_, oid) in &entries {
        request.extend_from_slice(oid.as_bytes());
        request.push(b'\n');
    }
    let out = git.run_with_input(&["cat-file", "--batch"], Some(request))?;
    let contents = parse_batch(&out)?;
    if contents.len() != entries.len() {
        return Err(GitError::Parse {
            args: "cat-file --batch".into(),
            message: format!(
                "asked for {} objects, got {}",
                entries.len(),
                contents.len()
            ),
        });
    }
    let blobs = entries
        .into_iter()
        .zip(contents)
        .map(|((path, oid), bytes)| StagedBlob { path, oid, bytes })
        .collect();
    Ok((blobs, submodules))
}

/// Parses `git cat-file --batch` output: `<oid> <type> <size>\n<bytes>\n` per object.
fn parse_batch(out: &[u8]) -> Result<Vec<Vec<u8>>, GitError> {
    let err = |message: String| GitError::Parse {
        args: "cat-file --batch".into(),
        message,
    };
    let mut objects = Vec::new();
    let mut pos = 0;
    while pos < out.len() {
        let nl =
            memchr::memchr(b'\n', &out[pos..]).ok_or_else(|| err("truncated header".into()))?;
        let header = String::from_utf8_lossy(&out[pos..pos + nl]).into_owned();
        pos += nl + 1;
        let parts: Vec<&str> = header.split(' ').collect();
        if parts.len() == 2 && parts[1] == "missing" {
            return Err(err(format!(
                "object {} is missing from the repository",
                parts[0]
            )));
        }
        if parts.len() != 3 {
            return Err(err(format!("header {header:?}")));
        }
        let size: usize = parts[2]
            .parse()
            .map_err(|_| err(format!("size in {header:?}")))?;
        let end = pos
            .checked_add(size)
            .filter(|&e| e < out.len() && out[e] == b'\n')
            .ok_or_else(|| err(format!("object {} is truncated", parts[0])))?;
        objects.push(out[pos..end].to_vec());
        pos = end + 1;
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_batch_output() {
        let out = b"aaaa blob 3\nabc\nbbbb blob 0\n\n";
        assert_eq!(parse_batch(out).unwrap(), vec![b"abc".to_vec(), Vec::new()]);
        assert!(parse_batch(b"aaaa blob 9\nabc\n").is_err());
        assert!(parse_batch(b"aaaa missing\n").is_err());
    }
}
