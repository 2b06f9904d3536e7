"""Settings loaded from the environment; nothing secret lives in this file."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import keyring

ANTHROPIC_API_KEY = os.environ["ANTHROPIC_API_KEY"]
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
GITHUB_TOKEN = os.getenv("GITHUB_TOKEN")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "changeme")
AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
STRIPE_API_KEY: str | None = os.environ.get("STRIPE_API_KEY")
DB_PASSWORD_FILE = "/run/secrets/db_password"
VAULT_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def get_password(service: str = "orders-db") -> str:
    """Read the database password from the OS keyring."""
    password = keyring.get_password(service, "orders_app")
    if password is None:
        raise RuntimeError(f"no password stored for {service}")
    return password


@dataclass
class DatabaseConfig:
    host: str
    user: str
    password: str
    port: int = 5432
    api_key: Optional[str] = None
    ssl_root_cert: str = "/etc/ssl/certs/ca-certificates.crt"
    options: dict[str, str] = field(default_factory=dict)


def load() -> DatabaseConfig:
    password = get_password()
    token = os.environ.get("VAULT_TOKEN", "")
    api_key = None
    return DatabaseConfig(
        host=os.environ.get("DB_HOST", "localhost"),
        user=os.environ.get("DB_USER", "orders_app"),
        password=password,
        api_key=api_key,
        options={"vault_token_present": str(bool(token))},
    )


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}
