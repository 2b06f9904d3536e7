"""Corpus family: AI / ML provider keys and cloud platform credentials.

Rules: src/scan/rules/data/ai-providers.toml, cloud.toml and cloud-more.toml. Every value
below is drawn from the corpus generator's seeded random source (g.rand and friends): the
right alphabet and length, never a real key. Positives go to positives/ai-cloud/, hard
negatives (placeholders, env lookups, masked values, ids and hashes next to provider names)
to negatives/ai-cloud/.
"""
import base64
import urllib.parse

P = "positives/ai-cloud/"
N = "negatives/ai-cloud/"


def generate(g):
    A, H, U, B64 = g.ALNUM, g.HEX, g.URLSAFE, g.B64
    LETTERS = g.UPPER + g.LOWER
    LODIG = g.LOWER + g.DIGITS
    UPDIG = g.UPPER + g.DIGITS

    def r(alphabet, n):
        return g.rand(alphabet, n)

    def hx(n):
        return g.hexstr(n)

    def uid():
        return g.new_uuid()

    def b64key(nbytes):
        return g.b64bytes(nbytes)

    def key88():
        return g.azure_storage_key()

    # Values that need a character of a given class to look like the real thing.
    def with_sep(alphabet, n, seps="_-"):
        while True:
            v = r(alphabet, n)
            if any(c in seps for c in v[1:-1]) and v[0] not in seps and v[-1] not in seps:
                return v

    def having(alphabet, n, *classes):
        """r(alphabet, n) containing at least one character of each class (a string of characters)."""
        while True:
            v = r(alphabet, n)
            if all(any(c in cls for c in v) for cls in classes):
                return v

    # ================================================================ AI providers: .env
    v = {
        "hf": "hf_" + having(LETTERS, 34, g.UPPER, g.LOWER),
        "cohere": r(A, 40),
        "mistral": r(A, 32),
        "groq": "gsk_" + r(A, 20) + "WGdyb3FY" + r(A, 24),
        "replicate": "r8_" + r(A, 37),
        "pplx": "pplx-" + r(A, 48),
        "together": "tgp_v1_" + r(A, 1) + r(U, 41) + r(A, 1),
        "xai": "xai-" + r(A, 80),
        "openrouter": "sk-or-v1-" + hx(64),
        "cerebras": "csk-" + having(LODIG, 48, g.DIGITS),
        "nvapi": "nvapi-" + r(A, 2) + r(U, 60) + r(A, 2),
        "tavily": "tvly-dev-" + r(A, 32),
        "llx": "llx-" + r(A, 48),
        "jina": "jina_" + hx(32) + r(A, 27) + r(A, 1),
        "firecrawl": "fc-" + hx(32),
        "e2b": "e2b_" + hx(40),
        "lspt": "lsv2_pt_" + hx(32) + "_" + hx(10),
        "lf": "sk-lf-" + uid(),
        "anyscale": "esecret_" + r(LODIG, 26),
        "vck": "vck_" + r(A, 56),
    }
    lf_public = "pk-lf-" + uid()
    g.put(
        P + "llm-gateway/.env",
        g.T(
            """# llm-gateway: provider credentials for the routing proxy (production)
# Loaded by docker compose via env_file; rotate through the ops runbook.
NODE_ENV=production
PORT=8080
LOG_LEVEL=info
DEFAULT_PROVIDER=openrouter
FALLBACK_PROVIDERS=groq,together,mistral

# Hugging Face (private adapters, gated models)
HF_TOKEN=@@hf@@
HF_HUB_ENABLE_HF_TRANSFER=1

# Cohere (rerank + embed)
COHERE_API_KEY=@@cohere@@
COHERE_EMBED_MODEL=embed-multilingual-v3.0

# Mistral La Plateforme
MISTRAL_API_KEY=@@mistral@@
MISTRAL_MODEL=mistral-large-latest

GROQ_API_KEY=@@groq@@
REPLICATE_API_TOKEN=@@replicate@@
PERPLEXITY_API_KEY=@@pplx@@
TOGETHER_API_KEY=@@together@@
XAI_API_KEY=@@xai@@
OPENROUTER_API_KEY=@@openrouter@@
OPENROUTER_SITE_URL=https://chat.larkspur.io
CEREBRAS_API_KEY=@@cerebras@@
NVIDIA_API_KEY=@@nvapi@@
NVIDIA_BASE_URL=https://integrate.api.nvidia.com/v1
ANYSCALE_API_KEY=@@anyscale@@
AI_GATEWAY_API_KEY=@@vck@@

# Tools used by the research agent
TAVILY_API_KEY=@@tavily@@
FIRECRAWL_API_KEY=@@firecrawl@@
JINA_API_KEY=@@jina@@
LLAMA_CLOUD_API_KEY=@@llx@@
E2B_API_KEY=@@e2b@@

# Tracing
LANGSMITH_TRACING=true
LANGSMITH_PROJECT=llm-gateway-prod
LANGSMITH_API_KEY=@@lspt@@
LANGFUSE_HOST=https://cloud.langfuse.com
LANGFUSE_PUBLIC_KEY=@@lfpub@@
LANGFUSE_SECRET_KEY=@@lf@@
""",
            lfpub=lf_public,
            **v,
        ),
        [
            ("huggingface-access-token", v["hf"]),
            ("cohere-api-key", v["cohere"]),
            ("mistral-api-key", v["mistral"]),
            ("groq-api-key", v["groq"]),
            ("replicate-api-token", v["replicate"]),
            ("perplexity-api-key", v["pplx"]),
            ("together-api-key", v["together"]),
            ("xai-api-key", v["xai"]),
            ("openrouter-api-key", v["openrouter"]),
            ("cerebras-api-key", v["cerebras"]),
            ("nvidia-api-key", v["nvapi"]),
            ("anyscale-api-key", v["anyscale"]),
            ("vercel-api-key", v["vck"]),
            ("tavily-api-key", v["tavily"]),
            ("firecrawl-api-key", v["firecrawl"]),
            ("jina-api-key", v["jina"]),
            ("llamacloud-api-key", v["llx"]),
            ("e2b-api-key", v["e2b"]),
            ("langsmith-personal-access-token", v["lspt"]),
            ("langfuse-secret-key", v["lf"]),
        ],
    )

    # ================================================================ RAG service settings (Python)
    v = {
        "pc": "pcsk_" + r(A, 6) + "_" + r(A, 63),
        "voyage": "pa-" + r(A, 1) + with_sep(U, 41) + r(A, 1),
        "ds": "sk-" + hx(32),
        "tog": hx(64),
        "co": r(A, 40),
    }
    g.put(
        P + "rag-service/app/settings.py",
        g.T(
            '''"""Runtime settings for the document Q&A service."""
from __future__ import annotations

import os
from dataclasses import dataclass

import cohere
import voyageai
from openai import OpenAI
from pinecone import Pinecone

INDEX_NAME = "handbook-chunks-v4"
EMBED_MODEL = "voyage-3-large"
RERANK_MODEL = "rerank-v3.5"
CHAT_MODEL = "deepseek-chat"

# Vector store
pc = Pinecone(api_key="@@pc@@")
index = pc.Index(INDEX_NAME)

# Embeddings
vo = voyageai.Client(api_key="@@voyage@@")

# Reranking
co = cohere.ClientV2(api_key="@@co@@")

# Answer generation goes through DeepSeek's OpenAI-compatible endpoint.
llm = OpenAI(
    api_key="@@ds@@",
    base_url="https://api.deepseek.com",
)

# Batch summarisation jobs still use the old Together account.
TOGETHER_API_KEY = "@@tog@@"


@dataclass(frozen=True)
class Limits:
    top_k: int = 40
    rerank_top_n: int = 8
    max_context_tokens: int = 12000


LIMITS = Limits(top_k=int(os.getenv("TOP_K", "40")))
''',
            **v,
        ),
        [
            ("pinecone-api-key", v["pc"]),
            ("voyage-api-key", v["voyage"]),
            ("cohere-api-key", v["co"]),
            ("deepseek-api-key", v["ds"]),
            ("together-api-key-legacy", v["tog"]),
        ],
    )

    # ================================================================ Voice agent (TypeScript)
    v = {"el": "sk_" + hx(48), "dg": hx(40), "aai": hx(32)}
    g.put(
        P + "voice-agent/src/config.ts",
        g.T(
            """import { AssemblyAI } from "assemblyai";
import { createClient } from "@deepgram/sdk";
import { ElevenLabsClient } from "elevenlabs";

export const VOICE_ID = "pNInz6obpgDQGcFmaJgB";
export const SAMPLE_RATE = 16000;

// Text to speech
export const elevenlabs = new ElevenLabsClient({ apiKey: "@@el@@" });

// Streaming speech to text
const deepgramApiKey = "@@dg@@";
export const deepgram = createClient(deepgramApiKey);

// Batch transcription of recorded calls
export const assembly = new AssemblyAI({ apiKey: "@@aai@@" });

export const transcriptionOptions = {
  model: "nova-3",
  smart_format: true,
  diarize: true,
  language: "en-US",
};
""",
            **v,
        ),
        [("elevenlabs-api-key", v["el"]), ("deepgram-api-key", v["dg"]), ("assemblyai-api-key", v["aai"])],
    )

    # ================================================================ Fine-tuning script
    v = {
        "wandb": hx(40),
        "org": "api_org_" + having(LETTERS, 34, g.UPPER, g.LOWER),
        "rpa": "rpa_" + r(UPDIG, 40) + r(LODIG, 6),
    }
    g.put(
        P + "training/finetune.py",
        g.T(
            '''#!/usr/bin/env python3
"""LoRA fine-tune of the support model; pushes the adapter to the org hub and logs to W&B."""
import argparse

import runpod
import wandb
from huggingface_hub import HfApi
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer

BASE_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
HUB_REPO = "larkspur/support-lora"

wandb.login(key="@@wandb@@")
hub = HfApi(token="@@org@@")
runpod.api_key = "@@rpa@@"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-4)
    args = parser.parse_args()

    run = wandb.init(project="support-lora", config=vars(args))
    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL)
    model = AutoModelForCausalLM.from_pretrained(BASE_MODEL, device_map="auto")
    lora = LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "v_proj"])
    print(model, tokenizer, lora)
    hub.upload_folder(folder_path="out/adapter", repo_id=HUB_REPO)
    run.finish()


if __name__ == "__main__":
    main()
''',
            **v,
        ),
        [("wandb-api-key", v["wandb"]), ("huggingface-org-api-token", v["org"]), ("runpod-api-key", v["rpa"])],
    )

    # ================================================================ docker-compose for the ML stack
    v = {
        "fw": "fw_" + r(A, 24),
        "stab": "sk-" + r(A, 48),
        "modal_id": "ak-" + r(A, 22),
        "modal": "as-" + r(A, 22),
        "lssk": "lsv2_sk_" + hx(32) + "_" + hx(10),
        "pcl": uid(),
    }
    g.put(
        P + "ml-stack/docker-compose.yml",
        g.T(
            """services:
  image-worker:
    image: ghcr.io/larkspur/image-worker:2.4.0
    restart: unless-stopped
    environment:
      FIREWORKS_API_KEY: @@fw@@
      FIREWORKS_MODEL: accounts/fireworks/models/flux-1-dev-fp8
      STABILITY_API_KEY: @@stab@@
      QUEUE_URL: redis://queue:6379/2
    depends_on:
      - queue

  batch-runner:
    image: ghcr.io/larkspur/batch-runner:1.9.3
    environment:
      MODAL_TOKEN_ID: @@modal_id@@
      MODAL_TOKEN_SECRET: @@modal@@
      LANGSMITH_API_KEY: @@lssk@@
      LANGSMITH_PROJECT: batch-runner

  search-indexer:
    image: ghcr.io/larkspur/search-indexer:0.7.1
    environment:
      PINECONE_API_KEY: @@pcl@@
      PINECONE_ENVIRONMENT: us-west1-gcp
      PINECONE_INDEX: catalog

  queue:
    image: redis:7.2-alpine
    volumes:
      - queue-data:/data

volumes:
  queue-data:
""",
            **v,
        ),
        [
            ("fireworks-api-key", v["fw"]),
            ("stability-api-key", v["stab"]),
            ("modal-token-secret", v["modal"]),
            ("langsmith-service-key", v["lssk"]),
            ("pinecone-api-key-legacy", v["pcl"]),
        ],
    )

    # ================================================================ Deploy workflow (hosting tokens)
    fly = "FlyV1 fm2_lJPE" + r(B64, 380) + ",fm2_lJPE" + r(B64, 140)
    fly_secret = fly[len("FlyV1 "):]
    v = {
        "vcp": "vcp_" + r(A, 56),
        "nfp": "nfp_" + r(A, 36),
        "fly": fly,
        "cfut": "cfut_" + r(A, 48),
        "rnd": "rnd_" + r(A, 32),
        "rail": uid(),
        "hrku": "HRKU-AA" + r(A, 1) + with_sep(U, 56) + r(A, 1),
        "dop": "dop_v1_" + hx(64),
    }
    g.put(
        P + "webshop/.github/workflows/deploy.yml",
        g.T(
            """name: deploy

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read

env:
  NODE_VERSION: "20"

jobs:
  frontend:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: ${{ env.NODE_VERSION }}
          cache: npm
      - run: npm ci && npm run build
      - name: Deploy to Vercel
        run: npx vercel deploy --prebuilt --prod --token=@@vcp@@
      - name: Deploy docs to Netlify
        run: npx netlify deploy --dir=docs/dist --prod
        env:
          NETLIFY_AUTH_TOKEN: @@nfp@@
          NETLIFY_SITE_ID: ${{ vars.NETLIFY_SITE_ID }}

  api:
    runs-on: ubuntu-latest
    needs: frontend
    steps:
      - uses: actions/checkout@v4
      - uses: superfly/flyctl-actions/setup-flyctl@master
      - run: flyctl deploy --remote-only
        env:
          FLY_API_TOKEN: "@@fly@@"
      - name: Purge CDN cache
        run: |
          curl -sS -X POST "https://api.cloudflare.com/client/v4/zones/${{ vars.CF_ZONE }}/purge_cache" \\
            -H "Authorization: Bearer @@cfut@@" \\
            -H "Content-Type: application/json" \\
            --data '{"purge_everything":true}'

  workers:
    runs-on: ubuntu-latest
    needs: api
    env:
      RENDER_API_KEY: @@rnd@@
      RAILWAY_TOKEN: @@rail@@
      HEROKU_API_KEY: @@hrku@@
      DIGITALOCEAN_ACCESS_TOKEN: @@dop@@
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/deploy-workers.sh
""",
            **v,
        ),
        [
            ("vercel-personal-access-token", v["vcp"]),
            ("netlify-personal-access-token", v["nfp"]),
            ("flyio-macaroon-token", fly_secret),
            ("cloudflare-user-api-token", v["cfut"]),
            ("render-api-key", v["rnd"]),
            ("railway-token", v["rail"]),
            ("heroku-api-key", v["hrku"]),
            ("digitalocean-pat", v["dop"]),
        ],
    )

    # ================================================================ OCI registry login in CI
    ns = r(LODIG, 12)
    oci_tok = r(A, 1) + r(A + "#%()+.:;=?[]^_|~-", 18) + r(A, 1)
    g.put(
        P + "webshop/.gitlab-ci.yml",
        g.T(
            """stages: [build, push]

variables:
  IMAGE: fra.ocir.io/@@ns@@/webshop/api

build:
  stage: build
  image: docker:27
  services: [docker:27-dind]
  script:
    - docker build -t "$IMAGE:$CI_COMMIT_SHORT_SHA" .
    - docker login fra.ocir.io -u '@@ns@@/oracleidentitycloudservice/ci@larkspur.io' -p '@@tok@@'
    - docker push "$IMAGE:$CI_COMMIT_SHORT_SHA"
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
""",
            ns=ns,
            tok=oci_tok,
        ),
        [("oci-registry-auth-token", oci_tok)],
    )

    # ================================================================ Terraform: providers
    v = {
        "ltai": "LTAI5t" + r(A, 18),
        "alisec": r(A, 30),
        "hcloud": r(A, 64),
        "linode": hx(64),
        "vultr": having(UPDIG, 36, g.UPPER, g.DIGITS),
        "scw": uid(),
        "akid": "AKID" + r(A, 32),
        "tcsec": r(A, 32),
        "cfat": "cfat_" + r(A, 48),
        "origin": "v1.0-" + hx(24) + "-" + hx(146),
    }
    g.put(
        P + "infra/terraform/providers.tf",
        g.T(
            """terraform {
  required_version = ">= 1.6"
  required_providers {
    alicloud     = { source = "aliyun/alicloud", version = "~> 1.230" }
    hcloud       = { source = "hetznercloud/hcloud", version = "~> 1.48" }
    linode       = { source = "linode/linode", version = "~> 2.29" }
    vultr        = { source = "vultr/vultr", version = "~> 2.21" }
    scaleway     = { source = "scaleway/scaleway", version = "~> 2.47" }
    tencentcloud = { source = "tencentcloudstack/tencentcloud", version = "~> 1.81" }
    cloudflare   = { source = "cloudflare/cloudflare", version = "~> 4.45" }
  }
}

provider "alicloud" {
  access_key = "@@ltai@@"
  secret_key = "@@alisec@@"
  region     = "cn-hangzhou"
}

provider "scaleway" {
  access_key = var.scw_access_key
  secret_key = "@@scw@@"
  zone       = "fr-par-1"
  region     = "fr-par"
}

provider "tencentcloud" {
  secret_id  = "@@akid@@"
  secret_key = "@@tcsec@@"
  region     = "ap-guangzhou"
}

provider "cloudflare" {
  api_token            = "@@cfat@@"
  api_user_service_key = "@@origin@@"
}

provider "hcloud" {
  token = var.hcloud_token
}

provider "linode" {
  token = var.linode_token
}

provider "vultr" {
  api_key     = var.vultr_api_key
  rate_limit  = 100
  retry_limit = 3
}
""",
            **{k: v[k] for k in ("ltai", "alisec", "scw", "akid", "tcsec", "cfat", "origin")},
        ),
        [
            ("alibaba-access-key-id", v["ltai"]),
            ("alibaba-access-key-secret", v["alisec"]),
            ("scaleway-secret-key", v["scw"]),
            ("tencent-cloud-secret-id", v["akid"]),
            ("tencent-cloud-secret-key", v["tcsec"]),
            ("cloudflare-account-api-token", v["cfat"]),
            ("cloudflare-origin-ca-key", v["origin"]),
        ],
    )

    g.put(
        P + "infra/terraform/terraform.tfvars",
        g.T(
            """# Shared values for the edge fleet. Applied from the ops bastion only.
project      = "edge-fleet"
environment  = "prod"
ssh_key_name = "ops-2025"

hcloud_token  = "@@hcloud@@"
linode_token  = "@@linode@@"
vultr_api_key = "@@vultr@@"

server_type = "cx32"
locations   = ["fsn1", "nbg1", "hel1"]
""",
            hcloud=v["hcloud"],
            linode=v["linode"],
            vultr=v["vultr"],
        ),
        [("hetzner-cloud-api-token", v["hcloud"]), ("linode-api-token", v["linode"]), ("vultr-api-key", v["vultr"])],
    )

    # ================================================================ Yandex Cloud
    v = {
        "ycid": "YCAJ" + r(U, 21),
        "ycsec": "YC" + r(A, 2) + with_sep(U, 34) + r(A, 2),
        "iam": "t1.9euelZ" + r(A, 2) + r(U, 60) + r(A, 2) + "." + r(A, 2) + r(U, 82) + r(A, 2),
        "aqvn": "AQVN" + r(A, 2) + r(U, 32) + r(A, 2),
        "oauth": "y0_Ag" + having(A, 52, g.UPPER, g.LOWER, g.DIGITS) + r(A, 1),
        "ysc": "ysc2_" + r(A, 40) + hx(8),
    }
    g.put(
        P + "infra/yandex/s3-credentials",
        g.T(
            """# AWS CLI profile for Yandex Object Storage (aws --profile yandex --endpoint-url https://storage.yandexcloud.net)
[yandex]
aws_access_key_id = @@ycid@@
aws_secret_access_key = @@ycsec@@
region = ru-central1
""",
            ycid=v["ycid"],
            ycsec=v["ycsec"],
        ),
        [("yandex-cloud-static-access-key-secret", v["ycsec"])],
    )
    g.put(
        P + "infra/yandex/bootstrap.sh",
        g.T(
            """#!/usr/bin/env bash
# One-off bootstrap of the yc CLI profile on the build agent.
set -euo pipefail

yc config profile create ci || true
yc config set token @@oauth@@
yc config set cloud-id b1g0ci4u7p9s2h3k5m6n
yc config set folder-id b1gq8r2t4v6x8z0b2d4f

# Smoke test against the Resource Manager API with a short-lived IAM token.
curl -sf -H "Authorization: Bearer @@iam@@" \\
  https://resource-manager.api.cloud.yandex.net/resource-manager/v1/clouds >/dev/null

# The translation microservice authenticates with a service-account API key.
curl -sf -X POST https://translate.api.cloud.yandex.net/translate/v2/languages \\
  -H "Authorization: Api-Key @@aqvn@@" -d '{}'
""",
            oauth=v["oauth"],
            iam=v["iam"],
            aqvn=v["aqvn"],
        ),
        [("yandex-oauth-token", v["oauth"]), ("yandex-cloud-iam-token", v["iam"]), ("yandex-cloud-api-key", v["aqvn"])],
    )
    g.put(
        P + "shop-php/config/captcha.php",
        g.T(
            """<?php

return [
    'enabled' => true,
    'client_key' => env('SMARTCAPTCHA_CLIENT_KEY'),
    'server_key' => '@@ysc@@',
    'validate_url' => 'https://smartcaptcha.yandexcloud.net/validate',
    'timeout' => 2.0,
];
""",
            ysc=v["ysc"],
        ),
        [("yandex-smartcaptcha-server-key", v["ysc"])],
    )

    # ================================================================ Release script: IBM, Heroku (legacy), Vercel/Netlify legacy
    v = {
        "ibm": r(A, 2) + with_sep(U, 40) + r(A, 2),
        "heroku": uid(),
        "vercel": r(A, 24),
        "netlify": r(A, 2) + with_sep(U, 39) + r(A, 2),
        "fo1": "fo1_" + r(A, 2) + r(U, 39) + r(A, 2),
    }
    g.put(
        P + "webshop/scripts/release.sh",
        g.T(
            """#!/usr/bin/env bash
# Release the storefront to every environment we still run.
set -euo pipefail

VERSION="${1:?usage: release.sh VERSION}"
echo "releasing $VERSION"

# IBM Cloud Code Engine (EU tenants)
ibmcloud login --apikey @@ibm@@ -r eu-de -g storefront
ibmcloud ce project select --name storefront-eu
ibmcloud ce app update --name web --image "icr.io/larkspur/web:$VERSION"

# Legacy Heroku app (being retired in Q3)
export HEROKU_API_KEY="@@heroku@@"
heroku container:push web --app larkspur-legacy
heroku container:release web --app larkspur-legacy

# Preview deployments
npx vercel deploy --token @@vercel@@ --yes
NETLIFY_AUTH_TOKEN="@@netlify@@" npx netlify deploy --dir=build

# Edge proxy on Fly.io
FLY_ACCESS_TOKEN=@@fo1@@ flyctl deploy --config fly.edge.toml
""",
            **v,
        ),
        [
            ("ibm-cloud-api-key", v["ibm"]),
            ("heroku-api-key-legacy", v["heroku"]),
            ("vercel-token-legacy", v["vercel"]),
            ("netlify-token-legacy", v["netlify"]),
            ("flyio-access-token", v["fo1"]),
        ],
    )

    # ================================================================ Cloudflare certbot / wrangler
    v = {"cftok": r(A, 2) + with_sep(U, 36) + r(A, 2), "cfglobal": hx(37), "cfk": "cfk_" + r(A, 48)}
    g.put(
        P + "edge/certbot/cloudflare.ini",
        g.T(
            """# Credentials for certbot-dns-cloudflare (chmod 600)
# Scoped token with Zone:DNS:Edit on larkspur.io
dns_cloudflare_api_token = @@cftok@@
""",
            cftok=v["cftok"],
        ),
        [("cloudflare-api-token-legacy", v["cftok"])],
    )
    g.put(
        P + "edge/scripts/purge.py",
        g.T(
            '''"""Purge cached assets after a release (old tooling, uses the account's global key)."""
import sys

import requests

ZONE = "larkspur.io"
CF_EMAIL = "ops@larkspur.io"
CF_API_KEY = "@@cfglobal@@"
CF_KEY_NEW = "@@cfk@@"


def purge(paths: list[str]) -> None:
    headers = {"X-Auth-Email": CF_EMAIL, "X-Auth-Key": CF_API_KEY, "Content-Type": "application/json"}
    zone = requests.get(
        "https://api.cloudflare.com/client/v4/zones", params={"name": ZONE}, headers=headers, timeout=10
    ).json()["result"][0]["id"]
    files = [f"https://{ZONE}/{p.lstrip('/')}" for p in paths]
    requests.post(
        f"https://api.cloudflare.com/client/v4/zones/{zone}/purge_cache",
        json={"files": files},
        headers=headers,
        timeout=10,
    ).raise_for_status()


if __name__ == "__main__":
    purge(sys.argv[1:])
''',
            cfglobal=v["cfglobal"],
            cfk=v["cfk"],
        ),
        [("cloudflare-global-api-key-legacy", v["cfglobal"]), ("cloudflare-global-api-key", v["cfk"])],
    )

    # ================================================================ OAuth fixtures: Vercel, Netlify, DigitalOcean
    v = {
        "vci": "vci_" + r(A, 56),
        "vca": "vca_" + r(A, 56),
        "vcr": "vcr_" + r(A, 56),
        "nfo": "nfo_" + r(A, 36),
        "nfc": "nfc_" + r(A, 36),
        "nfu": "nfu_" + r(A, 36),
        "nfb": "nfb_" + r(A, 36),
        "doo": "doo_v1_" + hx(64),
        "dor": "dor_v1_" + hx(64),
    }
    g.put(
        P + "integrations-hub/tests/fixtures/oauth_sessions.json",
        g.T(
            """{
  "vercel": {
    "integration_token": "@@vci@@",
    "access_token": "@@vca@@",
    "refresh_token": "@@vcr@@",
    "team_id": "team_Z6bV2kQe8RkF0tWm3YpLxN7a",
    "expires_in": 3600
  },
  "netlify": {
    "access_token": "@@nfo@@",
    "cli_token": "@@nfc@@",
    "ui_session": "@@nfu@@",
    "build_token": "@@nfb@@",
    "account_slug": "larkspur"
  },
  "digitalocean": {
    "access_token": "@@doo@@",
    "refresh_token": "@@dor@@",
    "token_type": "bearer",
    "expires_in": 2592000,
    "scope": "read write"
  }
}
""",
            **v,
        ),
        [
            ("vercel-integration-token", v["vci"]),
            ("vercel-app-access-token", v["vca"]),
            ("vercel-app-refresh-token", v["vcr"]),
            ("netlify-oauth-token", v["nfo"]),
            ("netlify-cli-token", v["nfc"]),
            ("netlify-app-token", v["nfu"]),
            ("netlify-build-token", v["nfb"]),
            ("digitalocean-oauth-token", v["doo"]),
            ("digitalocean-refresh-token", v["dor"]),
        ],
    )

    # ================================================================ OCI config
    pp = r(A, 1) + r(A + "!%*+-.?@^_~", 16) + r(A, 1)
    ten = "ocid1.tenancy.oc1.." + r(LODIG, 60)
    usr = "ocid1.user.oc1.." + r(LODIG, 60)
    fp = ":".join(hx(2) for _ in range(16))
    g.put(
        P + "ops-home/.oci/config",
        g.T(
            """[DEFAULT]
user=@@usr@@
fingerprint=@@fp@@
tenancy=@@ten@@
region=eu-frankfurt-1
key_file=~/.oci/oci_api_key.pem
pass_phrase=@@pp@@
""",
            usr=usr,
            fp=fp,
            ten=ten,
            pp=pp,
        ),
        [("oci-api-key-passphrase", pp)],
    )

    # ================================================================ AWS: credentials file, Bedrock, AppSync, MWS
    asia, asec = g.aws_id("ASIA"), g.aws_secret()
    sts = "IQoJb3JpZ2luX2VjE" + r(B64, 640) + r(A, 1)
    g.put(
        P + "ops-home/.aws/credentials",
        g.T(
            """[default]
region = eu-west-1
output = json

[sso-admin]
aws_access_key_id = @@asia@@
aws_secret_access_key = @@asec@@
aws_session_token = @@sts@@
""",
            asia=asia,
            asec=asec,
            sts=sts,
        ),
        [("aws-access-key-id", asia), ("aws-secret-access-key", asec), ("aws-session-token", sts)],
    )

    acct = g.digits(12)
    absk = "ABSK" + base64.b64encode(f"BedrockAPIKey-ci7q-at-{acct}:{b64key(30)}".encode()).decode()
    url = (
        "bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={g.aws_id('ASIA')}%2F20250612%2Fus-east-1%2Fbedrock%2Faws4_request"
        f"&X-Amz-Date=20250612T091500Z&X-Amz-Expires=43200&X-Amz-Security-Token={urllib.parse.quote(b64key(48), safe='')}"
        f"&X-Amz-Signature={hx(64)}&X-Amz-SignedHeaders=host&Version=1"
    )
    short = "bedrock-api-key-" + base64.b64encode(url.encode()).decode()
    g.put(
        P + "claims-assistant/.env.production",
        g.T(
            """# Claims assistant: Claude on Amazon Bedrock
CLAUDE_CODE_USE_BEDROCK=1
AWS_REGION=us-east-1
BEDROCK_MODEL_ID=us.anthropic.claude-sonnet-4-20250514-v1:0
AWS_BEARER_TOKEN_BEDROCK=@@absk@@
MAX_OUTPUT_TOKENS=4096
""",
            absk=absk,
        ),
        [("aws-bedrock-api-key", absk)],
    )
    g.put(
        P + "claims-assistant/scripts/smoke_test.py",
        g.T(
            '''"""Manual smoke test of the Bedrock endpoint with a short-term key (12 h)."""
import os

import boto3

os.environ["AWS_BEARER_TOKEN_BEDROCK"] = "@@short@@"

client = boto3.client("bedrock-runtime", region_name="us-east-1")
resp = client.converse(
    modelId="us.anthropic.claude-3-5-haiku-20241022-v1:0",
    messages=[{"role": "user", "content": [{"text": "ping"}]}],
)
print(resp["output"]["message"]["content"][0]["text"])
''',
            short=short,
        ),
        [("aws-bedrock-short-term-api-key", short)],
    )

    da2 = "da2-" + having(LODIG, 26, g.DIGITS)
    g.put(
        P + "mobile-app/src/aws-exports.js",
        g.T(
            """// Generated by the Amplify CLI and committed by mistake.
const awsmobile = {
  aws_project_region: "eu-west-1",
  aws_appsync_graphqlEndpoint: "https://q7wz3k2mnfd5bjx4v6tyl2hs3e.appsync-api.eu-west-1.amazonaws.com/graphql",
  aws_appsync_region: "eu-west-1",
  aws_appsync_authenticationType: "API_KEY",
  aws_appsync_apiKey: "@@da2@@",
  aws_cognito_region: "eu-west-1",
};

export default awsmobile;
""",
            da2=da2,
        ),
        [("aws-appsync-api-key", da2)],
    )

    mws = "amzn.mws." + uid()
    g.put(
        P + "seller-sync/config/marketplace.php",
        g.T(
            """<?php

return [
    'merchant_id' => 'A2K9QX7T3M5ZPL',
    'marketplace_id' => 'A1PA6795UKMFR9',
    'endpoint' => 'https://mws-eu.amazonservices.com',
    'mws_auth_token' => '@@mws@@',
    'report_types' => ['_GET_FLAT_FILE_OPEN_LISTINGS_DATA_', '_GET_MERCHANT_LISTINGS_DATA_'],
];
""",
            mws=mws,
        ),
        [("amazon-mws-auth-token", mws)],
    )

    # ================================================================ Azure: appsettings.Production.json
    def ai_key(sig):
        return r(A, 52) + "JQQJ99" + r(UPDIG, 4) + r(A, 14) + sig + r(A, 4)

    v = {
        "cosmos": key88(),
        "signalr": b64key(32),
        "iot": b64key(32),
        "acs": b64key(64),
        "acog": ai_key("ACOG"),
        "azeg": ai_key("AZEG"),
        "azse": r(A, 42) + "AzSe" + r(A, 6),
        "wps": b64key(32),
    }
    g.put(
        P + "claims-api/appsettings.Production.json",
        g.T(
            """{
  "Logging": {
    "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning" }
  },
  "AllowedHosts": "*",
  "ConnectionStrings": {
    "Claims": "AccountEndpoint=https://cosmos-claims-prod.documents.azure.com:443/;AccountKey=@@cosmos@@;",
    "IoTHub": "HostName=iot-claims-prod.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=@@iot@@",
    "Email": "endpoint=https://acs-claims-prod.communication.azure.com/;accesskey=@@acs@@"
  },
  "Azure": {
    "SignalR": {
      "ConnectionString": "Endpoint=https://sigr-claims-prod.service.signalr.net;AccessKey=@@signalr@@;Version=1.0;"
    },
    "WebPubSub": {
      "ConnectionString": "Endpoint=https://wps-claims-prod.webpubsub.azure.com;AccessKey=@@wps@@;Version=1.0;",
      "Hub": "claims"
    },
    "OpenAI": {
      "Endpoint": "https://aoai-claims-prod.openai.azure.com/",
      "Deployment": "gpt-4o-2024-08-06",
      "ApiKey": "@@acog@@"
    },
    "Search": {
      "Endpoint": "https://srch-claims-prod.search.windows.net",
      "IndexName": "claims-v3",
      "AdminKey": "@@azse@@"
    },
    "EventGrid": {
      "TopicEndpoint": "https://evgt-claims.westeurope-1.eventgrid.azure.net/api/events",
      "TopicKey": "@@azeg@@"
    }
  }
}
""",
            **v,
        ),
        [
            ("azure-cosmosdb-connection-string", v["cosmos"]),
            ("azure-iot-hub-connection-string", v["iot"]),
            ("azure-communication-services-connection-string", v["acs"]),
            ("azure-signalr-connection-string", v["signalr"]),
            ("azure-web-pubsub-connection-string", v["wps"]),
            ("azure-ai-services-key", v["acog"]),
            ("azure-search-key", v["azse"]),
            ("azure-event-grid-key", v["azeg"]),
        ],
    )

    fk_legacy = r(A, 1) + r(B64, 53) + "=="
    fk_enc = urllib.parse.quote(fk_legacy, safe="")
    v = {
        "azfu": r(A, 1) + r(U, 43) + "AzFu" + r(U, 6) + "==",
        "cosmos": key88(),
        "aoai": hx(32),
        "apim": hx(32),
        "fkurl": fk_enc,
    }
    g.put(
        P + "claims-api/tools/replay_events.py",
        g.T(
            '''"""Replays dead-lettered claim events into the ingest function (ops tool)."""
import json
import sys

import requests
from azure.cosmos import CosmosClient
from openai import AzureOpenAI

INGEST_URL = "https://func-claims-ingest.azurewebsites.net/api/ingest"
FUNCTION_KEY = "@@azfu@@"
NOTIFY_URL = "https://func-claims-notify.azurewebsites.net/api/notify?code=@@fkurl@@"

cosmos = CosmosClient("https://cosmos-claims-prod.documents.azure.com:443/", credential="@@cosmos@@")
container = cosmos.get_database_client("claims").get_container_client("deadletter")

summariser = AzureOpenAI(
    azure_endpoint="https://aoai-claims-legacy.openai.azure.com",
    api_key="@@aoai@@",
    api_version="2024-06-01",
)

PARTNER_HEADERS = {"Ocp-Apim-Subscription-Key": "@@apim@@"}


def replay(limit: int) -> None:
    for item in container.query_items("SELECT * FROM c", enable_cross_partition_query=True, max_item_count=limit):
        body = json.dumps(item["payload"])
        requests.post(INGEST_URL, data=body, headers={"x-functions-key": FUNCTION_KEY}, timeout=30).raise_for_status()
        requests.post(NOTIFY_URL, json={"id": item["id"]}, headers=PARTNER_HEADERS, timeout=30)


if __name__ == "__main__":
    replay(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
''',
            **v,
        ),
        [
            ("azure-function-key", v["azfu"]),
            ("azure-function-key-url", v["fkurl"]),
            ("azure-cosmosdb-key", v["cosmos"]),
            ("azure-openai-api-key", v["aoai"]),
            ("azure-apim-subscription-key", v["apim"]),
        ],
    )

    # ================================================================ Google OAuth
    cid = g.digits(12) + "-" + r(LODIG, 32) + ".apps.googleusercontent.com"
    gocspx = "GOCSPX-" + r(A, 1) + with_sep(U, 26) + r(A, 1)
    g.put(
        P + "reports-bot/client_secret.json",
        g.T(
            """{"installed":{"client_id":"@@cid@@","project_id":"reports-bot-412309","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","auth_provider_x509_cert_url":"https://www.googleapis.com/oauth2/v1/certs","client_secret":"@@sec@@","redirect_uris":["http://localhost"]}}
""",
            cid=cid,
            sec=gocspx,
        ),
        [("google-oauth-client-secret", gocspx)],
    )
    ya29 = "ya29.a0A" + r(A, 2) + r(U, 170) + r(A, 3)
    rt = "1//0" + g.R.choice("34569eg") + having(U, 96, g.UPPER, g.LOWER, g.DIGITS) + r(A, 2)
    g.put(
        P + "reports-bot/token.json",
        g.T(
            """{
  "token": "@@ya29@@",
  "refresh_token": "@@rt@@",
  "token_uri": "https://oauth2.googleapis.com/token",
  "client_id": "@@cid@@",
  "scopes": ["https://www.googleapis.com/auth/spreadsheets.readonly", "https://www.googleapis.com/auth/drive.file"],
  "universe_domain": "googleapis.com",
  "account": "",
  "expiry": "2025-06-12T10:41:07.118334Z"
}
""",
            ya29=ya29,
            rt=rt,
            cid=cid,
        ),
        [("google-oauth-access-token", ya29), ("google-oauth-refresh-token", rt)],
    )

    negatives(g)


