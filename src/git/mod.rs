//! The user's `git`, through one wrapper ([`Git`]), and what the scanner reads from it: the
//! staged blobs, and every blob of the history.

mod attribution;
pub mod blob_paths;
mod command;
pub mod history;
mod history_scan;
pub mod pack;
pub mod scan_cache;
mod staged;
mod version;

pub use attribution::first_commits;
pub use command::{Git, GitError, GIT_ENV_OVERRIDE};
pub use history::{for_each_reachable_blob, reachable_blobs, stream_blob_batches, HistoryBlob};
pub use history_scan::{scan_history, scan_history_flagging, HistoryStats, LARGEST_KEPT};
pub use staged::{staged_blobs, StagedBlob};
pub use version::GitVersion;
