//! `amplihack-remote key`: the public key that signs context archives.

use amplihack_remote::package::sign::{config_dir, load_or_create, public_hex, KEY_FILE};
use amplihack_remote::scan::exit;

pub fn run() -> Result<i32, String> {
    let dir = config_dir().map_err(|e| e.to_string())?;
    let repo = std::env::current_dir()
        .ok()
        .and_then(|d| amplihack_remote::config::repo_root(&d));
    let key = load_or_create(&dir, repo.as_deref()).map_err(|e| e.to_string())?;
    println!("{}", public_hex(&key.verifying_key()));
    eprintln!("(private key: {})", dir.join(KEY_FILE).display());
    Ok(exit::CLEAN)
}

/// The trusted key for `verify`/`unpack`: `--key`, else this machine's own key.
pub fn trusted_key(arg: Option<&str>) -> Result<ed25519_dalek::VerifyingKey, String> {
    if let Some(k) = arg {
        return amplihack_remote::package::sign::parse_public(k).map_err(|e| format!("--key: {e}"));
    }
    let dir = config_dir().map_err(|e| e.to_string())?;
    amplihack_remote::package::sign::existing_public(&dir)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            "no trusted key: pass --key PUBKEY (the output of `amplihack-remote key` on the machine that packaged the archive)".to_string()
        })
}
