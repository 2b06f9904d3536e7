"""Manual smoke test of the Bedrock endpoint with a short-term key (12 h)."""
import os

import boto3

os.environ["AWS_BEARER_TOKEN_BEDROCK"] = "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbiZYLUFtei1BbGdvcml0aG09QVdTNC1ITUFDLVNIQTI1NiZYLUFtei1DcmVkZW50aWFsPUFTSUFRN0hOU0xNSFRENk42UzNDJTJGMjAyNTA2MTIlMkZ1cy1lYXN0LTElMkZiZWRyb2NrJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNTA2MTJUMDkxNTAwWiZYLUFtei1FeHBpcmVzPTQzMjAwJlgtQW16LVNlY3VyaXR5LVRva2VuPTV5M0ZlRmZHaWR1cGJNdVBJSFFXblJxdEdiJTJCV2NDUGRkNSUyRlhSJTJCaEpMRm1qYUZYeiUyQklkaTdERyUyQlh5TVlvaTVSJlgtQW16LVNpZ25hdHVyZT03ZjBjZTlmZWRhZTEzMDQ3YzViZmI3ODBhMTAxYjg0YWMzNmJmODI5MjU3ZTc1YzUyM2NiZTI4ZWJmMWNkYTZmJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCZWZXJzaW9uPTE="

client = boto3.client("bedrock-runtime", region_name="us-east-1")
resp = client.converse(
    modelId="us.anthropic.claude-3-5-haiku-20241022-v1:0",
    messages=[{"role": "user", "content": [{"text": "ping"}]}],
)
print(resp["output"]["message"]["content"][0]["text"])
