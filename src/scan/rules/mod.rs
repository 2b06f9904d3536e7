//! Rules: their file format ([`definition`]), the built-in catalogue ([`BUILTIN_RULE_FILES`]), the
//! compiled [`RuleSet`] with its keyword prefilter, and the example checker ([`check`]).

mod catalog;
pub mod check;
pub(crate) mod compiled;
pub mod definition;
mod set;

pub use catalog::BUILTIN_RULE_FILES;
pub use compiled::{Compiled, Rule, USER_REGEX_BUDGET};
pub use definition::{CharClass, Checksum, Confidence, ContextDef, RuleDef, RuleFile};
pub use set::parse_rule_file;
pub use set::{PathGates, RuleError, RuleSet, RuleSetBuilder};
