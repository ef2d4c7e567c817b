"""boto3's side of tests/interop.rs: reads what the connector wrote, and
writes what the connector will read, on moto_server with authentication on.

Reads one JSON job from stdin:
  {"endpoint", "access_key", "secret_key", "bucket",
   "read": [{"key", "acl"}, ...],
   "write": [{"key", "seed", "size", "content_type", "metadata", "multipart"}, ...]}
and prints one JSON object: {"read": {KEY: {"sha256", "size", "content_type",
"metadata", "grants"}}, "write": {KEY: "sha256"}}; grants only where
"acl" is true (moto answers 500 to GetObjectAcl on an object completed
from parts). A written body is
`size` bytes made from `seed` the same way as the test makes them.
"""

import hashlib
import json
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config


def body(seed: int, size: int) -> bytes:
    # The same bytes as the test's `content(seed, size)`: SHA-256 in counter mode.
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def main() -> None:
    job = json.load(sys.stdin)
    s3 = boto3.client(
        "s3",
        endpoint_url=job["endpoint"],
        aws_access_key_id=job["access_key"],
        aws_secret_access_key=job["secret_key"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    bucket = job["bucket"]
    result = {"read": {}, "write": {}}
    for item in job.get("read", []):
        key = item["key"]
        obj = s3.get_object(Bucket=bucket, Key=key)
        data = obj["Body"].read()
        grants = None
        if item["acl"]:
            acl = s3.get_object_acl(Bucket=bucket, Key=key)
            grants = sorted(
                f"{g['Grantee'].get('URI', 'owner').rsplit('/', 1)[-1]}:{g['Permission']}" for g in acl["Grants"]
            )
        result["read"][key] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "content_type": obj.get("ContentType"),
            "metadata": obj.get("Metadata", {}),
            "grants": grants,
        }
    for item in job.get("write", []):
        data = body(item["seed"], item["size"])
        extra = {"ContentType": item["content_type"], "Metadata": item["metadata"]}
        if item.get("multipart"):
            import io

            config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
            s3.upload_fileobj(io.BytesIO(data), bucket, item["key"], ExtraArgs=extra, Config=config)
        else:
            s3.put_object(Bucket=bucket, Key=item["key"], Body=data, **extra)
        result["write"][item["key"]] = hashlib.sha256(data).hexdigest()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
