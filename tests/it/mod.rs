mod cli_scan;
mod corpus;
mod outputs;
mod rules;
mod staged;
mod support;
mod suppression;
