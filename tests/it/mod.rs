mod cli_scan;
mod corpus;
mod git_scan;
mod outputs;
mod rules;
mod staged;
mod support;
mod suppression;
