"""Corpus family `saas`: chat and messaging, payments, observability and SaaS APIs.

Rules: src/scan/rules/data/communication.toml, payments.toml, observability.toml, saas.toml.
Every value below is a random fake in the documented shape of its format (g.rand, seeded by
generate.py); files under positives/saas/ plant one secret per line, files under
negatives/saas/ hold look-alikes (placeholders, environment lookups, masked values, ids and
hashes next to provider names) that must never be reported.
"""
from __future__ import annotations

import base64
import json

G = None  # the generate module, set by generate()


# ---------------------------------------------------------------------------------------
# Fake values in the shape of each format
# ---------------------------------------------------------------------------------------
def body(alphabet: str, n: int) -> str:
    """Random string that neither starts nor ends with - or _ (so word boundaries hold)."""
    while True:
        s = G.rand(alphabet, n)
        if s[0] not in "-_" and s[-1] not in "-_":
            return s


def url(n: int) -> str:
    return body(G.URLSAFE, n)


def an(n: int) -> str:
    return G.rand(G.ALNUM, n)


def hx(n: int) -> str:
    return G.rand(G.HEX, n)


def lan(n: int) -> str:
    return G.rand(G.LOWER + G.DIGITS, n)


def uan(n: int) -> str:
    return G.rand(G.UPPER + G.DIGITS, n)


def letters(n: int) -> str:
    return G.rand(G.UPPER + G.LOWER, n)


def b64chars(n: int) -> str:
    return G.rand(G.B64, n)


