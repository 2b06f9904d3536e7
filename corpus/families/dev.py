"""Corpus family `dev`: source hosting, CI/CD, developer tooling and package registries.

Rules: src/scan/rules/data/source-hosting.toml, ci.toml, devtools.toml, registries.toml.
Every value below is a random fake in the documented shape of its format (g.rand, seeded by
generate.py); files under positives/dev/ plant one secret per line, files under negatives/dev/
hold look-alikes that must never be reported.
"""
from __future__ import annotations

import base64
import json
import zlib

TOK = None  # the generate module, set by generate()


# ---------------------------------------------------------------------------------------
# Fake values in the shape of each format
# ---------------------------------------------------------------------------------------
def body(alphabet: str, n: int) -> str:
    """Random body that neither starts nor ends with - or _ (so word boundaries hold)."""
    g = TOK
    while True:
        s = g.rand(alphabet, n)
        if s[0] not in "-_" and s[-1] not in "-_" and "--" not in s and "__" not in s:
            return s


def urlsafe(n: int) -> str:
    return body(TOK.URLSAFE, n)


def alnum(n: int) -> str:
    return TOK.rand(TOK.ALNUM, n)


def hexs(n: int) -> str:
    return TOK.rand(TOK.HEX, n)


def lalnum(n: int) -> str:
    return TOK.rand(TOK.LOWER + TOK.DIGITS, n)


def uuid4() -> str:
    return TOK.new_uuid()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt_body() -> str:
    g = TOK
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": alnum(22)}).encode())
    claims = {"sub": uuid4(), "iss": "gitlab.acme.io", "o": "4821", "exp": int(g.digits(10))}
    return header + "." + b64url(json.dumps(claims).encode()) + "." + urlsafe(86)


def crc_hex(prefix_and_body: str) -> str:
    return prefix_and_body + format(zlib.crc32(prefix_and_body.encode()), "08X")


def npm_token() -> str:
    g = TOK

    def build():
        b = g.rand(g.B62, 30)
        return "npm_" + b + g.gh_checksum(b)

    return g.token(build)


def cred_b64(user: str) -> str:
    return base64.b64encode(f"{user}:{TOK.password(18)}".encode()).decode()


def routable(prefix: str, n: int = 36) -> str:
    return prefix + urlsafe(n) + ".01." + lalnum(9)


def ngrok() -> str:
    return "2" + alnum(26) + "_" + alnum(21)


def harbor_secret() -> str:
    g = TOK
    while True:
        s = alnum(32)
        if any(c in g.UPPER for c in s) and any(c in g.LOWER for c in s) and any(c in g.DIGITS for c in s):
            return s


def quay_token() -> str:
    g = TOK
    while True:
        s = g.rand(g.UPPER + g.DIGITS, 64)
        if any(c in g.DIGITS for c in s) and any(c in g.UPPER for c in s):
            return s


def with_digit(make) -> str:
    while True:
        s = make()
        if any(c.isdigit() for c in s):
            return s


# =======================================================================================
def generate(g) -> None:
    global TOK
    TOK = g
    source_hosting(g)
    ci(g)
    devtools(g)
    registries(g)
    negatives(g)


