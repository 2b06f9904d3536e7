"""Outbound notifications: SMS, e-mail campaigns and transactional mail."""
import os

NOTIFY_FROM_NUMBER = "+447700900123"
NOTIFY_FROM_EMAIL = "orders@larkspur.io"

# Twilio (SMS fallback when push fails)
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = "62a9529adf2a2a97ba23ee3c998d03da"
TWILIO_API_KEY_SID = "SK8cb67291d12bed53067a34aa8d894c4d"
TWILIO_API_SECRET = "qtdb4Y3xNyCWnrEaw7ayMm8Zu1vtRs80"
TWILIO_MESSAGING_SERVICE = "orders-sms"

# Vonage is the secondary SMS route for +49 numbers
VONAGE_API_KEY = os.environ.get("VONAGE_API_KEY", "")
VONAGE_API_SECRET = "nknwZR9LsEhANmN1"

# Mailchimp: newsletter audience and transactional (Mandrill)
MAILCHIMP_API_KEY = "4ff15690eb22d6c5fb88b8d6f53dae8d-us14"
MAILCHIMP_SERVER = "us14"
MANDRILL_API_KEY = "md-j3cTNHWx73NYpRX8aQM-oM"

# Mailgun handles inbound replies
MAILGUN_DOMAIN = "mg.larkspur.io"
MAILGUN_API_KEY = "83fd61db46a266ddbd50ce17ace7cde1-520777ad-ed1ef108"

# Resend for receipts
RESEND_API_KEY = "re_RgkJ35Cg_EMlV6tKXHjZbg12z7SWYrlc3"
RECEIPT_TEMPLATE = "receipt-v3"
