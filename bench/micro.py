#!/usr/bin/env python3
"""Micro-benchmarks of the hot paths, side by side in one run:

1. SigV4 signing of a GET, and of a PUT of 1 KiB with its SHA-256 computed:
   the connector inside a component, rusty-s3 compiled into the same bench
   component (it signs URLs only: its presigned GET, and a presigned PUT plus
   the body's SHA-256), both run by wasmtime (`bench/micro/`); the aws-sigv4
   crate natively; botocore's `S3SigV4Auth` in the project's virtualenv.
   The bench component has the connector's allocator (`src/heap.rs`, the
   `heap` feature), as the shipped component does: the connector's signing
   and rusty-s3's both allocate through it.
2. Parsing a realistic 1000-key ListObjectsV2 page (about 300 KB): the
   connector's parser inside the component, quick-xml's serde deserialiser
   natively, and botocore's parser.

Prints a table of median ns per operation and the ratios the targets name,
and writes target/bench/micro.json and micro.svg. The ratios between two
contenders of the runner (the component against rusty-s3, or against native
quick-xml) are measured taking turns: 15 samples each, alternating, and the
median of the samples' ratios, so that a neighbour's burst of work falls on
both. botocore runs in a process of its own: the runner and botocore's script
take turns, MICRO_REPEATS times (default 3, the order turning each time), and
a ratio against botocore is the median of each turn's ratio of the two
medians. The table's times and the paired ratios are medians over the turns.

Environment: VENV_PYTHON (botocore), MICRO_ROUNDS (default 2000),
MICRO_REPEATS (default 3).
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench"
MICRO = ROOT / "target" / "micro"
COMPONENT = MICRO / "wasm32-wasip2" / "component" / "s3_connector_bench_component.wasm"
RUNNER = MICRO / "release" / "s3-connector-bench-runner"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def page(keys: int = 1000) -> bytes:
    """A ListObjectsV2 page as S3 sends one (no owners: S3 sends them only
    with fetch-owner): 1000 keys with checksums, about 300 KB."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
             "<Name>examplebucket</Name><Prefix>photos/</Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys>"
             "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
             "</NextContinuationToken>"]
    for n in range(keys):
        parts.append(
            f"<Contents><Key>photos/2024/{n % 12 + 1:02}/{n % 28 + 1:02}/IMG_{n:06}-holiday-by-the-sea.jpg</Key>"
            f"<LastModified>2024-{n % 12 + 1:02}-{n % 28 + 1:02}T12:{n % 60:02}:07.000Z</LastModified>"
            f"<ETag>&quot;{n:08x}9c1b6e8f2a4d7e0b3c5a9f1d&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>"
            f"<Size>{1000 + n * 7919}</Size><StorageClass>STANDARD</StorageClass></Contents>"
        )
    parts.append("</ListBucketResult>")
    return "".join(parts).encode()


BOTOCORE = r"""
import json, sys, time
import botocore.session
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore import parsers
rounds, page_path = int(sys.argv[1]), sys.argv[2]
creds = Credentials(sys.argv[3], sys.argv[4])
url = "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2024/05/IMG_0001.jpg"
body = b"x" * 1024
def sign(method, data):
    request = AWSRequest(method=method, url=url, data=data)
    S3SigV4Auth(creds, "s3", "us-east-1").add_auth(request)
    return request
def timed(n, f):
    f()
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            f()
        samples.append((time.perf_counter() - start) / n)
    return sorted(samples)[2] * 1e9
model = botocore.session.get_session().get_service_model("s3").operation_model("ListObjectsV2")
parser = parsers.create_parser("rest-xml")
page = open(page_path, "rb").read()
def parse():
    out = parser.parse({"body": page, "headers": {}, "status_code": 200}, model.output_shape)
    assert len(out["Contents"]) == 1000
print(json.dumps({
    "sign_get/botocore": timed(rounds // 4, lambda: sign("GET", b"")),
    "sign_put/botocore": timed(rounds // 4, lambda: sign("PUT", body)),
    "parse_list/botocore": timed(max(rounds // 200, 3), parse),
}))
"""


def ratio(turns: list[dict], mine: str, theirs: str, paired: bool = False) -> float | None:
    """The median over turns of the pair's ratio: measured taking turns
    inside the runner when it made one (`paired`), else the ratio of the
    turn's two medians (botocore runs in its own process)."""
    ratios = []
    for turn in turns:
        if paired:
            r = turn["paired"].get(f"{mine}|{theirs}")
        else:
            a, b = turn["results"].get(mine), turn["results"].get(theirs)
            r = a / b if a and b else None
        if r is not None:
            ratios.append(r)
    return statistics.median(ratios) if ratios else None


