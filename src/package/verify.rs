//! `verify`: the signature first, then every entry's size and digest against the manifest,
//! and entries missing or extra; every difference is reported, not only the first.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

use super::manifest::{Manifest, MANIFEST_NAME, MAX_MANIFEST_BYTES};
use super::sign::{public_hex, signature_path, SignatureFile, MAX_SIGNATURE_BYTES};

/// Why an archive could not be checked at all (exit 2); differences are not errors.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

fn io_err(path: &Path, e: io::Error) -> VerifyError {
    VerifyError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Every difference found; empty means the archive is intact and signed by the key.
    pub problems: Vec<String>,
    /// The manifest, if one could be read (trust it only when `problems` is empty).
    pub manifest: Option<Manifest>,
    /// The signature file's digest of the archive.
    pub archive_sha256: String,
    /// The key the signature file names.
    pub signer: String,
}

impl Verified {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks an entry's name: relative, `/`-separated, no `.`/`..`/empty components, UTF-8,
/// and one of the names an archive may hold (`manifest.json`, `repo.bundle`, `.claude/...`).
pub fn check_name(raw: &[u8]) -> Result<String, String> {
    let shown = String::from_utf8_lossy(raw).escape_debug().to_string();
    let name = std::str::from_utf8(raw).map_err(|_| format!("{shown}: name is not UTF-8"))?;
    if name.is_empty() || name.starts_with('/') || name.contains('\\') || name.contains('\0') {
        return Err(format!("{shown}: absolute or malformed path"));
    }
    if name
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(format!(
            "{shown}: path with an empty, `.` or `..` component"
        ));
    }
    if name != MANIFEST_NAME
        && name != super::manifest::BUNDLE_NAME
        && !name.starts_with(".claude/")
    {
        return Err(format!("{shown}: not a name a context archive holds"));
    }
    Ok(name.to_string())
}

/// Only regular files: links, devices, FIFOs, directories and extension headers are refused.
pub fn check_type(name: &str, t: tar::EntryType) -> Result<(), String> {
    if t.is_file() {
        Ok(())
    } else if t.is_symlink() || t.is_hard_link() {
        Err(format!("{name}: a link (links are never extracted)"))
    } else if t.is_character_special() || t.is_block_special() || t.is_fifo() {
        Err(format!("{name}: a device or FIFO"))
    } else {
        Err(format!("{name}: entry type {:?} is not a regular file", t))
    }
}

/// Hashes what is read through it.
pub(crate) struct HashingReader<R> {
    pub inner: R,
    pub hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads and parses `ARCHIVE.sig`.
pub fn read_signature(archive: &Path) -> Result<Result<SignatureFile, String>, VerifyError> {
    let sig_path = signature_path(archive);
    let f = File::open(&sig_path).map_err(|e| io_err(&sig_path, e))?;
    let mut bytes = Vec::new();
    f.take(MAX_SIGNATURE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_err(&sig_path, e))?;
    if bytes.len() as u64 > MAX_SIGNATURE_BYTES {
        return Ok(Err(format!("{} is too large", sig_path.display())));
    }
    Ok(SignatureFile::parse(&bytes))
}

/// What one pass over the archive's entries saw.
pub(crate) struct Seen {
    pub entries: BTreeMap<String, (u64, String)>,
    pub manifest: Option<(Manifest, String)>,
    pub problems: Vec<String>,
}

/// How many decompressed bytes the entry pass reads from an archive that is not signed by the
/// trusted key, to name what differs: past this, a zstd bomb (a few megabytes that decompress
/// to terabytes) would cost hours; the archive is refused anyway.
pub const MAX_UNTRUSTED_DECOMPRESSED: u64 = 64 << 20;

/// A reader that fails once more than `left` bytes were asked of it.
struct Budget<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other(format!(
                "more than {MAX_UNTRUSTED_DECOMPRESSED} bytes decompressed from an archive that is not signed by the trusted key: not read further"
            )));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Streams the archive once: each entry's name and type checked, size and SHA-256 computed,
