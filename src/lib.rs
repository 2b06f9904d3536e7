//! # amplihack-remote
//!
//! A security-first secret scanner (`scan`), and the gate of the context packager that ships
//! a repository to a disposable Azure VM for an autonomous amplihack run.
//!
//! The library holds the engine; the `amplihack-remote` binary adds flags, printing and exit
//! codes. See [`scan`] for the scanner API and `docs/rules.md` for the rule format.
//!
//! ## Untrusted input
//! Files, rule and config files and git objects are treated as hostile: regexes are byte
//! regexes with size limits, run only in bounded windows, so scanning time is linear in the
//! input; reads from stdin and config files are bounded; nothing panics on odd bytes.

#![deny(unsafe_code)]

pub mod config;
pub mod digest;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod output;
pub mod package;
#[cfg(feature = "exec")]
pub mod remote;
pub mod scan;
