//! `amplihack-remote unpack ARCHIVE DIR [--key PUBKEY]`.

use amplihack_remote::output::printable;
use amplihack_remote::package::unpack::{unpack, UnpackError};
use amplihack_remote::scan::exit;

use super::args::UnpackArgs;
use super::key_cmd::trusted_key;

pub fn run(args: UnpackArgs) -> Result<i32, String> {
    let key = trusted_key(args.key.as_deref())?;
    match unpack(&args.archive, &args.dir, &key) {
        Ok(n) => {
            println!(
                "Unpacked {n} files into {}.",
                printable(&args.dir.display().to_string())
            );
            Ok(exit::CLEAN)
        }
        Err(e @ (UnpackError::Refused(_) | UnpackError::Entry(_))) => {
            println!("REFUSED: {}", printable(&e.to_string()));
            Ok(exit::FINDINGS)
        }
        Err(e) => Err(e.to_string()),
    }
}
