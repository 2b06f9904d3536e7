//! The secret scanner.
//!
//! ```
//! use amplihack_remote::scan::{InputName, RuleSet, Scanner, Scratch};
//!
//! let scanner = Scanner::new(RuleSet::builtin().unwrap());
//! let key = format!("sk-ant-api03-{}AA", "Zx8Qm3Lp7Vt2Nc9Rb4Kw6Hy1Jd5Fg0Sa".repeat(3).get(..93).unwrap());
//! let text = format!("ANTHROPIC_API_KEY = \"{key}\"\n");
//! let found = scanner
//!     .scan_buffer(&InputName::plain("config.py"), text.as_bytes(), &mut Scratch::default())
//!     .unwrap();
//! assert_eq!(found.findings.len(), 1);
//! assert_eq!(&*found.findings[0].rule_id, "anthropic-api-key");
//! // The secret is only ever shown redacted.
//! assert_eq!(found.findings[0].secret.redacted(), "sk-ant-a…(108 chars)");
//! ```

pub mod allowlist;
pub mod baseline;
pub mod checksum;
pub mod decode;
mod encoded;
pub mod engine;
pub mod filters;
pub mod finding;
pub mod position;
pub mod prefilter;
pub mod report;
pub mod rules;
mod run;
mod scanner;
pub mod source;
pub mod suppress;
pub mod walk;

pub use allowlist::Allowlist;
pub use baseline::Baseline;
pub use engine::Scratch;
pub use finding::{Finding, Secret};
pub use report::{exit, ScanReport, Suppression};
pub use rules::{Confidence, RuleSet};
pub use run::{ScanOptions, MAX_STDIN_BYTES};
pub use scanner::{rule_set_from_config, BufferFindings, InputName, Scanner, ScannerError};
pub use walk::WalkOptions;
