"""Replays dead-lettered claim events into the ingest function (ops tool)."""
import json
import sys

import requests
from azure.cosmos import CosmosClient
from openai import AzureOpenAI

INGEST_URL = "https://func-claims-ingest.azurewebsites.net/api/ingest"
FUNCTION_KEY = "55jwQUi-_t3JfLHG9s2W2ZnHmts_FPcGEl9wFcnTD6oIAzFuV7DdBP=="
NOTIFY_URL = "https://func-claims-notify.azurewebsites.net/api/notify?code=tYpzxNk4pW7%2B9X7oBXHXJpDw%2FJC6Ofk1zZMbOvnMSLani6BqGY4ZcG%3D%3D"

cosmos = CosmosClient("https://cosmos-claims-prod.documents.azure.com:443/", credential="oZuy5uoe0gELXEkHKWkQ6q9oTPtvgx9lXLLaPFJ7gkE8hEcP2vloaKebjO5nqJtLVdVrO+1wimdeH6m3qokfcQ==")
container = cosmos.get_database_client("claims").get_container_client("deadletter")

summariser = AzureOpenAI(
    azure_endpoint="https://aoai-claims-legacy.openai.azure.com",
    api_key="270dec50e00f75ee9efe4c7c9b103f05",
    api_version="2024-06-01",
)

PARTNER_HEADERS = {"Ocp-Apim-Subscription-Key": "3f0d3650fd1b488cdb22ea5509ee17d6"}


def replay(limit: int) -> None:
    for item in container.query_items("SELECT * FROM c", enable_cross_partition_query=True, max_item_count=limit):
        body = json.dumps(item["payload"])
        requests.post(INGEST_URL, data=body, headers={"x-functions-key": FUNCTION_KEY}, timeout=30).raise_for_status()
        requests.post(NOTIFY_URL, json={"id": item["id"]}, headers=PARTNER_HEADERS, timeout=30)


if __name__ == "__main__":
    replay(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