/// the manifest read (bounded). Decoding errors are problems, not panics. `budget` bounds the
/// decompressed bytes read (for an archive that failed its signature check).
pub(crate) fn scan_entries(archive: &Path, budget: Option<u64>) -> Result<Seen, VerifyError> {
    let file = File::open(archive).map_err(|e| io_err(archive, e))?;
    let mut seen = Seen {
        entries: BTreeMap::new(),
        manifest: None,
        problems: Vec::new(),
    };
    let decoder = match zstd::stream::read::Decoder::new(file) {
        Ok(d) => d,
        Err(e) => {
            seen.problems.push(format!("the archive is not zstd: {e}"));
            return Ok(seen);
        }
    };
    let mut tar = tar::Archive::new(Budget {
        inner: decoder,
        left: budget.unwrap_or(u64::MAX),
    });
    let entries = match tar.entries() {
        Ok(e) => e,
        Err(e) => {
            seen.problems
                .push(format!("the archive cannot be read: {e}"));
            return Ok(seen);
        }
    };
    let mut names = HashSet::new();
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                seen.problems.push(format!(
                    "the archive cannot be decoded past this point: {e}"
                ));
                break;
            }
        };
        let name = match check_name(&entry.path_bytes()) {
            Ok(n) => n,
            Err(p) => {
                seen.problems.push(format!("refused entry {p}"));
                continue;
            }
        };
        if let Err(p) = check_type(&name, entry.header().entry_type()) {
            seen.problems.push(format!("refused entry {p}"));
            continue;
        }
        if !names.insert(name.clone()) {
            seen.problems
                .push(format!("refused entry {name}: it appears more than once"));
            continue;
        }
        let result = if name == MANIFEST_NAME {
            let mut bytes = Vec::new();
            (&mut entry)
                .take(MAX_MANIFEST_BYTES + 1)
                .read_to_end(&mut bytes)
                .map(|_| {
                    let sha = crate::digest::sha256_hex(&bytes);
                    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
                        seen.problems.push("manifest.json is too large".into());
                    } else {
                        match Manifest::parse(&bytes) {
                            Ok(m) => seen.manifest = Some((m, sha.clone())),
                            Err(e) => seen
                                .problems
                                .push(format!("manifest.json is not a valid manifest: {e}")),
                        }
                    }
                    (bytes.len() as u64, sha)
                })
        } else {
            let mut r = HashingReader {
                inner: &mut entry,
                hasher: Sha256::new(),
            };
            io::copy(&mut r, &mut io::sink()).map(|n| (n, crate::digest::hex(&r.hasher.finalize())))
        };
        match result {
            Ok(v) => {
                seen.entries.insert(name, v);
            }
            Err(e) => {
                seen.problems.push(format!("{name}: cannot be read: {e}"));
                break;
            }
        }
    }
    Ok(seen)
}

/// Verifies `archive` with its `ARCHIVE.sig` against the `trusted` key.
pub fn verify(archive: &Path, trusted: &VerifyingKey) -> Result<Verified, VerifyError> {
    let mut problems = Vec::new();
    let sig = read_signature(archive)?;
    // The whole file's digest.
    let file = File::open(archive).map_err(|e| io_err(archive, e))?;
    let mut r = HashingReader {
        inner: file,
        hasher: Sha256::new(),
    };
    io::copy(&mut r, &mut io::sink()).map_err(|e| io_err(archive, e))?;
    let archive_sha = crate::digest::hex(&r.hasher.finalize());
    let mut signer = String::new();
    let mut signed_manifest = None;
    let mut trusted_bytes = false;
    match &sig {
        Err(e) => problems.push(format!("the signature file is not valid: {e}")),
        Ok(sig) => {
            signer = sig.public_key.clone();
            if !sig.verifies_with(trusted) {
                problems.push(if sig.public_key == public_hex(trusted) {
                    "the signature does not verify: the signature file was altered".to_string()
                } else {
                    format!(
                        "the signature does not verify with the trusted key {} (the signature file names key {})",
                        public_hex(trusted),
                        sig.public_key
                    )
                });
            }
            if sig.archive_sha256 != archive_sha {
                problems.push(format!(
                    "the archive's SHA-256 is {archive_sha}, but the signed one is {}: the archive was changed after it was signed",
                    sig.archive_sha256
                ));
            }
            signed_manifest = Some(sig.manifest_sha256.clone());
            trusted_bytes = sig.verifies_with(trusted) && sig.archive_sha256 == archive_sha;
        }
    }
    // The bytes the trusted key signed are read in full; anything else only far enough to
    // say what differs.
    let seen = scan_entries(
        archive,
        (!trusted_bytes).then_some(MAX_UNTRUSTED_DECOMPRESSED),
    )?;
    problems.extend(seen.problems);
    let manifest = match seen.manifest {
        None => {
            problems.push("manifest.json is missing".into());
            None
        }
        Some((m, sha)) => {
            if let Some(signed) = &signed_manifest {
                if *signed != sha {
                    problems.push(format!(
                        "manifest.json's SHA-256 is {sha}, but the signed one is {signed}: the manifest was edited"
                    ));
                }
            }
            compare(&m, &seen.entries, &mut problems);
            Some(m)
        }
    };
    Ok(Verified {
        problems,
        manifest,
        archive_sha256: archive_sha,
        signer,
    })
}

/// Every entry against the manifest: missing, extra, size, digest.
fn compare(m: &Manifest, seen: &BTreeMap<String, (u64, String)>, problems: &mut Vec<String>) {
    let mut declared = HashSet::new();
    for e in &m.entries {
        declared.insert(e.path.as_str());
        match seen.get(&e.path) {
            None => problems.push(format!(
                "{}: listed in the manifest, missing from the archive",
                e.path
            )),
            Some((size, sha)) => {
                if *size != e.size {
                    problems.push(format!(
                        "{}: size is {size} bytes, the manifest says {}",
                        e.path, e.size
                    ));
                }
                if *sha != e.sha256 {
                    problems.push(format!(
                        "{}: SHA-256 is {sha}, the manifest says {}",
                        e.path, e.sha256
                    ));
                }
            }
        }
    }
    for name in seen.keys() {
        if name != MANIFEST_NAME && !declared.contains(name.as_str()) {
            problems.push(format!(
                "{name}: in the archive, not listed in the manifest"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name(b".claude/settings.json").is_ok());
        assert!(check_name(b"repo.bundle").is_ok());
        for bad in [
            &b"/etc/passwd"[..],
            b"../x",
            b".claude/../../x",
            b".claude//x",
            b".claude/./x",
            b"other.txt",
            b".claude\\x",
            b"\xff",
            b"",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
