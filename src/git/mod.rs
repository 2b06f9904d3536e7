//! The user's `git`, through one wrapper ([`Git`]), and what the scanner reads from it.

mod command;
mod staged;

pub use command::{Git, GitError, GIT_ENV_OVERRIDE};
pub use staged::{staged_blobs, StagedBlob};
