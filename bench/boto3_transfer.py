"""One boto3 transfer, the way a Python user moves a large object.

    boto3_transfer.py put|get ENDPOINT BUCKET KEY FILE

`put` is `upload_file(FILE, BUCKET, KEY)`, `get` is
`download_file(BUCKET, KEY, FILE)`, both with boto3's default transfer
settings (multipart above 8 MiB, 10 threads). Credentials come from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the region is us-east-1 and
addressing is path style, as the local server needs. Prints one JSON line,
`{"seconds": S}`, the time of the transfer itself (without the interpreter's
start-up and the import of boto3, which the caller's wall clock includes).

Runs in the project's virtualenv (target/venv, made by `make moto`), which
has boto3; large_objects.py starts it.
"""

import json
import os
import sys
import time

# Before botocore reads them: no flexible checksums unless an operation
# requires one. Newer botocore sends CRC32 headers and trailers by default,
# which a local S3 server may not know.
os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 6 or argv[1] not in ("put", "get"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    _, op, endpoint, bucket, key, path = argv
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    start = time.perf_counter()
    if op == "put":
        client.upload_file(path, bucket, key)
    else:
        client.download_file(bucket, key, path)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
