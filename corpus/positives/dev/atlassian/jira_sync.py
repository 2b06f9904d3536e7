"""Copies resolved incidents from PagerDuty into the OPS Jira project."""
import requests
from requests.auth import HTTPBasicAuth

JIRA_URL = "https://acme.atlassian.net"
JIRA_USER = "ops-automation@acme.io"
JIRA_API_TOKEN = "ATATT3xFfGF0yE-z7-q31OcohVUFrkg1WHlcLh019ePJZkc_JNnU7Xn17JRyXwYVS-gkUTFJ3hi_EbusT1hZdUpIoh4WdDMGELemd0f6ooIq5sHMygI7LT2a6Tn3fzK2IaRuYQGFV2HyvaakgZHyNWGwKvbBOvHCzIGvIv35UrlKn9Z2sd1wa4=3828EC68"


def create_issue(summary: str, description: str) -> str:
    payload = {
        "fields": {
            "project": {"key": "OPS"},
            "summary": summary,
            "description": description,
            "issuetype": {"name": "Incident"},
        }
    }
    resp = requests.post(
        f"{JIRA_URL}/rest/api/2/issue",
        json=payload,
        auth=HTTPBasicAuth(JIRA_USER, JIRA_API_TOKEN),
        timeout=30,
    )
    resp.raise_for_status()
    return resp.json()["key"]
