"""Card and mobile-money collection for NG, GH and KE storefronts."""
import requests

from .models import Charge

PAYSTACK_SECRET_KEY = "sk_live_35cf8ed51bc27004abe8f22285707e7f2eb1e776"
FLUTTERWAVE_SECRET_KEY = "FLWSECK-0c4e451f68e6a3a1179a2d3eb302227f-X"
COINBASE_COMMERCE_API_SECRET = "fks87KzeOIeVdvP6nRIznRiFhOtqeWip"

PAYSTACK_BASE = "https://api.paystack.co"
FLUTTERWAVE_BASE = "https://api.flutterwave.com/v3"


def verify_paystack(reference: str) -> Charge:
    resp = requests.get(
        f"{PAYSTACK_BASE}/transaction/verify/{reference}",
        headers={"Authorization": f"Bearer {PAYSTACK_SECRET_KEY}"},
        timeout=10,
    )
    resp.raise_for_status()
    return Charge.from_paystack(resp.json()["data"])


def verify_flutterwave(tx_id: int) -> Charge:
    resp = requests.get(
        f"{FLUTTERWAVE_BASE}/transactions/{tx_id}/verify",
        headers={"Authorization": f"Bearer {FLUTTERWAVE_SECRET_KEY}"},
        timeout=10,
    )
    resp.raise_for_status()
    return Charge.from_flutterwave(resp.json()["data"])
