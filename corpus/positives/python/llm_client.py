"""Provider wrapper for the support bot; falls back to OpenAI when Claude is overloaded."""
from __future__ import annotations

import logging

import anthropic
from openai import OpenAI

log = logging.getLogger(__name__)

claude = anthropic.Anthropic(api_key="sk-ant-api03-SryRtRwXsHx9-oinHicDTjLOW2vz_-icPTt-QPbJkQ63sbmmom8ieJKv4pKqRRnZb-bcRrKZScK8yKe3sv0CEUGBsGnotAA")
gpt = OpenAI(api_key="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")


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
