//! The config's allowlists, compiled: path globs and secret regexes.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex_automata::meta::Regex;

use crate::config::AllowlistConfig;

use super::rules::compiled::build_regex;

#[derive(Debug)]
pub struct Allowlist {
    paths: GlobSet,
    secrets: Vec<Regex>,
    /// SHA-256 of the configuration it was built from (see [`Allowlist::digest`]).
    digest: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AllowlistError {
    #[error("allowlist path glob {glob:?} is invalid: {message}")]
    Glob { glob: String, message: String },
    #[error("allowlist secret regex {regex:?} is invalid: {message}")]
    Regex { regex: String, message: String },
}

impl Default for Allowlist {
    fn default() -> Self {
        Allowlist {
            paths: GlobSet::empty(),
            secrets: Vec::new(),
            digest: String::new(),
        }
    }
}

impl Allowlist {
    pub fn new(config: &AllowlistConfig) -> Result<Allowlist, AllowlistError> {
        Allowlist::with_regex_budget(config, crate::scan::rules::USER_REGEX_BUDGET)
    }

    /// [`Allowlist::new`] with another cap on the compiled size of the secret regexes
    /// together.
    pub fn with_regex_budget(
        config: &AllowlistConfig,
        budget: usize,
    ) -> Result<Allowlist, AllowlistError> {
        let mut paths = GlobSetBuilder::new();
        for glob in &config.paths {
            let g = GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|e| AllowlistError::Glob {
                    glob: glob.clone(),
                    message: e.to_string(),
                })?;
            paths.add(g);
        }
        let paths = paths.build().map_err(|e| AllowlistError::Glob {
            glob: config.paths.join(", "),
            message: e.to_string(),
        })?;
        let secrets = config
            .secrets
            .iter()
            .map(|r| {
                build_regex(r).map_err(|message| AllowlistError::Regex {
                    regex: r.clone(),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let total: usize = secrets.iter().map(|r| r.memory_usage()).sum();
        if total > budget {
            return Err(AllowlistError::Regex {
                regex: format!("({} regexes)", secrets.len()),
                message: format!(
                    "they compile to more than {} KiB together: refused",
                    budget >> 10
                ),
            });
        }
        let mut source = String::new();
        for (kind, items) in [("path", &config.paths), ("secret", &config.secrets)] {
            for item in items {
                source.push_str(&format!("{kind} {}:{item}\n", item.len()));
            }
        }
        Ok(Allowlist {
            paths,
            secrets,
            digest: crate::digest::sha256_hex(source.as_bytes()),
        })
    }

    /// SHA-256 of the globs and regexes (empty for no allowlist): what results depend on.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// True if there are path globs.
    pub fn has_paths(&self) -> bool {
        !self.paths.is_empty()
    }

    /// True when findings in this repository-relative path are allowed.
    pub fn path(&self, repo_relative: &str) -> bool {
        !self.paths.is_empty() && self.paths.is_match(repo_relative)
    }

    /// True when this secret value is allowed.
    pub fn secret(&self, value: &[u8]) -> bool {
        self.secrets.iter().any(|re| re.is_match(value))
    }
}
