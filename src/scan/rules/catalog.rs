//! The built-in rule catalogue: rule data files embedded in the binary.

/// `(file name, TOML text)` of every built-in rule file.
pub const BUILTIN_RULE_FILES: &[(&str, &str)] = &[
    ("anthropic.toml", include_str!("data/anthropic.toml")),
    ("openai.toml", include_str!("data/openai.toml")),
    ("github.toml", include_str!("data/github.toml")),
    ("azure.toml", include_str!("data/azure.toml")),
    ("aws.toml", include_str!("data/aws.toml")),
    ("gcp.toml", include_str!("data/gcp.toml")),
    ("slack.toml", include_str!("data/slack.toml")),
    ("stripe.toml", include_str!("data/stripe.toml")),
    ("private-keys.toml", include_str!("data/private-keys.toml")),
    ("jwt.toml", include_str!("data/jwt.toml")),
    ("dotenv.toml", include_str!("data/dotenv.toml")),
    ("generic.toml", include_str!("data/generic.toml")),
];
