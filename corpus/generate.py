#!/usr/bin/env python3
"""Generate the amplihack-remote evaluation corpus.

Every secret written by this script is a generated fake: random characters of the right
alphabet and length, drawn from a fixed seed, so the output is byte-for-byte reproducible.
Nothing here is copied from another project's test data. The only well-known values that
appear are public documentation values that must NOT be reported (the AWS documentation
keys ending in EXAMPLE and the Azurite storage-emulator key), and they appear only in
negatives.

Usage:  python3 corpus/generate.py [--out DIR]
        (rewrites DIR/positives, DIR/negatives and DIR/expected.toml, DIR defaulting to
        corpus/; stdlib only)

Rule families add their files from modules in corpus/families/: each defines
`generate(g)`, where `g` is this module (so `g.put`, `g.rand`, `g.T`, the alphabets...).
Modules run in name order, each with the random generator reseeded from its own name, so
editing one family never changes another family's files.
"""
from __future__ import annotations

import base64
import json
import random
import re
import shutil
import sys
import urllib.parse
import uuid
import zlib
from pathlib import Path

SEED = 0x5EC12E75
R = random.Random(SEED)
ROOT = Path(__file__).resolve().parent

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
B62 = DIGITS + UPPER + LOWER  # GitHub checksum alphabet, in this order
ALNUM = UPPER + LOWER + DIGITS
B64 = UPPER + LOWER + DIGITS + "+/"
URLSAFE = UPPER + LOWER + DIGITS + "_-"
HEX = "0123456789abcdef"
AWS_ID_ALPHABET = UPPER + "234567"

# Words that placeholder filters (rightly) treat as "not a real secret".
BANNED = re.compile(
    r"(?i)example|test|fake|dummy|sample|xxx|redact|change|placeholder|your|secret|passw|token|todo|key"
)


def clean(s: str) -> bool:
    """True if s has no banned word, no run of 4 identical characters and no run of 4
    consecutive ascending/descending characters (abcd, 4321)."""
    if BANNED.search(s):
        return False
    for i in range(len(s) - 3):
        a, b, c, d = (ord(ch) for ch in s[i : i + 4])
        if a == b == c == d:
            return False
        if b - a == c - b == d - c and abs(b - a) == 1:
            return False
    return True


def rand(alphabet: str, n: int) -> str:
    while True:
        s = "".join(R.choice(alphabet) for _ in range(n))
        if clean(s):
            return s


def token(build) -> str:
    """Call build() until the whole assembled token is clean (prefixes included)."""
    while True:
        t = build()
        if clean(t):
            return t


def b64bytes(n: int) -> str:
    while True:
        s = base64.b64encode(R.randbytes(n)).decode()
        if clean(s):
            return s


def hexstr(n: int) -> str:
    return rand(HEX, n)


def digits(n: int) -> str:
    return token(lambda: R.choice("123456789") + rand(DIGITS, n - 1))


def new_uuid() -> str:
    return str(uuid.UUID(int=R.getrandbits(128), version=4))


# ---------------------------------------------------------------------------------------
# Credential formats (see /work/shared/secret-formats.md)
# ---------------------------------------------------------------------------------------
def anthropic(kind: str = "api03") -> str:
    prefix = {
        "api03": "sk-ant-api03-",
        "admin01": "sk-ant-admin01-",
        "oat01": "sk-ant-oat01-",
        "ort01": "sk-ant-ort01-",
    }[kind]
    return token(lambda: prefix + rand(URLSAFE, 93) + "AA")


def openai(prefix: str, half: int) -> str:
    return token(lambda: prefix + rand(URLSAFE, half) + "T3BlbkFJ" + rand(URLSAFE, half))


