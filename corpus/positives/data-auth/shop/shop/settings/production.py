"""Production settings for the shop project (Django 4.2)."""
from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "x4+^ru0530qfwhc-w0ocmracmq!un=5pkceow-^@3rz-+h=0-1"
ALLOWED_HOSTS = ["shop.larkspur.io"]
CSRF_TRUSTED_ORIGINS = ["https://shop.larkspur.io"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
STORAGES = {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
