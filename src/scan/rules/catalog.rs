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
    ("ai-providers.toml", include_str!("data/ai-providers.toml")),
    ("cloud.toml", include_str!("data/cloud.toml")),
    ("cloud-more.toml", include_str!("data/cloud-more.toml")),
    (
        "source-hosting.toml",
        include_str!("data/source-hosting.toml"),
    ),
    ("ci.toml", include_str!("data/ci.toml")),
    ("devtools.toml", include_str!("data/devtools.toml")),
    ("registries.toml", include_str!("data/registries.toml")),
    (
        "communication.toml",
        include_str!("data/communication.toml"),
    ),
    ("payments.toml", include_str!("data/payments.toml")),
    (
        "observability.toml",
        include_str!("data/observability.toml"),
    ),
    ("saas.toml", include_str!("data/saas.toml")),
    ("databases.toml", include_str!("data/databases.toml")),
    (
        "auth-providers.toml",
        include_str!("data/auth-providers.toml"),
    ),
    (
        "key-containers.toml",
        include_str!("data/key-containers.toml"),
    ),
    (
        "structured-files.toml",
        include_str!("data/structured-files.toml"),
    ),
    ("dotenv.toml", include_str!("data/dotenv.toml")),
    ("generic.toml", include_str!("data/generic.toml")),
];
