use std::env;
use std::fmt;

#[derive(Clone)]
pub struct Config {
    pub anthropic_api_key: String,
    pub github_token: Option<String>,
    pub db_password: String,
    pub storage_account_key: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, env::VarError> {
        Ok(Self {
            anthropic_api_key: env::var("ANTHROPIC_API_KEY")?,
            github_token: env::var("GITHUB_TOKEN").ok(),
            db_password: std::env::var("DB_PASSWORD")?,
            storage_account_key: env::var("AZURE_STORAGE_KEY").ok(),
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("anthropic_api_key", &"[redacted]")
            .field("github_token", &self.github_token.as_ref().map(|_| "[redacted]"))
            .field("db_password", &"[redacted]")
            .finish()
    }
}
