//! The user's configuration file, `.amplihack-remote.toml` at the repository root (or
//! `--config FILE`). Unknown keys are errors, so a typo never silently weakens a scan.
//!
//! ```toml
//! # Baseline file, relative to this file (default: .amplihack-remote-baseline.json if present).
//! baseline = ".amplihack-remote-baseline.json"
//! # Built-in rules to turn off (ids from `amplihack-remote rules list`).
//! disable_rules = ["jwt"]
//!
//! [allowlist]
//! # Findings in these files are suppressed (still counted in the summary).
//! paths = ["tests/fixtures/**"]
//! # Findings whose secret matches one of these regexes are suppressed.
//! secrets = ['^AKIA[A-Z2-7]{12}TEST$']
//!
//! # Extra rules, in the same format as the built-in ones (docs/rules.md).
//! [[rules]]
//! id = "acme-api-key"
//! name = "ACME API key"
//! confidence = "high"
//! keywords = ["acme_"]
//! pattern = '''\bacme_[a-z0-9]{32}\b'''
//! examples = ["k = 'acme_...'"]
//!
//! # `amplihack-remote run` (feature `exec`): retries, bounds and the command per mode.
//! [run]
//! provision_attempts = 3          # `azlin new` attempts (quota errors fail at once)
//! retry_delay_seconds = 30        # first delay between attempts, doubled each time
//! transfer_attempts = 2           # `azlin cp` attempts per file
//! max_result_bytes = 2147483648   # largest result bundle / log archive accepted (bytes)
//! max_log_bytes = 536870912       # largest decompressed log tree accepted (bytes)
//!
//! [run.templates]
//! # argv words; `{prompt}` and `{max_turns}` are replaced inside words, never split them.
//! fix = ["amplihack", "claude", "--auto", "--max-turns", "{max_turns}", "--", "-p", "/amplihack:fix {prompt}"]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::scan::rules::RuleDef;

/// The file name looked for at the repository root.
pub const CONFIG_FILE_NAME: &str = ".amplihack-remote.toml";
/// The baseline used when the config names none and this file exists at the root.
pub const DEFAULT_BASELINE_NAME: &str = ".amplihack-remote-baseline.json";

const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub baseline: Option<PathBuf>,
    #[serde(default)]
    pub disable_rules: Vec<String>,
    #[serde(default)]
    pub allowlist: AllowlistConfig,
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    /// Settings of `run` (read, and checked for unknown keys, in every build).
    #[serde(default)]
    pub run: RunConfig,
}

/// The `[run]` table. Every value is optional; the executor supplies the defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub provision_attempts: Option<u32>,
    pub retry_delay_seconds: Option<u64>,
    pub transfer_attempts: Option<u32>,
    pub max_result_bytes: Option<u64>,
    pub max_log_bytes: Option<u64>,
    #[serde(default)]
    pub templates: TemplatesConfig,
}

/// `[run.templates]`: the command run on the VM for each mode, as argv words.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesConfig {
    pub auto: Option<Vec<String>>,
    pub ultrathink: Option<Vec<String>>,
    pub analyze: Option<Vec<String>>,
    pub fix: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistConfig {
    /// Globs over repository-relative paths (`*` stays within a directory, `**` crosses).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes over the secret's bytes.
    #[serde(default)]
    pub secrets: Vec<String>,
}

/// A configuration and where it was found.
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file it came from (`None`: no file, defaults).
    pub path: Option<PathBuf>,
    /// The directory paths in the config are relative to (the repository root).
    pub root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config {path} is larger than 16 MiB")]
    TooLarge { path: String },
    #[error("config {path} is invalid: {message}")]
    Invalid { path: String, message: String },
}

impl LoadedConfig {
    /// Loads `explicit` if given; otherwise `.amplihack-remote.toml` at the root of the git
    /// work tree that holds `start` (or in `start` itself outside a work tree), if present.
    pub fn discover(explicit: Option<&Path>, start: &Path) -> Result<LoadedConfig, ConfigError> {
        if let Some(path) = explicit {
            let root = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            return Ok(LoadedConfig {
                config: Config::load(path)?,
                path: Some(path.to_path_buf()),
                root,
            });
        }
        let root = repo_root(start).unwrap_or_else(|| start.to_path_buf());
        let candidate = root.join(CONFIG_FILE_NAME);
        let config = if candidate.is_file() {
            Some(Config::load(&candidate)?)
        } else {
            None
        };
        Ok(LoadedConfig {
            path: config.as_ref().map(|_| candidate),
            config: config.unwrap_or_default(),
            root,
        })
    }

    /// The baseline to apply: the config's, else the default file if it exists.
    pub fn baseline_path(&self) -> Option<PathBuf> {
        match &self.config.baseline {
            Some(p) => Some(self.root.join(p)),
            None => Some(self.root.join(DEFAULT_BASELINE_NAME)).filter(|p| p.is_file()),
        }
    }
}

impl Config {
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let read_err = |source| ConfigError::Read {
            path: shown.clone(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read_err)?;
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge { path: shown });
        }
        let text = std::fs::read_to_string(path).map_err(read_err)?;
        Config::parse(&text, &shown)
    }
}

/// The top of the git work tree holding `start`: the nearest ancestor with a `.git` entry.
pub fn repo_root(start: &Path) -> Option<PathBuf> {
    let start = if start.is_absolute() {
        start.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(start)
    };
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors() {
        assert!(Config::parse("basline = 'x'", "c").is_err());
        assert!(Config::parse("[allowlist]\npath = ['x']", "c").is_err());
        assert!(Config::parse("[[rules]]\nid='a'\nname='A'\nconfidence='low'\nkeywords=['ab']\npattern='ab'\nexampels=[]", "c").is_err());
    }

    #[test]
    fn parses_a_full_config() {
        let c = Config::parse(
            "baseline = 'b.json'\ndisable_rules = ['jwt']\n[allowlist]\npaths = ['corpus/**']\nsecrets = ['^x']\n",
            "c",
        )
        .unwrap();
        assert_eq!(c.disable_rules, vec!["jwt"]);
        assert_eq!(c.allowlist.paths, vec!["corpus/**"]);
    }

    #[test]
    fn run_table_is_strict() {
        let c = Config::parse(
            "[run]\nretry_delay_seconds = 0\n[run.templates]\nauto = ['a', '{prompt}']\n",
            "c",
        )
        .unwrap();
        assert_eq!(c.run.retry_delay_seconds, Some(0));
        assert_eq!(c.run.templates.auto.unwrap(), vec!["a", "{prompt}"]);
        assert!(Config::parse("[run]\nretry_delay = 0\n", "c").is_err());
        assert!(Config::parse("[run.templates]\nhelp = ['x']\n", "c").is_err());
    }
}
