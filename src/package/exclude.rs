//! The 18 exclusion patterns of the original module, plus `.claude/runtime/logs` and
//! `.claude/runtime/remote` (results of earlier remote runs), matched at any depth: `config/.env`, `web/node_modules/x.js` and `a/b/.DS_Store` are excluded, not
//! only root-level ones (the original anchored them at the root).

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The original's patterns, in its order.
pub const PATTERNS: [&str; 18] = [
    ".env*",
    "*credentials*",
    "*secret*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    ".ssh/*",
    ".aws/*",
    ".azure/*",
    ".config/gh/*",
    "node_modules/*",
    "__pycache__/*",
    ".venv/*",
    "venv/*",
    "*.pyc",
    ".git/*",
    ".DS_Store",
];

/// Dropped from the archive too (the agent's own logs).
pub const CLAUDE_LOGS: &str = ".claude/runtime/logs";

/// Dropped from the archive too: what `run` retrieved from earlier remote runs (result
/// bundles, log archives). They came from a VM and must never ship back in a later archive.
pub const CLAUDE_REMOTE_RESULTS: &str = ".claude/runtime/remote";

/// The compiled exclusion set.
#[derive(Debug, Clone)]
pub struct Exclusions {
    set: GlobSet,
    /// For each glob of `set`, the pattern it came from (for messages).
    origin: Vec<&'static str>,
}

impl Exclusions {
    /// The 18 patterns plus `.claude/runtime/logs` and `.claude/runtime/remote`, each at any
    /// depth. A name pattern
    /// (`*.pem`) matches a file or directory of that name anywhere, and everything under such
    /// a directory; a directory pattern (`node_modules/*`) matches everything under a
    /// directory of that path anywhere.
    pub fn standard() -> Exclusions {
        let mut builder = GlobSetBuilder::new();
        let mut origin = Vec::new();
        let mut add = |glob: String, from: &'static str| {
            // Every pattern here is a constant known to compile.
            if let Ok(g) = GlobBuilder::new(&glob).literal_separator(true).build() {
                builder.add(g);
                origin.push(from);
            }
        };
        for p in PATTERNS
            .iter()
            .copied()
            .chain([CLAUDE_LOGS, CLAUDE_REMOTE_RESULTS])
        {
            match p.strip_suffix("/*") {
                Some(dir) => add(format!("**/{dir}/**"), p),
                None => {
                    add(format!("**/{p}"), p);
                    add(format!("**/{p}/**"), p);
                }
            }
        }
        Exclusions {
            set: builder.build().unwrap_or_else(|_| GlobSet::empty()),
            origin,
        }
    }

    /// The pattern excluding repository-relative, `/`-separated `path`, if any.
    pub fn matching(&self, path: &str) -> Option<&'static str> {
        self.set.matches(path).first().map(|&i| self.origin[i])
    }

    pub fn is_excluded(&self, path: &str) -> bool {
        self.set.is_match(path)
    }

    /// Whether `pattern` is the strict `.env*` one (such files are named in warnings).
    pub fn is_dotenv(pattern: &str) -> bool {
        pattern == ".env*"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_applies_at_any_depth() {
        let e = Exclusions::standard();
        for p in [
            ".env",
            "config/.env",
            "config/.env.production",
            "web/node_modules/x.js",
            "node_modules/a/b.js",
            "a/b/.DS_Store",
            "deep/x/server.pem",
            "k.key",
            "a/.ssh/id_ed25519",
            ".aws/credentials",
            "h/.azure/x",
            "h/.config/gh/hosts.yml",
            "pkg/__pycache__/m.cpython-312.pyc",
            "m.pyc",
            ".venv/lib/x.py",
            "sub/venv/bin/python",
            "my-credentials.json",
            "docs/secrets.md",
            "vendor/.git/config",
            "c.p12",
            "c.pfx",
            ".claude/runtime/logs/session.log",
            "sub/.claude/runtime/logs/a/b.log",
            ".claude/runtime/remote/20260101-000000-abcdef/results.bundle",
            ".claude/runtime/remote",
            "secret-dir/inside.txt",
        ] {
            assert!(e.is_excluded(p), "{p} should be excluded");
        }
        for p in [
            "src/main.rs",
            "environment.md",
            "docs/key-concepts.md",
            ".claude/runtime/other.txt",
            ".claude/runtime/remote-notes.md",
            ".claude/settings.json",
            "my.venv.txt",
            "venvx/a",
        ] {
            assert!(!e.is_excluded(p), "{p} should not be excluded");
        }
        assert_eq!(e.matching("config/.env.local"), Some(".env*"));
        assert_eq!(e.matching("web/node_modules/x.js"), Some("node_modules/*"));
        assert_eq!(
            e.matching(".claude/runtime/remote/r/logs.tar.zst"),
            Some(CLAUDE_REMOTE_RESULTS)
        );
    }
}
