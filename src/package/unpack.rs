//! `unpack`: verify first, then extract in a second streaming pass that checks every entry
//! again against the (now trusted) manifest: a relative, clean name, a regular file, listed
//! once, no larger than declared, with the declared digest. Links are never created or
//! followed; memory stays bounded (one buffer per copy).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

use super::verify::{check_name, check_type, verify, HashingReader, VerifyError};

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// The archive failed verification: nothing was extracted (exit 1).
    #[error("the archive failed verification; nothing was extracted:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Refused(Vec<String>),
    /// An entry was refused during extraction; what was extracted was removed (exit 1).
    #[error("refused entry {0}; what had been extracted was removed")]
    Entry(String),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

fn io_err(path: &Path, e: io::Error) -> UnpackError {
    UnpackError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Verifies `archive`, then extracts it into `dir` (which must not exist, or be an empty
/// directory). Returns the number of files written.
pub fn unpack(archive: &Path, dir: &Path, trusted: &VerifyingKey) -> Result<usize, UnpackError> {
    let verified = verify(archive, trusted)?;
    if !verified.ok() {
        return Err(UnpackError::Refused(verified.problems));
    }
    let Some(manifest) = verified.manifest else {
        return Err(UnpackError::Refused(
            vec!["manifest.json is missing".into()],
        ));
    };
    let created = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
            // Ctrl-C while extracting removes what was written.
            super::tempdir::install_interrupt_handler();
            super::tempdir::register(dir);
            true
        }
        Err(e) => return Err(io_err(dir, e)),
        Ok(m) if !m.is_dir() => {
            return Err(UnpackError::Io {
                path: dir.display().to_string(),
                message: "exists and is not a directory (links are not followed)".into(),
            })
        }
        Ok(_) => {
            let mut it = std::fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
            if it.next().is_some() {
                return Err(UnpackError::Io {
                    path: dir.display().to_string(),
                    message: "is not empty: unpack into a new or empty directory".into(),
                });
            }
            false
        }
    };
    let declared: HashMap<&str, (&str, u64, u32)> = manifest
        .entries
        .iter()
        .map(|e| (e.path.as_str(), (e.sha256.as_str(), e.size, e.mode)))
        .collect();
    let result = extract(archive, dir, &declared, &verified.archive_sha256);
    if created {
        super::tempdir::forget(dir);
    }
    if result.is_err() {
        // Leave nothing half-extracted behind.
        if created {
            let _ = std::fs::remove_dir_all(dir);
        } else if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                match e.file_type() {
                    Ok(t) if t.is_dir() => {
                        let _ = std::fs::remove_dir_all(&p);
                    }
                    _ => {
                        let _ = std::fs::remove_file(&p);
                    }
                }
            }
        }
    }
    result
}

