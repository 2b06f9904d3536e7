//! A private temporary directory (mode 0700) that is removed on success, on failure (drop) and
//! on Ctrl-C or SIGTERM.
//!
//! The signal handler comes from the `ctrlc` crate: it runs on an ordinary thread (signals
//! only wake it through a pipe), so removing a directory there is safe, unlike inside a raw
//! signal handler. It removes every registered directory and partial output, then exits 130.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

/// Paths to remove if the process is interrupted.
static CLEANUP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// Exit code after Ctrl-C (128 + SIGINT), as shells report it.
pub const INTERRUPTED: i32 = 130;

/// Installs the Ctrl-C / SIGTERM handler once. A failure to install it is not fatal: the
/// directory is still removed on every other path out.
pub fn install_interrupt_handler() {
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            remove_registered();
            eprintln!("Interrupted: temporary files removed.");
            std::process::exit(INTERRUPTED);
        });
    });
}

/// Keeps the default handler (remove, then exit 130) from ever being installed: for a caller
/// that handles Ctrl-C itself (`run` must delete a VM before it exits) and calls
/// [`remove_registered`] on its own way out. Returns false if the default handler was
/// already installed.
pub fn take_over_interrupts() -> bool {
    let mut taken = false;
    HANDLER.call_once(|| taken = true);
    taken
}

/// Removes every registered directory and partial output now.
pub fn remove_registered() {
    let paths = match CLEANUP.lock() {
        Ok(mut g) => std::mem::take(&mut *g),
        Err(p) => std::mem::take(&mut *p.into_inner()),
    };
    for p in paths {
        remove(&p);
    }
}

fn remove(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            let _ = std::fs::remove_dir_all(p);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(p);
        }
        Err(_) => {}
    }
}

/// Registers `path` for removal on interruption (until [`forget`] is called).
pub fn register(path: &Path) {
    if let Ok(mut g) = CLEANUP.lock() {
        g.push(path.to_path_buf());
    }
}

/// Stops tracking `path` (it was removed, or it is the finished output).
pub fn forget(path: &Path) {
    if let Ok(mut g) = CLEANUP.lock() {
        g.retain(|p| p != path);
    }
}

/// A directory only the current user can enter, removed when dropped.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Creates `<parent>/<prefix>-<pid>-<random>` with mode 0700 (`create_dir` fails if the
    /// name exists, so a pre-planted directory or link is never reused).
    pub fn new_in(parent: &Path, prefix: &str) -> std::io::Result<PrivateDir> {
        install_interrupt_handler();
        for _ in 0..8 {
            let mut random = [0u8; 8];
            getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
            let path = parent.join(format!(
                "{prefix}-{}-{}",
                std::process::id(),
                crate::digest::hex(&random)
            ));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            match builder.create(&path) {
                Ok(()) => {
                    register(&path);
                    return Ok(PrivateDir { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(
            "could not pick a fresh temporary directory name",
        ))
    }

    /// In the system's temporary directory (`TMPDIR`).
    pub fn new(prefix: &str) -> std::io::Result<PrivateDir> {
        PrivateDir::new_in(&std::env::temp_dir(), prefix)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        remove(&self.path);
        forget(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_removed_on_drop() {
        let d = PrivateDir::new("amplihack-remote-test").unwrap();
        let p = d.path().to_path_buf();
        std::fs::write(p.join("x"), b"x").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        drop(d);
        assert!(!p.exists());
    }
}
