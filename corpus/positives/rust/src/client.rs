//! HTTP client for the model gateway.

use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::json;

const ANTHROPIC_API_KEY: &str = "sk-ant-api03-v4ybgUbfLoN7JETxpX_OqRoz9F1b9HuVXRQm9Mqwd1No8o1k9sGVyi0n6nqAdBe_yznCNwZx2GBtRvk2XVuhd1TpUxoNiAA";
const GITHUB_TOKEN: &str = "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";
const OPENAI_API_KEY: &str = "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";

pub struct Gateway {
    http: Client,
}

impl Gateway {
    pub fn new() -> reqwest::Result<Self> {
        let http = Client::builder().timeout(Duration::from_secs(60)).build()?;
        Ok(Self { http })
    }

    pub fn complete(&self, prompt: &str) -> reqwest::Result<serde_json::Value> {
        self.http
            .post("https://api.anthropic.com/v1/messages")
            .header("x-api-key", ANTHROPIC_API_KEY)
            .header("anthropic-version", "2023-06-01")
            .json(&json!({
                "model": "claude-sonnet-4-20250514",
                "max_tokens": 1024,
                "messages": [{"role": "user", "content": prompt}],
            }))
            .send()?
            .json()
    }

    pub fn embed(&self, text: &str) -> reqwest::Result<serde_json::Value> {
        self.http
            .post("https://api.openai.com/v1/embeddings")
            .bearer_auth(OPENAI_API_KEY)
            .json(&json!({"model": "text-embedding-3-small", "input": text}))
            .send()?
            .json()
    }

    pub fn open_issue(&self, title: &str, body: &str) -> reqwest::Result<serde_json::Value> {
        self.http
            .post("https://api.github.com/repos/larkspur/gateway/issues")
            .bearer_auth(GITHUB_TOKEN)
            .header("user-agent", "larkspur-gateway")
            .json(&json!({"title": title, "body": body}))
            .send()?
            .json()
    }
}
