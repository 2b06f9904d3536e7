//! The Ed25519 signing key and `context.tar.zst.sig`.
//!
//! The key is created on first use in the user's configuration directory
//! (`$AMPLIHACK_REMOTE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/amplihack-remote`, else
//! `~/.config/amplihack-remote`), from the operating system's randomness, in a file only the
//! user can read (0600). It is never created inside the repository being packaged.
//!
//! The signature covers a domain-separation tag, the manifest's SHA-256 and the archive's
//! SHA-256: the archive digest pins every byte, the manifest digest says which manifest the
//! signer meant.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Overrides the configuration directory (tests, CI).
pub const CONFIG_DIR_ENV: &str = "AMPLIHACK_REMOTE_CONFIG_DIR";
/// File names in the configuration directory.
pub const KEY_FILE: &str = "signing-key";
pub const PUBLIC_KEY_FILE: &str = "signing-key.pub";
/// The `format` of signature files.
pub const SIGNATURE_FORMAT: &str = "amplihack-remote/signature/v1";
/// Signature files larger than this are refused.
pub const MAX_SIGNATURE_BYTES: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no configuration directory: set {CONFIG_DIR_ENV}, XDG_CONFIG_HOME or HOME")]
    NoConfigDir,
    #[error("the signing key would be created inside the repository ({0}); set {CONFIG_DIR_ENV} to a directory outside it")]
    InsideRepository(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path} is readable by other users (mode {mode:o}).\n\nAction required:\n  1. chmod 600 {path}\n  2. If others may have read it, delete it: a new key is made on next use")]
    Permissions { path: String, mode: u32 },
    #[error("{path} does not hold a valid key: {message}")]
    Invalid { path: String, message: String },
}

fn io(path: &Path, e: std::io::Error) -> KeyError {
    KeyError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The configuration directory, from the environment.
pub fn config_dir() -> Result<PathBuf, KeyError> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var(CONFIG_DIR_ENV) {
        return Ok(d);
    }
    if let Some(d) = var("XDG_CONFIG_HOME") {
        return Ok(d.join("amplihack-remote"));
    }
    var("HOME")
        .map(|h| h.join(".config").join("amplihack-remote"))
        .ok_or(KeyError::NoConfigDir)
}

/// Hex of a public key.
pub fn public_hex(key: &VerifyingKey) -> String {
    crate::digest::hex(key.as_bytes())
}

/// Parses a public key given as 64 hex digits, or a file holding them.
pub fn parse_public(text_or_path: &str) -> Result<VerifyingKey, String> {
    let text = if Path::new(text_or_path).is_file() {
        std::fs::read_to_string(text_or_path).map_err(|e| format!("{text_or_path}: {e}"))?
    } else {
        text_or_path.to_string()
    };
    let bytes = from_hex(text.trim()).ok_or("a public key is 64 hexadecimal digits")?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "a public key is 64 hexadecimal digits".to_string())?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| format!("not an Ed25519 public key: {e}"))
}

pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The signing key of `dir`, created if missing. `repo`: refuse if `dir` lies inside it.
pub fn load_or_create(dir: &Path, repo: Option<&Path>) -> Result<SigningKey, KeyError> {
    let key_path = dir.join(KEY_FILE);
    if let Some(repo) = repo {
        let inside = |d: &Path| -> bool {
            let canon_repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
            let mut probe = d.to_path_buf();
            // The nearest existing ancestor, canonicalized, plus the rest.
            let mut rest = Vec::new();
            while !probe.exists() {
                match (probe.file_name(), probe.parent()) {
                    (Some(n), Some(p)) => {
                        rest.push(n.to_os_string());
                        probe = p.to_path_buf();
                    }
                    _ => break,
                }
            }
            let mut full = probe.canonicalize().unwrap_or(probe);
            for n in rest.into_iter().rev() {
                full.push(n);
            }
            full.starts_with(&canon_repo)
        };
        let abs = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(dir)
        };
        if inside(&abs) {
            return Err(KeyError::InsideRepository(abs.display().to_string()));
        }
    }
    if key_path.exists() {
        return load(&key_path);
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| io(dir, e))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Io {
        path: key_path.display().to_string(),
        message: format!("no randomness from the operating system: {e}"),
    })?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        use std::io::Write;
        let mut f = options.open(&key_path).map_err(|e| io(&key_path, e))?;
        f.write_all(format!("{}\n", crate::digest::hex(&key.to_bytes())).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| io(&key_path, e))?;
    }
    let pub_path = dir.join(PUBLIC_KEY_FILE);
    std::fs::write(&pub_path, format!("{}\n", public_hex(&key.verifying_key())))
        .map_err(|e| io(&pub_path, e))?;
    Ok(key)
}

