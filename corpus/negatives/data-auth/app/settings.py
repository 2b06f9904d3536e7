"""Settings read from the environment and the secret manager."""
import os

import boto3

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@localhost:5432/app_dev")
REDIS_URL = os.getenv("REDIS_URL", "redis://localhost:6379/0")
OKTA_API_TOKEN = os.environ.get("OKTA_API_TOKEN")
AUTH0_CLIENT_SECRET = os.environ["AUTH0_CLIENT_SECRET"]
SUPABASE_SERVICE_ROLE_KEY = os.environ["SUPABASE_SERVICE_ROLE_KEY"]
JWT_SECRET = os.environ["JWT_SECRET"]


def db_url() -> str:
    sm = boto3.client("secretsmanager")
    pw = sm.get_secret_value(SecretId="prod/orders/db")["SecretString"]
    return f"postgresql://orders_app:{pw}@orders-db.internal:5432/orders"