fn extract(
    archive: &Path,
    dir: &Path,
    declared: &HashMap<&str, (&str, u64, u32)>,
    archive_sha: &str,
) -> Result<usize, UnpackError> {
    let file = File::open(archive).map_err(|e| io_err(archive, e))?;
    // The archive is hashed again as it is extracted: if it was swapped after verification,
    // the digests of its entries or of the whole file give it away.
    let mut whole = HashingReader {
        inner: file,
        hasher: Sha256::new(),
    };
    let decoder = zstd::stream::read::Decoder::new(&mut whole).map_err(|e| io_err(archive, e))?;
    let mut tar = tar::Archive::new(decoder);
    let mut written = HashSet::new();
    let mut count = 0;
    for entry in tar.entries().map_err(|e| io_err(archive, e))? {
        let mut entry = entry.map_err(|e| io_err(archive, e))?;
        let name = check_name(&entry.path_bytes()).map_err(UnpackError::Entry)?;
        check_type(&name, entry.header().entry_type()).map_err(UnpackError::Entry)?;
        if !written.insert(name.clone()) {
            return Err(UnpackError::Entry(format!(
                "{name}: it appears more than once"
            )));
        }
        if name == super::manifest::MANIFEST_NAME {
            io::copy(&mut entry, &mut io::sink()).map_err(|e| io_err(archive, e))?;
            continue;
        }
        let Some(&(sha, size, mode)) = declared.get(name.as_str()) else {
            return Err(UnpackError::Entry(format!(
                "{name}: not listed in the manifest"
            )));
        };
        let header_size = entry.header().size().map_err(|e| io_err(archive, e))?;
        if header_size > size {
            return Err(UnpackError::Entry(format!(
                "{name}: {header_size} bytes, more than the {size} declared"
            )));
        }
        let target = prepare(dir, &name)?;
        let mut options = std::fs::OpenOptions::new();
        // create_new: O_CREAT|O_EXCL never follows a link planted at the target.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if mode == 0o755 { 0o755 } else { 0o644 });
        }
        let out = options.open(&target).map_err(|e| io_err(&target, e))?;
        let mut out = io::BufWriter::new(out);
        let mut r = HashingReader {
            inner: (&mut entry).take(size + 1),
            hasher: Sha256::new(),
        };
        let n = io::copy(&mut r, &mut out).map_err(|e| io_err(&target, e))?;
        out.flush().map_err(|e| io_err(&target, e))?;
        if n > size {
            return Err(UnpackError::Entry(format!(
                "{name}: larger than the {size} bytes declared"
            )));
        }
        let got = crate::digest::hex(&r.hasher.finalize());
        if n != size || got != sha {
            return Err(UnpackError::Entry(format!(
                "{name}: content differs from the manifest (the archive changed after verification)"
            )));
        }
        count += 1;
    }
    drop(tar);
    io::copy(&mut whole, &mut io::sink()).map_err(|e| io_err(archive, e))?;
    if crate::digest::hex(&whole.hasher.finalize()) != archive_sha {
        return Err(UnpackError::Entry(
            "the archive changed after verification".into(),
        ));
    }
    for name in declared.keys() {
        if !written.contains(*name) {
            return Err(UnpackError::Entry(format!(
                "{name}: missing from the archive"
            )));
        }
    }
    Ok(count)
}

/// Creates the parent directories of `name` under `dir`, refusing any component that exists
/// and is not a real directory (a link planted in `dir` is never followed).
fn prepare(dir: &Path, name: &str) -> Result<PathBuf, UnpackError> {
    let parts: Vec<&str> = name.split('/').collect();
    let mut path = dir.to_path_buf();
    for part in &parts[..parts.len() - 1] {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(UnpackError::Entry(format!(
                    "{name}: {} exists and is not a directory",
                    path.display()
                )))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir(&path).map_err(|e| io_err(&path, e))?
            }
            Err(e) => return Err(io_err(&path, e)),
        }
    }
    path.push(parts[parts.len() - 1]);
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar.zst with one raw entry (name written without the tar crate's checks).
    fn one_entry(name: &[u8], kind: tar::EntryType, data: &[u8], link: &[u8]) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
        h.set_entry_type(kind);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_cksum();
        let mut out = h.as_bytes().to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
        zstd::encode_all(out.as_slice(), 1).unwrap()
    }

    /// The extraction pass refuses on its own, whatever verification said: defence in depth
    /// against an archive swapped between the two passes.
    #[test]
    fn extraction_checks_every_entry_itself() {
        let work = tempfile::tempdir().unwrap();
        let archive = work.path().join("a.tar.zst");
        let dir = work.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        let data = b"data";
        let sha = crate::digest::sha256_hex(data);
        type Case<'a> = (&'a [u8], tar::EntryType, &'a [u8], u64, &'a str);
        let cases: Vec<Case> = vec![
            (b"../x", tar::EntryType::Regular, b"", 4, "`..`"),
            (b"/abs", tar::EntryType::Regular, b"", 4, "absolute"),
            (b".claude/l", tar::EntryType::Symlink, b"/etc", 4, "a link"),
            (b".claude/d", tar::EntryType::Char, b"", 4, "device"),
            (
                b".claude/big",
                tar::EntryType::Regular,
                b"",
                2,
                "more than the 2 declared",
            ),
        ];
        for (name, kind, link, declared_size, why) in cases {
            std::fs::write(&archive, one_entry(name, kind, data, link)).unwrap();
            let declared_name = String::from_utf8_lossy(name).into_owned();
            let declared: HashMap<&str, (&str, u64, u32)> =
                [(declared_name.as_str(), (sha.as_str(), declared_size, 0o644))].into();
            let err = extract(&archive, &dir, &declared, "").unwrap_err();
            assert!(err.to_string().contains(why), "{why}: {err}");
        }
        assert!(!work.path().join("x").exists());
    }
}
