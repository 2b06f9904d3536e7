#!/usr/bin/env python3
"""LoRA fine-tune of the support model; pushes the adapter to the org hub and logs to W&B."""
import argparse

import runpod
import wandb
from huggingface_hub import HfApi
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer

BASE_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
HUB_REPO = "larkspur/support-lora"

wandb.login(key="aaa20af2c1139bf73235d597352a723c6061bcd9")
hub = HfApi(token="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")
runpod.api_key = "rpa_SARJXKX8E9W01VITU08QF30PHV52PG0ISC7FGJAF8n8ck3"


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
