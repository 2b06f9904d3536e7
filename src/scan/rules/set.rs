//! A validated, compiled set of rules and the one Aho-Corasick automaton over all their
//! keywords.

use std::collections::HashMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use sha2::{Digest, Sha256};

use super::super::prefilter::Prefilter;
use super::catalog::BUILTIN_RULE_FILES;
use super::compiled::Rule;
use super::definition::{RuleDef, RuleFile, MAX_RULE_LEN};

/// Why a rule file or a rule was refused.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule file {file}: {message}")]
    Parse { file: String, message: String },
    #[error("rule `{id}` ({origin}): {message}")]
    Invalid {
        id: String,
        origin: String,
        message: String,
    },
    #[error("rule id `{id}` is defined twice ({first} and {second})")]
    Duplicate {
        id: String,
        first: String,
        second: String,
    },
    #[error("unknown rule id `{0}` in disable_rules (see `amplihack-remote rules list`)")]
    UnknownDisabled(String),
    #[error("could not build the keyword automaton: {0}")]
    Automaton(String),
}

/// All rules, with the keyword prefilter. Built once, then shared read-only across threads.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    origins: Vec<String>,
    prefilter: Prefilter,
    gates: PathGates,
    digest: String,
}

/// The `paths` restrictions of rules: which rules may run in a given file.
#[derive(Debug, Default)]
pub struct PathGates {
    /// `gated[rule]`: the rule has `paths`.
    gated: Vec<bool>,
    globs: GlobSet,
    /// Rule of each glob in `globs`.
    glob_rule: Vec<usize>,
}

impl PathGates {
    /// True if rule `rule` may run in the file at `path` (repository-relative, `/`-separated).
    pub fn allows(&self, rule: usize, path: &str) -> bool {
        if !self.gated.get(rule).copied().unwrap_or(false) {
            return true;
        }
        self.globs
            .matches(path)
            .into_iter()
            .any(|g| self.glob_rule[g] == rule)
    }

    /// The restricted rules that may run in the file at `path`, sorted (empty for most files).
    pub fn allowed_at(&self, path: &str) -> Vec<usize> {
        if self.glob_rule.is_empty() {
            return Vec::new();
        }
        let mut rules: Vec<usize> = self
            .globs
            .matches(path)
            .into_iter()
            .map(|g| self.glob_rule[g])
            .collect();
        rules.sort_unstable();
        rules.dedup();
        rules
    }

    /// True if some rule has a `paths` restriction.
    pub fn any(&self) -> bool {
        !self.glob_rule.is_empty()
    }

    /// True if rule `rule` has a `paths` restriction.
    pub fn is_gated(&self, rule: usize) -> bool {
        self.gated.get(rule).copied().unwrap_or(false)
    }
}

/// Compiles a rule's path glob: one without `/` matches the file name at any depth.
fn path_glob(glob: &str) -> Result<globset::Glob, String> {
    let full = if glob.contains('/') {
        glob.to_string()
    } else {
        format!("**/{glob}")
    };
    GlobBuilder::new(&full)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid path glob {glob:?}: {e}"))
}

/// Parses one rule file's text.
pub fn parse_rule_file(name: &str, text: &str) -> Result<Vec<RuleDef>, RuleError> {
    toml::from_str::<RuleFile>(text)
        .map(|f| f.rules)
        .map_err(|e| RuleError::Parse {
            file: name.to_string(),
            message: e.to_string(),
        })
}

