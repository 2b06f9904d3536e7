"""Notification settings; every credential comes from the environment or the vault."""
import os

from .vault import read_secret

TWILIO_ACCOUNT_SID = os.environ["TWILIO_ACCOUNT_SID"]
TWILIO_AUTH_TOKEN = os.environ["TWILIO_AUTH_TOKEN"]
TWILIO_API_SECRET = read_secret("twilio/api-secret")
SENDGRID_API_KEY = os.getenv("SENDGRID_API_KEY", "")
MAILGUN_API_KEY = os.environ.get("MAILGUN_API_KEY")
MAILCHIMP_API_KEY = read_secret("mailchimp/api-key")
POSTMARK_SERVER_TOKEN = os.environ["POSTMARK_SERVER_TOKEN"]
RESEND_API_KEY = os.environ["RESEND_API_KEY"]
DISCORD_BOT_TOKEN = os.environ["DISCORD_BOT_TOKEN"]
TELEGRAM_BOT_TOKEN = os.environ["TELEGRAM_BOT_TOKEN"]
ZENDESK_API_TOKEN = read_secret("zendesk/api-token")
PAYSTACK_SECRET_KEY = os.environ["PAYSTACK_SECRET_KEY"]
PLAID_SECRET = os.environ["PLAID_SECRET"]
DD_API_KEY = os.environ.get("DD_API_KEY")
NEW_RELIC_LICENSE_KEY = os.environ.get("NEW_RELIC_LICENSE_KEY")
NOTION_TOKEN = os.environ["NOTION_TOKEN"]
LINEAR_API_KEY = os.environ["LINEAR_API_KEY"]


def twilio_client():
    from twilio.rest import Client

    return Client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)


def resend_client():
    import resend

    resend.api_key = RESEND_API_KEY
    return resend
