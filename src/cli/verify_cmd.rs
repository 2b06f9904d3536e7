//! `amplihack-remote verify ARCHIVE [--key PUBKEY]`.

use amplihack_remote::output::printable;
use amplihack_remote::package::verify::verify;
use amplihack_remote::scan::exit;

use super::args::VerifyArgs;
use super::key_cmd::trusted_key;

pub fn run(args: VerifyArgs) -> Result<i32, String> {
    let key = trusted_key(args.key.as_deref())?;
    let verified = verify(&args.archive, &key).map_err(|e| e.to_string())?;
    let shown = args.archive.display().to_string();
    if verified.ok() {
        let n = verified.manifest.as_ref().map_or(0, |m| m.entries.len());
        println!(
            "OK: {} is signed by {} and every entry ({n}) matches its manifest.",
            printable(&shown),
            verified.signer
        );
        return Ok(exit::CLEAN);
    }
    println!("FAILED: {} does not verify:", printable(&shown));
    for p in &verified.problems {
        println!("  - {}", printable(p));
    }
    Ok(exit::FINDINGS)
}