# ---------------------------------------------------------------------------------------
# Source hosting
# ---------------------------------------------------------------------------------------
def source_hosting(g) -> None:
    glpat, glptt, gldt = routable("glpat-"), "glptt-" + hexs(40), "gldt-" + urlsafe(20)
    put = g.put
    put(
        "positives/dev/gitlab/.gitlab-ci.yml",
        g.T(
            '''stages:
  - build
  - publish
  - downstream

variables:
  DOCKER_DRIVER: overlay2
  GITLAB_API_URL: https://gitlab.acme.io/api/v4
  # TODO: move to CI/CD settings before the audit
  RELEASE_BOT_TOKEN: "@@glpat@@"

build:
  stage: build
  image: node:20-alpine
  script:
    - npm ci
    - npm run build
  artifacts:
    paths: [dist/]

publish-image:
  stage: publish
  image: docker:24
  services: [docker:24-dind]
  script:
    - docker login registry.acme.io -u gitlab+deploy-token-4821 -p @@gldt@@
    - docker build -t registry.acme.io/platform/web:$CI_COMMIT_SHORT_SHA .
    - docker push registry.acme.io/platform/web:$CI_COMMIT_SHORT_SHA

trigger-e2e:
  stage: downstream
  image: curlimages/curl:8.5.0
  script:
    - >
      curl --fail -X POST
      -F token=@@glptt@@
      -F ref=main
      -F "variables[UPSTREAM_SHA]=$CI_COMMIT_SHA"
      "$GITLAB_API_URL/projects/1187/trigger/pipeline"
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
''',
            glpat=glpat,
            gldt=gldt,
            glptt=glptt,
        ),
        [("gitlab-pat", glpat), ("gitlab-deploy-token", gldt), ("gitlab-pipeline-trigger-token", glptt)],
    )

    glrt = "glrt-t1_" + urlsafe(27) + "." + lalnum(9)
    put(
        "positives/dev/gitlab/runner/config.toml",
        g.T(
            '''concurrent = 4
check_interval = 0
shutdown_timeout = 0

[session_server]
  session_timeout = 1800

[[runners]]
  name = "build-07"
  url = "https://gitlab.acme.io"
  id = 412
  token = "@@glrt@@"
  token_obtained_at = 2025-02-11T09:14:03Z
  token_expires_at = 0001-01-01T00:00:00Z
  executor = "docker"
  [runners.cache]
    MaxUploadedArchiveSize = 0
  [runners.docker]
    tls_verify = false
    image = "alpine:3.20"
    privileged = true
    disable_cache = false
    volumes = ["/cache", "/var/run/docker.sock:/var/run/docker.sock"]
    shm_size = 0
''',
            glrt=glrt,
        ),
        [("gitlab-runner-auth-token", glrt)],
    )

    grreg = "GR1348941" + urlsafe(20)
    put(
        "positives/dev/gitlab/runner/register.sh",
        g.T(
            '''#!/usr/bin/env bash
# Registers a shared docker runner on the legacy (pre-16.0) workflow.
set -euo pipefail

gitlab-runner register \\
  --non-interactive \\
  --url "https://gitlab.acme.io/" \\
  --registration-token "@@grreg@@" \\
  --executor docker \\
  --docker-image alpine:3.20 \\
  --description "shared-docker-$(hostname -s)" \\
  --tag-list "docker,linux" \\
  --run-untagged="true" \\
  --locked="false"
''',
            grreg=grreg,
        ),
        [("gitlab-runner-registration-token", grreg)],
    )

    glft, glsoat, gloas, glimt, glffct = (
        "glft-" + urlsafe(20),
        "glsoat-" + urlsafe(20),
        "gloas-" + hexs(64),
        "glimt-" + lalnum(25),
        "glffct-" + urlsafe(20),
    )
    put(
        "positives/dev/gitlab/integrations.env",
        g.T(
            '''# gitlab-integrations service (staging)
GITLAB_URL=https://gitlab.acme.io
GITLAB_OAUTH_APP_ID=7c1e52f0b4a9
GITLAB_OAUTH_APP_SECRET=@@gloas@@
GITLAB_OAUTH_REDIRECT_URI=https://hub.acme.io/auth/gitlab/callback
ACTIVITY_FEED_URL=https://gitlab.acme.io/dashboard/projects.atom?feed_token=@@glft@@
SCIM_BEARER=@@glsoat@@
REPLY_BY_EMAIL_TOKEN=@@glimt@@
UNLEASH_URL=https://gitlab.acme.io/api/v4/feature_flags/unleash/1187
UNLEASH_INSTANCE_ID=@@glffct@@
UNLEASH_APP_NAME=staging
''',
            glft=glft,
            glsoat=glsoat,
            gloas=gloas,
            glimt=glimt,
            glffct=glffct,
        ),
        [
            ("gitlab-oauth-app-secret", gloas),
            ("gitlab-feed-token", glft),
            ("gitlab-scim-token", glsoat),
            ("gitlab-incoming-mail-token", glimt),
            ("gitlab-feature-flags-client-token", glffct),
        ],
    )

    glagent = "glagent-" + urlsafe(50)
    put(
        "positives/dev/gitlab/agent/values.yaml",
        g.T(
            '''# helm upgrade --install acme-agent gitlab/gitlab-agent -n gitlab-agent -f values.yaml
image:
  tag: v17.6.1
replicas: 2
config:
  kasAddress: wss://kas.gitlab.acme.io
  token: @@glagent@@
rbac:
  create: true
resources:
  requests:
    cpu: 100m
    memory: 128Mi
''',
            glagent=glagent,
        ),
        [("gitlab-agent-token", glagent)],
    )

    glcbt = "glcbt-" + jwt_body()
    put(
        "positives/dev/gitlab/job-trace-99412.log",
        g.T(
            '''Running with gitlab-runner 17.6.0 (374d34fd)
  on build-07 t1_Kq2NHx, system ID: s_5b0d62fa3c1e
Preparing the "docker" executor
Using Docker executor with image python:3.12-slim ...
Getting source from Git repository
Fetching changes with git depth set to 20...
Checking out 8e1f4c2a as detached HEAD (ref is main)...
Executing "step_script" stage of the job script
$ env | sort
CI_COMMIT_REF_NAME=main
CI_JOB_ID=99412
CI_JOB_TOKEN=@@glcbt@@
CI_PROJECT_PATH=platform/billing
CI_SERVER_URL=https://gitlab.acme.io
$ pytest -q
........................................ [100%]
40 passed in 12.31s
Job succeeded
''',
            glcbt=glcbt,
        ),
        [("gitlab-ci-job-token", glcbt)],
    )

    atbb = crc_hex("ATBB" + alnum(24))
    put(
        "positives/dev/atlassian/bitbucket-pipelines.yml",
        g.T(
            '''image: maven:3.9-eclipse-temurin-21

definitions:
  caches:
    sonar: ~/.sonar/cache

pipelines:
  branches:
    main:
      - step:
          name: Build and tag
          caches: [maven]
          script:
            - mvn -B verify
            - git tag "v$(date +%Y.%m.%d)-$BITBUCKET_BUILD_NUMBER"
            - git push https://release-bot:@@atbb@@@bitbucket.org/acme/ledger.git --tags
''',
            atbb=atbb,
        ),
        [("bitbucket-app-password", atbb)],
    )

    atatt = crc_hex("ATATT3xFfGF0" + urlsafe(170) + "=")
    put(
        "positives/dev/atlassian/jira_sync.py",
        g.T(
            '''"""Copies resolved incidents from PagerDuty into the OPS Jira project."""
import requests
from requests.auth import HTTPBasicAuth

JIRA_URL = "https://acme.atlassian.net"
JIRA_USER = "ops-automation@acme.io"
JIRA_API_TOKEN = "@@atatt@@"


def create_issue(summary: str, description: str) -> str:
    payload = {
        "fields": {
            "project": {"key": "OPS"},
            "summary": summary,
            "description": description,
            "issuetype": {"name": "Incident"},
        }
    }
    resp = requests.post(
        f"{JIRA_URL}/rest/api/2/issue",
        json=payload,
        auth=HTTPBasicAuth(JIRA_USER, JIRA_API_TOKEN),
        timeout=30,
    )
    resp.raise_for_status()
    return resp.json()["key"]
''',
            atatt=atatt,
        ),
        [("atlassian-api-token", atatt)],
    )

    atctt = crc_hex("ATCTT3xFfGN0" + urlsafe(170) + "=")
    bbdc = "BBDC-" + base64.b64encode(g.digits(12).encode() + b":" + g.R.randbytes(20)).decode()
    put(
        "positives/dev/atlassian/mirror-repos.sh",
        g.T(
            '''#!/usr/bin/env bash
# Mirrors the on-prem Bitbucket Data Center repos to Bitbucket Cloud (nightly cron).
set -euo pipefail

BBDC_URL=https://bitbucket.acme.io
BBDC_TOKEN="@@bbdc@@"
CLOUD_WORKSPACE=acme
CLOUD_TOKEN="@@atctt@@"

for repo in ledger payments notifications; do
  rm -rf "/tmp/$repo.git"
  git -c http.extraHeader="Authorization: Bearer $BBDC_TOKEN" clone --mirror "$BBDC_URL/scm/fin/$repo.git" "/tmp/$repo.git"
  git -C "/tmp/$repo.git" -c http.extraHeader="Authorization: Bearer $CLOUD_TOKEN" \\
    push --mirror "https://bitbucket.org/$CLOUD_WORKSPACE/$repo.git"
done
''',
            bbdc=bbdc,
            atctt=atctt,
        ),
        [("bitbucket-data-center-token", bbdc), ("bitbucket-access-token", atctt)],
    )

    gitea = hexs(40)
    put(
        "positives/dev/gitea/docker-compose.yml",
        g.T(
            '''services:
  gitea:
    image: gitea/gitea:1.22
    restart: unless-stopped
    environment:
      - USER_UID=1000
      - USER_GID=1000
      - GITEA__database__DB_TYPE=postgres
      - GITEA__database__HOST=db:5432
    volumes:
      - ./data:/data
    ports:
      - "3000:3000"
      - "2222:22"

  runner:
    image: gitea/act_runner:0.2.11
    depends_on: [gitea]
    environment:
      GITEA_INSTANCE_URL: http://gitea:3000
      GITEA_RUNNER_REGISTRATION_TOKEN: @@gitea@@
      GITEA_RUNNER_NAME: runner-01
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
''',
            gitea=gitea,
        ),
        [("gitea-access-token", gitea)],
    )

    ghcs, sgp = hexs(40), "sgp_" + hexs(16) + "_" + hexs(40)
    put(
        "positives/dev/github/application-prod.properties",
        g.T(
            '''server.port=8080
spring.application.name=dev-portal
spring.security.oauth2.client.registration.github.client-id=Ov23liQm4vT2kzb9
spring.security.oauth2.client.registration.github.client-secret=@@ghcs@@
spring.security.oauth2.client.registration.github.scope=read:user,read:org
portal.search.sourcegraph.url=https://sourcegraph.acme.io
portal.search.sourcegraph.access-token=@@sgp@@
management.endpoints.web.exposure.include=health,info
''',
            ghcs=ghcs,
            sgp=sgp,
        ),
        [("github-oauth-client-secret", ghcs), ("sourcegraph-access-token", sgp)],
    )


