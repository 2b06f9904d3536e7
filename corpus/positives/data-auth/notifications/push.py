"""Legacy FCM HTTP sender, still used by the v1 Android app."""
import requests

FCM_ENDPOINT = "https://fcm.googleapis.com/fcm/send"
FCM_SERVER_KEY = "AAAAawDMPZj:APA91bN0qbXj7S8_Uu0eP0z5l6l3CbIRsD7GcZ5M-68hMsbpSH66-JFh4rIe7qGRb9Lzk-IQq1qzKzNdRdY6On1Sc_FfSXagfvs1Wz7H-PMDO2rQA64wGaxj6slpefx0w4Atlr83ss82"


def send(registration_ids: list[str], title: str, body: str) -> dict:
    payload = {"registration_ids": registration_ids, "notification": {"title": title, "body": body}}
    r = requests.post(
        FCM_ENDPOINT,
        json=payload,
        headers={"Authorization": "key=" + FCM_SERVER_KEY},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()
