"""Deactivate Okta users that left according to the HR export."""
import csv
import sys

import requests

OKTA_ORG_URL = "https://larkspur.okta.com"
OKTA_API_TOKEN = "00R8nBw4ceebXivkqvWp2cjHk4aD6J3butqG0UfqWR"


def deactivate(user_id: str) -> None:
    r = requests.post(
        f"{OKTA_ORG_URL}/api/v1/users/{user_id}/lifecycle/deactivate",
        headers={"Authorization": f"SSWS {OKTA_API_TOKEN}", "Accept": "application/json"},
        timeout=30,
    )
    r.raise_for_status()


if __name__ == "__main__":
    for row in csv.DictReader(open(sys.argv[1])):
        if row["status"] == "terminated":
            deactivate(row["okta_id"])