# ---------------------------------------------------------------------------------------
# CI/CD
# ---------------------------------------------------------------------------------------
def ci(g) -> None:
    put = g.put
    ccipat = "CCIPAT_" + alnum(22) + "_" + hexs(40)
    cciprj = "CCIPRJ_" + alnum(22) + "_" + hexs(40)
    circle_legacy = hexs(40)
    put(
        "positives/dev/circleci/trigger-nightly.sh",
        g.T(
            '''#!/usr/bin/env bash
# Triggers the nightly pipeline of every service and waits for the first one to start.
set -euo pipefail

CIRCLE_API=https://circleci.com/api/v2
CIRCLECI_TOKEN="@@ccipat@@"

for slug in gh/acme/api gh/acme/web gh/acme/worker; do
  curl -sf -X POST "$CIRCLE_API/project/$slug/pipeline" \\
    -H "Circle-Token: $CIRCLECI_TOKEN" \\
    -H "Content-Type: application/json" \\
    -d '{"branch": "main", "parameters": {"nightly": true}}'
done

# read-only token used by the status badge job
curl -sf -u "@@cciprj@@:" "$CIRCLE_API/project/gh/acme/api/pipeline?branch=main" | jq '.items[0].state'

# legacy v1.1 endpoint still used by the dashboard
curl -sf "https://circleci.com/api/v1.1/recent-builds?limit=5" -H "Circle-Token: @@circle_legacy@@"
''',
            ccipat=ccipat,
            cciprj=cciprj,
            circle_legacy=circle_legacy,
        ),
        [
            ("circleci-personal-token", ccipat),
            ("circleci-project-token", cciprj),
            ("circleci-legacy-token", circle_legacy),
        ],
    )

    travis = with_digit(lambda: urlsafe(22))
    jenkins = "11" + hexs(32)
    drone = hexs(32)
    put(
        "positives/dev/ci/.env.ci",
        g.T(
            '''# shared by the release scripts in ci/
TRAVIS_API_TOKEN=@@travis@@
TRAVIS_REPO=acme/legacy-monolith
JENKINS_URL=https://jenkins.acme.io
JENKINS_USER=release-bot
JENKINS_API_TOKEN=@@jenkins@@
DRONE_SERVER=https://drone.acme.io
DRONE_RPC_SECRET=@@drone@@
''',
            travis=travis,
            jenkins=jenkins,
            drone=drone,
        ),
        [("travis-ci-token", travis), ("jenkins-api-token", jenkins), ("drone-token", drone)],
    )

    bkct = "bkct_" + alnum(12) + "." + alnum(44)
    put(
        "positives/dev/buildkite/buildkite-agent.cfg",
        g.T(
            '''# /etc/buildkite-agent/buildkite-agent.cfg
name="%hostname-%spawn"
spawn=4
token="@@bkct@@"
tags="queue=linux-large,os=linux"
build-path="/var/lib/buildkite-agent/builds"
hooks-path="/etc/buildkite-agent/hooks"
plugins-path="/etc/buildkite-agent/plugins"
git-mirrors-path="/var/lib/buildkite-agent/git-mirrors"
''',
            bkct=bkct,
        ),
        [("buildkite-agent-token", bkct)],
    )

    bkua, bkrt = "bkua_MTA." + hexs(40), "bkrt_" + alnum(12) + "." + alnum(40)
    bkaj = "bkaj_" + jwt_body()
    put(
        "positives/dev/buildkite/retry_failed.py",
        g.T(
            '''"""Retries the failed jobs of the latest main build and re-publishes its packages."""
import requests

ORG = "acme"
PIPELINE = "monorepo"
API = "https://api.buildkite.com/v2"
HEADERS = {"Authorization": "Bearer @@bkua@@"}
PACKAGES_HEADERS = {"Authorization": "Bearer @@bkrt@@"}
# copied from the agent environment while debugging, job 018f2c1d
AGENT_ACCESS = "@@bkaj@@"


def latest_build() -> dict:
    resp = requests.get(f"{API}/organizations/{ORG}/pipelines/{PIPELINE}/builds?branch=main&per_page=1", headers=HEADERS, timeout=30)
    resp.raise_for_status()
    return resp.json()[0]


def retry_failed(build: dict) -> None:
    for job in build["jobs"]:
        if job.get("state") == "failed" and job.get("retriable"):
            requests.put(f"{API}/organizations/{ORG}/pipelines/{PIPELINE}/builds/{build['number']}/jobs/{job['id']}/retry", headers=HEADERS, timeout=30).raise_for_status()
''',
            bkua=bkua,
            bkrt=bkrt,
            bkaj=bkaj,
        ),
        [("buildkite-api-token", bkua), ("buildkite-token", bkrt), ("buildkite-job-token", bkaj)],
    )

    tc = (
        "eyJ0eXAiOiAiVENWMiJ9."
        + b64url(urlsafe(27).encode())
        + "."
        + b64url(uuid4().encode())
    )
    put(
        "positives/dev/teamcity/bump-build-number.ps1",
        g.T(
            '''param(
    [Parameter(Mandatory = $true)][string]$Version
)

$baseUri = "https://teamcity.acme.io/app/rest/buildTypes/Ledger_Release/"
$TeamCityToken = "@@tc@@"

$headers = New-Object "System.Collections.Generic.Dictionary[[String],[String]]"
$headers.Add("Authorization", "Bearer $TeamCityToken")
$headers.Add("Content-Type", "text/plain")

Invoke-RestMethod -Uri ($baseUri + "settings/buildNumberCounter") -Method Put -Headers $headers -Body "1"
Invoke-RestMethod -Uri ($baseUri + "parameters/Version") -Method Put -Headers $headers -Body $Version
Write-Host "Release counter reset for $Version"
''',
            tc=tc,
        ),
        [("teamcity-access-token", tc)],
    )

    codecov, sqp = uuid4(), "sqp_" + hexs(40)
    put(
        "positives/dev/ci/.github/workflows/quality.yml",
        g.T(
            '''name: quality

on:
  push:
    branches: [main]
  pull_request:

jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -r requirements-dev.txt
      - run: pytest --cov=ledger --cov-report=xml
      - uses: codecov/codecov-action@v4
        with:
          files: coverage.xml
          fail_ci_if_error: true
          token: @@codecov@@
      - uses: SonarSource/sonarqube-scan-action@v4
        env:
          SONAR_TOKEN: @@sqp@@
          SONAR_HOST_URL: https://sonar.acme.io
''',
            codecov=codecov,
            sqp=sqp,
        ),
        [("codecov-token", codecov), ("sonarqube-project-token", sqp)],
    )

    squ, sqa, sonar_legacy = "squ_" + hexs(40), "sqa_" + hexs(40), hexs(40)
    put(
        "positives/dev/ci/sonar/sonar-project.properties",
        g.T(
            '''sonar.projectKey=acme_ledger
sonar.projectName=Ledger
sonar.sources=src
sonar.tests=tests
sonar.python.coverage.reportPaths=coverage.xml
sonar.host.url=https://sonar.acme.io
sonar.token=@@squ@@
''',
            squ=squ,
        ),
        [("sonarqube-user-token", squ)],
    )
    put(
        "positives/dev/ci/sonar/Jenkinsfile",
        g.T(
            '''pipeline {
    agent { label 'linux' }
    environment {
        SONAR_HOST_URL = 'https://sonar.acme.io'
    }
    stages {
        stage('Build') {
            steps {
                sh './gradlew build'
            }
        }
        stage('Analyse') {
            steps {
                sh "./gradlew sonar -Dsonar.host.url=${SONAR_HOST_URL} -Dsonar.token=@@sqa@@"
            }
        }
    }
}
''',
            sqa=sqa,
        ),
        [("sonarqube-global-token", sqa)],
    )
    put(
        "positives/dev/ci/sonar/gradle.properties",
        g.T(
            '''org.gradle.jvmargs=-Xmx2g -Dfile.encoding=UTF-8
org.gradle.parallel=true
org.gradle.caching=true
systemProp.sonar.host.url=https://sonarcloud.io
systemProp.sonar.organization=acme
systemProp.sonar.login=@@sonar_legacy@@
''',
            sonar_legacy=sonar_legacy,
        ),
        [("sonar-legacy-token", sonar_legacy)],
    )

    hpat = "pat." + urlsafe(22) + "." + hexs(24) + "." + alnum(20)
    hsat = "sat." + urlsafe(22) + "." + hexs(24) + "." + alnum(20)
    put(
        "positives/dev/harness/terraform.tfvars",
        g.T(
            '''harness_endpoint         = "https://app.harness.io/gateway"
harness_account_id       = "Kq2NHxv8R0aYtB3mZcW1sd"
harness_platform_api_key = "@@hpat@@"
org_id                   = "platform"
project_id               = "ledger"
''',
            hpat=hpat,
        ),
        [("harness-pat", hpat)],
    )
    put(
        "positives/dev/harness/pipeline-sync.env",
        g.T(
            '''HARNESS_ACCOUNT_ID=Kq2NHxv8R0aYtB3mZcW1sd
HARNESS_API_KEY=@@hsat@@
HARNESS_ORG=platform
''',
            hsat=hsat,
        ),
        [("harness-sat", hsat)],
    )