def openai_legacy() -> str:
    return token(lambda: "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20))


def openai_legacy48() -> str:
    return token(lambda: "sk-" + rand(ALNUM, 48))


def b62(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def gh_checksum(body: str) -> str:
    return b62(zlib.crc32(body.encode()))


def github(prefix: str) -> str:
    def build():
        body = rand(B62, 30)
        return prefix + body + gh_checksum(body)

    return token(build)


def github_bad(prefix: str) -> str:
    """Right shape, wrong checksum: a documentation example, never a live token."""

    def build():
        body = rand(B62, 30)
        while True:
            cs = rand(B62, 6)
            if cs != gh_checksum(body):
                return prefix + body + cs

    return token(build)


def github_fine_grained() -> str:
    return token(lambda: "github_pat_11" + rand(UPPER + DIGITS, 20) + "_" + rand(B62, 59))


def b64_tail() -> str:
    # The last character before "==" of a 64-byte value is one of A, Q, g, w.
    return R.choice("AQgw") + "=="


def azure_storage_key_identifiable() -> str:
    return token(lambda: rand(B64, 76) + "+ASt" + rand(B64, 5) + b64_tail())


def azure_storage_key() -> str:
    def build():
        k = rand(B64, 85) + b64_tail()
        return k if k[76:80] != "+ASt" else "x"

    return token(build)


def azure_key32() -> str:
    """Service Bus / App Configuration key: 32 random bytes, base64 (44 chars, ends '=')."""
    return b64bytes(32)


def azure_entra_secret(version: str = "8") -> str:
    tail = 34 if version == "8" else 31
    return token(
        lambda: rand(ALNUM, 3) + version + "Q~" + rand(ALNUM + "_~.-", tail - 1) + rand(ALNUM, 1)
    )


def azure_acr_password() -> str:
    return token(lambda: rand(ALNUM, 1) + rand(B64, 41) + "+ACR" + rand(ALNUM, 6))


def azure_redis_key() -> str:
    return token(lambda: rand(ALNUM, 33) + "AzCa" + R.choice("ABCDEFGHIJKLMNOP") + rand(ALNUM, 5) + "=")


def azure_devops_pat() -> str:
    return token(lambda: rand(ALNUM, 76) + "AZDO" + rand(ALNUM, 4))


def azure_sas_url(account: str, container: str, perms: str) -> str:
    sig = urllib.parse.quote(azure_key32(), safe="")
    return (
        f"https://{account}.blob.core.windows.net/{container}"
        f"?sv=2022-11-02&ss=b&srt=co&sp={perms}&se=2026-06-30T18:00:00Z"
        f"&st=2025-01-06T09:00:00Z&spr=https&sig={sig}"
    )


def aws_id(prefix: str = "AKIA") -> str:
    return token(lambda: prefix + rand(AWS_ID_ALPHABET, 16))


def aws_secret() -> str:
    return token(lambda: rand(ALNUM, 1) + rand(ALNUM + "+/", 38) + rand(ALNUM, 1))


def gcp_api_key() -> str:
    return token(lambda: "AIzaSy" + rand(URLSAFE, 32) + rand(ALNUM, 1))


def slack_bot() -> str:
    return token(lambda: f"xoxb-{digits(12)}-{digits(13)}-{rand(ALNUM, 24)}")


def slack_user() -> str:
    return token(lambda: f"xoxp-{digits(12)}-{digits(12)}-{digits(13)}-{hexstr(32)}")


def slack_workspace() -> str:
    return token(lambda: f"xoxa-2-{digits(12)}-{digits(13)}-{digits(13)}-{hexstr(64)}")


def slack_refresh() -> str:
    return token(lambda: f"xoxr-{digits(12)}-{digits(13)}-{rand(ALNUM, 40)}")


def slack_config() -> str:
    return token(lambda: "xoxe-1-" + rand(ALNUM, 146))


def slack_webhook() -> str:
    return token(
        lambda: "https://hooks.slack.com/services/T0"
        + rand(UPPER + DIGITS, 8)
        + "/B0"
        + rand(UPPER + DIGITS, 9)
        + "/"
        + rand(ALNUM, 24)
    )


def stripe(prefix: str) -> str:
    return token(lambda: prefix + "51" + rand(ALNUM, 97))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(alg: str, claims: dict) -> str:
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig_len = 32 if alg.startswith("HS") else 256
    return token(lambda: f"{header}.{payload}.{b64url(R.randbytes(sig_len))}")


def password(n: int = 18) -> str:
    symbols = "!*+-.?@^_~"
    while True:
        s = R.choice(UPPER + LOWER) + "".join(R.choice(ALNUM + symbols) for _ in range(n - 1))
        if (
            clean(s)
            and any(c in UPPER for c in s)
            and any(c in LOWER for c in s)
            and any(c in DIGITS for c in s)
            and any(c in symbols for c in s)
            and len(set(s)) >= n - 3
        ):
            return s


def django_secret() -> str:
    return rand(LOWER + DIGITS + "!@^*-_=+", 50)


def header(kind: str, end: bool = False) -> str:
    return f"-----{'END' if end else 'BEGIN'} {kind}-----"


def b64_body(prefix: str, total: int) -> str:
    while True:
        s = prefix + "".join(R.choice(B64) for _ in range(total - len(prefix)))
        if clean(s[len(prefix) :]):
            return s


def wrap(s: str, width: int = 64) -> list[str]:
    return [s[i : i + width] for i in range(0, len(s), width)]


PEM_SHAPES = {
    # label: (DER prefix as base64, body length in base64 characters)
    "RSA PRIVATE KEY": ("MIIEpAIBAAKCAQEA", 1592),
    "PRIVATE KEY": ("MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQ", 1624),
    "EC PRIVATE KEY": ("MHcCAQEEI", 164),
    "OPENSSH PRIVATE KEY": ("b3BlbnNzaC1rZXktdjE", 400),
    "ENCRYPTED PRIVATE KEY": ("MIIFLTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI", 1776),
}


def private_key_pem(label: str) -> str:
    prefix, total = PEM_SHAPES[label]
    lines = [header(label)] + wrap(b64_body(prefix, total)) + [header(label, end=True)]
    return "\n".join(lines) + "\n"


def pgp_private_key() -> str:
    kind = "PGP PRIVATE KEY BLOCK"
    body = wrap(b64_body("lQdGBG", 1320))
    crc = "=" + rand(B64, 4)
    return "\n".join([header(kind), ""] + body + [crc, header(kind, end=True)]) + "\n"


def putty_key() -> tuple[str, str]:
    """Returns (file text, header line)."""
    pub = "AAAAC3NzaC1lZDI1NTE5AAAAI" + rand(B64, 43)
    priv = "AAAAI" + rand(B64, 43)
    head = "PuTTY-User-" + "Key-File-3: ssh-ed25519"
    text = "\n".join(
        [
            head,
            "Encryption: none",
            "Comment: ops@jumpbox-weu-01",
            "Public-Lines: 2",
            *wrap(pub),
            "Private-Lines: 1",
            priv,
            "Private-MAC: " + hexstr(64),
        ]
    ) + "\n"
    return text, head


def certificate() -> str:
    body = b64_body("MIIDazCCAlOgAwIBAgIU", 1240)
    return "\n".join([header("CERTIFICATE")] + wrap(body) + [header("CERTIFICATE", end=True)]) + "\n"


def public_key_pem() -> str:
    body = b64_body("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", 386) + "IDAQAB"
    return "\n".join([header("PUBLIC KEY")] + wrap(body) + [header("PUBLIC KEY", end=True)]) + "\n"


def ssh_pub(kind: str, comment: str) -> str:
    if kind == "ed25519":
        return f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rand(B64, 43)} {comment}"
    if kind == "rsa":
        return f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ{rand(B64, 506)}= {comment}"
    return f"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBB{rand(B64, 86)}= {comment}"


def indent(text: str, n: int) -> str:
    pad = " " * n
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


# ---------------------------------------------------------------------------------------
# File registry
# ---------------------------------------------------------------------------------------
FILES: dict[str, str] = {}
EXPECTED: list[tuple[str, int, str]] = []


def T(template: str, **values: str) -> str:
    for name, value in values.items():
        marker = "@@" + name + "@@"
        assert marker in template, f"unused value {name}"
        template = template.replace(marker, value)
    assert "@@" not in template, template[template.index("@@") - 40 : template.index("@@") + 40]
    return template


def put(rel: str, text: str, plants: list[tuple[str, str]] | tuple = ()) -> None:
    """Register a file. Each plant is (rule, needle): needle must occur exactly once and the
    expected line is the line where it starts."""
    assert rel not in FILES, rel
    for rule, needle in plants:
        count = text.count(needle)
        assert count == 1, f"{rel}: {rule} needle occurs {count} times"
        line = text.count("\n", 0, text.index(needle)) + 1
        EXPECTED.append((rel, line, rule))
    FILES[rel] = text


def notebook(cells: list[dict]) -> str:
    def src(text: str) -> list[str]:
        lines = text.split("\n")
        return [l + "\n" for l in lines[:-1]] + [lines[-1]]

    nb_cells = []
    for i, cell in enumerate(cells, 1):
        if cell["type"] == "markdown":
            nb_cells.append({"cell_type": "markdown", "metadata": {}, "source": src(cell["source"])})
        else:
            nb_cells.append(
                {
                    "cell_type": "code",
                    "execution_count": i,
                    "metadata": {},
                    "outputs": cell.get("outputs", []),
                    "source": src(cell["source"]),
                }
            )
    nb = {
        "cells": nb_cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.12.3"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


# Public values that must never be reported (documentation / emulator values).
AWS_DOC_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_DOC_ID_2 = "AKIAI44QH8DHBEXAMPLE"
AWS_DOC_SECRET_2 = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


# =======================================================================================
# Positives
# =======================================================================================
def positives() -> None:
    # ---------------------------------------------------------------- python
    ant, aws, db_pw, dj = anthropic(), aws_id(), password(), django_secret()
    put(
        "positives/python/settings.py",
        T(
            '''"""Django settings for the orders service (production)."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Security
SECRET_KEY = "@@dj@@"
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
        "PASSWORD": "@@pw@@",
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
AWS_ACCESS_KEY_ID = "@@aws@@"
AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
AWS_STORAGE_BUCKET_NAME = "larkspur-orders-media"
AWS_S3_REGION_NAME = "eu-west-1"
AWS_QUERYSTRING_AUTH = False

# Order summaries are drafted by Claude
ANTHROPIC_API_KEY = "@@ant@@"
ANTHROPIC_MODEL = "claude-sonnet-4-20250514"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
''',
            dj=dj,
            pw=db_pw,
            aws=aws,
            ant=ant,
        ),
        [("django-secret-key", dj), ("generic-password", db_pw), ("aws-access-key-id", aws), ("anthropic-api-key", ant)],
    )

    ant, proj = anthropic(), openai("sk-proj-", 58)
    put(
        "positives/python/llm_client.py",
        T(
            '''"""Provider wrapper for the support bot; falls back to OpenAI when Claude is overloaded."""
from __future__ import annotations

import logging

import anthropic
from openai import OpenAI

log = logging.getLogger(__name__)

claude = anthropic.Anthropic(api_key="@@ant@@")
gpt = OpenAI(api_key="@@proj@@")


def reply(history: list[dict[str, str]]) -> str:
    try:
        msg = claude.messages.create(
            model="claude-sonnet-4-20250514",
            max_tokens=800,
            messages=history,
        )
        return msg.content[0].text
    except anthropic.APIStatusError as err:
        if err.status_code not in (429, 529):
            raise
        log.warning("claude unavailable (%s), falling back", err.status_code)
    res = gpt.chat.completions.create(model="gpt-4o", messages=history, max_tokens=800)
    return res.choices[0].message.content or ""
''',
            ant=ant,
            proj=proj,
        ),
        [("anthropic-api-key", ant), ("openai-project-key", proj)],
    )

    aid, asec = aws_id(), aws_secret()
    put(
        "positives/python/s3_sync.py",
        T(
            '''#!/usr/bin/env python3
"""Nightly sync of exported invoices to the finance bucket."""
import argparse
import pathlib

import boto3

BUCKET = "larkspur-finance-exports"


def client():
    return boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id="@@aid@@",
        aws_secret_access_key="@@asec@@",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("export_dir", type=pathlib.Path)
    parser.add_argument("--prefix", default="invoices/")
    args = parser.parse_args()
    s3 = client()
    for path in sorted(args.export_dir.glob("*.csv")):
        name = f"{args.prefix}{path.name}"
        s3.upload_file(str(path), BUCKET, name)
        print(f"uploaded s3://{BUCKET}/{name}")


if __name__ == "__main__":
    main()
''',
            aid=aid,
            asec=asec,
        ),
        [("aws-access-key-id", aid), ("aws-secret-access-key", asec)],
    )

    pem = private_key_pem("PRIVATE KEY")
    put(
        "positives/python/signing.py",
        T(
            '''"""Signs webhook payloads sent to partners (RS256)."""
import base64
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

PARTNER_SIGNING_KEY = """@@pem@@"""


def sign(payload: dict) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    key = serialization.load_pem_private_key(PARTNER_SIGNING_KEY.encode(), password=None)
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
''',
            pem=pem,
        ),
        [("private-key-pem", pem)],
    )

    ant_admin, oai_admin = anthropic("admin01"), openai("sk-admin-", 58)
    put(
        "positives/python/usage_report.py",
        T(
            '''"""Monthly usage report from the Anthropic and OpenAI organisation admin APIs."""
import datetime as dt
import json
import urllib.request

ANTHROPIC_ADMIN_KEY = "@@ant_admin@@"
OPENAI_ADMIN_KEY = "@@oai_admin@@"


def _get(url: str, headers: list[tuple[str, str]]) -> dict:
    req = urllib.request.Request(url, headers=dict(headers))
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def anthropic_usage(start: dt.date, end: dt.date) -> dict:
    url = (
        "https://api.anthropic.com/v1/organizations/usage_report/messages"
        f"?starting_at={start.isoformat()}T00:00:00Z&ending_at={end.isoformat()}T00:00:00Z"
    )
    return _get(url, [("x-api-key", ANTHROPIC_ADMIN_KEY), ("anthropic-version", "2023-06-01")])


def openai_usage(start: dt.date) -> dict:
    ts = int(dt.datetime.combine(start, dt.time()).timestamp())
    url = f"https://api.openai.com/v1/organization/usage/completions?start_time={ts}"
    return _get(url, [("Authorization", "Bearer " + OPENAI_ADMIN_KEY)])


if __name__ == "__main__":
    today = dt.date.today()
    first = today.replace(day=1)
    print(json.dumps({"anthropic": anthropic_usage(first, today), "openai": openai_usage(first)}, indent=2))
''',
            ant_admin=ant_admin,
            oai_admin=oai_admin,
        ),
        [("anthropic-admin-key", ant_admin), ("openai-admin-key", oai_admin)],
    )

    # ---------------------------------------------------------------- javascript / typescript
    sk, hook = stripe("sk_live_"), slack_webhook()
    put(
        "positives/javascript/config.js",
        T(
            """'use strict';

module.exports = {
  port: Number(process.env.PORT || 8080),
  baseUrl: 'https://shop.larkspur.io',
  stripe: {
    secretKey: '@@sk@@',
    currency: 'gbp',
    webhookToleranceSeconds: 300,
  },
  slack: {
    ordersWebhook: '@@hook@@',
    channel: '#orders',
  },
  cache: {
    ttlSeconds: 600,
  },
};
""",
            sk=sk,
            hook=hook,
        ),
        [("stripe-secret-key", sk), ("slack-webhook-url", hook)],
    )

    fg, aiza = github_fine_grained(), gcp_api_key()
    pkg = {
        "name": "@larkspur/storefront",
        "version": "3.14.2",
        "private": True,
        "type": "module",
        "scripts": {
            "dev": "vite",
            "build": "vite build",
            "preview": "vite preview",
            "lint": "eslint src --max-warnings 0",
            "release": f"GITHUB_TOKEN={fg} semantic-release",
        },
        "config": {"mapsApiKey": aiza, "defaultLocale": "en-GB"},
        "dependencies": {"@googlemaps/js-api-loader": "^1.16.6", "react": "^18.3.1", "react-dom": "^18.3.1"},
        "devDependencies": {
            "@vitejs/plugin-react": "^4.3.1",
            "eslint": "^8.57.0",
            "semantic-release": "^23.1.1",
            "vite": "^5.2.11",
        },
        "engines": {"node": ">=20"},
    }
    put(
        "positives/javascript/package.json",
        json.dumps(pkg, indent=2) + "\n",
        [("github-fine-grained-pat", fg), ("gcp-api-key", aiza)],
    )

    proj, svc = openai("sk-proj-", 74), openai("sk-svcacct-", 74)
    put(
        "positives/typescript/openai.ts",
        T(
            """import OpenAI from "openai";

// Interactive key for the playground route.
const client = new OpenAI({
  apiKey: "@@proj@@",
});

// Service account used by the nightly batch summariser.
const batchClient = new OpenAI({ apiKey: "@@svc@@" });

export async function summarise(text: string): Promise<string> {
  const res = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "Summarise the support ticket in two sentences." },
      { role: "user", content: text },
    ],
    max_tokens: 200,
  });
  return res.choices[0]?.message?.content ?? "";
}

export async function submitBatch(fileId: string) {
  return batchClient.batches.create({
    input_file_id: fileId,
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
  });
}
""",
            proj=proj,
            svc=svc,
        ),
        [("openai-project-key", proj), ("openai-service-account-key", svc)],
    )

    ghs, gho, ghr = github("ghs_"), github("gho_"), github("ghr_")
    put(
        "positives/typescript/github-app.ts",
        T(
            """import { Octokit } from "@octokit/rest";

// Captured while debugging the webhook handler on 2024-05-14.
const installationToken = "@@ghs@@";
const userAccessToken = "@@gho@@";
const userRefreshToken = "@@ghr@@";

function octokitFor(token: string): Octokit {
  return new Octokit({ auth: token, userAgent: "larkspur-release-bot/1.4" });
}

export const appOctokit = octokitFor(installationToken);
export const userOctokit = octokitFor(userAccessToken);

export async function refreshUserAccess(clientId: string, clientSecret: string) {
  const params = new URLSearchParams([
    ["client_id", clientId],
    ["client_secret", clientSecret],
    ["grant_type", "refresh_token"],
    ["refresh_token", userRefreshToken],
  ]);
  const res = await fetch("https://github.com/login/oauth/access_token", {
    method: "POST",
    headers: { Accept: "application/json" },
    body: params,
  });
  return res.json();
}

export async function openReleasePr(owner: string, repo: string, head: string) {
  return appOctokit.rest.pulls.create({ owner, repo, head, base: "main", title: `Release ${head}` });
}
""",
            ghs=ghs,
            gho=gho,
            ghr=ghr,
        ),
        [
            ("github-server-to-server-token", ghs),
            ("github-oauth-token", gho),
            ("github-refresh-token", ghr),
        ],
    )

    # ---------------------------------------------------------------- go
    xoxb, ghp = slack_bot(), github("ghp_")
    put(
        "positives/go/main.go",
        T(
            """package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/slack-go/slack"
)

const (
	slackBotToken = "@@xoxb@@"
	alertChannel  = "@@chan@@"
	repoOwner     = "larkspur"
	repoName      = "platform"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	gh := github.NewClient(nil).WithAuthToken("@@ghp@@")
	opts := &github.ListWorkflowRunsOptions{Status: "failure"}
	runs, _, err := gh.Actions.ListRepositoryWorkflowRuns(ctx, repoOwner, repoName, opts)
	if err != nil {
		log.Fatalf("list runs: %v", err)
	}
	if runs.GetTotalCount() == 0 {
		return
	}

	api := slack.New(slackBotToken)
	msg := fmt.Sprintf(":red_circle: %d failed workflow runs in %s/%s", runs.GetTotalCount(), repoOwner, repoName)
	if _, _, err := api.PostMessageContext(ctx, alertChannel, slack.MsgOptionText(msg, false)); err != nil {
		fmt.Fprintln(os.Stderr, "slack:", err)
		os.Exit(1)
	}
}
""",
            xoxb=xoxb,
            chan="C0" + rand(UPPER + DIGITS, 9),
            ghp=ghp,
        ),
        [("slack-bot-token", xoxb), ("github-pat-classic", ghp)],
    )

    xoxp, signing = slack_user(), hexstr(32)
    put(
        "positives/go/notify.go",
        T(
            """package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Legacy user credential of the ops account; still used to post as "Ops".
const opsUserToken = "@@xoxp@@"

// Verifies requests coming from Slack slash commands.
const slackSigningSecret = "@@signing@@"

func Verify(r *http.Request, body []byte) bool {
	ts := r.Header.Get("X-Slack-Request-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)) > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(slackSigningSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(r.Header.Get("X-Slack-Signature")))
}

func Post(channel, text string) error {
	payload := []byte(`{"channel":"` + channel + `","text":"` + text + `"}`)
	req, err := http.NewRequest(http.MethodPost, "https://slack.com/api/chat.postMessage", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+opsUserToken)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
""",
            xoxp=xoxp,
            signing=signing,
        ),
        [("slack-user-token", xoxp), ("generic-secret", signing)],
    )

    # ---------------------------------------------------------------- rust
    ant, ghp, legacy = anthropic(), github("ghp_"), openai_legacy()
    put(
        "positives/rust/src/client.rs",
        T(
            """//! HTTP client for the model gateway.

use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::json;

const ANTHROPIC_API_KEY: &str = "@@ant@@";
const GITHUB_TOKEN: &str = "@@ghp@@";
const OPENAI_API_KEY: &str = "@@legacy@@";

pub struct Gateway {
    http: Client,
}

impl Gateway {
    pub fn new() -> reqwest::Result<Self> {
        let http = Client::builder().timeout(Duration::from_secs(60)).build()?;
        Ok(Self { http })
    }

    pub fn complete(&self, prompt: &str) -> reqwest::Result<serde_json::Value> {
        self.http
            .post("https://api.anthropic.com/v1/messages")
            .header("x-api-key", ANTHROPIC_API_KEY)
            .header("anthropic-version", "2023-06-01")
            .json(&json!({
                "model": "claude-sonnet-4-20250514",
                "max_tokens": 1024,
                "messages": [{"role": "user", "content": prompt}],
            }))
            .send()?
            .json()
    }

    pub fn embed(&self, text: &str) -> reqwest::Result<serde_json::Value> {
        self.http
            .post("https://api.openai.com/v1/embeddings")
            .bearer_auth(OPENAI_API_KEY)
            .json(&json!({"model": "text-embedding-3-small", "input": text}))
            .send()?
            .json()
    }

    pub fn open_issue(&self, title: &str, body: &str) -> reqwest::Result<serde_json::Value> {
        self.http
            .post("https://api.github.com/repos/larkspur/gateway/issues")
            .bearer_auth(GITHUB_TOKEN)
            .header("user-agent", "larkspur-gateway")
            .json(&json!({"title": title, "body": body}))
            .send()?
            .json()
    }
}
""",
            ant=ant,
            ghp=ghp,
            legacy=legacy,
        ),
        [("anthropic-api-key", ant), ("github-pat-classic", ghp), ("openai-legacy-key", legacy)],
    )

    # ---------------------------------------------------------------- java
    aid, asec = aws_id(), aws_secret()
    put(
        "positives/java/S3Config.java",
        T(
            """package io.larkspur.billing.config;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.regions.Regions;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
public class S3Config {

    // Temporary until the IRSA role is approved (BILL-2291).
    private static final String ACCESS_KEY_ID = "@@aid@@";
    private static final String SECRET_ACCESS_KEY = "@@asec@@";

    @Bean
    public AmazonS3 amazonS3() {
        BasicAWSCredentials basic = new BasicAWSCredentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY);
        return AmazonS3ClientBuilder.standard()
                .withRegion(Regions.EU_WEST_1)
                .withCredentials(new AWSStaticCredentialsProvider(basic))
                .build();
    }
}
""",
            aid=aid,
            asec=asec,
        ),
        [("aws-access-key-id", aid), ("aws-secret-access-key", asec)],
    )

    pw, skey = password(), azure_storage_key()
    put(
        "positives/java/application.properties",
        T(
            """# Billing service - production profile
spring.application.name=billing
server.port=8080
spring.datasource.url=jdbc:postgresql://billing-db.internal.larkspur.io:5432/billing
spring.datasource.username=billing_svc
spring.datasource.password=@@pw@@
spring.datasource.hikari.maximum-pool-size=20
spring.jpa.hibernate.ddl-auto=validate
spring.jpa.open-in-view=false
azure.storage.account-name=larkspurinvoices
azure.storage.account-key=@@skey@@
azure.storage.container=invoices
management.endpoints.web.exposure.include=health,info,prometheus
logging.level.org.hibernate.SQL=warn
""",
            pw=pw,
            skey=skey,
        ),
        [("generic-password", pw), ("azure-storage-account-key", skey)],
    )

    # ---------------------------------------------------------------- c#
    sb = (
        "Endpoint=sb://larkspur-fulfilment.servicebus.windows.net/;"
        "SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=" + azure_key32()
    )
    entra = azure_entra_secret("8")
    put(
        "positives/csharp/Program.cs",
        T(
            """using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Azure.Security.KeyVault.Secrets;

namespace Larkspur.Fulfilment;

public static class Program
{
    // Copied from the portal while Key Vault access was broken (INC-3107).
    private const string ServiceBusConnection =
        "@@sb@@";

    public static async Task Main(string[] args)
    {
        var credential = new ClientSecretCredential(
            tenantId: "@@tenant@@",
            clientId: "@@client@@",
            clientSecret: "@@entra@@");

        var vault = new SecretClient(new Uri("https://kv-fulfilment-prod.vault.azure.net/"), credential);
        KeyVaultSecret shipping = await vault.GetSecretAsync("shipping-api-key");

        await using var client = new ServiceBusClient(ServiceBusConnection);
        await using var processor = client.CreateProcessor("orders", new ServiceBusProcessorOptions
        {
            MaxConcurrentCalls = 4,
            AutoCompleteMessages = false,
        });

        processor.ProcessMessageAsync += async message =>
        {
            var body = message.Message.Body.ToString();
            Console.WriteLine($"received {message.Message.MessageId}: {body.Length} bytes");
            await message.CompleteMessageAsync(message.Message);
        };
        processor.ProcessErrorAsync += failure =>
        {
            Console.Error.WriteLine(failure.Exception);
            return Task.CompletedTask;
        };

        await processor.StartProcessingAsync();
        Console.ReadLine();
    }
}
""",
            sb=sb,
            tenant=new_uuid(),
            client=new_uuid(),
            entra=entra,
        ),
        [("azure-service-bus-connection-string", sb), ("azure-entra-client-secret", entra)],
    )

    appcfg = (
        "Endpoint=https://larkspur-appconfig.azconfig.io;Id="
        + rand(ALNUM, 4)
        + "-l0-s0:"
        + rand(ALNUM, 20)
        + ";Secret="
        + azure_key32()
    )
    redis, ident = azure_redis_key(), azure_storage_key_identifiable()
    settings = {
        "Logging": {"LogLevel": {"Default": "Information", "Microsoft.AspNetCore": "Warning"}},
        "AllowedHosts": "*",
        "AppConfiguration": {"ConnectionString": appcfg, "RefreshIntervalSeconds": 30},
        "Redis": {
            "Host": "larkspur-cache.redis.cache.windows.net",
            "Port": 6380,
            "Ssl": True,
            "PrimaryKey": redis,
        },
        "Storage": {"AccountName": "larkspurassets", "AccountKey": ident, "Container": "product-images"},
    }
    put(
        "positives/csharp/appsettings.json",
        json.dumps(settings, indent=2) + "\n",
        [
            ("azure-app-configuration-connection-string", appcfg),
            ("azure-cache-redis-key", redis),
            ("azure-storage-account-key-identifiable", ident),
        ],
    )

    sql_pw = password()
    conn = (
        "DefaultEndpointsProtocol=https;AccountName=larkspurdocs;AccountKey="
        + azure_storage_key()
        + ";EndpointSuffix=core.windows.net"
    )
    put(
        "positives/csharp/App.config",
        T(
            """<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <startup>
    <supportedRuntime version="v4.0" sku=".NETFramework,Version=v4.8" />
  </startup>
  <connectionStrings>
    <add name="OrdersDb"
         connectionString="Server=tcp:larkspur-sql.database.windows.net,1433;Initial Catalog=orders;User ID=orders_app;Password=@@pw@@;Encrypt=True;Connection Timeout=30;"
         providerName="System.Data.SqlClient" />
    <add name="DocumentStorage"
         connectionString="@@conn@@" />
  </connectionStrings>
  <appSettings>
    <add key="DocumentContainer" value="signed-contracts" />
    <add key="MaxUploadMegabytes" value="25" />
  </appSettings>
</configuration>
""",
            pw=sql_pw,
            conn=conn,
        ),
        [("ado-net-connection-string-password", sql_pw), ("azure-storage-connection-string", conn)],
    )

    # ---------------------------------------------------------------- ruby
    rk, apikey = stripe("rk_live_"), rand(ALNUM, 32)
    put(
        "positives/ruby/stripe.rb",
        T(
            """# config/initializers/stripe.rb
Rails.configuration.stripe = {
  publishable_key: ENV.fetch("STRIPE_PUBLISHABLE_KEY", nil),
  currency: "gbp"
}

# Restricted key: charges and refunds only (created 2024-03-18 by @mhale)
Stripe.api_key = "@@rk@@"
Stripe.api_version = "2024-06-20"
Stripe.max_network_retries = 2

# OpenCage geocoding for delivery addresses
GEOCODER_API_KEY = "@@apikey@@"
""",
            rk=rk,
            apikey=apikey,
        ),
        [("stripe-restricted-key", rk), ("generic-api-key", apikey)],
    )

    pw = password()
    put(
        "positives/ruby/database.yml",
        T(
            """default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>

development:
  <<: *default
  database: storefront_development

test:
  <<: *default
  database: storefront_test

production:
  <<: *default
  database: storefront_production
  username: storefront
  password: @@pw@@
  host: storefront-db.internal.larkspur.io
""",
            pw=pw,
        ),
        [("generic-password", pw)],
    )

    # ---------------------------------------------------------------- shell
    ghp, azdo, legacy = github("ghp_"), azure_devops_pat(), openai_legacy()
    put(
        "positives/shell/deploy.sh",
        T(
            """#!/usr/bin/env bash
# Release script for the CLI. Run from the repo root on the build agent.
set -euo pipefail

VERSION="${1:?usage: deploy.sh <version>}"

export GH_TOKEN="@@ghp@@"
export AZURE_DEVOPS_EXT_PAT="@@azdo@@"
export OPENAI_API_KEY="@@legacy@@"

echo "Building larkspur-cli ${VERSION}"
cargo build --release --locked
tar -C target/release -czf "larkspur-cli-${VERSION}-linux-x86_64.tar.gz" larkspur-cli
sha256sum "larkspur-cli-${VERSION}-linux-x86_64.tar.gz" > SHA256SUMS

gh release create "v${VERSION}" --generate-notes \\
  "larkspur-cli-${VERSION}-linux-x86_64.tar.gz" SHA256SUMS

az pipelines run --organization https://dev.azure.com/larkspur --project cli \\
  --name publish-docs --variables "version=${VERSION}"

# Release notes summary
python3 scripts/summarise_changelog.py --model gpt-4o-mini CHANGELOG.md
""",
            ghp=ghp,
            azdo=azdo,
            legacy=legacy,
        ),
        [("github-pat-classic", ghp), ("azure-devops-pat", azdo), ("openai-legacy-key", legacy)],
    )

    aid, asec = aws_id(), aws_secret()
    pem = private_key_pem("OPENSSH PRIVATE KEY")
    sas = azure_sas_url("larkspurseed", "datasets", "rl")
    put(
        "positives/shell/bootstrap.sh",
        T(
            """#!/bin/sh
# Bootstrap a fresh build VM.
set -eu

apt-get update -qq && apt-get install -y -qq awscli git jq

aws configure set aws_access_key_id @@aid@@
aws configure set aws_secret_access_key @@asec@@
aws configure set region eu-west-1

mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
cat > "$HOME/.ssh/id_ed25519" <<'EOF'
@@pem@@EOF
chmod 600 "$HOME/.ssh/id_ed25519"
ssh-keyscan github.com >> "$HOME/.ssh/known_hosts"

# Seed data set (azcopy is baked into the image)
azcopy copy "@@sas@@" /srv/seed --recursive

git clone git@github.com:larkspur/build-tools.git /opt/build-tools
""",
            aid=aid,
            asec=asec,
            pem=pem,
            sas=sas,
        ),
        [
            ("aws-access-key-id", aid),
            ("aws-secret-access-key", asec),
            ("private-key-pem", pem),
            ("azure-sas-token", sas),
        ],
    )

    # ---------------------------------------------------------------- yaml
    aid, asec = aws_id(), aws_secret()
    put(
        "positives/yaml/.github/workflows/deploy.yml",
        T(
            """name: Deploy API

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: deploy-${{ github.ref }}
  cancel-in-progress: true

jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    env:
      AWS_ACCESS_KEY_ID: @@aid@@
      AWS_SECRET_ACCESS_KEY: @@asec@@
      AWS_DEFAULT_REGION: eu-west-1
      ECR_REPOSITORY: larkspur/api
    steps:
      - uses: actions/checkout@v4

      - name: Log in to Amazon ECR
        id: ecr
        uses: aws-actions/amazon-ecr-login@v2

      - name: Build and push
        run: |
          docker build -t "${{ steps.ecr.outputs.registry }}/$ECR_REPOSITORY:${{ github.sha }}" .
          docker push "${{ steps.ecr.outputs.registry }}/$ECR_REPOSITORY:${{ github.sha }}"

      - name: Roll out
        run: aws ecs update-service --cluster prod --service api --force-new-deployment

      - name: Notify
        if: always()
        uses: slackapi/slack-github-action@v1.26.0
        with:
          payload: '{"text": "API deploy ${{ job.status }}"}'
        env:
          SLACK_WEBHOOK_URL: ${{ secrets.SLACK_DEPLOY_WEBHOOK }}
          SLACK_WEBHOOK_TYPE: INCOMING_WEBHOOK
""",
            aid=aid,
            asec=asec,
        ),
        [("aws-access-key-id", aid), ("aws-secret-access-key", asec)],
    )

    oat = anthropic("oat01")
    put(
        "positives/yaml/.github/workflows/claude-review.yml",
        T(
            """name: Claude review

on:
  pull_request:
    types: [opened, synchronize]

jobs:
  review:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 1

      - uses: anthropics/claude-code-action@v1
        with:
          # FIXME: move this into a repository secret before merging
          claude_code_oauth_token: @@oat@@
          github_token: ${{ secrets.GITHUB_TOKEN }}
          prompt: |
            Review this pull request for correctness and security problems.
            Keep comments short and point at the exact lines.
""",
            oat=oat,
        ),
        [("anthropic-oauth-access-token", oat)],
    )

    proj, ant = openai("sk-proj-", 74), anthropic()
    cert = certificate()
    ec = private_key_pem("EC PRIVATE KEY")
    put(
        "positives/yaml/k8s/secret.yaml",
        T(
            """apiVersion: v1
kind: Secret
metadata:
  name: inference-gateway
  namespace: ml
  labels:
    app.kubernetes.io/name: inference-gateway
    app.kubernetes.io/part-of: assistant
type: Opaque
stringData:
  OPENAI_API_KEY: @@proj@@
  ANTHROPIC_API_KEY: @@ant@@
  GATEWAY_LOG_LEVEL: info
---
apiVersion: v1
kind: Secret
metadata:
  name: inference-gateway-tls
  namespace: ml
type: kubernetes.io/tls
stringData:
  tls.crt: |
@@cert@@  tls.key: |
@@ec@@""",
            proj=proj,
            ant=ant,
            cert=indent(cert, 4),
            ec=indent(ec, 4),
        ),
        [("openai-project-key", proj), ("anthropic-api-key", ant), ("private-key-pem", "    " + header("EC PRIVATE KEY"))],
    )

    ant, hook, pw = anthropic(), slack_webhook(), password()
    put(
        "positives/yaml/docker-compose.yml",
        T(
            """services:
  api:
    build: .
    ports:
      - "8000:8000"
    environment:
      DATABASE_HOST: db
      DATABASE_NAME: summariser
      DATABASE_USER: summariser
      ANTHROPIC_API_KEY: @@ant@@
      SLACK_WEBHOOK_URL: @@hook@@
    depends_on:
      - db

  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_DB: summariser
      POSTGRES_USER: summariser
      POSTGRES_PASSWORD: @@pw@@
    volumes:
      - pgdata:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U summariser"]
      interval: 10s
      retries: 5

volumes:
  pgdata:
""",
            ant=ant,
            hook=hook,
            pw=pw,
        ),
        [("anthropic-api-key", ant), ("slack-webhook-url", hook), ("generic-password", pw)],
    )

    dd = hexstr(32)
    put(
        "positives/yaml/datadog.yaml",
        T(
            """## Datadog Agent configuration (/etc/datadog-agent/datadog.yaml) on the build runners
api_key: @@dd@@
site: datadoghq.eu
hostname: build-runner-07
tags:
  - env:ci
  - team:platform
logs_enabled: true
apm_config:
  enabled: true
process_config:
  process_collection:
    enabled: false
""",
            dd=dd,
        ),
        [("generic-api-key", dd)],
    )

    # ---------------------------------------------------------------- json
    pk = private_key_pem("PRIVATE KEY")
    sa = {
        "type": "service_account",
        "project_id": "larkspur-analytics-prod",
        "private_key_id": hexstr(40),
        "private_key": pk,
        "client_email": "etl-runner@larkspur-analytics-prod.iam.gserviceaccount.com",
        "client_id": digits(21),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        "etl-runner%40larkspur-analytics-prod.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }
    put(
        "positives/json/gcp-service-account.json",
        json.dumps(sa, indent=2) + "\n",
        [("gcp-service-account-key", '"private_key": "')],
    )

    oat, ort = anthropic("oat01"), anthropic("ort01")
    creds = {
        "claudeAiOauth": {
            "accessToken": oat,
            "refreshToken": ort,
            "expiresAt": 1767225600000,
            "scopes": ["user:inference", "user:profile"],
            "subscriptionType": "max",
        }
    }
    put(
        "positives/json/claude-credentials.json",
        json.dumps(creds, indent=2) + "\n",
        [("anthropic-oauth-access-token", oat), ("anthropic-oauth-refresh-token", ort)],
    )

    # ---------------------------------------------------------------- env
    ant, proj, sk, ghp, xoxb = anthropic(), openai("sk-proj-", 74), stripe("sk_live_"), github("ghp_"), slack_bot()
    tok = jwt(
        "HS256",
        {
            "sub": "svc-assistant",
            "iss": "https://auth.larkspur.io",
            "aud": "assistant-api",
            "iat": 1714560000,
            "exp": 1746096000,
            "scope": "tickets:read tickets:write",
        },
    )
    put(
        "positives/env/.env",
        T(
            """# Assistant service - local settings (this file was committed by mistake)
NODE_ENV=development
PORT=3000
LOG_LEVEL=debug

ANTHROPIC_API_KEY=@@ant@@
OPENAI_API_KEY=@@proj@@
STRIPE_SECRET_KEY=@@sk@@
GITHUB_TOKEN=@@ghp@@
SLACK_BOT_TOKEN=@@xoxb@@
SERVICE_JWT=@@jwt@@

DATABASE_URL=postgres://assistant@localhost:5432/assistant
REDIS_URL=redis://localhost:6379/0
FEATURE_FLAGS=summaries,handoff
""",
            ant=ant,
            proj=proj,
            sk=sk,
            ghp=ghp,
            xoxb=xoxb,
            jwt=tok,
        ),
        [
            ("anthropic-api-key", ant),
            ("openai-project-key", proj),
            ("stripe-secret-key", sk),
            ("github-pat-classic", ghp),
            ("slack-bot-token", xoxb),
            ("jwt", tok),
        ],
    )

    asia, entra7 = aws_id("ASIA"), azure_entra_secret("7")
    conn = (
        "DefaultEndpointsProtocol=https;AccountName=larkspurmedia;AccountKey="
        + azure_storage_key()
        + ";EndpointSuffix=core.windows.net"
    )
    ident, svc, sess = azure_storage_key_identifiable(), openai("sk-svcacct-", 58), rand(ALNUM, 48)
    put(
        "positives/env/.env.production",
        T(
            """APP_ENV=production
AWS_REGION=eu-west-1
# short-lived credentials from the deploy role
AWS_ACCESS_KEY_ID=@@asia@@
AZURE_TENANT_ID=@@tenant@@
AZURE_CLIENT_ID=@@client@@
AZURE_CLIENT_SECRET=@@entra7@@
AZURE_STORAGE_CONNECTION_STRING=@@conn@@
AZURE_STORAGE_ACCOUNT=larkspurmedia
# key2, used by the thumbnailer
AZURE_STORAGE_KEY=@@ident@@
OPENAI_API_KEY=@@svc@@
SESSION_SECRET=@@sess@@
SENTRY_ENVIRONMENT=production
REDIS_HOST=cache.internal
REDIS_PASSWORD=orchid42
""",
            asia=asia,
            tenant=new_uuid(),
            client=new_uuid(),
            entra7=entra7,
            conn=conn,
            ident=ident,
            svc=svc,
            sess=sess,
        ),
        [
            ("aws-access-key-id", asia),
            ("azure-entra-client-secret", entra7),
            ("azure-storage-connection-string", conn),
            ("azure-storage-account-key-identifiable", ident),
            ("openai-service-account-key", svc),
            ("dotenv-sensitive-value", sess),
            ("dotenv-sensitive-value", "REDIS_PASSWORD=orchid42"),
        ],
    )

    # ---------------------------------------------------------------- docker
    fg, proj = github_fine_grained(), openai("sk-proj-", 74)
    put(
        "positives/docker/Dockerfile",
        T(
            """# syntax=docker/dockerfile:1.7
FROM python:3.12-slim AS build

ARG GITHUB_PAT=@@fg@@
WORKDIR /src
COPY requirements.txt .
RUN pip install --no-cache-dir --prefix=/install -r requirements.txt \\
 && pip install --no-cache-dir --prefix=/install \\
      "git+https://${GITHUB_PAT}@github.com/larkspur/model-utils.git@v0.9.2"

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1
ENV OPENAI_API_KEY=@@proj@@
COPY --from=build /install /usr/local
WORKDIR /app
COPY . .
USER 10001
EXPOSE 8080
CMD ["gunicorn", "--bind", "0.0.0.0:8080", "--workers", "3", "app:create_app()"]
""",
            fg=fg,
            proj=proj,
        ),
        [("github-fine-grained-pat", fg), ("openai-project-key", proj)],
    )

    # ---------------------------------------------------------------- terraform
    aid, asec, entra, acr = aws_id(), aws_secret(), azure_entra_secret("8"), azure_acr_password()
    put(
        "positives/terraform/main.tf",
        T(
            """terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.100"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.30"
    }
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = "@@aid@@"
  secret_key = "@@asec@@"
}

provider "azurerm" {
  features {}
  subscription_id = "@@sub@@"
  tenant_id       = "@@tenant@@"
  client_id       = "@@client@@"
  client_secret   = "@@entra@@"
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "larkspur-build-artifacts"
}

resource "azurerm_resource_group" "platform" {
  name     = "rg-platform-weu"
  location = "westeurope"
}

resource "kubernetes_secret" "acr_pull" {
  metadata {
    name      = "acr-pull"
    namespace = "apps"
  }

  type = "kubernetes.io/dockerconfigjson"

  data = {
    ".dockerconfigjson" = jsonencode({
      auths = {
        "larkspur.azurecr.io" = {
          username = "larkspur-pull"
          password = "@@acr@@"
        }
      }
    })
  }
}
""",
            aid=aid,
            asec=asec,
            sub=new_uuid(),
            tenant=new_uuid(),
            client=new_uuid(),
            entra=entra,
            acr=acr,
        ),
        [
            ("aws-access-key-id", aid),
            ("aws-secret-access-key", asec),
            ("azure-entra-client-secret", entra),
            ("azure-container-registry-password", acr),
        ],
    )

    skey = azure_storage_key()
    put(
        "positives/terraform/terraform.tfvars",
        T(
            """location             = "westeurope"
environment          = "prod"
resource_group_name  = "rg-tfstate-weu"
storage_account_name = "larkspurtfstate"
storage_account_key  = "@@skey@@"
container_name       = "tfstate"
""",
            skey=skey,
        ),
        [("azure-storage-account-key", skey)],
    )

    # ---------------------------------------------------------------- notebook
    ant, l48 = anthropic(), openai_legacy48()
    nb = notebook(
        [
            {
                "type": "markdown",
                "source": "# Ticket sentiment\n\nCompare Claude with the old OpenAI completion model on last quarter's tickets.",
            },
            {
                "type": "code",
                "source": "import anthropic\nimport openai\nimport pandas as pd\n\n"
                f'client = anthropic.Anthropic(api_key="{ant}")\n'
                f'openai.api_key = "{l48}"',
            },
            {
                "type": "code",
                "source": 'tickets = pd.read_csv("exports/tickets_2024q1.csv")\ntickets.shape',
                "outputs": [
                    {
                        "data": {"text/plain": ["(512, 7)"]},
                        "execution_count": 3,
                        "metadata": {},
                        "output_type": "execute_result",
                    }
                ],
            },
            {
                "type": "code",
                "source": "def classify(text):\n"
                "    msg = client.messages.create(\n"
                '        model="claude-3-5-haiku-latest",\n'
                "        max_tokens=5,\n"
                '        messages=[{"role": "user", "content": f"Sentiment (pos/neg/neu) of: {text}"}],\n'
                "    )\n"
                "    return msg.content[0].text.strip()\n\n"
                'tickets["claude"] = tickets["body"].map(classify)',
            },
        ]
    )
    put(
        "positives/notebooks/analysis.ipynb",
        nb,
        [("anthropic-api-key", ant), ("openai-legacy-key-48", l48)],
    )

    # ---------------------------------------------------------------- markdown
    ant = anthropic()
    tok = jwt(
        "RS256",
        {
            "sub": "admin-console",
            "iss": "https://auth.staging.larkspur.io",
            "aud": "console",
            "iat": 1719792000,
            "exp": 1727740800,
            "roles": ["admin"],
            "jti": new_uuid(),
        },
    )
    put(
        "positives/docs/onboarding.md",
        T(
            """# Onboarding: assistant service

Welcome! This page gets you from a fresh laptop to a running local stack.

## 1. Tools

- Python 3.12 and `uv`
- Docker Desktop
- The `az` and `gh` command-line tools

## 2. Credentials

Ask in #platform-access for your own keys. Until yours arrive you can use the shared team key:

```bash
export ANTHROPIC_API_KEY=@@ant@@
```

The staging admin console accepts this service session (it expires at the end of the quarter):

```text
@@jwt@@
```

## 3. Run it

```bash
uv sync
docker compose up -d db
uv run python -m assistant.server --reload
```

Open http://localhost:8000/docs to try the API.
""",
            ant=ant,
            jwt=tok,
        ),
        [("anthropic-api-key", ant), ("jwt", tok)],
    )

    sas, ghu = azure_sas_url("larkspurbackups", "sql-backups", "rl"), github("ghu_")
    put(
        "positives/docs/runbook.md",
        T(
            """# Runbook: restoring the orders database

1. Stop the writers: `kubectl -n orders scale deploy/orders-api --replicas=0`.
2. Download the latest backup with the read-only URL below:

   ```bash
   azcopy copy "@@sas@@" ./restore/ --recursive
   ```

3. Restore with `pg_restore --clean --no-owner -d orders ./restore/latest.dump`.
4. Scale the writers back up and watch the error rate for 15 minutes.

## Appendix: log excerpt from INC-2231

```
2024-05-02T10:11:12Z INFO  github-app: oauth callback for user mhale
2024-05-02T10:11:13Z DEBUG github-app: exchanged code, user credential @@ghu@@ (expires in 28800s)
2024-05-02T10:11:13Z INFO  github-app: session started
```
""",
            sas=sas,
            ghu=ghu,
        ),
        [("azure-sas-token", sas), ("github-user-to-server-token", ghu)],
    )

    # ---------------------------------------------------------------- ini / properties
    id1, s1, id2, s2 = aws_id(), aws_secret(), aws_id(), aws_secret()
    put(
        "positives/ini/credentials",
        T(
            """[default]
aws_access_key_id = @@id1@@
aws_secret_access_key = @@s1@@
region = eu-west-1
output = json

[ci-deployer]
aws_access_key_id = @@id2@@
aws_secret_access_key = @@s2@@
region = us-east-1
""",
            id1=id1,
            s1=s1,
            id2=id2,
            s2=s2,
        ),
        [
            ("aws-access-key-id", id1),
            ("aws-secret-access-key", s1),
            ("aws-access-key-id", id2),
            ("aws-secret-access-key", s2),
        ],
    )

    xoxa, xoxr, xoxe, pw = slack_workspace(), slack_refresh(), slack_config(), password()
    put(
        "positives/ini/config.ini",
        T(
            """; Chat-ops bot configuration
[general]
name = larkbot
log_level = info

[slack]
workspace = larkspur
workspace_token = @@xoxa@@
refresh_token = @@xoxr@@
app_config_token = @@xoxe@@
default_channel = ops-alerts

[database]
host = ops-db.internal.larkspur.io
port = 5432
user = larkbot
password = @@pw@@
""",
            xoxa=xoxa,
            xoxr=xoxr,
            xoxe=xoxe,
            pw=pw,
        ),
        [
            ("slack-workspace-access-token", xoxa),
            ("slack-refresh-token", xoxr),
            ("slack-config-token", xoxe),
            ("generic-password", pw),
        ],
    )

    # ---------------------------------------------------------------- xml
    pw = password()
    put(
        "positives/xml/settings.xml",
        T(
            """<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://maven.apache.org/SETTINGS/1.2.0 https://maven.apache.org/xsd/settings-1.2.0.xsd">
  <servers>
    <server>
      <id>larkspur-releases</id>
      <username>ci-publisher</username>
      <password>@@pw@@</password>
    </server>
  </servers>
  <mirrors>
    <mirror>
      <id>larkspur-nexus</id>
      <mirrorOf>*</mirrorOf>
      <url>https://nexus.larkspur.io/repository/maven-public/</url>
    </mirror>
  </mirrors>
</settings>
""",
            pw=pw,
        ),
        [("generic-password", pw)],
    )

    aiza = gcp_api_key()
    put(
        "positives/xml/strings.xml",
        T(
            """<?xml version="1.0" encoding="utf-8"?>
<resources>
    <string name="app_name">Larkspur Delivery</string>
    <string name="google_maps_key" translatable="false">@@aiza@@</string>
    <string name="action_track">Track parcel</string>
    <string name="error_network">No connection. Check your network and try again.</string>
</resources>
""",
            aiza=aiza,
        ),
        [("gcp-api-key", aiza)],
    )

    # ---------------------------------------------------------------- key files
    rsa = private_key_pem("RSA PRIVATE KEY")
    put("positives/keys/server.key", rsa, [("private-key-pem", rsa)])

    enc = private_key_pem("ENCRYPTED PRIVATE KEY")
    put("positives/keys/legacy-partner.pem", enc, [("private-key-pem", enc)])

    pgp = pgp_private_key()
    put("positives/keys/release-signing.asc", pgp, [("private-key-pgp", pgp)])

    ppk, ppk_head = putty_key()
    put("positives/keys/jumpbox.ppk", ppk, [("private-key-putty", ppk_head)])


# =======================================================================================
# Negatives: every file here must produce no finding at all.
# =======================================================================================
def negatives() -> None:
    # ---------------------------------------------------------------- python
    put(
        "negatives/python/settings_env.py",
        '''"""Settings loaded from the environment; nothing secret lives in this file."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import keyring

ANTHROPIC_API_KEY = os.environ["ANTHROPIC_API_KEY"]
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
GITHUB_TOKEN = os.getenv("GITHUB_TOKEN")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "changeme")
AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
STRIPE_API_KEY: str | None = os.environ.get("STRIPE_API_KEY")
DB_PASSWORD_FILE = "/run/secrets/db_password"
VAULT_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def get_password(service: str = "orders-db") -> str:
    """Read the database password from the OS keyring."""
    password = keyring.get_password(service, "orders_app")
    if password is None:
        raise RuntimeError(f"no password stored for {service}")
    return password


@dataclass
class DatabaseConfig:
    host: str
    user: str
    password: str
    port: int = 5432
    api_key: Optional[str] = None
    ssl_root_cert: str = "/etc/ssl/certs/ca-certificates.crt"
    options: dict[str, str] = field(default_factory=dict)


def load() -> DatabaseConfig:
    password = get_password()
    token = os.environ.get("VAULT_TOKEN", "")
    api_key = None
    return DatabaseConfig(
        host=os.environ.get("DB_HOST", "localhost"),
        user=os.environ.get("DB_USER", "orders_app"),
        password=password,
        api_key=api_key,
        options={"vault_token_present": str(bool(token))},
    )


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}
''',
    )

    put(
        "negatives/python/forms.py",
        '''from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import PasswordResetTokenGenerator

AUTH_USER_MODEL = "accounts.User"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
SESSION_COOKIE_NAME = "larkspur_sessionid"
CSRF_HEADER_NAME = "HTTP_X_CSRFTOKEN"
password_reset_token = PasswordResetTokenGenerator()


class SignupForm(forms.Form):
    email = forms.EmailField()
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password confirmation",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Enter the same password as before, for verification.",
    )

    def clean_password2(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise forms.ValidationError("The two password fields didn't match.")
        password_validation.validate_password(password2)
        return password2
''',
    )

    put(
        "negatives/python/tests/fixtures/fake_credentials.py",
        '''"""Obviously fake credentials for unit tests. None of these work anywhere."""

FAKE_ANTHROPIC_KEY = "sk-ant-api03-fake-key-for-unit-tests"
FAKE_OPENAI_KEY = "sk-proj-fake-openai-key-for-tests"
DUMMY_PASSWORD = "dummy-password"
TEST_DB_PASSWORD = "test-password-for-ci"
EXAMPLE_API_KEY = "example-api-key"
PLACEHOLDER_TOKEN = "<your-token-here>"
MASKED_SECRET = "********"
REDACTED_SECRET = "REDACTED"

password = "password"
secret = "secret"
admin_password = "admin"
api_key = ""
auth_token = None


def make_user(username: str = "alice", password: str = "hunter2") -> dict[str, str]:
    return {"username": username, "password": password}
''',
    )

    # ---------------------------------------------------------------- javascript / typescript
    put(
        "negatives/javascript/config.js",
        """'use strict';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};

module.exports = {
  port: Number(process.env.PORT ?? 8080),
  anthropicApiKey: required('ANTHROPIC_API_KEY'),
  openaiApiKey: process.env.OPENAI_API_KEY ?? '',
  stripe: {
    secretKey: process.env.STRIPE_SECRET_KEY,
    webhookSecret: process.env.STRIPE_WEBHOOK_SECRET || '',
  },
  github: {
    token: process.env.GITHUB_TOKEN,
    appId: Number(process.env.GITHUB_APP_ID),
  },
  session: {
    secret: process.env.SESSION_SECRET || 'changeme',
    cookieName: 'larkspur.sid',
  },
  auth: {
    tokenHeader: 'X-Larkspur-Token',
    passwordMinLength: 12,
    passwordResetPath: '/account/password/reset',
  },
};
""",
    )

    # Minified bundle with an inline source map (base64 of a JSON document).
    mappings = ";".join(
        ",".join(R.choice(["AAAA", "AACA", "SAASA", "CAAC", "GAAG", "IAAI", "KAAK", "EAAE", "OAAO", "MAAM"]) + R.choice(["", "C", "E", "G"]) for _ in range(R.randint(3, 9)))
        for _ in range(60)
    )
    smap = {
        "version": 3,
        "file": "larkspur-ui.min.js",
        "sources": ["../src/escape.ts", "../src/forms.ts", "../src/index.ts"],
        "names": ["escape", "defaults", "readLogin", "password", "token", "remember", "mount"],
        "mappings": mappings,
    }
    smap_b64 = base64.b64encode(json.dumps(smap, separators=(",", ":")).encode()).decode()
    put(
        "negatives/javascript/vendor.min.js",
        '/*! larkspur-ui v2.3.1 | MIT License */\n'
        '!function(e,t){"object"==typeof exports&&"undefined"!=typeof module?module.exports=t():"function"==typeof define&&define.amd?define(t):(e="undefined"!=typeof globalThis?globalThis:e||self).LarkspurUI=t()}(this,function(){"use strict";'
        'function e(e){return String(e).replace(/[&<>"\']/g,function(e){return{"&":"&amp;","<":"&lt;",">":"&gt;",\'"\':"&quot;","\'":"&#39;"}[e]})}'
        'var t={password:"",token:null,remember:!1,passwordMinLength:12},'
        'n=function(n){var r=n.querySelector(\'input[type="password"]\'),o=n.querySelector(\'input[name="token"]\'),i=n.querySelector(\'input[name="remember"]\');'
        'return{password:r?r.value:t.password,token:o?o.value:t.token,remember:i?i.checked:t.remember}},'
        'r=function(r,o){var i=n(r);if(i.password.length<t.passwordMinLength)return o&&o(new Error("password too short")),!1;'
        'var a=new XMLHttpRequest;return a.open("POST","/api/auth/login"),a.setRequestHeader("Content-Type","application/json"),'
        'a.onload=function(){o&&o(a.status<300?null:new Error(e(a.responseText)))},a.send(JSON.stringify(i)),!0};'
        'return{escape:e,defaults:t,readLogin:n,submit:r,version:"2.3.1"}});\n'
        "//# sourceMappingURL=data:application/json;charset=utf-8;base64," + smap_b64 + "\n",
    )

    put(
        "negatives/typescript/auth.ts",
        """export interface Credentials {
  username: string;
  password: string;
  otp?: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export const STORAGE_KEYS = {
  accessToken: "larkspurAccessToken",
  refreshToken: "larkspurRefreshToken",
  apiKey: "larkspurApiKeyCache",
} as const;

const passwordInputId = "newPasswordConfirmation";
const tokenRefreshEventName = "authTokenRefreshed";
const secretQuestionLabel = "Name of your first pet";

export function readTokens(): TokenPair | null {
  const accessToken = localStorage.getItem(STORAGE_KEYS.accessToken);
  const refreshToken = localStorage.getItem(STORAGE_KEYS.refreshToken);
  if (!accessToken || !refreshToken) return null;
  return { accessToken, refreshToken, expiresIn: 0 };
}

export async function login({ username, password }: Credentials): Promise<TokenPair> {
  const res = await fetch("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  const tokens: TokenPair = await res.json();
  localStorage.setItem(STORAGE_KEYS.accessToken, tokens.accessToken);
  localStorage.setItem(STORAGE_KEYS.refreshToken, tokens.refreshToken);
  return tokens;
}

export function passwordField(): HTMLInputElement | null {
  return document.getElementById(passwordInputId) as HTMLInputElement | null;
}

export function secretQuestion(): string {
  return secretQuestionLabel;
}

window.addEventListener(tokenRefreshEventName, () => readTokens());
""",
    )

    # ---------------------------------------------------------------- rust / go / c#
    put(
        "negatives/rust/config.rs",
        """use std::env;
use std::fmt;

#[derive(Clone)]
pub struct Config {
    pub anthropic_api_key: String,
    pub github_token: Option<String>,
    pub db_password: String,
    pub storage_account_key: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, env::VarError> {
        Ok(Self {
            anthropic_api_key: env::var("ANTHROPIC_API_KEY")?,
            github_token: env::var("GITHUB_TOKEN").ok(),
            db_password: std::env::var("DB_PASSWORD")?,
            storage_account_key: env::var("AZURE_STORAGE_KEY").ok(),
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("anthropic_api_key", &"[redacted]")
            .field("github_token", &self.github_token.as_ref().map(|_| "[redacted]"))
            .field("db_password", &"[redacted]")
            .finish()
    }
}
""",
    )

    put(
        "negatives/go/config.go",
        """package config

import "os"

// Config is filled from the environment; see README for the variable names.
type Config struct {
	Password   string `json:"password" env:"DB_PASSWORD,required"`
	APIKey     string `json:"api_key" env:"API_KEY"`
	SlackToken string `json:"slack_token" env:"SLACK_BOT_TOKEN"`
	Secret     []byte `json:"-"`
}

func Load() Config {
	return Config{
		Password:   os.Getenv("DB_PASSWORD"),
		APIKey:     os.Getenv("API_KEY"),
		SlackToken: os.Getenv("SLACK_BOT_TOKEN"),
		Secret:     []byte(os.Getenv("SESSION_SECRET")),
	}
}

func (c Config) Redacted() Config {
	c.Password = "REDACTED"
	c.APIKey = "REDACTED"
	c.SlackToken = "REDACTED"
	c.Secret = nil
	return c
}
""",
    )

    put(
        "negatives/csharp/Startup.cs",
        """using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace Larkspur.Web;

public sealed class SmtpOptions
{
    public string Host { get; set; } = "smtp.larkspur.io";
    public string UserName { get; set; } = string.Empty;
    public string Password { get; set; } = string.Empty;
}

public static class Startup
{
    public static void Configure(WebApplicationBuilder builder)
    {
        var storage = builder.Configuration.GetConnectionString("Storage") ?? "UseDevelopmentStorage=true";
        var clientSecret = Environment.GetEnvironmentVariable("AZURE_CLIENT_SECRET");
        var apiKey = builder.Configuration["Partners:ApiKey"];

        builder.Services.Configure<SmtpOptions>(o =>
        {
            o.UserName = builder.Configuration["Smtp:UserName"] ?? string.Empty;
            o.Password = builder.Configuration["Smtp:Password"] ?? string.Empty;
        });

        builder.Configuration.AddAzureKeyVault(
            new Uri("https://kv-web-prod.vault.azure.net/"),
            new DefaultAzureCredential());
    }
}
""",
    )

    # ---------------------------------------------------------------- ruby (hex digests, ENV lookups)
    put(
        "negatives/ruby/larkspur-cli.rb",
        T(
            """class LarkspurCli < Formula
  desc "Command-line client for the Larkspur platform"
  homepage "https://github.com/larkspur/cli"
  version "2.8.1"
  license "MIT"

  on_macos do
    on_arm do
      url "https://github.com/larkspur/cli/releases/download/v2.8.1/larkspur-cli-2.8.1-aarch64-apple-darwin.tar.gz"
      sha256 "@@h1@@"
    end
    on_intel do
      url "https://github.com/larkspur/cli/releases/download/v2.8.1/larkspur-cli-2.8.1-x86_64-apple-darwin.tar.gz"
      sha256 "@@h2@@"
    end
  end

  on_linux do
    url "https://github.com/larkspur/cli/releases/download/v2.8.1/larkspur-cli-2.8.1-x86_64-unknown-linux-gnu.tar.gz"
    sha256 "@@h3@@"
  end

  def install
    bin.install "larkspur"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/larkspur --version")
  end
end
""",
            h1=hexstr(64),
            h2=hexstr(64),
            h3=hexstr(64),
        ),
    )

    put(
        "negatives/ruby/initializers.rb",
        """# config/initializers/services.rb
Stripe.api_key = ENV.fetch("STRIPE_SECRET_KEY")
Stripe.api_version = "2024-06-20"

GEOCODER_API_KEY = ENV["GEOCODER_API_KEY"]
Geocoder.configure(lookup: :opencagedata, api_key: GEOCODER_API_KEY, timeout: 5, units: :km)

Aws.config.update(
  region: "eu-west-1",
  credentials: Aws::Credentials.new(
    Rails.application.credentials.dig(:aws, :access_key_id),
    Rails.application.credentials.dig(:aws, :secret_access_key)
  )
)

Rails.application.config.session_store :cookie_store, key: "_storefront_session", secure: Rails.env.production?
Devise.setup do |config|
  config.password_length = 12..128
  config.reset_password_within = 6.hours
  config.secret_key = Rails.application.secret_key_base
end
""",
    )

    # ---------------------------------------------------------------- shell / windows
    put(
        "negatives/shell/deploy.sh",
        """#!/usr/bin/env bash
set -euo pipefail

: "${DB_PASSWORD:?DB_PASSWORD must be set}"
: "${ANTHROPIC_API_KEY:=}"

export GITHUB_TOKEN="$(gh auth token)"
read -rsp "Vault password: " VAULT_PASSWORD; echo

ANTHROPIC_API_KEY="$(az keyvault secret show --vault-name kv-prod --name anthropic-api-key --query value -o tsv)"
export ANTHROPIC_API_KEY

aws configure set aws_secret_access_key "$AWS_SECRET_ACCESS_KEY"
docker login larkspur.azurecr.io --username "$ACR_USER" --password-stdin <<< "$ACR_PASSWORD"
mysql --user=app --password="$MYSQL_PASSWORD" -e 'select 1'
curl -fsS -H "Authorization: Bearer ${API_TOKEN}" https://api.larkspur.io/v1/health
PGPASSWORD="$(cat /run/secrets/pg_password)" psql -h db -U app -c 'select now()'
unset VAULT_PASSWORD
""",
    )

    put(
        "negatives/windows/deploy.cmd",
        """@echo off
rem Deploy helper. Credentials come from the build agent's environment.
setlocal
if "%API_KEY%"=="" (
  echo API_KEY is not set
  exit /b 1
)
set DB_PASSWORD=%~1
set CLIENT_SECRET=%AZURE_CLIENT_SECRET%
curl -fsS -H "x-api-key: %API_KEY%" https://api.larkspur.io/v1/health
sqlcmd -S larkspur-sql.database.windows.net -U deploy -P %DB_PASSWORD% -Q "select 1"
endlocal
""",
    )

    put(
        "negatives/windows/deploy.ps1",
        """param(
    [Parameter(Mandatory)] [securestring] $Password,
    [string] $Environment = "staging"
)

$apiKey = $env:API_KEY
$token = (Get-AzAccessToken -ResourceUrl "https://management.azure.com").Token
$secret = Get-AzKeyVaultSecret -VaultName "kv-$Environment" -Name "storage-account-key" -AsPlainText
$credential = New-Object System.Management.Automation.PSCredential ("deploy", $Password)

Invoke-RestMethod -Uri "https://api.larkspur.io/v1/deploy" -Headers @{ "x-api-key" = $apiKey } -Method Post
""",
    )

    # ---------------------------------------------------------------- env placeholders
    put(
        "negatives/env/.env.example",
        T(
            """# Copy to .env and fill in real values. Never commit the filled-in file.
NODE_ENV=development
PORT=3000

ANTHROPIC_API_KEY=sk-ant-api03-@@x93@@AA
ANTHROPIC_ADMIN_KEY=sk-ant-admin01-...
OPENAI_API_KEY=sk-proj-XXXXXXXXXXXXXXXXXXXXXXXX
GITHUB_TOKEN=ghp_@@x36@@
STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx
AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX
AWS_SECRET_ACCESS_KEY=<your-secret-access-key>
AZURE_CLIENT_SECRET=<your-client-secret>
AZURE_STORAGE_CONNECTION_STRING=${AZURE_STORAGE_CONNECTION_STRING}
SLACK_BOT_TOKEN=xoxb-your-bot-token
SLACK_WEBHOOK_URL=https://hooks.slack.com/services/TXXXXXXXX/BXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX
DB_PASSWORD=changeme
SESSION_SECRET=REDACTED
JWT_SECRET=
SENTRY_DSN=
""",
            x93="x" * 93,
            x36="x" * 36,
        ),
    )

    # ---------------------------------------------------------------- yaml
    sha = [hexstr(40) for _ in range(4)]
    put(
        "negatives/yaml/.github/workflows/ci.yml",
        T(
            """name: CI

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read
  id-token: write

jobs:
  test:
    runs-on: ubuntu-latest
    env:
      ANTHROPIC_API_KEY: ${{ secrets.ANTHROPIC_API_KEY }}
      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
      DATABASE_PASSWORD: ${{ secrets.CI_DB_PASSWORD }}
    steps:
      - uses: actions/checkout@@@s0@@ # v4.1.7
      - uses: actions/setup-python@@@s1@@ # v5.1.1
        with:
          python-version: "3.12"
      - uses: azure/login@@@s2@@ # v2.1.1
        with:
          client-id: ${{ vars.AZURE_CLIENT_ID }}
          tenant-id: ${{ vars.AZURE_TENANT_ID }}
          subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}
      - run: pip install -r requirements-dev.txt
      - run: pytest -q
      - uses: actions/upload-artifact@@@s3@@ # v4.3.4
        if: failure()
        with:
          name: pytest-logs
          path: .pytest_cache/
""",
            s0=sha[0],
            s1=sha[1],
            s2=sha[2],
            s3=sha[3],
        ),
    )

    put(
        "negatives/yaml/docker-compose.yml",
        T(
            """# Local development stack. Azurite uses the public, well-known emulator account.
services:
  api:
    build: .
    environment:
      DATABASE_URL: postgres://app:${POSTGRES_PASSWORD}@db:5432/app
      ANTHROPIC_API_KEY: ${ANTHROPIC_API_KEY}
      OPENAI_API_KEY: ${OPENAI_API_KEY:-}
      AZURE_STORAGE_CONNECTION_STRING: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=@@azurite@@;BlobEndpoint=http://azurite:10000/devstoreaccount1;"
    depends_on: [db, azurite]

  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}

  azurite:
    image: mcr.microsoft.com/azure-storage/azurite:3.31.0
    command: azurite-blob --blobHost 0.0.0.0 --loose
    ports:
      - "10000:10000"
""",
            azurite=AZURITE_KEY,
        ),
    )

    put(
        "negatives/yaml/k8s-deployment.yaml",
        T(
            """apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-api
  namespace: orders
  annotations:
    larkspur.io/owner-team-id: "@@u1@@"
    larkspur.io/change-request: "@@u2@@"
spec:
  replicas: 3
  selector:
    matchLabels:
      app: orders-api
  template:
    metadata:
      labels:
        app: orders-api
        azure.workload.identity/use: "true"
    spec:
      serviceAccountName: orders-api
      containers:
        - name: api
          image: larkspur.azurecr.io/orders-api@sha256:@@digest@@
          env:
            - name: AZURE_CLIENT_ID
              value: "@@u3@@"
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: orders-db
                  key: password
            - name: ANTHROPIC_API_KEY
              valueFrom:
                secretKeyRef:
                  name: inference-gateway
                  key: ANTHROPIC_API_KEY
          volumeMounts:
            - name: api-token
              mountPath: /var/run/secrets/tokens
              readOnly: true
      volumes:
        - name: api-token
          projected:
            sources:
              - serviceAccountToken:
                  path: api-token
                  expirationSeconds: 3600
                  audience: api://AzureADTokenExchange
""",
            u1=new_uuid(),
            u2=new_uuid(),
            u3=new_uuid(),
            digest=hexstr(64),
        ),
    )

    put(
        "negatives/yaml/helm-values.yaml",
        """# Values for the bitnami/postgresql chart
auth:
  username: orders_app
  database: orders
  existingSecret: orders-db-credentials
  secretKeys:
    adminPasswordKey: postgres-password
    userPasswordKey: password
    replicationPasswordKey: replication-password
  password: ""
  postgresPassword: ""
primary:
  persistence:
    size: 50Gi
metrics:
  enabled: true
  serviceMonitor:
    enabled: true
""",
    )

    put(
        "negatives/yaml/openapi.yaml",
        """openapi: 3.0.3
info:
  title: Larkspur accounts API
  version: 1.9.0
paths:
  /auth/login:
    post:
      summary: Exchange a username and password for an access token
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/LoginRequest"
      responses:
        "200":
          description: The access token and refresh token for the session.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/TokenResponse"
components:
  securitySchemes:
    apiKey:
      type: apiKey
      in: header
      name: X-Api-Key
    bearerAuth:
      type: http
      scheme: bearer
      bearerFormat: JWT
  schemas:
    LoginRequest:
      type: object
      required: [username, password]
      properties:
        username:
          type: string
        password:
          type: string
          format: password
          minLength: 12
          description: The user's password. Never logged.
    TokenResponse:
      type: object
      properties:
        access_token:
          type: string
          description: Short-lived bearer token (JWT).
        refresh_token:
          type: string
        token_type:
          type: string
          example: Bearer
        expires_in:
          type: integer
          example: 3600
""",
    )

    # ---------------------------------------------------------------- json
    def integrity() -> str:
        return "sha512-" + b64bytes(64)

    lock_pkgs = [
        ("@azure/abort-controller", "2.1.2"),
        ("@azure/core-auth", "1.7.2"),
        ("@azure/storage-blob", "12.17.0"),
        ("@anthropic-ai/sdk", "0.24.3"),
        ("jsonwebtoken", "9.0.2"),
        ("js-tokens", "4.0.0"),
        ("keygrip", "1.1.0"),
        ("openai", "4.52.7"),
        ("passport-local", "1.0.0"),
        ("tslib", "2.6.3"),
    ]
    packages = {
        "": {
            "name": "larkspur-web",
            "version": "1.4.0",
            "dependencies": {"@anthropic-ai/sdk": "^0.24.3", "@azure/storage-blob": "^12.17.0", "openai": "^4.52.7"},
        }
    }
    for name, version in lock_pkgs:
        base = name.split("/")[-1]
        packages[f"node_modules/{name}"] = {
            "version": version,
            "resolved": f"https://registry.npmjs.org/{name}/-/{base}-{version}.tgz",
            "integrity": integrity(),
            "license": "MIT",
        }
    put(
        "negatives/json/package-lock.json",
        json.dumps(
            {"name": "larkspur-web", "version": "1.4.0", "lockfileVersion": 3, "requires": True, "packages": packages},
            indent=2,
        )
        + "\n",
    )

    put(
        "negatives/json/appsettings.Development.json",
        json.dumps(
            {
                "Logging": {"LogLevel": {"Default": "Debug"}},
                "ConnectionStrings": {
                    "Storage": "UseDevelopmentStorage=true",
                    "StorageExplicit": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                    f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
                    "OrdersDb": "Server=(localdb)\\mssqllocaldb;Database=Orders;Trusted_Connection=True;",
                },
                "AzureAd": {
                    "Instance": "https://login.microsoftonline.com/",
                    "TenantId": new_uuid(),
                    "ClientId": new_uuid(),
                    "ClientSecret": "<your-client-secret>",
                },
                "Storage": {"AccountName": "devstoreaccount1", "AccountKey": AZURITE_KEY},
                "Smtp": {"Host": "localhost", "Port": 1025, "Password": ""},
            },
            indent=2,
        )
        + "\n",
    )

    put(
        "negatives/json/service-account.template.json",
        json.dumps(
            {
                "type": "service_account",
                "project_id": "<gcp-project-id>",
                "private_key_id": "",
                "private_key": header("PRIVATE KEY") + "\nREDACTED\n" + header("PRIVATE KEY", end=True) + "\n",
                "client_email": "<name>@<gcp-project-id>.iam.gserviceaccount.com",
                "client_id": "",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": "https://oauth2.googleapis.com/token",
                "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
                "client_x509_cert_url": "",
            },
            indent=2,
        )
        + "\n",
    )

    put(
        "negatives/json/github-token-checksum-fixtures.json",
        json.dumps(
            {
                "description": "GitHub-shaped strings whose CRC32 checksum does NOT verify; "
                "the validator must reject every one of them.",
                "cases": [
                    {"kind": "classic", "value": github_bad("ghp_")},
                    {"kind": "oauth", "value": github_bad("gho_")},
                    {"kind": "user-to-server", "value": github_bad("ghu_")},
                    {"kind": "server-to-server", "value": github_bad("ghs_")},
                    {"kind": "refresh", "value": github_bad("ghr_")},
                ],
            },
            indent=2,
        )
        + "\n",
    )

    # ---------------------------------------------------------------- lockfiles
    crates = [
        ("aho-corasick", "1.1.3", ["memchr"]),
        ("anyhow", "1.0.86", []),
        ("base64", "0.22.1", []),
        ("crc32fast", "1.4.2", ["cfg-if"]),
        ("cfg-if", "1.0.0", []),
        ("memchr", "2.7.4", []),
        ("regex-automata", "0.4.7", ["aho-corasick", "memchr", "regex-syntax"]),
        ("regex-syntax", "0.8.4", []),
        ("secrecy", "0.8.0", ["zeroize"]),
        ("serde", "1.0.204", ["serde_derive"]),
        ("serde_derive", "1.0.204", []),
        ("sha2", "0.10.8", ["cfg-if"]),
        ("zeroize", "1.8.1", []),
    ]
    lines = [
        "# This file is automatically @generated by Cargo.",
        "# It is not intended for manual editing.",
        "version = 3",
        "",
    ]
    for name, version, deps in crates:
        lines += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            'source = "registry+https://github.com/rust-lang/crates.io-index"',
            f'checksum = "{hexstr(64)}"',
        ]
        if deps:
            lines.append("dependencies = [")
            lines += [f' "{d}",' for d in deps]
            lines.append("]")
        lines.append("")
    put("negatives/lockfiles/Cargo.lock", "\n".join(lines))

    py_pkgs = [
        ("anthropic", "0.31.2", "The official Python library for the anthropic API"),
        ("azure-storage-blob", "12.21.0", "Microsoft Azure Blob Storage Client Library for Python"),
        ("keyring", "25.2.1", "Store and access your passwords safely."),
        ("python-dotenv", "1.0.1", "Read key-value pairs from a .env file and set them as environment variables"),
        ("pyjwt", "2.8.0", "JSON Web Token implementation in Python"),
    ]
    lines = []
    for name, version, desc in py_pkgs:
        norm = name.replace("-", "_")
        lines += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'description = "{desc}"',
            "optional = false",
            'python-versions = ">=3.8"',
            "files = [",
            f'    {{file = "{norm}-{version}-py3-none-any.whl", hash = "sha256:{hexstr(64)}"}},',
            f'    {{file = "{norm}-{version}.tar.gz", hash = "sha256:{hexstr(64)}"}},',
            "]",
            "",
        ]
    lines += [
        "[metadata]",
        'lock-version = "2.0"',
        'python-versions = "^3.11"',
        f'content-hash = "{hexstr(64)}"',
        "",
    ]
    put("negatives/lockfiles/poetry.lock", "\n".join(lines))

    lines = [
        "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.",
        "# yarn lockfile v1",
        "",
    ]
    for name, version in lock_pkgs:
        base = name.split("/")[-1]
        lines += [
            f'"{name}@^{version}":',
            f'  version "{version}"',
            f'  resolved "https://registry.yarnpkg.com/{name}/-/{base}-{version}.tgz#{hexstr(40)}"',
            f"  integrity {integrity()}",
            "",
        ]
    put("negatives/lockfiles/yarn.lock", "\n".join(lines))

    # ---------------------------------------------------------------- git
    put(
        "negatives/git/.git-blame-ignore-revs",
        T(
            """# Bulk formatting commits, ignored by `git blame`.
# Reformat with black 24.
@@a@@
# Switch from isort+black to ruff format.
@@b@@
# Rename "token" module to "credentials" (no behaviour change).
@@c@@
""",
            a=hexstr(40),
            b=hexstr(40),
            c=hexstr(40),
        ),
    )

    c1, c2, c3 = hexstr(40), hexstr(40), hexstr(40)
    put(
        "negatives/git/CHANGELOG.md",
        T(
            """# Changelog

## [2.8.1] - 2024-06-03
### Fixed
- Refresh the access token before it expires instead of after the first 401
  ([@@c1s@@](https://github.com/larkspur/cli/commit/@@c1@@)).
- Never print the API key in `--verbose` output; it is now shown as `sk-ant-...` only
  ([@@c2s@@](https://github.com/larkspur/cli/commit/@@c2@@)).

## [2.8.0] - 2024-05-20
### Added
- `larkspur login --password-stdin` reads the password from standard input
  ([@@c3s@@](https://github.com/larkspur/cli/commit/@@c3@@)).
""",
            c1=c1,
            c1s=c1[:7],
            c2=c2,
            c2s=c2[:7],
            c3=c3,
            c3s=c3[:7],
        ),
    )

    # ---------------------------------------------------------------- public keys / certificates
    put("negatives/keys/id_ed25519.pub", ssh_pub("ed25519", "mhale@larkspur-mbp") + "\n")
    put(
        "negatives/keys/authorized_keys",
        "\n".join(
            [
                "# Managed by Ansible - changes will be overwritten",
                ssh_pub("ed25519", "mhale@larkspur-mbp"),
                ssh_pub("rsa", "deploy@ci-runner-02"),
                'restrict,command="/usr/local/bin/backup-receive" ' + ssh_pub("ecdsa", "backup@nas-01"),
            ]
        )
        + "\n",
    )
    put("negatives/keys/public.pem", public_key_pem())
    put("negatives/keys/ca-bundle.crt", "# Larkspur internal root CA\n" + certificate() + "# Larkspur issuing CA 2024\n" + certificate())

    # ---------------------------------------------------------------- docs
    bad_ghp = github_bad("ghp_")
    bad_gho = github_bad("gho_")
    put(
        "negatives/docs/security.md",
        T(
            """# Handling secrets

Never commit passwords, API keys, tokens or private keys. Use the vault and read values
from the environment at runtime. A password must be at least 16 characters long, and a
token must be rotated every 90 days. The `password` field of the login request is never
logged; the `token` field of the response is masked as `****`.

| Setting        | Type   | Description                                        |
| -------------- | ------ | -------------------------------------------------- |
| `password`     | string | The password of the service account.               |
| `api_key`      | string | Your API key, from the dashboard.                  |
| `secret_key`   | string | Secret used to sign session cookies.               |
| `client_secret`| string | The client secret of the Entra ID app registration. |

## Recognising leaked credentials

- Anthropic API keys start with `sk-ant-api03-` and end with `AA`, for example
  `sk-ant-api03-...AA`.
- GitHub classic tokens start with `ghp_`. The last six characters are a checksum, so a
  string such as `@@bad_ghp@@` is not a live token: its checksum does not verify.
- OAuth tokens look similar (`@@bad_gho@@`, also with a broken checksum).
- A PEM private key starts with a header line like this one:

```
@@rsa_begin@@
...
@@rsa_end@@
```

If you find one in a diff, rotate it first and clean the history second. To test your
local setup you can run:

```bash
export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
export ANTHROPIC_API_KEY=<your-api-key>
larkspur doctor --check-credentials
```
""",
            bad_ghp=bad_ghp,
            bad_gho=bad_gho,
            rsa_begin=header("RSA PRIVATE KEY"),
            rsa_end=header("RSA PRIVATE KEY", end=True),
        ),
    )

    put(
        "negatives/docs/aws-quickstart.md",
        T(
            """# AWS quick start

Configure the CLI with `aws configure`. The values below are the documentation examples
from the AWS guides; they do not work:

```ini
[default]
aws_access_key_id = @@id@@
aws_secret_access_key = @@secret@@
region = us-west-2
```

A second profile for the cross-account role:

```ini
[profile audit]
aws_access_key_id = @@id2@@
aws_secret_access_key = @@secret2@@
role_arn = arn:aws:iam::123456789012:role/audit-readonly
source_profile = default
```

Environment variables work too:

```bash
export AWS_ACCESS_KEY_ID=@@id@@
export AWS_SECRET_ACCESS_KEY=@@secret@@
```
""",
            id=AWS_DOC_ID,
            secret=AWS_DOC_SECRET,
            id2=AWS_DOC_ID_2,
            secret2=AWS_DOC_SECRET_2,
        ),
    )

    put(
        "negatives/docs/local-development.md",
        T(
            """# Local development with Azurite

The storage emulator ships with one well-known account. Its key is public and only works
against a local emulator:

- Account name: `devstoreaccount1`
- Account key: `@@key@@`

Full connection string for the blob service:

```
DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=@@key@@;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;
```

Or simply use `UseDevelopmentStorage=true`. For the cloud environments the connection
string comes from Key Vault (`AZURE_STORAGE_CONNECTION_STRING`), never from this repository.
""",
            key=AZURITE_KEY,
        ),
    )

    # ---------------------------------------------------------------- web / data
    put(
        "negatives/web/styles.css",
        T(
            """:root {
  --brand-primary: #4f46e5;
  --brand-secondary: #0ea5e9;
  --password-strength-weak: #e11d48;
  --password-strength-strong: #16a34a;
  --token-chip-bg: #f1f5f9;
  --focus-ring: rgba(79, 70, 229, 0.45);
}

@font-face {
  font-family: "Larkspur Sans";
  font-weight: 400;
  src: url(data:font/woff2;base64,d09GMgABAAAAA@@font@@) format("woff2");
}

.password-input {
  border: 1px solid #cbd5e1;
  border-radius: 6px;
  padding: 0.5rem 0.75rem;
}

.password-input:focus {
  outline: 2px solid var(--focus-ring);
}

.api-key-display {
  font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  background: var(--token-chip-bg);
  color: #334155;
  letter-spacing: 0.02em;
}

.secret-badge::before {
  content: "";
  background-image: url("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQ@@png@@");
}
""",
            font=rand(B64, 1200),
            png=rand(B64, 300) + "==",
        ),
    )

    put(
        "negatives/data/SHA256SUMS",
        "".join(
            f"{hexstr(64)}  larkspur-cli-2.8.1-{target}.tar.gz\n"
            for target in [
                "aarch64-apple-darwin",
                "x86_64-apple-darwin",
                "x86_64-unknown-linux-gnu",
                "aarch64-unknown-linux-gnu",
                "x86_64-pc-windows-msvc",
            ]
        ),
    )

    events = ["user_signed_in", "password_reset_requested", "token_refreshed", "api_key_created", "api_key_revoked"]
    rows = ["event_id,occurred_at,event,user_id,request_id"]
    for i in range(24):
        rows.append(
            f"{new_uuid()},2024-06-{1 + i % 28:02d}T{8 + i % 12:02d}:{(i * 7) % 60:02d}:00Z,"
            f"{events[i % len(events)]},{new_uuid()},{new_uuid()}"
        )
    put("negatives/data/events.csv", "\n".join(rows) + "\n")

    # ---------------------------------------------------------------- terraform
    put(
        "negatives/terraform/variables.tf",
        """variable "db_password" {
  type        = string
  sensitive   = true
  description = "Password for the PostgreSQL administrator. Supplied by the pipeline."
}

variable "client_secret" {
  type      = string
  sensitive = true
  default   = ""
}

variable "storage_account_key" {
  type        = string
  sensitive   = true
  description = "Access key of the state storage account."
}
""",
    )

    put(
        "negatives/terraform/main.tf",
        T(
            """provider "azurerm" {
  features {}
  subscription_id = "@@sub@@"
  tenant_id       = "@@tenant@@"
  client_id       = "@@client@@"
  client_secret   = var.client_secret
}

data "azurerm_key_vault" "platform" {
  name                = "kv-platform-weu"
  resource_group_name = "rg-platform-weu"
}

data "azurerm_key_vault_secret" "db_password" {
  name         = "orders-db-password"
  key_vault_id = data.azurerm_key_vault.platform.id
}

resource "azurerm_postgresql_flexible_server" "orders" {
  name                   = "psql-orders-weu"
  resource_group_name    = "rg-orders-weu"
  location               = "westeurope"
  version                = "16"
  administrator_login    = "orders_admin"
  administrator_password = data.azurerm_key_vault_secret.db_password.value
  sku_name               = "GP_Standard_D2ds_v5"
}

resource "random_password" "session" {
  length  = 48
  special = true
}

output "storage_primary_access_key" {
  value     = azurerm_storage_account.assets.primary_access_key
  sensitive = true
}
""",
            sub=new_uuid(),
            tenant=new_uuid(),
            client=new_uuid(),
        ),
    )

    # ---------------------------------------------------------------- notebook
    put(
        "negatives/notebooks/explore.ipynb",
        notebook(
            [
                {"type": "markdown", "source": "# Exploration\n\nCredentials come from the environment or a prompt."},
                {
                    "type": "code",
                    "source": "import os\nfrom getpass import getpass\n\nimport anthropic\n\n"
                    'api_key = os.environ.get("ANTHROPIC_API_KEY") or getpass("Anthropic API key: ")\n'
                    "client = anthropic.Anthropic(api_key=api_key)",
                },
                {
                    "type": "code",
                    "source": "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2, 5])\nplt.show()",
                    "outputs": [
                        {
                            "data": {
                                "image/png": "iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAYAAAA10dzk" + rand(B64, 2400) + "=",
                                "text/plain": ["<Figure size 640x480 with 1 Axes>"],
                            },
                            "metadata": {},
                            "output_type": "display_data",
                        }
                    ],
                },
            ]
        ),
    )

    # ---------------------------------------------------------------- xml / properties
    put(
        "negatives/xml/app.config",
        r"""<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <connectionStrings>
    <add name="OrdersDb" connectionString="Server=(localdb)\mssqllocaldb;Database=Orders;Trusted_Connection=True;" providerName="System.Data.SqlClient" />
    <add name="Storage" connectionString="UseDevelopmentStorage=true" />
  </connectionStrings>
  <appSettings>
    <add key="ApiKey" value="%API_KEY%" />
    <add key="ClientSecret" value="" />
    <add key="SmtpPassword" value="$(SmtpPassword)" />
    <add key="TokenLifetimeMinutes" value="60" />
    <add key="PasswordResetUrl" value="https://accounts.larkspur.io/password/reset" />
  </appSettings>
</configuration>
""",
    )

    put(
        "negatives/ini/application.properties",
        """spring.application.name=billing
spring.datasource.url=jdbc:postgresql://${DB_HOST:localhost}:5432/billing
spring.datasource.username=${DB_USER:billing}
spring.datasource.password=${DB_PASSWORD}
app.jwt.secret=${JWT_SECRET:}
app.jwt.token-validity-seconds=3600
azure.storage.account-name=${AZURE_STORAGE_ACCOUNT}
azure.storage.account-key=${AZURE_STORAGE_KEY}
spring.security.oauth2.client.registration.entra.client-secret=${ENTRA_CLIENT_SECRET}
management.endpoint.health.show-details=when-authorized
""",
    )


# =======================================================================================
def families() -> None:
    import importlib.util

    this = sys.modules[__name__]
    for path in sorted((ROOT / "families").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"corpus_family_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        R.seed(f"{SEED}:{path.stem}")
        module.generate(this)


def write(out: Path) -> None:
    for sub in ("positives", "negatives"):
        shutil.rmtree(out / sub, ignore_errors=True)
    for rel, text in FILES.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")

    seen = set()
    for rel, line, rule in EXPECTED:
        assert (rel, line) not in seen, f"two secrets on {rel}:{line}"
        seen.add((rel, line))

    out_dir = out
    out = [
        "# Expected findings in corpus/positives, generated by corpus/generate.py.",
        "# One entry per planted (fake) secret: path relative to corpus/, 1-based line where the",
        "# secret starts, and the rule id expected to report it. Nothing else in positives/ is a",
        "# secret, and nothing in negatives/ may be reported.",
        "",
    ]
    for rel, line, rule in sorted(EXPECTED):
        out += ["[[positive]]", f'path = "{rel[len("corpus/"):] if rel.startswith("corpus/") else rel}"', f"line = {line}", f'rule = "{rule}"', ""]
    (out_dir / "expected.toml").write_text("\n".join(out), encoding="utf-8", newline="\n")


def main() -> int:
    out = ROOT
    if len(sys.argv) == 3 and sys.argv[1] == "--out":
        out = Path(sys.argv[2]).resolve()
    elif len(sys.argv) != 1:
        print("usage: generate.py [--out DIR]", file=sys.stderr)
        return 2
    positives()
    negatives()
    families()
    write(out)
    n_pos = sum(1 for r in FILES if r.startswith("positives/"))
    n_neg = sum(1 for r in FILES if r.startswith("negatives/"))
    print(f"wrote {n_pos} positive files, {n_neg} negative files, {len(EXPECTED)} expected findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
