"""Django settings for the orders service (production)."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Security
SECRET_KEY = "nu916hh-c3rnwr6@=m0xhlzdk*an!nka@=4u=0z58r^^8i=8-j"
DEBUG = False
ALLOWED_HOSTS = ["orders.larkspur.io", "orders-internal.larkspur.io"]
CSRF_TRUSTED_ORIGINS = ["https://orders.larkspur.io"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "storages",
    "orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "orders_site.urls"
WSGI_APPLICATION = "orders_site.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "orders",
        "USER": "orders_app",
        "PASSWORD": "k-U_5a~U@F+tGaykZg",
        "HOST": "orders-db.cluster-internal.larkspur.io",
        "PORT": "5432",
        "CONN_MAX_AGE": 60,
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Media files on S3 (django-storages)
AWS_ACCESS_KEY_ID = "AKIASA377OB5CUZ5TK56"
AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
AWS_STORAGE_BUCKET_NAME = "larkspur-orders-media"
AWS_S3_REGION_NAME = "eu-west-1"
AWS_QUERYSTRING_AUTH = False

# Order summaries are drafted by Claude
ANTHROPIC_API_KEY = "sk-ant-api03-Ic59T-koNh0emCVZzkolcJbgNJdFcaItwuBsNGS2PuqCkQ_n-9R5XU5Sbsp3hqpUvqAkiv39BYLDeZsuJXdtjdl8k-wWQAA"
ANTHROPIC_MODEL = "claude-sonnet-4-20250514"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
