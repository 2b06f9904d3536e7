//! Writing `context.tar.zst`: sorted entries with normalized metadata, zstd (multithreaded),
//! and a size guard that counts compressed bytes as they are written and stops as soon as
//! the limit is passed.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::PackageError;

/// zstd level: the command-line tool's default, a good speed/size balance for packs.
pub const ZSTD_LEVEL: i32 = 3;

/// Where an entry's bytes come from.
#[derive(Debug, Clone)]
pub enum Content {
    /// A file whose size and SHA-256 were recorded when it was scanned; both are checked
    /// again while it is archived, so a file changed in between fails the run.
    File {
        path: PathBuf,
        size: u64,
        sha256: String,
    },
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct ArchiveEntry {
    pub name: String,
    pub mode: u32,
    pub content: Content,
}

/// Counts what reaches the file; past `limit`, every write fails and `exceeded` is set.
struct Guard<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
    limit: u64,
    exceeded: Arc<AtomicBool>,
}

impl<W: Write> Write for Guard<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written + buf.len() as u64 > self.limit {
            self.exceeded.store(true, Ordering::Release);
            return Err(io::Error::other("the archive size limit was passed"));
        }
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hashes and counts what is read through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// Writes `entries` (already sorted) to `out` and returns the compressed size and the SHA-256
/// of the archive (computed as it is written, not read back). On any error
/// the partial file is removed; past `limit` compressed bytes the error is
/// [`PackageError::TooLarge`] (the caller adds what made it large).
pub fn write(
    out: &Path,
    entries: &[ArchiveEntry],
    mtime: u64,
    limit: u64,
    threads: u32,
) -> Result<(u64, String), PackageError> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(|e| PackageError::io(out, e))?;
    super::tempdir::register(out);
    let exceeded = Arc::new(AtomicBool::new(false));
    let result = write_into(file, entries, mtime, limit, threads, Arc::clone(&exceeded));
    match result {
        Ok(size) => Ok(size),
        Err(e) => {
            let _ = std::fs::remove_file(out);
            super::tempdir::forget(out);
            if exceeded.load(Ordering::Acquire) {
                Err(PackageError::TooLarge {
                    limit,
                    contributors: Vec::new(),
                })
            } else {
                Err(e)
            }
        }
    }
}

fn write_into(
    file: File,
    entries: &[ArchiveEntry],
    mtime: u64,
    limit: u64,
    threads: u32,
    exceeded: Arc<AtomicBool>,
) -> Result<(u64, String), PackageError> {
    let io_err = |e: io::Error| PackageError::Archive(e.to_string());
    let guard = Guard {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        written: 0,
        limit,
        exceeded,
    };
    let mut zstd = zstd::stream::write::Encoder::new(guard, ZSTD_LEVEL).map_err(io_err)?;
    if threads > 1 {
        zstd.multithread(threads).map_err(io_err)?;
    }
    zstd.include_checksum(true).map_err(io_err)?;
    let mut tar = tar::Builder::new(zstd);
    tar.mode(tar::HeaderMode::Deterministic);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(entry.mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        match &entry.content {
            Content::Bytes(bytes) => {
                header.set_size(bytes.len() as u64);
                tar.append_data(&mut header, &entry.name, bytes.as_slice())
                    .map_err(io_err)?;
            }
            Content::File { path, size, sha256 } => {
                let f = crate::scan::source::open_regular(path)
                    .map_err(|e| PackageError::io(path, e))?;
                let mut reader = Hashing {
                    inner: f.take(*size),
                    hasher: Sha256::new(),
                    read: 0,
                };
                header.set_size(*size);
                tar.append_data(&mut header, &entry.name, &mut reader)
                    .map_err(io_err)?;
                let digest = crate::digest::hex(&reader.hasher.finalize());
                if reader.read != *size || digest != *sha256 {
                    return Err(PackageError::Changed(entry.name.clone()));
                }
            }
        }
    }
    let zstd = tar.into_inner().map_err(io_err)?;
    let mut guard = zstd.finish().map_err(io_err)?;
    guard.flush().map_err(io_err)?;
    let written = guard.written;
    let digest = crate::digest::hex(&guard.hasher.finalize());
    let file = guard
        .inner
        .into_inner()
        .map_err(|e| PackageError::Archive(e.error().to_string()))?;
    file.sync_all().map_err(io_err)?;
    Ok((written, digest))
}

/// Streams a file through SHA-256: `(size, hex digest)`.
pub fn hash_file(path: &Path) -> Result<(u64, String), PackageError> {
    let f = crate::scan::source::open_regular(path).map_err(|e| PackageError::io(path, e))?;
    let mut reader = Hashing {
        inner: f,
        hasher: Sha256::new(),
        read: 0,
    };
    io::copy(&mut reader, &mut io::sink()).map_err(|e| PackageError::io(path, e))?;
    Ok((reader.read, crate::digest::hex(&reader.hasher.finalize())))
}
