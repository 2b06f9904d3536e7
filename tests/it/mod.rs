mod cli_scan;
mod corpus;
mod fuzz_replay;
mod git_scan;
mod outputs;
mod package;
mod precision;
mod properties;
mod rules;
#[cfg(feature = "exec")]
mod run_e2e;
mod staged;
mod standin;
mod support;
mod suppression;
mod unpack;