impl RuleSet {
    /// The built-in catalogue alone.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::builder().build()
    }

    pub fn builder() -> RuleSetBuilder {
        RuleSetBuilder::default()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    /// Where rule `index` came from (`builtin:aws.toml`, or the config file's path).
    pub fn origin(&self, index: usize) -> &str {
        &self.origins[index]
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The keyword prefilter over every rule's keywords.
    pub fn prefilter(&self) -> &Prefilter {
        &self.prefilter
    }

    /// The `paths` restrictions.
    pub fn gates(&self) -> &PathGates {
        &self.gates
    }

    /// SHA-256 over every rule's definition: names the exact rule set a scan used.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

/// Collects rule definitions (built-in ones by default), then validates and compiles them.
#[derive(Default)]
pub struct RuleSetBuilder {
    extra: Vec<(RuleDef, String)>,
    disabled: Vec<String>,
    without_builtin: bool,
    regex_budget: Option<usize>,
}

impl RuleSetBuilder {
    /// Adds a rule, with a description of where it came from for error messages.
    pub fn rule(mut self, def: RuleDef, origin: impl Into<String>) -> Self {
        self.extra.push((def, origin.into()));
        self
    }

    /// Leaves out the rule with this id (it must exist).
    pub fn disable(mut self, id: impl Into<String>) -> Self {
        self.disabled.push(id.into());
        self
    }

    /// Starts from no rules instead of the built-in catalogue.
    pub fn without_builtin(mut self) -> Self {
        self.without_builtin = true;
        self
    }

    /// Caps the compiled size of the added rules' regexes together (default
    /// [`USER_REGEX_BUDGET`](super::USER_REGEX_BUDGET)).
    pub fn regex_budget(mut self, bytes: usize) -> Self {
        self.regex_budget = Some(bytes);
        self
    }

    pub fn build(self) -> Result<RuleSet, RuleError> {
        let budget = self
            .regex_budget
            .unwrap_or(super::compiled::USER_REGEX_BUDGET);
        let mut defs: Vec<(RuleDef, String)> = Vec::new();
        if !self.without_builtin {
            for (file, text) in BUILTIN_RULE_FILES {
                for def in parse_rule_file(file, text)? {
                    defs.push((def, format!("builtin:{file}")));
                }
            }
        }
        let builtin_count = defs.len();
        defs.extend(self.extra);

        let mut seen: HashMap<String, String> = HashMap::new();
        for (def, origin) in &defs {
            validate(def, origin)?;
            if let Some(first) = seen.insert(def.id.clone(), origin.clone()) {
                return Err(RuleError::Duplicate {
                    id: def.id.clone(),
                    first,
                    second: origin.clone(),
                });
            }
        }
        for id in &self.disabled {
            if !seen.contains_key(id) {
                return Err(RuleError::UnknownDisabled(id.clone()));
            }
        }
        // The digest names the exact rule set: the built-in files' text (hashing the text is
        // much cheaper at start-up than re-serializing 400 rules), the extra rules, and what
        // was disabled.
        let mut hasher = Sha256::new();
        let mut feed = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        if !self.without_builtin {
            for (file, text) in BUILTIN_RULE_FILES {
                feed(file.as_bytes());
                feed(text.as_bytes());
            }
        }
        for (def, _) in &defs[builtin_count..] {
            let json = serde_json::to_vec(def).map_err(|e| RuleError::Automaton(e.to_string()))?;
            feed(&json);
        }
        let mut disabled = self.disabled.clone();
        disabled.sort();
        for id in &disabled {
            feed(id.as_bytes());
        }
        let digest = crate::digest::hex(&hasher.finalize());
        defs.retain(|(d, _)| !self.disabled.contains(&d.id));

        // One prefilter pattern per distinct keyword (ASCII case-folded), shared by rules.
        let mut keyword_index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut keywords: Vec<(Vec<u8>, Vec<u32>)> = Vec::new();
        for (rule_index, (def, _)) in defs.iter().enumerate() {
            for kw in &def.keywords {
                let folded = kw.as_bytes().to_ascii_lowercase();
                let pattern = *keyword_index.entry(folded.clone()).or_insert_with(|| {
                    keywords.push((folded, Vec::new()));
                    keywords.len() - 1
                });
                let owners = &mut keywords[pattern].1;
                if !owners.contains(&(rule_index as u32)) {
                    owners.push(rule_index as u32);
                }
            }
        }
        let prefilter = Prefilter::new(&keywords).map_err(RuleError::Automaton)?;

        let mut gates = PathGates {
            gated: defs.iter().map(|(d, _)| !d.paths.is_empty()).collect(),
            ..PathGates::default()
        };
        let mut globs = GlobSetBuilder::new();
        for (rule_index, (def, origin)) in defs.iter().enumerate() {
            for glob in &def.paths {
                globs.add(path_glob(glob).map_err(|message| RuleError::Invalid {
                    id: def.id.clone(),
                    origin: origin.clone(),
                    message,
                })?);
                gates.glob_rule.push(rule_index);
            }
        }
        gates.globs = globs
            .build()
            .map_err(|e| RuleError::Automaton(e.to_string()))?;

        let (rules, origins): (Vec<Rule>, Vec<String>) =
            defs.into_iter().map(|(d, o)| (Rule::new(d), o)).unzip();
        // Built-in rules compile lazily (the test suite compiles every one); a user's rule is
        // compiled now so that a bad pattern is reported before anything is scanned.
        let mut user_regex_bytes = 0usize;
        for (rule, origin) in rules.iter().zip(&origins) {
            if !origin.starts_with("builtin:") {
                let compiled = rule.compiled().map_err(|message| RuleError::Invalid {
                    id: rule.id().to_string(),
                    origin: origin.clone(),
                    message,
                })?;
                user_regex_bytes += compiled.memory_usage();
                if user_regex_bytes > budget {
                    return Err(RuleError::Invalid {
                        id: rule.id().to_string(),
                        origin: origin.clone(),
                        message: format!(
                            "the configuration's rules compile to more than {} KiB of regexes together: refused",
                            budget >> 10
                        ),
                    });
                }
            }
        }
        Ok(RuleSet {
            rules,
            origins,
            prefilter,
            gates,
            digest,
        })
    }
}

fn validate(def: &RuleDef, origin: &str) -> Result<(), RuleError> {
    let fail = |message: String| RuleError::Invalid {
        id: def.id.clone(),
        origin: origin.to_string(),
        message,
    };
    let id_ok = !def.id.is_empty()
        && def.id.len() <= 80
        && def
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err(fail(
            "id must be 1 to 80 characters of a-z, 0-9 and '-'".into(),
        ));
    }
    if def.name.trim().is_empty() {
        return Err(fail("name is empty".into()));
    }
    if def.keywords.is_empty() {
        return Err(fail(
            "no keywords: the prefilter could never run this rule".into(),
        ));
    }
    for kw in &def.keywords {
        if kw.len() < 3 || kw.len() > 64 || !kw.is_ascii() {
            return Err(fail(format!(
                "keyword {kw:?} must be 3 to 64 ASCII characters (4 or more keep the prefilter fast)"
            )));
        }
    }
    if def.max_len == 0 || def.max_len > MAX_RULE_LEN {
        return Err(fail(format!("max_len must be 1 to {MAX_RULE_LEN}")));
    }
    if let Some(e) = def.min_entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(fail("min_entropy must be between 0 and 8".into()));
        }
    }
    if !def.paths.is_empty() && def.example_path.is_none() {
        return Err(fail(
            "a rule with `paths` needs `example_path`, the file name its examples are checked under"
                .into(),
        ));
    }
    for glob in &def.paths {
        path_glob(glob).map_err(fail)?;
    }
    if let Some(c) = &def.context {
        if c.patterns.is_empty() || c.lines > 100 {
            return Err(fail(
                "context needs at least one pattern and lines <= 100".into(),
            ));
        }
    }
    Ok(())
}