def uuid() -> str:
    while True:
        u = G.new_uuid()
        if G.clean(u.replace("-", "")):
            return u


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64u(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# communication
def slack_app() -> str:
    return f"xapp-1-A0{uan(9)}-{G.digits(13)}-{hx(64)}"


def slack_workflow() -> str:
    return f"https://hooks.slack.com/workflows/T0{uan(8)}/A0{uan(9)}/{G.digits(18)}/{an(24)}"


def slack_trigger() -> str:
    return f"https://hooks.slack.com/triggers/T0{uan(8)}/{G.digits(13)}/{hx(32)}"


def discord_hook() -> str:
    return f"https://discord.com/api/webhooks/{G.digits(19)}/{url(68)}"


def discord_bot() -> str:
    return b64(G.digits(19)).rstrip("=") + "." + url(6) + "." + url(38)


def telegram() -> str:
    return f"{G.digits(10)}:AA{url(33)}"


def teams_hook() -> str:
    return (
        f"https://larkspur.webhook.office.com/webhookb2/{uuid()}@{uuid()}"
        f"/IncomingWebhook/{hx(32)}/{uuid()}/V2{url(44)}"
    )


def sendgrid() -> str:
    return f"SG.{url(22)}.{url(43)}"


def intercom() -> str:
    return b64("tok:" + uuid().replace("-", "_") + ":1:0")


def brevo(prefix: str) -> str:
    return f"{prefix}{hx(64)}-{an(16)}"


# payments
def square() -> str:
    return "EAAA" + url(60)


def adyen() -> str:
    return f"AQE{b64chars(4)}hmfx{b64chars(90)}=-{b64chars(43)}="


def lemon_jwt() -> str:
    head = b64u(json.dumps({"typ": "JWT", "alg": "RS256"}, separators=(",", ":")))
    claims = {"aud": "94d59cef-dbb8-4ea5-b178-d2540fcd6919", "jti": hx(64), "iat": 1721300000, "nbf": 1721300000, "sub": G.digits(7), "scopes": []}
    return head + "." + b64u(json.dumps(claims, separators=(",", ":"))) + "." + url(342)


# observability
def sntrys() -> str:
    payload = b64(
        '{"iat":1721390400.551203,"url":"https://sentry.io","region_url":"https://de.sentry.io","org":"larkspur"}'
    ).rstrip("=")
    return f"sntrys_{payload}_{b64chars(43)}"


def glc() -> str:
    doc = '{"o":"' + G.digits(6) + '","n":"stack-' + G.digits(6) + '-alloy-write","k":"' + an(24) + '","m":{"r":"prod-eu-west-2"}}'
    return "glc_" + b64(doc)


def grafana_legacy() -> str:
    return b64('{"k":"' + an(32) + '","n":"release-annotations","id":1}')


def es_encoded() -> str:
    return b64(url(20) + ":" + url(22))


def dynatrace() -> str:
    return f"dt0c01.{uan(24)}.{uan(64)}"


# saas
def mapbox() -> str:
    return "sk." + b64u('{"u":"larkspur-maps","a":"' + lan(25) + '"}') + "." + url(22)


def salesforce() -> str:
    return f"00D{uan(12)}!AQ{an(4)}.{G.rand(G.ALNUM + '._', 92)}"


# ---------------------------------------------------------------------------------------
def generate(g) -> None:
    global G
    G = g
    positives(g)
    negatives(g)


def positives(g) -> None:
    T, put = g.T, g.put

    # ------------------------------------------------------------ GitHub Actions workflow
    dh, tg, th, sw = discord_hook(), telegram(), teams_hook(), slack_workflow()
    put(
        "positives/saas/.github/workflows/release-notify.yml",
        T(
            """name: release-notify

on:
  release:
    types: [published]

permissions:
  contents: read

jobs:
  notify:
    runs-on: ubuntu-24.04
    steps:
      - name: Announce on Discord
        run: |
          curl -sS -H "Content-Type: application/json" \\
            -d '{"content": "Released ${{ github.event.release.tag_name }}"}' \\
            "@@dh@@"

      - name: Announce on Telegram
        run: |
          curl -sS "https://api.telegram.org/bot@@tg@@/sendMessage" \\
            -d chat_id=-1002143360785 \\
            -d text="Released ${{ github.event.release.tag_name }}"

      - name: Announce on Teams
        env:
          TEAMS_WEBHOOK_URL: @@th@@
        run: |
          jq -n --arg tag "${{ github.event.release.tag_name }}" '{text: ("Released " + $tag)}' \\
            | curl -sS -H "Content-Type: application/json" -d @- "$TEAMS_WEBHOOK_URL"

      - name: Start the release checklist workflow
        run: curl -sS -X POST -d '{"tag": "${{ github.event.release.tag_name }}"}' "@@sw@@"
""",
            dh=dh,
            tg=tg,
            th=th,
            sw=sw,
        ),
        [
            ("discord-webhook-url", dh),
            ("telegram-bot-token", tg),
            ("microsoft-teams-webhook-url", th),
            ("slack-workflow-webhook-url", sw),
        ],
    )

    # ------------------------------------------------------------ Django settings (Python)
    tw_tok, tw_sk, tw_sec = hx(32), "SK" + hx(32), an(32)
    mc, md, vn = hx(32) + "-us14", "md-" + url(22), an(16)
    mg_key = f"{hx(32)}-{hx(8)}-{hx(8)}"
    rs = f"re_{an(8)}_{an(24)}"
    put(
        "positives/saas/notifications/settings.py",
        T(
            '''"""Outbound notifications: SMS, e-mail campaigns and transactional mail."""
import os

NOTIFY_FROM_NUMBER = "+447700900123"
NOTIFY_FROM_EMAIL = "orders@larkspur.io"

# Twilio (SMS fallback when push fails)
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = "@@tw_tok@@"
TWILIO_API_KEY_SID = "@@tw_sk@@"
TWILIO_API_SECRET = "@@tw_sec@@"
TWILIO_MESSAGING_SERVICE = "orders-sms"

# Vonage is the secondary SMS route for +49 numbers
VONAGE_API_KEY = os.environ.get("VONAGE_API_KEY", "")
VONAGE_API_SECRET = "@@vn@@"

# Mailchimp: newsletter audience and transactional (Mandrill)
MAILCHIMP_API_KEY = "@@mc@@"
MAILCHIMP_SERVER = "us14"
MANDRILL_API_KEY = "@@md@@"

# Mailgun handles inbound replies
MAILGUN_DOMAIN = "mg.larkspur.io"
MAILGUN_API_KEY = "@@mg_key@@"

# Resend for receipts
RESEND_API_KEY = "@@rs@@"
RECEIPT_TEMPLATE = "receipt-v3"
''',
            tw_tok=tw_tok,
            tw_sk=tw_sk,
            tw_sec=tw_sec,
            vn=vn,
            mc=mc,
            md=md,
            mg_key=mg_key,
            rs=rs,
        ),
        [
            ("twilio-auth-token", tw_tok),
            ("twilio-api-key", tw_sk),
            ("twilio-api-key-secret", tw_sec),
            ("vonage-api-secret", vn),
            ("mailchimp-api-key", mc),
            ("mandrill-api-key", md),
            ("mailgun-private-api-key", mg_key),
            ("resend-api-key", rs),
        ],
    )

    # ------------------------------------------------------------ Node bot (JavaScript)
    dbot, xapp, pus, mb, ic, bv = discord_bot(), slack_app(), hx(20), an(25), intercom(), brevo("xkeysib-")
    put(
        "positives/saas/bot/index.js",
        T(
            """// Support bot: relays Discord and Slack messages into Intercom conversations.
const { Client, GatewayIntentBits } = require('discord.js');
const { App } = require('@slack/bolt');
const Pusher = require('pusher');
const brevo = require('@getbrevo/brevo');

const DISCORD_BOT_TOKEN = '@@dbot@@';
const INTERCOM_TOKEN = '@@ic@@';

const slack = new App({
  token: process.env.SLACK_BOT_TOKEN,
  appToken: '@@xapp@@',
  socketMode: true,
});

const pusher = new Pusher({ appId: '1789342', key: process.env.PUSHER_KEY, secret: '@@pus@@', cluster: 'eu', useTLS: true });

const messagebird = require('messagebird').initClient('@@mb@@');

const mail = new brevo.TransactionalEmailsApi();
mail.setApiKey(brevo.TransactionalEmailsApiApiKeys.apiKey, '@@bv@@');

const discord = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages] });

discord.on('messageCreate', async (message) => {
  if (message.author.bot) return;
  await fetch('https://api.intercom.io/conversations', {
    method: 'POST',
    headers: { Authorization: `Bearer ${INTERCOM_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ from: { type: 'user', id: message.author.id }, body: message.content }),
  });
  pusher.trigger('support', 'message', { text: message.content });
});

discord.login(DISCORD_BOT_TOKEN);
slack.start();
""",
            dbot=dbot,
            ic=ic,
            xapp=xapp,
            pus=pus,
            mb=mb,
            bv=bv,
        ),
        [
            ("discord-bot-token", dbot),
            ("intercom-access-token", ic),
            ("slack-app-token", xapp),
            ("pusher-app-secret", pus),
            ("messagebird-api-key", mb),
            ("brevo-api-key", bv),
        ],
    )

    # ------------------------------------------------------------ Rails-style YAML config
    sg, mgk, pm, smtp = sendgrid(), "key-" + hx(32), uuid(), brevo("xsmtpsib-")
    zd, mm_hook, mm_tok, zoom = an(40), lan(26), lan(26), an(32)
    trig = slack_trigger()
    put(
        "positives/saas/config/integrations.yml",
        T(
            """# Third-party integrations for the storefront (loaded by config/initializers/integrations.rb)
production:
  mail:
    provider: sendgrid
    sendgrid_api_key: @@sg@@
    mailgun_api_key: @@mgk@@
    postmark_server_token: @@pm@@
    smtp:
      host: smtp-relay.brevo.com
      port: 587
      user_name: mail@larkspur.io
      brevo_smtp_key: @@smtp@@
  support:
    zendesk_subdomain: larkspur
    zendesk_api_token: @@zd@@
  chat:
    mattermost_webhook_url: https://chat.larkspur.io/hooks/@@mm_hook@@
    mattermost_bot_token: @@mm_tok@@
    incident_trigger: @@trig@@
  meetings:
    zoom_account_id: larkspur-support
    zoom_client_secret: @@zoom@@
""",
            sg=sg,
            mgk=mgk,
            pm=pm,
            smtp=smtp,
            zd=zd,
            mm_hook=mm_hook,
            mm_tok=mm_tok,
            trig=trig,
            zoom=zoom,
        ),
        [
            ("sendgrid-api-key", sg),
            ("mailgun-api-key", mgk),
            ("postmark-api-token", pm),
            ("brevo-smtp-key", smtp),
            ("zendesk-api-token", zd),
            ("mattermost-webhook-url", mm_hook),
            ("mattermost-access-token", mm_tok),
            ("slack-workflow-webhook-url", trig),
            ("zoom-client-secret", zoom),
        ],
    )

    # ------------------------------------------------------------ payments (TypeScript)
    whsec, ady, cko, mol, rzp_id, rzp_sec = "whsec_" + an(32), adyen(), "sk_sbox_" + g.rand("abcdefghijklmnopqrstuvwxyz234567", 26), "live_" + an(30), an(14), an(24)
    pp, plaid_sec, plaid_tok, lemon = "E" + url(79), hx(30), f"access-production-{uuid()}", lemon_jwt()
    put(
        "positives/saas/payments/providers.ts",
        T(
            """import Stripe from 'stripe';
import { Client as AdyenClient, CheckoutAPI } from '@adyen/api-library';
import { Checkout } from 'checkout-sdk-node';
import { createMollieClient } from '@mollie/api-client';
import Razorpay from 'razorpay';
import { lemonSqueezySetup } from '@lemonsqueezy/lemonsqueezy.js';

export const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!, { apiVersion: '2024-06-20' });
export const STRIPE_WEBHOOK_SECRET = '@@whsec@@';

const adyenClient = new AdyenClient({ apiKey: '@@ady@@', environment: 'LIVE', liveEndpointUrlPrefix: '1797a841fbb37ca7-LarkspurECOM' });
export const adyenCheckout = new CheckoutAPI(adyenClient);

export const cko = new Checkout('@@cko@@');

export const mollieClient = createMollieClient({ apiKey: '@@mol@@' });

export const razorpay = new Razorpay({ key_id: 'rzp_live_@@rzp_id@@', key_secret: '@@rzp_sec@@' });

export const paypalConfig = {
  clientId: process.env.PAYPAL_CLIENT_ID,
  paypalClientSecret: '@@pp@@',
  mode: 'live',
};

export const plaidConfig = {
  clientId: process.env.PLAID_CLIENT_ID,
  plaidSecret: '@@plaid_sec@@',
  env: 'production',
};

// Linked account for the treasury dashboard
export const TREASURY_PLAID_ACCESS_TOKEN = '@@plaid_tok@@';

lemonSqueezySetup({ apiKey: '@@lemon@@' });
""",
            whsec=whsec,
            ady=ady,
            cko=cko,
            mol=mol,
            rzp_id=rzp_id,
            rzp_sec=rzp_sec,
            pp=pp,
            plaid_sec=plaid_sec,
            plaid_tok=plaid_tok,
            lemon=lemon,
        ),
        [
            ("stripe-webhook-secret", whsec),
            ("adyen-api-key", ady),
            ("checkout-secret-key", cko),
            ("mollie-api-key", mol),
            ("razorpay-key-secret", rzp_sec),
            ("paypal-client-secret", pp),
            ("plaid-secret", plaid_sec),
            ("plaid-access-token", plaid_tok),
            ("lemonsqueezy-api-key", lemon),
        ],
    )

    # ------------------------------------------------------------ payments (Ruby initializer)
    bt_priv, bt_tok = hx(32), f"access_token$production${lan(16)}${hx(32)}"
    sq, sq_old, sq_sec = square(), "sq0atp-" + url(22), "sq0csp-" + url(43)
    shpat, shpca, shppa, shpss = "shpat_" + hx(32), "shpca_" + hx(32), "shppa_" + hx(32), "shpss_" + hx(32)
    gc = "live_" + url(40)
    put(
        "positives/saas/payments/initializers.rb",
        T(
            """# config/initializers/payments.rb
Braintree::Configuration.environment = :production
Braintree::Configuration.merchant_id = "mq2sd7vfx8k3p4tw"
Braintree::Configuration.public_key = ENV.fetch("BRAINTREE_PUBLIC_KEY")
Braintree::Configuration.private_key = "@@bt_priv@@"

# PayPal wallet through Braintree
PAYPAL_GATEWAY = Braintree::Gateway.new(access_token: "@@bt_tok@@")

# Square for the pop-up shop terminals
SQUARE_CLIENT = Square::Client.new(access_token: "@@sq@@", environment: "production")
SQUARE_LEGACY_TOKEN = "@@sq_old@@"
SQUARE_OAUTH = { application_id: "sq0idp-Qm4vP8wXaT2kLr9sN6bYcE", application_secret: "@@sq_sec@@" }

# Shopify storefront sync
ShopifyAPI::Context.setup(
  api_key: ENV.fetch("SHOPIFY_API_KEY"),
  api_secret_key: "@@shpss@@",
  host: "https://sync.larkspur.io",
  scope: "read_orders,write_products",
  is_embedded: false,
  api_version: "2024-07",
)
SHOPIFY_ADMIN_TOKEN = "@@shpat@@"
SHOPIFY_CUSTOM_APP_TOKEN = "@@shpca@@"
SHOPIFY_LEGACY_PASSWORD = "@@shppa@@"

# Direct debit
GOCARDLESS = GoCardlessPro::Client.new(access_token: "@@gc@@", environment: :live)
""",
            bt_priv=bt_priv,
            bt_tok=bt_tok,
            sq=sq,
            sq_old=sq_old,
            sq_sec=sq_sec,
            shpss=shpss,
            shpat=shpat,
            shpca=shpca,
            shppa=shppa,
            gc=gc,
        ),
        [
            ("braintree-private-key", bt_priv),
            ("braintree-access-token", bt_tok),
            ("square-access-token", sq),
            ("square-legacy-access-token", sq_old),
            ("square-oauth-secret", sq_sec),
            ("shopify-shared-secret", shpss),
            ("shopify-access-token", shpat),
            ("shopify-custom-app-access-token", shpca),
            ("shopify-private-app-password", shppa),
            ("gocardless-access-token", gc),
        ],
    )

    # ------------------------------------------------------------ payments (Python, Africa region)
    psk, flw, cb = "sk_live_" + hx(40), f"FLWSECK-{hx(32)}-X", an(32)
    put(
        "positives/saas/payments/africa_gateway.py",
        T(
            '''"""Card and mobile-money collection for NG, GH and KE storefronts."""
import requests

from .models import Charge

PAYSTACK_SECRET_KEY = "@@psk@@"
FLUTTERWAVE_SECRET_KEY = "@@flw@@"
COINBASE_COMMERCE_API_SECRET = "@@cb@@"

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
''',
            psk=psk,
            flw=flw,
            cb=cb,
        ),
        [("paystack-secret-key", psk), ("flutterwave-secret-key", flw), ("coinbase-api-secret", cb)],
    )

    # ------------------------------------------------------------ Helm values for the Datadog agent
    dd_api, dd_app = hx(32), hx(40)
    put(
        "positives/saas/deploy/helm/datadog-values.yaml",
        T(
            """# helm upgrade --install datadog-agent datadog/datadog -f datadog-values.yaml
datadog:
  site: datadoghq.eu
  apiKey: @@dd_api@@
  appKey: @@dd_app@@
  clusterName: prod-weu-1
  logs:
    enabled: true
    containerCollectAll: true
  apm:
    portEnabled: true
  processAgent:
    enabled: true
clusterAgent:
  enabled: true
  metricsProvider:
    enabled: true
""",
            dd_api=dd_api,
            dd_app=dd_app,
        ),
        [("datadog-api-key", dd_api), ("datadog-app-key", dd_app)],
    )

    # ------------------------------------------------------------ docker-compose with telemetry sidecars
    nr_legacy, hc_ingest, hc_classic = hx(40), "hcaik_01" + lan(56), hx(32)
    logz, bugsnag, rollbar, ls = letters(32), hx(32), hx(32), b64chars(84)
    ops, logtail, splunk = uuid(), an(24), uuid()
    put(
        "positives/saas/docker-compose.yml",
        T(
            """services:
  api:
    image: ghcr.io/larkspur/orders-api:2024.07.3
    ports:
      - "8080:8080"
    environment:
      NEW_RELIC_APP_NAME: orders-api
      NEW_RELIC_LICENSE_KEY: @@nr_legacy@@
      BUGSNAG_API_KEY: @@bugsnag@@
      ROLLBAR_ACCESS_TOKEN: @@rollbar@@
      OPSGENIE_API_KEY: @@ops@@
    depends_on:
      - otel-collector

  otel-collector:
    image: otel/opentelemetry-collector-contrib:0.104.0
    command: ["--config=/etc/otelcol/config.yaml"]
    environment:
      HONEYCOMB_API_KEY: @@hc_ingest@@
      OTEL_EXPORTER_OTLP_HEADERS: "x-honeycomb-team=@@hc_classic@@"
      LS_ACCESS_TOKEN: "@@ls@@"
    volumes:
      - ./otelcol.yaml:/etc/otelcol/config.yaml:ro

  log-shipper:
    image: timberio/vector:0.39.0-alpine
    environment:
      LOGZIO_TOKEN: @@logz@@
      LOGTAIL_SOURCE_TOKEN: @@logtail@@
      SPLUNK_HEC_TOKEN: @@splunk@@
      SPLUNK_HEC_ENDPOINT: https://splunk.larkspur.io:8088
""",
            nr_legacy=nr_legacy,
            bugsnag=bugsnag,
            rollbar=rollbar,
            ops=ops,
            hc_ingest=hc_ingest,
            hc_classic=hc_classic,
            ls=ls,
            logz=logz,
            logtail=logtail,
            splunk=splunk,
        ),
        [
            ("newrelic-license-key-legacy", nr_legacy),
            ("bugsnag-api-key", bugsnag),
            ("rollbar-access-token", rollbar),
            ("opsgenie-api-key", ops),
            ("honeycomb-ingest-key", hc_ingest),
            ("honeycomb-api-key", hc_classic),
            ("lightstep-access-token", ls),
            ("logzio-token", logz),
            ("betterstack-token", logtail),
            ("splunk-hec-token", splunk),
        ],
    )

    # ------------------------------------------------------------ Terraform variables
    nrak, glsa, pd_tok, pd_key = "NRAK-" + uan(27), f"glsa_{an(32)}_{hx(8)}", url(20), hx(32)
    nraa = "NRAA-" + hx(27)
    put(
        "positives/saas/terraform/monitoring.auto.tfvars",
        T(
            """# Monitoring stack for prod-weu-1 (applied by the platform team)
newrelic_account_id = 3948122
newrelic_api_key    = "@@nrak@@"
newrelic_admin_key  = "@@nraa@@"
newrelic_region     = "EU"

grafana_url  = "https://grafana.larkspur.io"
grafana_auth = "@@glsa@@"

pagerduty_token           = "@@pd_tok@@"
pagerduty_integration_key = "@@pd_key@@"
pagerduty_escalation      = "platform-primary"

alert_channels = ["#ops-alerts", "#orders-oncall"]
""",
            nrak=nrak,
            nraa=nraa,
            glsa=glsa,
            pd_tok=pd_tok,
            pd_key=pd_key,
        ),
        [
            ("newrelic-user-api-key", nrak),
            ("newrelic-admin-key", nraa),
            ("grafana-service-account-token", glsa),
            ("pagerduty-api-key", pd_tok),
            ("pagerduty-integration-key", pd_key),
        ],
    )

    # ------------------------------------------------------------ New Relic agent config
    nr_cfg = hx(40)
    put(
        "positives/saas/newrelic.yml",
        T(
            """common: &default_settings
  license_key: '@@nr_cfg@@'
  app_name: orders-worker
  distributed_tracing:
    enabled: true
  log_level: info

production:
  <<: *default_settings

staging:
  <<: *default_settings
  app_name: orders-worker (staging)
""",
            nr_cfg=nr_cfg,
        ),
        [("newrelic-config-license-key", nr_cfg)],
    )

    # ------------------------------------------------------------ browser agent snippet (HTML)
    nrjs, nrjs2, nral = "NRJS-" + hx(19), "NRJS-" + hx(19), hx(36) + "NRAL"
    nrii = "NRII-" + url(32)
    put(
        "positives/saas/web/templates/base.html",
        T(
            """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{% block title %}Larkspur{% endblock %}</title>
  <script>
    window.NREUM = window.NREUM || {};
    NREUM.init = { distributed_tracing: { enabled: true }, privacy: { cookies_enabled: true } };
    NREUM.loader_config = { accountID: "3948122", trustKey: "3948122", agentID: "601488912", licenseKey: "@@nrjs@@", applicationID: "601488912" };
    NREUM.info = { beacon: "bam.eu01.nr-data.net", errorBeacon: "bam.eu01.nr-data.net", licenseKey: "@@nrjs2@@", applicationID: "601488912", sa: 1 };
  </script>
  <!-- server-side ingest for the checkout events (to be moved behind the API) -->
  <script>
    const NR_INGEST = "@@nral@@";
    const NR_EVENTS_INSERT = "@@nrii@@";
  </script>
</head>
<body>{% block content %}{% endblock %}</body>
</html>
""",
            nrjs=nrjs,
            nrjs2=nrjs2,
            nral=nral,
            nrii=nrii,
        ),
        [
            ("newrelic-browser-key", nrjs),
            ("newrelic-browser-key", nrjs2),
            ("newrelic-license-key", nral),
            ("newrelic-insights-key", nrii),
        ],
    )

    # ------------------------------------------------------------ release script (shell)
    st_org, st_user, glc_tok, gf_old = sntrys(), "sntryu_" + hx(64), glc(), grafana_legacy()
    dt, es, ax_api, ax_pat = dynatrace(), es_encoded(), "xaat-" + uuid(), "xapt-" + uuid()
    sgp = "sgp_" + an(64)
    dsn_secret = hx(32)
    put(
        "positives/saas/scripts/release.sh",
        T(
            """#!/usr/bin/env bash
# Tag a release, upload source maps and annotate the dashboards.
set -euo pipefail

VERSION="${1:?usage: release.sh <version>}"

export SENTRY_ORG=larkspur
export SENTRY_PROJECT=storefront
export SENTRY_AUTH_TOKEN="@@st_org@@"
export SENTRY_DSN="https://@@dsn_public@@:@@dsn_secret@@@o4507112.ingest.sentry.io/4507112881"

npx @sentry/cli releases new "$VERSION"
npx @sentry/cli sourcemaps upload --release "$VERSION" dist/

# mark the deploy in Sentry with the release manager's personal token
curl -sS https://sentry.io/api/0/organizations/larkspur/releases/"$VERSION"/deploys/ \\
  -H "Authorization: Bearer @@st_user@@" \\
  -H "Content-Type: application/json" -d '{"environment": "production"}'

# Grafana annotations (cloud stack and the old on-prem instance)
curl -sS -u "918273:@@glc_tok@@" https://larkspur.grafana.net/api/annotations -d "{\\"text\\": \\"release $VERSION\\"}"
curl -sS -H "Authorization: Bearer @@gf_old@@" https://grafana-onprem.larkspur.io/api/annotations -d "{\\"text\\": \\"release $VERSION\\"}"

# Dynatrace deployment event
curl -sS -X POST "https://abc12345.live.dynatrace.com/api/v2/events/ingest" \\
  -H "Authorization: Api-Token @@dt@@" \\
  -H "Content-Type: application/json" -d "{\\"eventType\\": \\"CUSTOM_DEPLOYMENT\\", \\"title\\": \\"$VERSION\\"}"

# Release marker in the log cluster
curl -sS -X POST "https://logs.es.europe-west1.gcp.cloud.es.io/releases/_doc" \\
  -H "Authorization: ApiKey @@es@@" \\
  -H "Content-Type: application/json" -d "{\\"version\\": \\"$VERSION\\"}"

# Axiom: ingest the release event, then query with the personal token
curl -sS -X POST https://api.axiom.co/v1/datasets/releases/ingest \\
  -H "Authorization: Bearer @@ax_api@@" -H "Content-Type: application/json" -d "[{\\"version\\": \\"$VERSION\\"}]"
curl -sS https://api.axiom.co/v1/datasets -H "Authorization: Bearer @@ax_pat@@"

# Segment: tag the tracking plan
curl -sS -X PATCH https://api.segmentapis.com/tracking-plans/tp_2a9Xc1 \\
  -H "Authorization: Bearer @@sgp@@" -d "{\\"name\\": \\"storefront $VERSION\\"}"
""",
            st_org=st_org,
            dsn_public=hx(32),
            dsn_secret=dsn_secret,
            st_user=st_user,
            glc_tok=glc_tok,
            gf_old=gf_old,
            dt=dt,
            es=es,
            ax_api=ax_api,
            ax_pat=ax_pat,
            sgp=sgp,
        ),
        [
            ("sentry-org-token", st_org),
            ("sentry-dsn-secret", dsn_secret),
            ("sentry-user-token", st_user),
            ("grafana-cloud-token", glc_tok),
            ("grafana-api-key", gf_old),
            ("dynatrace-api-token", dt),
            ("elasticsearch-api-key", es),
            ("axiom-api-token", ax_api),
            ("axiom-personal-token", ax_pat),
            ("segment-public-api-token", sgp),
        ],
    )

    # ------------------------------------------------------------ analytics config (JSON)
    mix, seg, amp = an(32), an(32), hx(32)
    put(
        "positives/saas/analytics/config.json",
        T(
            """{
  "project": "storefront",
  "mixpanel_project_id": 3318472,
  "mixpanel_service_account": "export-bot.4f1c2d.mp-service-account",
  "mixpanel_service_account_secret": "@@mix@@",
  "segment_source": "storefront-server",
  "segment_write_key": "@@seg@@",
  "amplitude_project": 512883,
  "amplitude_secret_key": "@@amp@@",
  "export_schedule": "0 3 * * *"
}
""",
            mix=mix,
            seg=seg,
            amp=amp,
        ),
        [("mixpanel-api-secret", mix), ("segment-write-key", seg), ("amplitude-secret-key", amp)],
    )

    # ------------------------------------------------------------ Filebeat
    es_id, es_key = url(20), url(22)
    put(
        "positives/saas/filebeat/filebeat.yml",
        T(
            """filebeat.inputs:
  - type: filestream
    id: nginx-access
    paths:
      - /var/log/nginx/access.log

processors:
  - add_host_metadata: ~

output.elasticsearch:
  hosts: ["https://logs.es.europe-west1.gcp.cloud.es.io:443"]
  api_key: "@@es_id@@:@@es_key@@"
  index: "nginx-%{+yyyy.MM.dd}"
""",
            es_id=es_id,
            es_key=es_key,
        ),
        [("elasticsearch-api-key-pair", f"{es_id}:{es_key}")],
    )

    # ------------------------------------------------------------ feature flags (Go)
    ld_sdk = "sdk-" + uuid()
    put(
        "positives/saas/flags/flags.go",
        T(
            """package flags

import (
	"time"

	ld "github.com/launchdarkly/go-server-sdk/v7"
)

// TODO(platform): move to the secret store before the next audit.
const launchDarklySDKKey = "@@ld_sdk@@"

var client *ld.LDClient

func Init() error {
	c, err := ld.MakeClient(launchDarklySDKKey, 5*time.Second)
	if err != nil {
		return err
	}
	client = c
	return nil
}
""",
            ld_sdk=ld_sdk,
        ),
        [("launchdarkly-sdk-key", ld_sdk)],
    )

    ld_api, sfdx, sf_tok = "api-" + uuid(), "5Aep861" + an(80), salesforce()
    put(
        "positives/saas/scripts/ci-bootstrap.sh",
        T(
            """#!/usr/bin/env bash
# Bootstrap credentials for the nightly CI jobs (flag sync, CRM sandbox refresh).
set -euo pipefail

export LD_API_KEY=@@ld_api@@
ldcli flags list --project storefront --output json > flags.json

echo "force://PlatformCLI::@@sfdx@@@larkspur.my.salesforce.com" > sfdx-auth-url.txt
sf org login sfdx-url --sfdx-url-file sfdx-auth-url.txt --alias prod --set-default

curl -sS https://larkspur.my.salesforce.com/services/data/v60.0/limits -H "Authorization: Bearer @@sf_tok@@"
""",
            ld_api=ld_api,
            sfdx=sfdx,
            sf_tok=sf_tok,
        ),
        [
            ("launchdarkly-access-token", ld_api),
            ("salesforce-sfdx-auth-url", sfdx),
            ("salesforce-access-token", sf_tok),
        ],
    )

    # ------------------------------------------------------------ SaaS integrations (Python)
    alg, at_pat, at_old = hx(32), f"pat{an(14)}.{hx(64)}", "key" + an(14)
    ntn, notion_old, lin, lin_oauth = f"ntn_{g.digits(11)}{an(35)}", "secret_" + an(43), "lin_api_" + an(40), "lin_oauth_" + hx(64)
    asana_pat = f"2/{g.digits(16)}/{g.digits(16)}:{hx(32)}"
    hs_pat, hs_old = "pat-eu1-" + uuid(), uuid()
    figd, tfp = "figd_" + url(40), f"tfp_{url(44)}_{url(14)}"
    put(
        "positives/saas/integrations/clients.py",
        T(
            '''"""API clients for the internal ops dashboard."""
from airtable import Airtable
from asana import Client as AsanaClient
from hubspot import HubSpot
from linear_api import LinearClient
from notion_client import Client as NotionClient

ALGOLIA_APP_ID = "H7QX2L9CZR"
ALGOLIA_ADMIN_API_KEY = "@@alg@@"

inventory = Airtable("appQ7mZk2Lr9sN6bY", "Inventory", api_key="@@at_pat@@")
AIRTABLE_LEGACY_API_KEY = "@@at_old@@"

notion = NotionClient(auth="@@ntn@@")
notion_archive = NotionClient(auth="@@notion_old@@")

linear = LinearClient(api_key="@@lin@@")
LINEAR_OAUTH_TOKEN = "@@lin_oauth@@"

asana = AsanaClient.access_token("@@asana_pat@@")

hubspot = HubSpot(access_token="@@hs_pat@@")
HUBSPOT_API_KEY = "@@hs_old@@"

FIGMA_HEADERS = {"X-Figma-Token": "@@figd@@"}
TYPEFORM_HEADERS = {"Authorization": "Bearer @@tfp@@"}
''',
            alg=alg,
            at_pat=at_pat,
            at_old=at_old,
            ntn=ntn,
            notion_old=notion_old,
            lin=lin,
            lin_oauth=lin_oauth,
            asana_pat=asana_pat,
            hs_pat=hs_pat,
            hs_old=hs_old,
            figd=figd,
            tfp=tfp,
        ),
        [
            ("algolia-admin-key", alg),
            ("airtable-personal-access-token", at_pat),
            ("airtable-api-key", at_old),
            ("notion-integration-token", ntn),
            ("notion-integration-token-legacy", notion_old),
            ("linear-api-key", lin),
            ("linear-oauth-token", lin_oauth),
            ("asana-personal-access-token", asana_pat),
            ("hubspot-private-app-token", hs_pat),
            ("hubspot-api-key", hs_old),
            ("figma-personal-access-token", figd),
            ("typeform-personal-access-token", tfp),
        ],
    )

    # ------------------------------------------------------------ CMS / maps / files (JavaScript config)
    mbx, cfpat, cf_prev = mapbox(), "CFPAT-" + url(43), url(43)
    sl, dbx_ll = "sl.B" + url(138), an(11) + "AAAAAAAAAA" + url(43)
    put(
        "positives/saas/web/next.config.js",
        T(
            """/** @type {import('next').NextConfig} */
const MAPBOX_DOWNLOADS_TOKEN = '@@mbx@@';

module.exports = {
  reactStrictMode: true,
  images: { domains: ['images.ctfassets.net'] },
  env: {
    CONTENTFUL_SPACE_ID: 'q8mz2lr9sn6b',
    CONTENTFUL_MANAGEMENT_TOKEN: '@@cfpat@@',
    CONTENTFUL_PREVIEW_TOKEN: '@@cf_prev@@',
    DROPBOX_ACCESS_TOKEN: '@@sl@@',
    DROPBOX_ARCHIVE_TOKEN: '@@dbx_ll@@',
  },
  webpack: (config) => {
    config.resolve.fallback = { fs: false };
    return config;
  },
};
""",
            mbx=mbx,
            cfpat=cfpat,
            cf_prev=cf_prev,
            sl=sl,
            dbx_ll=dbx_ll,
        ),
        [
            ("mapbox-secret-token", mbx),
            ("contentful-personal-access-token", cfpat),
            ("contentful-delivery-token", cf_prev),
            ("dropbox-short-lived-token", sl),
            ("dropbox-long-lived-token", dbx_ll),
        ],
    )


# =======================================================================================
def negatives(g) -> None:
    put = g.put

    # ------------------------------------------------------------ docs with placeholders
    put(
        "negatives/saas/docs/integrations.md",
        """# Connecting third-party services

Every credential lives in the secret store; the values below show the *shape* of each one so
that reviewers can recognise a leak. Never paste a real value into this page.

| Service | Variable | Looks like |
| --- | --- | --- |
| Slack (Socket Mode) | `SLACK_APP_TOKEN` | `xapp-1-A0XXXXXXXXX-0000000000000-...` |
| Discord | `DISCORD_WEBHOOK_URL` | `https://discord.com/api/webhooks/<id>/<token>` |
| Telegram | `TELEGRAM_BOT_TOKEN` | `<bot-id>:<secret>` |
| SendGrid | `SENDGRID_API_KEY` | `SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` |
| Mailgun | `MAILGUN_API_KEY` | `key-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` |
| Mailchimp | `MAILCHIMP_API_KEY` | `<32 hex>-us14` |
| Brevo | `BREVO_API_KEY` | `xkeysib-...` |
| Teams | `TEAMS_WEBHOOK_URL` | `https://<tenant>.webhook.office.com/webhookb2/...` |
| Stripe webhooks | `STRIPE_WEBHOOK_SECRET` | `whsec_...` |
| Square | `SQUARE_ACCESS_TOKEN` | `EAAA...` (64 characters) |
| Shopify | `SHOPIFY_ACCESS_TOKEN` | `shpat_` + 32 hex |
| Flutterwave | `FLW_SECRET_KEY` | `FLWSECK_TEST-SANDBOXDEMOKEY-X` |
| New Relic | `NEW_RELIC_LICENSE_KEY` | 40 characters ending in `NRAL` |
| Sentry | `SENTRY_AUTH_TOKEN` | `sntrys_...` (organization) or `sntryu_...` (user) |
| Grafana | `GRAFANA_TOKEN` | `glsa_...` |
| Dynatrace | `DT_API_TOKEN` | `dt0c01.<public>.<secret>` |
| Axiom | `AXIOM_TOKEN` | `xaat-<uuid>` |
| LaunchDarkly | `LD_SDK_KEY` | `sdk-<uuid>` |
| HubSpot | `HUBSPOT_ACCESS_TOKEN` | `pat-na1-<uuid>` |
| Notion | `NOTION_TOKEN` | `ntn_...` (older integrations: `secret_...`) |
| Salesforce CLI | `SFDX_AUTH_URL` | `force://PlatformCLI::<refresh_token>@<instance>` |

To rotate a key, create the new one in the provider console, update the secret store entry
(`op item edit`), redeploy, and only then revoke the old key.

Example request once the variables are exported:

```bash
curl -sS https://api.sendgrid.com/v3/mail/send \\
  -H "Authorization: Bearer $SENDGRID_API_KEY" \\
  -H "Content-Type: application/json" -d @mail.json
curl -sS "https://api.telegram.org/bot${TELEGRAM_BOT_TOKEN}/getMe"
curl -sS -H "DD-API-KEY: ${DD_API_KEY}" https://api.datadoghq.eu/api/v1/validate
```
""",
    )

    # ------------------------------------------------------------ settings read from the environment
    put(
        "negatives/saas/notifications/settings_env.py",
        '''"""Notification settings; every credential comes from the environment or the vault."""
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
''',
    )

    # ------------------------------------------------------------ committed template
    put(
        "negatives/saas/.env.example",
        """# Copy to .env and fill in from the vault (op://storefront/...).
SLACK_APP_TOKEN=xapp-1-...
DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/<id>/<token>
TWILIO_AUTH_TOKEN=your_auth_token
SENDGRID_API_KEY=SG.your-key-here
STRIPE_WEBHOOK_SECRET=whsec_...
SHOPIFY_ACCESS_TOKEN=shpat_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
SQUARE_ACCESS_TOKEN=EAAAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
DD_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
NEW_RELIC_LICENSE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxNRAL
SENTRY_AUTH_TOKEN=sntrys_...
HONEYCOMB_API_KEY=hcaik_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
NOTION_TOKEN=ntn_your_internal_integration_token_here
HUBSPOT_ACCESS_TOKEN=pat-na1-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
LAUNCHDARKLY_SDK_KEY=sdk-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
SFDX_AUTH_URL=force://PlatformCLI::<refresh_token>@<instance>
""",
    )

    # ------------------------------------------------------------ ids and hashes next to provider names
    put(
        "negatives/saas/config/ids.yml",
        g.T(
            """# Non-secret identifiers used by the integrations (safe to commit).
postmark:
  message_stream: outbound
  template_id: 36119244
  last_message_id: @@pm_msg@@
twilio:
  account_sid: AC@@ac@@
  messaging_service_sid: MG@@mg@@
datadog:
  apiKeyExistingSecret: datadog-agent-keys
  appKeyExistingSecret: datadog-agent-keys
  monitor_id: 148822931
  deploy_sha: @@sha@@
sentry:
  release: @@sha2@@
  dsn: https://@@dsn_key@@@o4507112.ingest.sentry.io/4507112881
opsgenie:
  team_id: @@ops_team@@
launchdarkly:
  project_key: storefront
  client_side_id: @@ld_client@@
mattermost:
  team_id: @@mm_team@@
  channel_id: @@mm_chan@@
algolia:
  app_id: H7QX2L9CZR
  index: products_prod
mixpanel:
  project_id: 3318472
amplitude:
  project_id: 512883
plaid:
  environment: production
airtable:
  base: appQ7mZk2Lr9sN6bY
  table: tbl4Xc9PzQ2mLr7sN
splunk:
  index_uuid: @@splunk_idx@@
""",
            pm_msg=uuid(),
            ac=hx(32),
            mg=hx(32),
            sha=hx(40),
            sha2=hx(40),
            dsn_key=hx(32),
            ops_team=uuid(),
            ld_client=hx(24),
            mm_team=lan(26),
            mm_chan=lan(26),
            splunk_idx=uuid(),
        ),
    )

    # ------------------------------------------------------------ test fixtures with masked / placeholder values
    put(
        "negatives/saas/tests/fixtures/webhooks.json",
        json.dumps(
            {
                "slack": "https://hooks.slack.com/workflows/T00000000/A00000000/000000000000000000/XXXXXXXXXXXXXXXXXXXXXXXX",
                "discord": "https://discord.com/api/webhooks/000000000000000000/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                "teams": "https://contoso.webhook.office.com/webhookb2/<group>@<tenant>/IncomingWebhook/<id>/<connector>",
                "mattermost": "https://chat.larkspur.io/hooks/xxxxxxxxxxxxxxxxxxxxxxxxxx",
                "stripe_signing": "whsec_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                "sendgrid": "SG.****",
                "paystack": "sk_live_****************************************",
                "adyen": "AQE...",
                "dynatrace": "dt0c01.XXXXXXXXXXXXXXXXXXXXXXXX.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            },
            indent=2,
        )
        + "\n",
    )

    # ------------------------------------------------------------ code that reads tokens at runtime
    put(
        "negatives/saas/bot/config.js",
        """// Runtime configuration for the support bot. Secrets are injected by the platform.
const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing ${name}`);
  return value;
};

module.exports = {
  discordToken: required('DISCORD_BOT_TOKEN'),
  slackAppToken: required('SLACK_APP_TOKEN'),
  intercomToken: required('INTERCOM_ACCESS_TOKEN'),
  pusher: { appId: required('PUSHER_APP_ID'), secret: required('PUSHER_APP_SECRET'), cluster: 'eu' },
  messagebirdKey: required('MESSAGEBIRD_ACCESS_KEY'),
  resend: new (require('resend').Resend)(process.env.RESEND_API_KEY),
  mollieKey: process.env.MOLLIE_API_KEY,
  checkout: { secretKey: process.env.CKO_SECRET_KEY, publicKey: process.env.CKO_PUBLIC_KEY },
  bugsnag: { apiKey: process.env.BUGSNAG_API_KEY, releaseStage: process.env.NODE_ENV },
  rollbar: { accessToken: process.env.ROLLBAR_ACCESS_TOKEN },
  airtable: { apiKey: process.env.AIRTABLE_PAT, base: 'appQ7mZk2Lr9sN6bY' },
};
""",
    )

    # ------------------------------------------------------------ Kubernetes manifests referencing secrets
    put(
        "negatives/saas/deploy/k8s/observability.yaml",
        """apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-api
spec:
  replicas: 3
  selector:
    matchLabels:
      app: orders-api
  template:
    metadata:
      labels:
        app: orders-api
    spec:
      containers:
        - name: api
          image: ghcr.io/larkspur/orders-api:2024.07.3
          env:
            - name: DD_API_KEY
              valueFrom:
                secretKeyRef:
                  name: datadog-agent-keys
                  key: api-key
            - name: NEW_RELIC_LICENSE_KEY
              valueFrom:
                secretKeyRef:
                  name: newrelic
                  key: license-key
            - name: SENTRY_DSN
              valueFrom:
                secretKeyRef:
                  name: sentry
                  key: dsn
            - name: HONEYCOMB_API_KEY
              valueFrom:
                secretKeyRef:
                  name: honeycomb
                  key: ingest-key
            - name: OPSGENIE_API_KEY
              valueFrom:
                secretKeyRef:
                  name: opsgenie
                  key: api-key
            - name: SPLUNK_HEC_TOKEN
              valueFrom:
                secretKeyRef:
                  name: splunk-hec
                  key: token
""",
    )

    # ------------------------------------------------------------ Terraform variables without values
    put(
        "negatives/saas/terraform/variables.tf",
        """variable "newrelic_api_key" {
  description = "New Relic user key (NRAK-...), from the vault"
  type        = string
  sensitive   = true
}

variable "pagerduty_token" {
  description = "PagerDuty REST API token"
  type        = string
  sensitive   = true
}

variable "grafana_auth" {
  description = "Grafana service account token (glsa_...)"
  type        = string
  sensitive   = true
}

provider "newrelic" {
  account_id = 3948122
  api_key    = var.newrelic_api_key
  region     = "EU"
}

provider "pagerduty" {
  token = var.pagerduty_token
}

provider "grafana" {
  url  = "https://grafana.larkspur.io"
  auth = var.grafana_auth
}
""",
    )

    # ------------------------------------------------------------ masked values in a support runbook
    put(
        "negatives/saas/docs/rotation-log.md",
        """# Credential rotation log

| Date | Credential | Old (masked) | Done by |
| --- | --- | --- | --- |
| 2024-05-02 | SendGrid production key | `SG.****...****` | @mhale |
| 2024-05-02 | Twilio auth token | `****************************4f1c` | @mhale |
| 2024-06-11 | Shopify admin token | `shpat_****` | @rkaur |
| 2024-06-11 | Square access token | `EAAA****` | @rkaur |
| 2024-07-19 | Datadog API key | `****************************a9c2` | @jdoyle |
| 2024-07-19 | Sentry org token | `sntrys_eyJ****` | @jdoyle |
| 2024-07-22 | Linear API key | `lin_api_****` | @mhale |

Rotation checklist: revoke the old key in the provider console, confirm the new key in the
vault, redeploy the consumers (`make deploy-all`), then watch the error dashboards for an hour.
Telegram tokens (`<bot-id>:<secret>`) are rotated with /revoke in BotFather.
""",
    )
