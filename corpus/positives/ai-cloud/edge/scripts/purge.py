"""Purge cached assets after a release (old tooling, uses the account's global key)."""
import sys

import requests

ZONE = "larkspur.io"
CF_EMAIL = "ops@larkspur.io"
CF_API_KEY = "670edda68d023b299116f7b9262f8500637f3"
CF_KEY_NEW = "cfk_UOPjnugFZrEZOFubomH8i7YKexJ8uGbmasRuj5NLvp6sMudE"


def purge(paths: list[str]) -> None:
    headers = {"X-Auth-Email": CF_EMAIL, "X-Auth-Key": CF_API_KEY, "Content-Type": "application/json"}
    zone = requests.get(
        "https://api.cloudflare.com/client/v4/zones", params={"name": ZONE}, headers=headers, timeout=10
    ).json()["result"][0]["id"]
    files = [f"https://{ZONE}/{p.lstrip('/')}" for p in paths]
    requests.post(
        f"https://api.cloudflare.com/client/v4/zones/{zone}/purge_cache",
        json={"files": files},
        headers=headers,
        timeout=10,
    ).raise_for_status()


if __name__ == "__main__":
    purge(sys.argv[1:])
