mod cli_scan;
mod corpus;
mod outputs;
mod precision;
mod rules;
mod staged;
mod support;
mod suppression;
