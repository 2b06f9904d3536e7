mod cli_scan;
mod corpus;
mod fuzz_replay;
mod git_scan;
mod hostile;
mod hostile_git;
#[cfg(feature = "exec")]
mod hostile_results;
mod outputs;
mod pack_reader;
mod package;
mod precision;
mod properties;
mod rules;
#[cfg(feature = "exec")]
mod run_e2e;
#[cfg(feature = "exec")]
mod run_faults;
mod staged;
mod standin;
mod support;
mod suppression;
mod unpack;
