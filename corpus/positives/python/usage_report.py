"""Monthly usage report from the Anthropic and OpenAI organisation admin APIs."""
import datetime as dt
import json
import urllib.request

ANTHROPIC_ADMIN_KEY = "sk-ant-admin01-TQ4BoRq6CV5gY1qCKVAD2HSftWL1S4o041GJqaG30OhR6gj20_u_hgk68J-xYv8-TBR_y3f-5IY-1SRGBgnNjQwT46X7eAA"
OPENAI_ADMIN_KEY = "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"


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
