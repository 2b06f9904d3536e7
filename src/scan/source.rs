//! Loading an input's bytes: memory-mapped when large, read into a reused buffer when small.
//!
//! This is the crate's only `unsafe` code.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use memmap2::Mmap;

/// Files at least this large are memory-mapped; smaller ones are read (cheaper for them).
pub const MMAP_THRESHOLD: u64 = 256 * 1024;

/// The bytes of one file: a map, or the caller's buffer.
pub enum Loaded<'a> {
    Mapped(Mmap),
    Read(&'a [u8]),
}

impl std::ops::Deref for Loaded<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Loaded::Mapped(m) => m,
            Loaded::Read(b) => b,
        }
    }
}

/// Opens and loads a regular file. `buf` is reused for files below [`MMAP_THRESHOLD`] and
/// when mapping fails.
pub fn load<'a>(path: &Path, buf: &'a mut Vec<u8>) -> io::Result<Loaded<'a>> {
    load_with_threshold(path, buf, MMAP_THRESHOLD)
}

/// [`load`] with another size from which files are mapped (`0`: always map, `u64::MAX`:
/// always read). The scanner uses [`MMAP_THRESHOLD`]; tests use this to run both paths on
/// the same file.
pub fn load_with_threshold<'a>(
    path: &Path,
    buf: &'a mut Vec<u8>,
    mmap_threshold: u64,
) -> io::Result<Loaded<'a>> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (FIFO, socket or device): not scanned",
        ));
    }
    if meta.len() >= mmap_threshold {
        if let Some(map) = map(&file) {
            return Ok(Loaded::Mapped(map));
        }
    }
    read_sized(&mut file, meta.len(), buf)?;
    Ok(Loaded::Read(buf))
}

/// Reads a file whose size is known from its metadata: exactly that many bytes in as few
/// `read` calls as possible (`read_to_end` would stat and seek again), then whatever the file
/// grew by since, so nothing written before the end of the read is left unscanned.
fn read_sized(file: &mut File, len: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    let len = usize::try_from(len).map_err(|_| io::Error::other("file too large for memory"))?;
    buf.clear();
    buf.resize(len, 0);
    let mut filled = 0;
    while filled < len {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break, // shrank since it was stat'ed: scan what is there
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    if filled == len {
        // Appended since the stat? (`read_to_end` would stat and seek again first.)
        let mut more = [0u8; 8192];
        loop {
            match file.read(&mut more) {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(&more[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Maps `file` read-only, or `None` if the platform refuses (the caller then reads it).
#[allow(unsafe_code)]
fn map(file: &File) -> Option<Mmap> {
    // SAFETY: the map is read-only and private to this process, and lives no longer than the
    // scan of this one file. Memory-mapping is unsound only if the file is truncated by
    // another process while mapped: reads past the new end then raise SIGBUS and the process
    // dies. That ends the scan with a non-zero status (never a "clean" result), the same
    // trade-off ripgrep makes; SECURITY.md documents it.
    let map = unsafe { Mmap::map(file) }.ok()?;
    #[cfg(unix)]
    {
        let _ = map.advise(memmap2::Advice::Sequential);
    }
    Some(map)
}

/// Reads at most `limit` bytes from a reader; more is an error (never a silent truncation).
pub fn read_bounded(mut reader: impl Read, limit: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    let read = reader.by_ref().take(limit).read_to_end(buf)?;
    if read as u64 == limit {
        let mut probe = [0u8; 1];
        if reader.read(&mut probe)? != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("input is larger than {limit} bytes: not scanned"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_and_read_files_give_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        let large = dir.path().join("large");
        let content: Vec<u8> = (0..MMAP_THRESHOLD as usize + 4096)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        std::fs::write(&small, &content[..1000]).unwrap();
        std::fs::write(&large, &content).unwrap();
        let mut buf = Vec::new();
        let s = load(&small, &mut buf).unwrap();
        assert!(matches!(s, Loaded::Read(_)));
        assert_eq!(&*s, &content[..1000]);
        let mut buf = Vec::new();
        let l = load(&large, &mut buf).unwrap();
        assert!(matches!(l, Loaded::Mapped(_)));
        assert_eq!(&*l, &content[..]);
        let mut buf = Vec::new();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert!(load(&empty, &mut buf).unwrap().is_empty());
    }

    #[test]
    fn sized_reads_take_what_the_file_holds_now() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"0123456789").unwrap();
        let mut buf = Vec::new();
        // Stat said 4 bytes, the file holds 10 (it grew): all 10 are read.
        read_sized(&mut File::open(&p).unwrap(), 4, &mut buf).unwrap();
        assert_eq!(buf, b"0123456789");
        // Stat said 20, the file holds 10 (it shrank): the 10 are read.
        read_sized(&mut File::open(&p).unwrap(), 20, &mut buf).unwrap();
        assert_eq!(buf, b"0123456789");
    }

    #[test]
    fn bounded_reads_refuse_to_truncate() {
        let mut buf = Vec::new();
        read_bounded(&b"12345"[..], 5, &mut buf).unwrap();
        assert_eq!(buf, b"12345");
        assert!(read_bounded(&b"123456"[..], 5, &mut buf).is_err());
    }
}
