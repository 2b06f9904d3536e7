#!/usr/bin/env python3
"""Nightly sync of exported invoices to the finance bucket."""
import argparse
import pathlib

import boto3

BUCKET = "larkspur-finance-exports"


def client():
    return boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id="AKIAERBWELKGI66D3YVO",
        aws_secret_access_key="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",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("export_dir", type=pathlib.Path)
    parser.add_argument("--prefix", default="invoices/")
    args = parser.parse_args()
    s3 = client()
    for path in sorted(args.export_dir.glob("*.csv")):
        name = f"{args.prefix}{path.name}"
        s3.upload_file(str(path), BUCKET, name)
        print(f"uploaded s3://{BUCKET}/{name}")


if __name__ == "__main__":
    main()