# =========================================================================================
# Hard negatives
# =========================================================================================
def negatives(g):
    A, H = g.ALNUM, g.HEX

    def r(alphabet, n):
        return g.rand(alphabet, n)

    g.put(
        N + "docs/ai-providers.md",
        """# Configuring model providers

Copy `.env.example` to `.env` and fill in the providers you use. Every key below is a
placeholder; real keys live in the team vault.

| Provider | Variable | Format |
| --- | --- | --- |
| Hugging Face | `HF_TOKEN` | `hf_` + 34 letters |
| Groq | `GROQ_API_KEY` | `gsk_...` |
| Replicate | `REPLICATE_API_TOKEN` | `r8_...` |
| Together | `TOGETHER_API_KEY` | `tgp_v1_...` |
| OpenRouter | `OPENROUTER_API_KEY` | `sk-or-v1-...` |
| Pinecone | `PINECONE_API_KEY` | `pcsk_...` |
| LangSmith | `LANGSMITH_API_KEY` | `lsv2_pt_...` |
| xAI | `XAI_API_KEY` | `xai-...` |

```bash
export HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
export GROQ_API_KEY=gsk_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
export COHERE_API_KEY=your-cohere-key
export MISTRAL_API_KEY=<mistral-api-key>
export PERPLEXITY_API_KEY=pplx-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
export ELEVENLABS_API_KEY=sk_...
export VOYAGE_API_KEY=pa-...
export CEREBRAS_API_KEY=csk-...
export NVIDIA_API_KEY=nvapi-...
export MODAL_TOKEN_ID=ak-xxxxx MODAL_TOKEN_SECRET=as-xxxxx
export RUNPOD_API_KEY=rpa_xxxxxxxxxx
```

Keys are shown once, when created. If a key leaks, revoke it in the provider's dashboard
and rotate it in the vault; the gateway picks up the new value on restart.
""",
    )

    g.put(
        N + "llm-gateway/.env.example",
        """# Copy to .env and fill in. Never commit the real file.
HF_TOKEN=
COHERE_API_KEY=your-cohere-api-key
MISTRAL_API_KEY=changeme
GROQ_API_KEY=gsk_your_key_here
TOGETHER_API_KEY=tgp_v1_your_api_key_here
OPENROUTER_API_KEY=sk-or-v1-<key>
DEEPSEEK_API_KEY=sk-your-deepseek-key-here
TAVILY_API_KEY=tvly-YOUR_API_KEY
FIRECRAWL_API_KEY=fc-YOUR_API_KEY
LLAMA_CLOUD_API_KEY=llx-your-llama-key-here
JINA_API_KEY=jina_*
LANGSMITH_API_KEY=lsv2_pt_...
LANGFUSE_SECRET_KEY=sk-lf-...
PINECONE_API_KEY=pcsk_YOUR_PINECONE_API_KEY
AI_GATEWAY_API_KEY=vck_your_gateway_key_here
""",
    )

    g.put(
        N + "rag-service/app/clients.py",
        '''"""Provider clients, configured from the environment only."""
import os

import cohere
import voyageai
import wandb
from elevenlabs.client import ElevenLabs
from openai import AzureOpenAI, OpenAI
from pinecone import Pinecone

pc = Pinecone(api_key=os.environ["PINECONE_API_KEY"])
vo = voyageai.Client()  # reads VOYAGE_API_KEY
co = cohere.ClientV2(api_key=os.getenv("CO_API_KEY"))
tts = ElevenLabs(api_key=os.environ["ELEVENLABS_API_KEY"])
llm = OpenAI(api_key=os.environ["DEEPSEEK_API_KEY"], base_url="https://api.deepseek.com")
azure = AzureOpenAI(
    api_key=os.environ["AZURE_OPENAI_API_KEY"],
    api_version="2024-10-21",
    azure_endpoint=os.environ["AZURE_OPENAI_ENDPOINT"],
)

if os.getenv("WANDB_API_KEY"):
    wandb.login(key=os.environ["WANDB_API_KEY"])
''',
    )

    g.put(
        N + "rag-service/app/ids.py",
        g.T(
            '''"""Identifiers of the resources the service talks to. None of these are credentials."""

PINECONE_PROJECT_ID = "@@u1@@"
PINECONE_INDEX_HOST = "handbook-chunks-v4-@@short@@.svc.aped-4627-b74a.pinecone.io"
DEEPGRAM_PROJECT_ID = "@@u2@@"
ASSEMBLYAI_WEBHOOK_ID = "@@u3@@"
WANDB_RUN_GIT_COMMIT = "@@sha@@"
TOGETHER_MODEL_SHA256 = "@@sha256@@"
HEROKU_APP_ID = "@@u4@@"
RAILWAY_PROJECT_ID = "@@u5@@"
SCW_DEFAULT_PROJECT_ID = "@@u6@@"
CLOUDFLARE_ZONE_ID = "@@zone@@"
CLOUDFLARE_ACCOUNT_ID = "@@acct@@"
NETLIFY_SITE_ID = "@@u7@@"
VERCEL_PROJECT_ID = "prj_@@prj@@"
VERCEL_ORG_ID = "team_@@team@@"
''',
            u1=g.new_uuid(),
            u2=g.new_uuid(),
            u3=g.new_uuid(),
            u4=g.new_uuid(),
            u5=g.new_uuid(),
            u6=g.new_uuid(),
            u7=g.new_uuid(),
            short=g.hexstr(7),
            sha=g.hexstr(40),
            sha256=g.hexstr(64),
            zone=g.hexstr(32),
            acct=g.hexstr(32),
            prj=r(A, 28),
            team=r(A, 24),
        ),
    )

    g.put(
        N + "webshop/.github/workflows/deploy.yml",
        """name: deploy

on:
  push:
    branches: [main]

jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      VERCEL_TOKEN: ${{ secrets.VERCEL_TOKEN }}
      NETLIFY_AUTH_TOKEN: ${{ secrets.NETLIFY_AUTH_TOKEN }}
      FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}
      CLOUDFLARE_API_TOKEN: ${{ secrets.CLOUDFLARE_API_TOKEN }}
      HEROKU_API_KEY: ${{ secrets.HEROKU_API_KEY }}
      RAILWAY_TOKEN: ${{ secrets.RAILWAY_TOKEN }}
      RENDER_API_KEY: ${{ secrets.RENDER_API_KEY }}
      DIGITALOCEAN_ACCESS_TOKEN: ${{ secrets.DIGITALOCEAN_ACCESS_TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - run: npx vercel deploy --prebuilt --prod --token=$VERCEL_TOKEN
      - run: flyctl deploy --remote-only
      - name: Log in to OCIR
        run: echo "$OCI_AUTH_TOKEN" | docker login fra.ocir.io -u "$OCI_NAMESPACE/ci" --password-stdin
      - uses: docker/login-action@v3
        with:
          registry: iad.ocir.io
          username: ${{ vars.OCIR_USERNAME }}
          password: ${{ secrets.OCIR_TOKEN }}
""",
    )

    g.put(
        N + "infra/terraform/providers.tf",
        """provider "alicloud" {
  access_key = var.alicloud_access_key
  secret_key = var.alicloud_secret_key
  region     = "cn-hangzhou"
}

provider "hcloud" {
  token = var.hcloud_token
}

provider "linode" {
  token = var.linode_token
}

provider "scaleway" {
  access_key = var.scw_access_key
  secret_key = var.scw_secret_key
}

provider "tencentcloud" {
  secret_id  = var.tencentcloud_secret_id
  secret_key = var.tencentcloud_secret_key
}

provider "cloudflare" {
  api_token = var.cloudflare_api_token
}

variable "hcloud_token" {
  type      = string
  sensitive = true
}

variable "linode_token" {
  type      = string
  sensitive = true
}
""",
    )

    g.put(
        N + "analytics/queries/claims.sql",
        """-- Monthly claim volume per region (joins are aliased t1..t3 by the BI tool)
SELECT t1.region_code,
       t2.month_start,
       COUNT(t3.claim_id) AS claims,
       SUM(t3.amount_eur) AS paid
FROM regions t1
JOIN calendar t2 ON t2.region_code = t1.region_code
LEFT JOIN claims t3 ON t3.region_code = t1.region_code AND t3.created_month = t2.month_start
WHERE t1.active AND t2.month_start >= DATE '2024-01-01'
GROUP BY t1.region_code, t2.month_start
ORDER BY t1.region_code, t2.month_start;
""",
    )

    g.put(
        N + "training/hub_utils.py",
        '''"""Helpers around the Hugging Face hub and firmware images (identifiers, not tokens)."""
from huggingface_hub import hf_hub_download, snapshot_download

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 = "distilbert-base-uncased-finetuned-sst-2-english"
fw_version_string_for_bootloader = "2.14.7"
rnd_seed_for_reproducible_training = 1234


def fetch(repo_id: str, filename: str) -> str:
    return hf_hub_download(repo_id=repo_id, filename=filename)


def mirror(repo_id: str) -> str:
    return snapshot_download(repo_id=repo_id, allow_patterns=["*.json", "*.safetensors"])
''',
    )

    g.put(
        N + "ops/runbooks/rotate-cloud-keys.md",
        """# Rotating cloud credentials

1. Alibaba Cloud: create a new AccessKey pair (IDs start with `LTAI`) and disable the old one.
2. Tencent Cloud: SecretIds start with `AKID`; rotate in CAM > API keys.
3. Yandex Cloud: API keys start with `AQVN`, IAM tokens with `t1.`, OAuth tokens with `y0_`.
4. Cloudflare: scannable tokens start with `cfut_`, `cfat_` and `cfk_`; older tokens have no prefix.
5. Vercel: `vcp_`, `vci_`, `vca_`, `vcr_`, `vck_`. Netlify: `nfp_`, `nfc_`, `nfo_`, `nfu_`, `nfb_`.
6. Heroku: `HRKU-...`; older keys are UUIDs (`heroku authorizations:revoke <id>`).
7. Azure: identifiable keys carry `JQQJ99` plus a service signature (`ACOG`, `AZEG`), or `AzFu`,
   `AzSe`; connection strings look like `Endpoint=https://NAME.service.signalr.net;AccessKey=<key>;Version=1.0;`.
8. AWS: session tokens start with `IQoJb3JpZ2luX2Vj...`; Bedrock keys with `ABSK...`.
9. Google: OAuth client secrets start with `GOCSPX-`, access tokens with `ya29.`, refresh tokens with `1//0`.

Example of a masked value as printed by our audit tool: `HEROKU_API_KEY=HRKU-AA****************`.
""",
    )

    g.put(
        N + "claims-api/appsettings.Development.json",
        """{
  "ConnectionStrings": {
    "Claims": "AccountEndpoint=https://cosmos-claims-dev.documents.azure.com:443/;AccountKey=<primary-key>;",
    "IoTHub": "HostName=iot-claims-dev.azure-devices.net;DeviceId=simulator;x509=true",
    "Email": "endpoint=https://acs-claims-dev.communication.azure.com/;accesskey=<access-key>"
  },
  "Azure": {
    "SignalR": { "ConnectionString": "Endpoint=https://sigr-claims-dev.service.signalr.net;AuthType=azure.msi;Version=1.0;" },
    "OpenAI": { "Endpoint": "https://aoai-claims-dev.openai.azure.com/", "ApiKey": "" },
    "Search": { "Endpoint": "https://srch-claims-dev.search.windows.net", "AdminKey": "<admin-key>" },
    "Functions": { "IngestUrl": "https://func-claims-dev.azurewebsites.net/api/ingest?code=${FUNCTION_KEY}" }
  }
}
""",
    )

    g.put(
        N + "reports-bot/README.md",
        """# reports-bot

Authorise once with `python -m reports_bot.auth`; the OAuth client is read from
`client_secret.json` (client secret `GOCSPX-...`, downloaded from the console, not committed) and
the resulting `token.json` holds an access token (`ya29....`) and a refresh token (`1//0...`).
Both files are in `.gitignore`.

To call the API by hand:

```bash
curl -H "Authorization: Bearer $(gcloud auth print-access-token)" \\
  "https://sheets.googleapis.com/v4/spreadsheets/$SHEET_ID"
```
""",
    )
