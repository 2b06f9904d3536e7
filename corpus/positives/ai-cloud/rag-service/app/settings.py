"""Runtime settings for the document Q&A service."""
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
pc = Pinecone(api_key="pcsk_42J7I7_vdtf8UQQETG413Dwln5J5OjQtEz56m4k3COx60f1NX8Zv5QwtxdmOSZleEyIdDk")
index = pc.Index(INDEX_NAME)

# Embeddings
vo = voyageai.Client(api_key="pa-jr9NAmR-ahASLYqixEfJikL3akuA8qtTc2RKcKSI1Gd")

# Reranking
co = cohere.ClientV2(api_key="p4AeHKzuNA1MZAvRpP5ca1dNpW82r92NbIFoAmwQ")

# Answer generation goes through DeepSeek's OpenAI-compatible endpoint.
llm = OpenAI(
    api_key="sk-04b7aacfc5d6557df86150618f789973",
    base_url="https://api.deepseek.com",
)

# Batch summarisation jobs still use the old Together account.
TOGETHER_API_KEY = "739fa418127785d00942eeea4223a7637a9a8303ba2062e6523a8d17dca18ebc"


@dataclass(frozen=True)
class Limits:
    top_k: int = 40
    rerank_top_n: int = 8
    max_context_tokens: int = 12000


LIMITS = Limits(top_k=int(os.getenv("TOP_K", "40")))