def svg(results: dict, path: Path) -> None:
    groups = {
        "sign GET": ["sign_get/connector", "presign_get/connector", "presign_get/rusty-s3", "sign_get/aws-sigv4 (native)", "sign_get/botocore"],
        "sign PUT": ["sign_put/connector", "sign_put/rusty-s3", "sign_put/aws-sigv4 (native)", "sign_put/botocore"],
        "parse page": ["parse_list/connector", "parse_list/quick-xml serde (native)", "parse_list/botocore"],
    }
    width, row, left = 760, 18, 260
    lines = sum(len(v) + 1 for v in groups.values())
    height = 40 + lines * row
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             '<text x="10" y="18">Hot paths: median time per operation, log scale (shorter is faster)</text>']
    import math
    y = 34
    for title, names in groups.items():
        parts.append(f'<text x="10" y="{y + 12}" font-weight="bold">{title}</text>')
        y += row
        values = [results[n] for n in names if results.get(n)]
        lo, hi = math.log10(min(values)) - 0.3, math.log10(max(values)) + 0.1
        for name in names:
            v = results.get(name)
            if not v:
                continue
            w = (width - left - 90) * (math.log10(v) - lo) / (hi - lo)
            colour = "#3b6fb6" if "connector" in name else "#8a8a8a"
            parts.append(f'<text x="20" y="{y + 12}">{name}</text>')
            parts.append(f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" fill="{colour}"/>')
            label = f"{v / 1000:.1f} µs" if v >= 1000 else f"{v:.0f} ns"
            parts.append(f'<text x="{left + w + 5:.1f}" y="{y + 12}">{label}</text>')
            y += row
    parts.append("</svg>")
    path.write_text("\n".join(parts))


def main() -> None:
    rounds = int(os.environ.get("MICRO_ROUNDS", "2000"))
    OUT.mkdir(parents=True, exist_ok=True)
    page_path = OUT / "list-page.xml"
    page_path.write_bytes(page())
    python = os.environ.get("VENV_PYTHON") or sys.executable
    repeats = max(int(os.environ.get("MICRO_REPEATS", "3")), 1)

    def run_runner() -> dict:
        out = subprocess.run([str(RUNNER), str(COMPONENT), str(page_path), str(rounds)], check=True,
                             capture_output=True, text=True)
        return json.loads(out.stdout)

    def run_botocore() -> dict:
        out = subprocess.run([python, "-c", BOTOCORE, str(rounds), str(page_path), ACCESS_KEY, SECRET_KEY], check=True,
                             capture_output=True, text=True)
        return json.loads(out.stdout)

    turns = []
    for turn in range(repeats):
        if turn % 2 == 0:
            mine, boto = run_runner(), run_botocore()
        else:
            boto, mine = run_botocore(), run_runner()
        paired_turn = mine.pop("paired", {})
        mine.update(boto)
        turns.append({"results": mine, "paired": paired_turn})
    results = {name: statistics.median([t["results"][name] for t in turns]) for name in turns[0]["results"]}
    paired = {name: statistics.median([t["paired"][name] for t in turns]) for name in turns[0]["paired"]}

    print(f"page: {int(results['page_keys'])} keys, {int(results['page_bytes'])} bytes; median ns per operation over {repeats} turns\n")
    for name in sorted(k for k in results if "/" in k):
        v = results[name]
        print(f"  {name:<40} {v:12.0f} ns")
    targets = [
        ("signing GET in the component <= 0.4x rusty-s3 (its presigned GET)", ratio(turns, "sign_get/connector", "presign_get/rusty-s3", paired=True), 0.4),
        ("presigned GET in the component <= 0.4x rusty-s3 (like for like)", ratio(turns, "presign_get/connector", "presign_get/rusty-s3", paired=True), 0.4),
        ("signing PUT (with its SHA-256) in the component <= 0.4x rusty-s3", ratio(turns, "sign_put/connector", "sign_put/rusty-s3", paired=True), 0.4),
        ("signing GET in the component <= 0.12x botocore", ratio(turns, "sign_get/connector", "sign_get/botocore"), 0.12),
        ("signing PUT in the component <= 0.12x botocore", ratio(turns, "sign_put/connector", "sign_put/botocore"), 0.12),
        ("parsing the page in the component <= 1x quick-xml serde natively", ratio(turns, "parse_list/connector", "parse_list/quick-xml serde (native)", paired=True), 1.0),
        ("parsing the page in the component at least 40x faster than botocore", ratio(turns, "parse_list/connector", "parse_list/botocore"), 1 / 40),
    ]
    print("\ntargets")
    report = []
    for label, r, limit in targets:
        ok = r is not None and r <= limit
        print(f"  {'PASS' if ok else 'FAIL'}  {label}: {'-' if r is None else f'{r:.3f}x'}")
        report.append({"target": label, "ratio": r, "limit": limit, "pass": ok})
    machine = {"uname": " ".join(os.uname()), "nproc": os.cpu_count(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (OUT / "micro.json").write_text(json.dumps({"machine": machine, "rounds": rounds, "repeats": repeats,
                                                  "results_ns": results, "paired_ratios": paired,
                                                  "turns": turns, "targets": report}, indent=1))
    svg(results, OUT / "micro.svg")
    print("\nwrote target/bench/micro.json and target/bench/micro.svg")


if __name__ == "__main__":
    main()
