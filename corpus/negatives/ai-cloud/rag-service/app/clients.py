"""Provider clients, configured from the environment only."""
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
