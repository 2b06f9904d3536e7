//! Loading an input's bytes: memory-mapped when large, read into a reused buffer when small.
//!
//! This is the crate's only `unsafe` code: the memory map, and the SIGBUS handler that makes
//! a mapped file truncated during its scan end the process with status 2 and a message.

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
    let mut file = open_nonblocking(path)?;
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

/// Opens `path` for reading without blocking: the walker saw a regular file, but by the time
/// it is opened it may have been replaced by a FIFO (whose plain `open` waits for a writer,
/// forever) or a device. `O_NONBLOCK` makes that open return at once; the type check that
/// follows then refuses it. It changes nothing for regular files. `O_NOCTTY`: a terminal
/// swapped in never becomes our controlling terminal.
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Opens `path` with [`open_nonblocking`] and refuses anything but a regular file.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = open_nonblocking(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (FIFO, socket or device)",
        ));
    }
    Ok(file)
}

/// Reads a regular file that was listed with `expected` bytes: at most `expected + 1` bytes
/// are read, so a file that grew (or was replaced by a huge one) since is caught without
/// reading it all; the caller compares the length.
pub fn read_regular(path: &Path, expected: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(expected.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a file whose size is known from its metadata: exactly that many bytes in as few
/// `read` calls as possible (`read_to_end` would stat and seek again), then whatever the file
/// grew by since, so nothing written before the end of the read is left unscanned.
fn read_sized(file: &mut File, len: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    let len = usize::try_from(len).map_err(|_| io::Error::other("file too large for memory"))?;
    buf.clear();
    buf.reserve(len);
    // Into the spare capacity, never zeroed first (a file that shrank since it was stat'ed
    // gives what is there).
    (&mut *file).take(len as u64).read_to_end(buf)?;
    if buf.len() == len {
        // Appended since the stat? One small probe (`read_to_end` would stat and seek again
        // first); only a file that did grow is read on to its new end.
        let mut probe = [0u8; 32];
        loop {
            match file.read(&mut probe) {
                Ok(0) => break,
                Ok(n) => {
                    buf.extend_from_slice(&probe[..n]);
                    file.read_to_end(buf)?;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// What the SIGBUS handler writes to stderr before exiting with status 2.
pub const SIGBUS_MESSAGE: &str = "\nERROR: an input was truncated by another process while it was memory-mapped and scanned (SIGBUS): the scan stopped and is incomplete; nothing was reported. Re-run it once the files are no longer being changed.\n";

/// Turns the SIGBUS of a mapped file truncated under us into exit status 2 (incomplete) with
/// a message, instead of a death by signal. Installed once, before the first map.
#[cfg(unix)]
#[allow(unsafe_code)]
fn install_sigbus_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        extern "C" fn on_sigbus(_: libc::c_int) {
            // SAFETY: write(2) and _exit(2) are async-signal-safe; the message is static.
            unsafe {
                libc::write(2, SIGBUS_MESSAGE.as_ptr().cast(), SIGBUS_MESSAGE.len());
                libc::_exit(2);
            }
        }
        // SAFETY: a zeroed sigaction is valid; the handler only calls async-signal-safe
        // functions. If installing fails, SIGBUS keeps its default action (death by signal,
        // still never a clean result).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

/// Maps `file` read-only, or `None` if the platform refuses (the caller then reads it).
#[allow(unsafe_code)]
fn map(file: &File) -> Option<Mmap> {
    #[cfg(unix)]
    install_sigbus_handler();
    // SAFETY: the map is read-only and private to this process, and lives no longer than the
    // scan of this one file. Memory-mapping is unsound only if the file is truncated by
    // another process while mapped: reads past the new end then raise SIGBUS. The handler
    // above ends the process at once with status 2 and a message (never a "clean" result,
    // no report); SECURITY.md documents it.
    let map = unsafe { Mmap::map(file) }.ok()?;
    #[cfg(unix)]
    {
        let _ = map.advise(memmap2::Advice::Sequential);
    }
    Some(map)
}

/// Maps a whole file read-only, for readers that keep it open longer than one scan (the pack
/// reader, `git::pack`): the same map and SIGBUS handler as [`load`] uses.
pub(crate) fn map_readonly(file: &File) -> io::Result<Mmap> {
    map(file).ok_or_else(|| io::Error::other("the file cannot be memory-mapped"))
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

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pipe");
        assert!(std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success());
        // A plain open would block here until a writer comes (the test would hang).
        let mut buf = Vec::new();
        let err = load(&p, &mut buf).err().expect("a FIFO is refused");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn bounded_reads_refuse_to_truncate() {
        let mut buf = Vec::new();
        read_bounded(&b"12345"[..], 5, &mut buf).unwrap();
        assert_eq!(buf, b"12345");
        assert!(read_bounded(&b"123456"[..], 5, &mut buf).is_err());
    }
}
