"""Helpers around the Hugging Face hub and firmware images (identifiers, not tokens)."""
from huggingface_hub import hf_hub_download, snapshot_download

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 = "distilbert-base-uncased-finetuned-sst-2-english"
fw_version_string_for_bootloader = "2.14.7"
rnd_seed_for_reproducible_training = 1234


def fetch(repo_id: str, filename: str) -> str:
    return hf_hub_download(repo_id=repo_id, filename=filename)


def mirror(repo_id: str) -> str:
    return snapshot_download(repo_id=repo_id, allow_patterns=["*.json", "*.safetensors"])
