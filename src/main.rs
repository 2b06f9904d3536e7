//! The `amplihack-remote` command: flags, dispatch and exit codes over the library.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