# ---------------------------------------------------------------------------------------
# Developer tooling and secret managers
# ---------------------------------------------------------------------------------------
def devtools(g) -> None:
    put = g.put
    tfc = alnum(14) + ".atlasv1." + alnum(67)
    put(
        "positives/dev/terraform/.terraformrc",
        g.T(
            '''plugin_cache_dir = "$HOME/.terraform.d/plugin-cache"

credentials "app.terraform.io" {
  token = "@@tfc@@"
}
''',
            tfc=tfc,
        ),
        [("terraform-cloud-token", tfc)],
    )

    hvs, hvb, hvr = "hvs.CAESI" + urlsafe(85), "hvb.AAAAAQ" + urlsafe(128), "hvr." + alnum(24)
    vs = "s." + alnum(24)
    put(
        "positives/dev/vault/bootstrap.sh",
        g.T(
            '''#!/usr/bin/env bash
# One-off bootstrap of the staging Vault cluster (run from the ops bastion).
set -euo pipefail

export VAULT_ADDR=https://vault.staging.acme.io:8200
export VAULT_TOKEN=@@hvs@@

vault secrets enable -path=kv kv-v2 || true
vault auth enable kubernetes || true
vault policy write ledger-read policies/ledger-read.hcl

# batch token for the migration job
MIGRATION_TOKEN=@@hvb@@
kubectl -n ledger create secret generic vault-migration --from-literal=token="$MIGRATION_TOKEN"

# recovery-mode token kept by the on-call engineer, expires with the cluster
RECOVERY_TOKEN=@@hvr@@
''',
            hvs=hvs,
            hvb=hvb,
            hvr=hvr,
        ),
        [("vault-service-token", hvs), ("vault-batch-token", hvb), ("vault-recovery-token", hvr)],
    )
    put(
        "positives/dev/vault/docker-compose.yml",
        g.T(
            '''services:
  ledger:
    image: registry.acme.io/ledger:2.14.0
    environment:
      VAULT_ADDR: http://vault:8200
      VAULT_TOKEN: @@vs@@
      VAULT_KV_PATH: kv/ledger
    depends_on: [vault]
  vault:
    image: hashicorp/vault:1.9.10
    cap_add: [IPC_LOCK]
    ports: ["8200:8200"]
''',
            vs=vs,
        ),
        [("vault-legacy-token", vs)],
    )

    dppt, dpst, dpsa = "dp.pt." + alnum(43), "dp.st.prd." + alnum(43), "dp.sa." + alnum(43)
    dpct, dpscim, dpaudit = "dp.ct." + alnum(43), "dp.scim." + alnum(43), "dp.audit." + alnum(43)
    put(
        "positives/dev/doppler/.env",
        g.T(
            '''# local overrides for the doppler-sync tool
DOPPLER_PROJECT=ledger
DOPPLER_CONFIG=prd
DOPPLER_TOKEN=@@dpst@@
DOPPLER_ADMIN_TOKEN=@@dppt@@
DOPPLER_SCIM_TOKEN=@@dpscim@@
DOPPLER_AUDIT_TOKEN=@@dpaudit@@
''',
            dpst=dpst,
            dppt=dppt,
            dpscim=dpscim,
            dpaudit=dpaudit,
        ),
        [
            ("doppler-service-token", dpst),
            ("doppler-personal-token", dppt),
            ("doppler-scim-token", dpscim),
            ("doppler-audit-token", dpaudit),
        ],
    )
    put(
        "positives/dev/doppler/k8s-operator-secret.yaml",
        g.T(
            '''apiVersion: v1
kind: Secret
metadata:
  name: doppler-token-secret
  namespace: doppler-operator-system
type: Opaque
stringData:
  serviceToken: @@dpsa@@
''',
            dpsa=dpsa,
        ),
        [("doppler-service-account-token", dpsa)],
    )
    put(
        "positives/dev/doppler/cli.yaml",
        g.T(
            '''scoped:
  /:
    token: @@dpct@@
    api-host: https://api.doppler.com
    dashboard-host: https://dashboard.doppler.com
    verify-tls: true
  /home/mara/src/ledger:
    enclave.project: ledger
    enclave.config: dev
version-check:
  latest-version: v3.69.1
''',
            dpct=dpct,
        ),
        [("doppler-cli-token", dpct)],
    )

    pul = "pul-" + hexs(40)
    put(
        "positives/dev/pulumi/.github/workflows/infra.yml",
        g.T(
            '''name: infra
on:
  push:
    branches: [main]
    paths: ["infra/**"]
jobs:
  up:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npm ci
        working-directory: infra
      - uses: pulumi/actions@v6
        with:
          command: up
          stack-name: acme/ledger/prod
          work-dir: infra
        env:
          PULUMI_ACCESS_TOKEN: @@pul@@
''',
            pul=pul,
        ),
        [("pulumi-access-token", pul)],
    )

    ng = ngrok()
    put(
        "positives/dev/ngrok/ngrok.yml",
        g.T(
            '''version: "2"
authtoken: @@ng@@
region: eu
tunnels:
  webhooks:
    proto: http
    addr: 8080
    inspect: false
''',
            ng=ng,
        ),
        [("ngrok-authtoken", ng)],
    )

    pmak = "PMAK-" + hexs(24) + "-" + hexs(34)
    put(
        "positives/dev/postman/run-contract-tests.sh",
        g.T(
            '''#!/usr/bin/env bash
set -euo pipefail
POSTMAN_API_KEY=@@pmak@@
COLLECTION_UID=18829461-5c3f0e8a-9d2b-4f71-a0d6-7e3b21c4f5a9
newman run "https://api.getpostman.com/collections/$COLLECTION_UID?apikey=$POSTMAN_API_KEY" \\
  --environment env/staging.postman_environment.json \\
  --reporters cli,junit --reporter-junit-export results/contract.xml
''',
            pmak=pmak,
        ),
        [("postman-api-key", pmak)],
    )

    infst = "st." + uuid4() + "." + hexs(32) + "." + hexs(32)
    infcs = hexs(64)
    put(
        "positives/dev/infisical/.env.local",
        g.T(
            '''INFISICAL_API_URL=https://eu.infisical.com/api
INFISICAL_TOKEN=@@infst@@
INFISICAL_CLIENT_ID=4b6c1e0a-37d2-4f1c-9b8e-2a5f7d3c6e91
INFISICAL_CLIENT_SECRET=@@infcs@@
''',
            infst=infst,
            infcs=infcs,
        ),
        [("infisical-service-token", infst), ("infisical-client-secret", infcs)],
    )

    snyk = uuid4()
    put(
        "positives/dev/snyk/Makefile",
        g.T(
            '''.PHONY: deps audit

deps:
\tnpm ci

audit: deps
\tnpx snyk auth @@snyk@@
\tnpx snyk test --severity-threshold=high --org=acme-platform
\tnpx snyk monitor --project-name=ledger-web
''',
            snyk=snyk,
        ),
        [("snyk-api-token", snyk)],
    )


