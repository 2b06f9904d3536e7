//! A rule ready to run: its definition plus a lazily compiled byte regex.
//!
//! Regexes are compiled on first use (only rules whose keywords hit ever compile), which keeps
//! start-up in the low milliseconds however large the catalogue grows.

use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

use super::definition::RuleDef;

/// Upper bound on the compiled size of one rule's regex (bytes of NFA), so that a hostile or
/// careless user rule cannot exhaust memory.
const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// Upper bound on the compiled size of all of a configuration's own regexes together (its
/// rules, their context patterns, its allowlist): each is bounded by a 4 MiB NFA, but
/// a hostile config of many rules would otherwise multiply it (a 16 MiB config holds about
/// 100,000 rules).
pub const USER_REGEX_BUDGET: usize = 256 * 1024 * 1024;

#[derive(Debug)]
pub struct Compiled {
    pub regex: Regex,
    /// Index of the capture group named `secret`, if the pattern has one.
    pub secret_group: Option<usize>,
    pub context: Vec<Regex>,
}

/// A rule of a [`RuleSet`](super::RuleSet).
#[derive(Debug)]
pub struct Rule {
    pub def: RuleDef,
    compiled: OnceLock<Result<Compiled, String>>,
}

pub(crate) fn build_regex(pattern: &str) -> Result<Regex, String> {
    Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            Regex::config()
                .utf8_empty(false)
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                .hybrid_cache_capacity(2 * 1024 * 1024),
        )
        .build(pattern)
        .map_err(|e| e.to_string())
}

impl Rule {
    pub fn new(def: RuleDef) -> Self {
        Rule {
            def,
            compiled: OnceLock::new(),
        }
    }

    pub fn id(&self) -> &str {
        &self.def.id
    }

    /// The compiled regexes, compiling them on first use.
    pub fn compiled(&self) -> Result<&Compiled, String> {
        self.compiled
            .get_or_init(|| compile(&self.def))
            .as_ref()
            .map_err(|e| format!("rule `{}`: {e}", self.def.id))
    }
}

impl Compiled {
    /// Heap bytes of the compiled regexes (not counting per-thread search caches).
    pub fn memory_usage(&self) -> usize {
        self.regex.memory_usage() + self.context.iter().map(Regex::memory_usage).sum::<usize>()
    }
}

fn compile(def: &RuleDef) -> Result<Compiled, String> {
    let regex = build_regex(&def.pattern).map_err(|e| format!("invalid pattern: {e}"))?;
    let secret_group = regex
        .group_info()
        .to_index(regex_automata::PatternID::ZERO, "secret");
    let context = match &def.context {
        None => Vec::new(),
        Some(c) => c
            .patterns
            .iter()
            .map(|p| build_regex(p).map_err(|e| format!("invalid context pattern: {e}")))
            .collect::<Result<_, _>>()?,
    };
    Ok(Compiled {
        regex,
        secret_group,
        context,
    })
}
