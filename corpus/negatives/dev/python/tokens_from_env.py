"""Reads every CI credential from the environment or the secret manager; none is stored here."""
import os

import hvac

GITLAB_TOKEN = os.environ["GITLAB_TOKEN"]
JIRA_API_TOKEN = os.environ.get("JIRA_API_TOKEN", "")
CIRCLECI_TOKEN = os.getenv("CIRCLECI_TOKEN")
BUILDKITE_API_TOKEN = os.environ["BUILDKITE_API_TOKEN"]
DOPPLER_TOKEN = os.environ["DOPPLER_TOKEN"]


def vault_client() -> hvac.Client:
    client = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
    assert client.is_authenticated()
    return client


def mask(token: str) -> str:
    """glpat-AbCd**************** style masking for logs."""
    return token[:10] + "*" * max(0, len(token) - 10)
