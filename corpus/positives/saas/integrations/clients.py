"""API clients for the internal ops dashboard."""
from airtable import Airtable
from asana import Client as AsanaClient
from hubspot import HubSpot
from linear_api import LinearClient
from notion_client import Client as NotionClient

ALGOLIA_APP_ID = "H7QX2L9CZR"
ALGOLIA_ADMIN_API_KEY = "f12f172ab9ed3ecbbcd79e0bb14f26e2"

inventory = Airtable("appQ7mZk2Lr9sN6bY", "Inventory", api_key="patcFGGq0OHuqSHgD.4b02549402b7993d24ccb9cc683d804c11d58396c9e0143bcb351513b8fe6ac6")
AIRTABLE_LEGACY_API_KEY = "keyeyk0ag866pCDcF"

notion = NotionClient(auth="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")
notion_archive = NotionClient(auth="secret_1FIdThsMIxbrHWauJwfv3wNYKWwfuqulfHuhp4PczUc")

linear = LinearClient(api_key="lin_api_OvkaK2Ktxs2IIk1hDWpgZdqgdxcQDxRrQ1zIVwox")
LINEAR_OAUTH_TOKEN = "lin_oauth_d5ad5de20078a0f8ca9a9dbddcef0149fefde31035aa880563fdfaf85ec041a9"

asana = AsanaClient.access_token("2/6306812452846345/2494963627556502:9a214c8c8a80429d33cab99457e31ce6")

hubspot = HubSpot(access_token="pat-eu1-9b41c11d-aeae-4d7a-9398-36a5914aecf4")
HUBSPOT_API_KEY = "cae5bd33-67ef-4380-8a39-4d5ebfcfd9ae"

FIGMA_HEADERS = {"X-Figma-Token": "figd_9II51qBr8SUAWY6qdxNGHtku4-iMt6R4EcVLqgL3"}
TYPEFORM_HEADERS = {"Authorization": "Bearer tfp_Ri-9ZxHdgpR0qjk6Rj09bqmEvE_P_79VkAW76UlM8H5k_36ptxjJ02vwM00"}
