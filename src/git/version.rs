//! The version of the user's git, for the packager's preflight and feature choices.

use std::fmt;

use super::command::{Git, GitError};

/// `major.minor.patch` of `git --version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GitVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl GitVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        GitVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses `git version 2.47.3` (also `2.39.3 (Apple Git-146)`, `2.45.1.windows.1`).
    pub fn parse(text: &str) -> Option<GitVersion> {
        let rest = text.trim().strip_prefix("git version ")?;
        let mut nums = rest
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|n| n.parse::<u32>().ok());
        let major = nums.next()??;
        let minor = nums.next()??;
        let patch = nums.next().flatten().unwrap_or(0);
        Some(GitVersion::new(major, minor, patch))
    }

    /// Asks `git --version`, once per git program and process (a git start costs
    /// milliseconds, and a `package` asks several times).
    pub fn of(git: &Git) -> Result<GitVersion, GitError> {
        use std::collections::HashMap;
        use std::path::PathBuf;
        use std::sync::{Mutex, OnceLock};
        static KNOWN: OnceLock<Mutex<HashMap<PathBuf, GitVersion>>> = OnceLock::new();
        let known = KNOWN.get_or_init(Default::default);
        if let Some(v) = known
            .lock()
            .ok()
            .and_then(|k| k.get(git.program()).copied())
        {
            return Ok(v);
        }
        let v = GitVersion::ask(git)?;
        if let Ok(mut k) = known.lock() {
            k.insert(git.program().to_path_buf(), v);
        }
        Ok(v)
    }

    fn ask(git: &Git) -> Result<GitVersion, GitError> {
        let out = git.run(&["--version"])?;
        let text = String::from_utf8_lossy(&out);
        GitVersion::parse(&text).ok_or_else(|| GitError::Parse {
            args: "--version".into(),
            message: format!("{:?}", text.trim()),
        })
    }
}

impl fmt::Display for GitVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            GitVersion::parse("git version 2.47.3\n"),
            Some(GitVersion::new(2, 47, 3))
        );
        assert_eq!(
            GitVersion::parse("git version 2.39.3 (Apple Git-146)"),
            Some(GitVersion::new(2, 39, 3))
        );
        assert_eq!(
            GitVersion::parse("git version 2.45.1.windows.1"),
            Some(GitVersion::new(2, 45, 1))
        );
        assert_eq!(
            GitVersion::parse("git version 2.30"),
            Some(GitVersion::new(2, 30, 0))
        );
        assert_eq!(GitVersion::parse("hello"), None);
        assert!(GitVersion::new(2, 29, 9) < GitVersion::new(2, 30, 0));
    }
}