# ---------------------------------------------------------------------------------------
# Package and container registries
# ---------------------------------------------------------------------------------------
def registries(g) -> None:
    put = g.put
    npm, npm_other = npm_token(), urlsafe(40)
    put(
        "positives/dev/npm/.npmrc",
        g.T(
            '''registry=https://registry.npmjs.org/
@acme:registry=https://npm.pkg.acme.io/
//registry.npmjs.org/:_authToken=@@npm@@
//npm.pkg.acme.io/:_authToken=@@npm_other@@
save-exact=true
engine-strict=true
''',
            npm=npm,
            npm_other=npm_other,
        ),
        [("npm-access-token", npm), ("npmrc-auth-token", npm_other)],
    )

    auth, pw64 = cred_b64("deploy"), base64.b64encode(g.password(16).encode()).decode()
    put(
        "positives/dev/npm/nexus/.npmrc",
        g.T(
            '''registry=https://nexus.acme.io/repository/npm-group/
always-auth=true
//nexus.acme.io/repository/npm-group/:username=ci-publisher
//nexus.acme.io/repository/npm-group/:_password=@@pw64@@
//nexus.acme.io/repository/npm-group/:email=ci@acme.io
//nexus.acme.io/repository/npm-hosted/:_auth=@@auth@@
''',
            pw64=pw64,
            auth=auth,
        ),
        [("npmrc-password", pw64), ("npmrc-auth", auth)],
    )

    yarn_tok = urlsafe(48)
    put(
        "positives/dev/npm/.yarnrc.yml",
        g.T(
            '''nodeLinker: node-modules
enableGlobalCache: true

npmScopes:
  acme:
    npmRegistryServer: "https://acme.jfrog.io/artifactory/api/npm/npm-local/"
    npmAlwaysAuth: true
    npmAuthToken: "@@yarn_tok@@"

yarnPath: .yarn/releases/yarn-4.5.3.cjs
''',
            yarn_tok=yarn_tok,
        ),
        [("npmrc-auth-token", yarn_tok)],
    )

    pypi = "pypi-AgEIcHlwaS5vcmc" + urlsafe(160)
    tpypi = "pypi-AgENdGVzdC5weXBpLm9yZw" + urlsafe(150)
    idx_pw = g.password(20)
    put(
        "positives/dev/python/.pypirc",
        g.T(
            '''[distutils]
index-servers =
    pypi
    testpypi
    internal

[pypi]
username = __token__
password = @@pypi@@

[testpypi]
repository = https://test.pypi.org/legacy/
username = __token__
password = @@tpypi@@

[internal]
repository = https://nexus.acme.io/repository/pypi-internal/
username = release-bot
password = @@idx_pw@@
''',
            pypi=pypi,
            tpypi=tpypi,
            idx_pw=idx_pw,
        ),
        [("pypi-upload-token", pypi), ("testpypi-upload-token", tpypi), ("pypirc-password", idx_pw)],
    )

    gem = "rubygems_" + hexs(48)
    put(
        "positives/dev/ruby/.gem/credentials",
        g.T(
            '''---
:rubygems_api_key: @@gem@@
''',
            gem=gem,
        ),
        [("rubygems-api-key", gem)],
    )

    cio = with_digit(lambda: "cio" + alnum(32))
    alt = urlsafe(44)
    put(
        "positives/dev/rust/.cargo/credentials.toml",
        g.T(
            '''[registry]
token = "@@cio@@"

[registries.acme-internal]
token = "@@alt@@"
''',
            cio=cio,
            alt=alt,
        ),
        [("crates-io-token", cio), ("cargo-credentials-token", alt)],
    )

    oy2 = with_digit(lambda: "oy2" + lalnum(43))
    put(
        "positives/dev/dotnet/publish.ps1",
        g.T(
            '''$ErrorActionPreference = "Stop"
dotnet pack src/Acme.Ledger.Client -c Release -o artifacts
Get-ChildItem artifacts/*.nupkg | ForEach-Object {
    dotnet nuget push $_.FullName --api-key @@oy2@@ --source https://api.nuget.org/v3/index.json --skip-duplicate
}
''',
            oy2=oy2,
        ),
        [("nuget-api-key", oy2)],
    )

    dauth = cred_b64("acmebuild")
    put(
        "positives/dev/docker/config.json",
        g.T(
            '''{
  "auths": {
    "registry.acme.io": {
      "auth": "@@dauth@@"
    },
    "ghcr.io": {}
  },
  "credHelpers": {
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"
  }
}
''',
            dauth=dauth,
        ),
        [("docker-config-auth", dauth)],
    )

    dpat, doat = "dckr_pat_" + urlsafe(27), "dckr_oat_" + urlsafe(32)
    put(
        "positives/dev/docker/release.sh",
        g.T(
            '''#!/usr/bin/env bash
set -euo pipefail
VERSION=${1:?version}
echo "@@dpat@@" | docker login -u acmebuild --password-stdin
docker buildx build --platform linux/amd64,linux/arm64 -t acme/ledger:"$VERSION" --push .
# org-wide token for the mirror job
echo "@@doat@@" | docker login -u acme --password-stdin
docker buildx imagetools create -t acme/ledger:latest acme/ledger:"$VERSION"
''',
            dpat=dpat,
            doat=doat,
        ),
        [("docker-hub-pat", dpat), ("docker-hub-oat", doat)],
    )

    akcp = "AKCp" + g.rand("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 69)
    reftkn = base64.b64encode(b"reftkn:01:17" + g.digits(8).encode() + b":" + alnum(27).encode()).decode()
    put(
        "positives/dev/jfrog/publish-artifacts.sh",
        g.T(
            '''#!/usr/bin/env bash
set -euo pipefail
ART=https://acme.jfrog.io/artifactory
# old instance, API keys still enabled
curl -sf -H "X-JFrog-Art-Api: @@akcp@@" -T build/ledger.tar.gz "$ART/generic-local/ledger/$VERSION/ledger.tar.gz"
# new platform, reference token of the ci-publisher user
curl -sf -H "Authorization: Bearer @@reftkn@@" -T build/ledger.tar.gz "$ART/generic-prod/ledger/$VERSION/ledger.tar.gz"
''',
            akcp=akcp,
            reftkn=reftkn,
        ),
        [("jfrog-api-key", akcp), ("jfrog-reference-token", reftkn)],
    )

    packagist = "packagist_ort_" + hexs(68)
    put(
        "positives/dev/php/auth.json",
        g.T(
            '''{
    "http-basic": {
        "repo.packagist.com": {
            "username": "token",
            "password": "@@packagist@@"
        }
    }
}
''',
            packagist=packagist,
        ),
        [("packagist-token", packagist)],
    )

    hexkey = hexs(32)
    put(
        "positives/dev/elixir/.github/workflows/publish.yml",
        g.T(
            '''name: publish
on:
  release:
    types: [published]
jobs:
  hex:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: erlef/setup-beam@v1
        with:
          otp-version: "27"
          elixir-version: "1.17"
      - run: mix deps.get
      - run: mix hex.publish --yes
        env:
          HEX_API_KEY: @@hexkey@@
''',
            hexkey=hexkey,
        ),
        [("hex-pm-api-key", hexkey)],
    )

    clojars = "CLOJARS_" + lalnum(60)
    put(
        "positives/dev/clojure/project.clj",
        g.T(
            '''(defproject com.acme/ledger-client "0.9.2"
  :description "Clojure client for the Ledger API"
  :url "https://github.com/acme/ledger-client"
  :license {:name "EPL-2.0" :url "https://www.eclipse.org/legal/epl-2.0/"}
  :dependencies [[org.clojure/clojure "1.12.0"]
                 [clj-http "3.13.0"]]
  :deploy-repositories [["clojars" {:url "https://repo.clojars.org"
                                    :username "acme-release"
                                    :password "@@clojars@@"
                                    :sign-releases false}]])
''',
            clojars=clojars,
        ),
        [("clojars-deploy-token", clojars)],
    )

    gkey, gsec = with_digit(lambda: alnum(32)), with_digit(lambda: alnum(32))
    put(
        "positives/dev/gradle/gradle.properties",
        g.T(
            '''org.gradle.jvmargs=-Xmx3g
kotlin.code.style=official
group=com.acme.gradle
version=1.6.0
gradle.publish.key=@@gkey@@
gradle.publish.secret=@@gsec@@
''',
            gkey=gkey,
            gsec=gsec,
        ),
        [("gradle-plugin-publish-key", gkey), ("gradle-plugin-publish-secret", gsec)],
    )

    mvn_enc = "{" + base64.b64encode(g.R.randbytes(32)).decode() + "}"
    put(
        "positives/dev/maven/settings.xml",
        g.T(
            '''<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://maven.apache.org/SETTINGS/1.2.0 https://maven.apache.org/xsd/settings-1.2.0.xsd">
  <localRepository>${user.home}/.m2/repository</localRepository>
  <servers>
    <server>
      <id>acme-releases</id>
      <username>deploy</username>
      <password>@@mvn_enc@@</password>
    </server>
  </servers>
  <mirrors>
    <mirror>
      <id>acme-central</id>
      <mirrorOf>central</mirrorOf>
      <url>https://nexus.acme.io/repository/maven-public/</url>
    </mirror>
  </mirrors>
</settings>
''',
            mvn_enc=mvn_enc,
        ),
        [("maven-encrypted-password", mvn_enc)],
    )

    quay, harbor = quay_token(), harbor_secret()
    put(
        "positives/dev/registry/push-images.sh",
        g.T(
            '''#!/usr/bin/env bash
# Pushes the release images to the public (Quay) and the on-prem (Harbor) registries.
set -euo pipefail
TAG=${1:?tag}

docker login quay.io -u "acme+ci_builder" -p "@@quay@@"
docker push quay.io/acme/ledger:"$TAG"

docker login harbor.acme.io -u 'robot$ledger+ci' -p '@@harbor@@'
docker push harbor.acme.io/ledger/api:"$TAG"
''',
            quay=quay,
            harbor=harbor,
        ),
        [("quay-robot-token", quay), ("harbor-robot-secret", harbor)],
    )


# ---------------------------------------------------------------------------------------
# Hard negatives
# ---------------------------------------------------------------------------------------
def negatives(g) -> None:
    put = g.put
    put(
        "negatives/dev/docs/token-formats.md",
        '''# Tokens we use in CI and how to recognise them

Never paste a real token into an issue. The shapes, for reference:

| Service | Shape |
| --- | --- |
| GitLab personal/project/group token | `glpat-` followed by 20 characters, e.g. `glpat-xxxxxxxxxxxxxxxxxxxx` |
| GitLab runner token | `glrt-...` (shown once, stored in `config.toml`) |
| GitLab pipeline trigger | `glptt-<40 hex>` |
| Bitbucket app password | `ATBB` + 32 characters |
| Atlassian API token | `ATATT3xFfGF0...` |
| CircleCI personal token | `CCIPAT_<22 chars>_<40 hex>` |
| Buildkite API token | `bkua_...` |
| SonarQube | `squ_` (user), `sqp_` (project), `sqa_` (global) |
| Vault | `hvs.` (service), `hvb.` (batch), `hvr.` (recovery) |
| Doppler | `dp.pt.`, `dp.st.`, `dp.sa.`, `dp.ct.` |
| HCP Terraform | `<14 chars>.atlasv1.<67 chars>` |
| Pulumi | `pul-` + 40 hex |
| Postman | `PMAK-<24 hex>-<34 hex>` |
| npm | `npm_` + 36 characters (the last 6 are a CRC32) |
| PyPI | `pypi-AgEIcHlwaS5vcmc...` |
| RubyGems | `rubygems_` + 48 hex |
| crates.io | `cio` + 32 characters |
| NuGet | `oy2` + 43 characters |
| Docker Hub | `dckr_pat_...`, `dckr_oat_...` |
| JFrog | `AKCp...` (API key), `cmVmdGtu...` (reference token) |
| Clojars | `CLOJARS_` + 60 characters |

Example `.npmrc` for CI (the token comes from the environment):

```ini
//registry.npmjs.org/:_authToken=${NPM_TOKEN}
```

Example `~/.terraformrc`:

```hcl
credentials "app.terraform.io" {
  token = "xxxxxxxxxxxxxx.atlasv1.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
}
```

Register a runner with `gitlab-runner register --token "$RUNNER_TOKEN"` and never with a literal.
''',
    )

    put(
        "negatives/dev/ci/.github/workflows/release.yml",
        '''name: release
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          registry-url: https://registry.npmjs.org
      - run: npm publish --provenance
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
      - uses: codecov/codecov-action@v4
        with:
          token: ${{ secrets.CODECOV_TOKEN }}
      - uses: docker/login-action@v3
        with:
          username: acmebuild
          password: ${{ secrets.DOCKERHUB_TOKEN }}
      - run: dotnet nuget push out/*.nupkg --api-key "${{ secrets.NUGET_API_KEY }}" --source https://api.nuget.org/v3/index.json
      - run: snyk test
        env:
          SNYK_TOKEN: ${{ secrets.SNYK_TOKEN }}
          SNYK_ORG_ID: @@org@@
      - uses: pulumi/actions@v6
        env:
          PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}
'''.replace("@@org@@", uuid4()),
    )

    put(
        "negatives/dev/python/tokens_from_env.py",
        '''"""Reads every CI credential from the environment or the secret manager; none is stored here."""
import os

import hvac

GITLAB_TOKEN = os.environ["GITLAB_TOKEN"]
JIRA_API_TOKEN = os.environ.get("JIRA_API_TOKEN", "")
CIRCLECI_TOKEN = os.getenv("CIRCLECI_TOKEN")
BUILDKITE_API_TOKEN = os.environ["BUILDKITE_API_TOKEN"]
DOPPLER_TOKEN = os.environ["DOPPLER_TOKEN"]


def vault_client() -> hvac.Client:
    client = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
    assert client.is_authenticated()
    return client


def mask(token: str) -> str:
    """glpat-AbCd**************** style masking for logs."""
    return token[:10] + "*" * max(0, len(token) - 10)
''',
    )

    sha, sha2, sha3 = hexs(40), hexs(40), hexs(40)
    put(
        "negatives/dev/ci/build-info.env",
        g.T(
            '''# written by the build step, read by the deploy step (no credentials here)
CIRCLE_SHA1=@@sha@@
GITEA_COMMIT=@@sha2@@
SONAR_SCM_REVISION=@@sha3@@
CODECOV_REPO_ID=@@rid@@
SNYK_PROJECT_ID=@@pid@@
JENKINS_BUILD_TAG=jenkins-ledger-main-1842
TRAVIS_BUILD_NUMBER=9921
DRONE_BUILD_NUMBER=311
VAULT_TOKEN_TTL=768h
GITLAB_TOKEN=glpat-****************
BUILDKITE_AGENT_TOKEN=bkct_...
''',
            sha=sha,
            sha2=sha2,
            sha3=sha3,
            rid=uuid4(),
            pid=uuid4(),
        ),
    )

    put(
        "negatives/dev/npm/.npmrc",
        '''registry=https://registry.npmjs.org/
@acme:registry=https://npm.pkg.github.com/
//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}
//registry.npmjs.org/:_authToken=${NPM_TOKEN}
always-auth=true
save-exact=true
''',
    )

    put(
        "negatives/dev/python/.pypirc",
        '''[distutils]
index-servers =
    pypi
    internal

[pypi]
username = __token__
password = %(PYPI_TOKEN)s

[internal]
repository = https://nexus.acme.io/repository/pypi-internal/
username = release-bot
''',
    )

    put(
        "negatives/dev/maven/settings.xml",
        '''<?xml version="1.0" encoding="UTF-8"?>
<settings>
  <servers>
    <server>
      <id>ossrh</id>
      <username>${env.OSSRH_USERNAME}</username>
      <password>${env.OSSRH_PASSWORD}</password>
    </server>
    <server>
      <id>github</id>
      <username>${env.GITHUB_ACTOR}</username>
      <password>${env.GITHUB_TOKEN}</password>
    </server>
  </servers>
</settings>
''',
    )

    put(
        "negatives/dev/docker/config.json",
        '''{
  "auths": {
    "https://index.docker.io/v1/": {},
    "ghcr.io": {}
  },
  "credsStore": "desktop",
  "currentContext": "desktop-linux"
}
''',
    )

    put(
        "negatives/dev/jenkins/crumb.sh",
        g.T(
            '''#!/usr/bin/env bash
# CSRF crumbs are per-session nonces, not credentials.
set -euo pipefail
CRUMB=$(curl -s -u "$JENKINS_USER:$JENKINS_API_TOKEN" "$JENKINS_URL/crumbIssuer/api/json" | jq -r .crumb)
echo "Jenkins-Crumb: $CRUMB"
# last crumb seen in the logs, for reference: @@crumb@@
curl -s -X POST -u "$JENKINS_USER:$JENKINS_API_TOKEN" -H "Jenkins-Crumb: $CRUMB" "$JENKINS_URL/job/ledger/build"
''',
            crumb=hexs(64),
        ),
    )

    put(
        "negatives/dev/tests/fixtures/tokens.yaml",
        '''# Fixtures for the token-masking unit tests: all stand-ins.
gitlab: glpat-xxxxxxxxxxxxxxxxxxxx
gitlab_short: glpat-1234
bitbucket: ATBBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
circleci: CCIPAT_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
sonar: squ_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
vault: hvs.xxxxxxxxxxxxxxxxxxxxxxxx
doppler: dp.st.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
pulumi: pul-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
npm: npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
docker: dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx
rubygems: rubygems_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
nuget: oy2xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
truncated_tfc: mhVn15hHLylFvQ.atlasv1.jAH...
truncated_vault: hvs.CAES...
''',
    )

    bad = g.github_bad("npm_")
    put(
        "negatives/dev/javascript/registry.test.js",
        g.T(
            '''// The checksum of this npm-shaped token is wrong on purpose: it must be rejected.
const { isNpmToken } = require("../src/registry");

test("rejects a token whose CRC32 tail does not match", () => {
  expect(isNpmToken("@@bad@@")).toBe(false);
});
''',
            bad=bad,
        ),
    )