fn load(path: &Path) -> Result<SigningKey, KeyError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.display().to_string(),
                mode,
            });
        }
    }
    if meta.len() > 1024 {
        return Err(KeyError::Invalid {
            path: path.display().to_string(),
            message: "too large".into(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let invalid = || KeyError::Invalid {
        path: path.display().to_string(),
        message: "expected 64 hexadecimal digits".into(),
    };
    let bytes: [u8; 32] = from_hex(text.trim())
        .ok_or_else(invalid)?
        .try_into()
        .map_err(|_| invalid())?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// The public key of the configured key, if one exists (never creates it).
pub fn existing_public(dir: &Path) -> Result<Option<VerifyingKey>, KeyError> {
    let key_path = dir.join(KEY_FILE);
    if !key_path.exists() {
        return Ok(None);
    }
    Ok(Some(load(&key_path)?.verifying_key()))
}

/// `context.tar.zst.sig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub format: String,
    pub algorithm: String,
    /// Hex of the signer's public key (informative: trust comes from `verify --key` or the
    /// local key, never from this field).
    pub public_key: String,
    pub manifest_sha256: String,
    pub archive_sha256: String,
    /// Hex of the 64-byte Ed25519 signature over [`signed_message`].
    pub signature: String,
}

/// What is signed: a tag, then both digests (raw bytes).
pub fn signed_message(manifest_sha256: &str, archive_sha256: &str) -> Option<Vec<u8>> {
    let m = from_hex(manifest_sha256).filter(|b| b.len() == 32)?;
    let a = from_hex(archive_sha256).filter(|b| b.len() == 32)?;
    let mut msg = Vec::with_capacity(SIGNATURE_FORMAT.len() + 65);
    msg.extend_from_slice(SIGNATURE_FORMAT.as_bytes());
    msg.push(0);
    msg.extend_from_slice(&m);
    msg.extend_from_slice(&a);
    Some(msg)
}

/// Signs the two digests (lower-case hex SHA-256).
pub fn sign(key: &SigningKey, manifest_sha256: &str, archive_sha256: &str) -> SignatureFile {
    let msg = signed_message(manifest_sha256, archive_sha256).unwrap_or_default();
    let sig = key.sign(&msg);
    SignatureFile {
        format: SIGNATURE_FORMAT.into(),
        algorithm: "ed25519".into(),
        public_key: public_hex(&key.verifying_key()),
        manifest_sha256: manifest_sha256.into(),
        archive_sha256: archive_sha256.into(),
        signature: crate::digest::hex(&sig.to_bytes()),
    }
}

impl SignatureFile {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    pub fn parse(bytes: &[u8]) -> Result<SignatureFile, String> {
        let s: SignatureFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if s.format != SIGNATURE_FORMAT || s.algorithm != "ed25519" {
            return Err(format!(
                "unsupported signature format {:?} / algorithm {:?}",
                s.format, s.algorithm
            ));
        }
        Ok(s)
    }

    /// Whether the signature over the two digests it names verifies with `key`.
    pub fn verifies_with(&self, key: &VerifyingKey) -> bool {
        let Some(msg) = signed_message(&self.manifest_sha256, &self.archive_sha256) else {
            return false;
        };
        let Some(sig) = from_hex(&self.signature).and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
            return false;
        };
        key.verify(&msg, &Signature::from_bytes(&sig)).is_ok()
    }
}

/// The signature file that goes with `archive`: `ARCHIVE.sig`.
pub fn signature_path(archive: &Path) -> PathBuf {
    let mut s = archive.as_os_str().to_os_string();
    s.push(".sig");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip_and_tamper() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let m = crate::digest::sha256_hex(b"manifest");
        let a = crate::digest::sha256_hex(b"archive");
        let sig = sign(&key, &m, &a);
        assert!(sig.verifies_with(&key.verifying_key()));
        let mut other = sig.clone();
        other.archive_sha256 = crate::digest::sha256_hex(b"archive2");
        assert!(!other.verifies_with(&key.verifying_key()));
        let stranger = SigningKey::from_bytes(&[8u8; 32]);
        assert!(!sig.verifies_with(&stranger.verifying_key()));
        let parsed = SignatureFile::parse(&sig.to_bytes()).unwrap();
        assert_eq!(parsed, sig);
    }

    #[test]
    fn key_is_private_and_never_inside_the_repository() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("cfg");
        let k1 = load_or_create(&dir, None).unwrap();
        let k2 = load_or_create(&dir, None).unwrap();
        assert_eq!(k1.to_bytes(), k2.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let repo = home.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        assert!(matches!(
            load_or_create(&repo.join("x/y"), Some(&repo)),
            Err(KeyError::InsideRepository(_))
        ));
        assert!(!repo.join("x").exists());
    }
}
