#!/usr/bin/env python3
"""Small-object benchmark: N PUT, GET, HEAD and DELETE of 1 KiB objects, side
by side against one local SigV4-checking S3 server (s3s-fs,
`target/release/examples/local_s3`):

- connector: the host library, one instance, the typed calls;
- raw: a plain Rust HTTP client (ureq, keep-alive) sending requests signed by
  botocore before the clock starts (header auth, as the others: the server
  checks the same signature and, for a PUT, the body's SHA-256): no signing,
  no SDK, the floor;
- boto3: one client, `put_object`, `get_object` (body read), `head_object`,
  `delete_object`, in this process;
- http: the HTTP artifact (`s3_connector_http.wasm`) under `s3-connector
  serve`, a fresh instance per request as `wasmtime serve` runs it, called
  from this process over one keep-alive connection (`POST
  /v1/put-object-text`, `get-object`, `head-object`, `delete-object`): what
  a platform that calls the connector over HTTP pays per step. No target;
  shown against boto3, the other client in this process.

The connector and raw run in one process
(`target/release/examples/small_objects paired ...`), taking turns in blocks
of 20 calls of the same operation, so that whatever else the machine does
falls on both; each operation's ratio is the median over block pairs of the
connector's time over raw's (target: at most 1.15x). boto3 runs on its own
(target: the connector at most 0.25x its time per call). Each contender runs
one untimed warm-up, then N calls of each operation; figures are mean µs per
call, medians over rounds, and rounds turn the order. Then a 1000-key
listing, through the CLI in batch mode (compact JSON lines), through boto3's
`list_objects_v2` and through a raw client (target: at most 0.04x boto3's
time). The raw client measures the server's own time, which both pay: the
table also gives the ratio of the time each adds to it.

The paired run also reports each contender's CPU time per call (the calling
thread's, where the host library, the component and the HTTP client run):
what the connector spends itself beside what the raw client spends, which
the server's time does not enter. Its difference is what the ratio of end-to-
end times sets against the server's time; it moves with a change to the
connector's own work where those ratios cannot tell a few µs from noise.
Writes target/bench/small_objects.json and .svg.

Environment: SMALL_N (default 1000), ROUNDS (default 3), VENV_PYTHON.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target"
OUT = TARGET / "bench"
EXAMPLES = TARGET / "release" / "examples"
OPS = ("PUT", "GET", "HEAD", "DELETE")
CONTENDERS = ("connector", "raw", "boto3", "http")
HTTP_WASM = TARGET / "wasm32-wasip2" / "component" / "s3_connector_http.wasm"
RAW_MAX = 1.15
BOTO3_MAX = 0.25


def boto3_client(server: dict):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=server["endpoint"],
        aws_access_key_id=server["access_key"],
        aws_secret_access_key=server["secret_key"],
        region_name=server["region"],
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1}),
    )


def run_boto3(server: dict, n: int) -> dict:
    s3 = boto3_client(server)
    bucket, body = server["bucket"], b"x" * 1024
    result = {}
    for prefix, count in (("boto3-warm", min(n, 50)), ("boto3", n)):
        keys = [f"{prefix}/small-{i:05}.txt" for i in range(count)]
        timings = {}
        start = time.perf_counter()
        for key in keys:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        timings["PUT"] = time.perf_counter() - start
        start = time.perf_counter()
        for key in keys:
            got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            assert len(got) == 1024
        timings["GET"] = time.perf_counter() - start
        start = time.perf_counter()
        for key in keys:
            s3.head_object(Bucket=bucket, Key=key)
        timings["HEAD"] = time.perf_counter() - start
        start = time.perf_counter()
        for key in keys:
            s3.delete_object(Bucket=bucket, Key=key)
        timings["DELETE"] = time.perf_counter() - start
        result = {op: timings[op] * 1e6 / count for op in OPS}
    return result


def start_http(server: dict):
    """`s3-connector serve` on the HTTP artifact, with the server's
    connection; returns the process and its base URL."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=server["access_key"], AWS_SECRET_ACCESS_KEY=server["secret_key"])
    argv = [str(TARGET / "release" / "s3-connector"), "--endpoint", server["endpoint"], "--region", server["region"],
            "--path-style", "serve", "--listen", "127.0.0.1:0", "--http-wasm", str(HTTP_WASM)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"s3-connector serve did not start: {line!r}")
    return proc, line.split()[-1]


def run_http(base: str, server: dict, n: int, round_no: int) -> dict:
    """N calls of each operation through the HTTP face, one keep-alive
    connection; mean µs per call (after a warm-up of up to 50)."""
    import http.client
    from urllib.parse import urlparse

    url = urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    bucket, content = server["bucket"], "x" * 1024

    def post(op: str, fields: dict) -> bytes:
        conn.request("POST", f"/v1/{op}", body=json.dumps({"input": fields}),
                     headers={"content-type": "application/json"})
        answer = conn.getresponse()
        data = answer.read()
        assert answer.status == 200, (op, answer.status, data[:300])
        return data

    def get(key: str) -> None:
        # The face answers a get-object with the object's bytes as the body.
        body = post("get-object", {"bucket_name": bucket, "object_path": key})
        assert len(body) == 1024, len(body)

    calls = {
        "PUT": lambda key: post("put-object-text", {"bucket_name": bucket, "object_path": key, "content": content}),
        "GET": get,
        "HEAD": lambda key: post("head-object", {"bucket_name": bucket, "object_path": key}),
        "DELETE": lambda key: post("delete-object", {"bucket_name": bucket, "object_path": key}),
    }
    result = {}
    for prefix, count in ((f"http-warm-{round_no}", min(n, 50)), (f"http-{round_no}", n)):
        keys = [f"{prefix}/small-{i:05}.txt" for i in range(count)]
        for op in OPS:
            start = time.perf_counter()
            for key in keys:
                calls[op](key)
            result[op] = (time.perf_counter() - start) * 1e6 / count
    conn.close()
    return result


def run_paired(server: dict, n: int, round_no: int) -> dict:
    """The connector and raw side by side in one process. Raw's requests are
    signed by botocore before the clock starts, header auth as the
    connector's and boto3's (so that the server verifies the same kind of
    signature, and the body's SHA-256 for a PUT)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    creds = Credentials(server["access_key"], server["secret_key"])
    base = f"{server['endpoint']}/{server['bucket']}"
    body = b"x" * 1024

    def signed(method: str, key: str, data: bytes = b"") -> dict:
        request = AWSRequest(method=method, url=f"{base}/{key}", data=data)
        S3SigV4Auth(creds, "s3", server["region"]).add_auth(request)
        return {"url": request.url, "headers": dict(request.headers.items())}

    keys = [f"raw-{round_no}/small-{i:05}.txt" for i in range(n)]
    requests = {
        "put": [signed("PUT", k, body) for k in keys],
        "get": [signed("GET", k) for k in keys],
        "head": [signed("HEAD", k) for k in keys],
        "delete": [signed("DELETE", k) for k in keys],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(requests, f)
        path = f.name
    try:
        argv = [str(EXAMPLES / "small_objects"), "paired", server["endpoint"], server["access_key"],
                server["secret_key"], server["bucket"], path]
        out = subprocess.run(argv, check=True, capture_output=True, text=True)
    finally:
        os.unlink(path)
    return json.loads(out.stdout)


def listing(server: dict, rounds: int, repeats: int = 20) -> dict:
    """A 1000-key ListObjectsV2 page, listed `repeats` times per round by each
    of: the CLI (batch mode, one process, compact JSON lines, as a workflow
    step's output would be read), boto3 (`list_objects_v2`, parsed into
    dicts) and a raw keep-alive client sending a request signed by botocore
    before the clock starts (the server's own time: the floor). Mean ms per
    listing, medians over rounds, and each round's ratios: the whole time
    against boto3's, and the time each client adds to the floor."""
    import http.client
    from urllib.parse import urlparse

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    s3 = boto3_client(server)
    bucket = server["bucket"]
    for i in range(1000):
        s3.put_object(Bucket=bucket, Key=f"listing/key-{i:04}.txt", Body=b"x")
    line = json.dumps({"operation": "list-objects", "input": {"bucket_name": bucket, "prefix": "listing/"}})
    env = dict(os.environ, AWS_ACCESS_KEY_ID=server["access_key"], AWS_SECRET_ACCESS_KEY=server["secret_key"])
    argv = [str(TARGET / "release" / "s3-connector"), "--endpoint", server["endpoint"], "--region", server["region"],
            "--path-style", "batch"]

    def cli() -> float:
        start = time.perf_counter()
        out = subprocess.run(argv, input=(line + "\n") * repeats, env=env, check=True, capture_output=True, text=True)
        took = (time.perf_counter() - start) * 1e3 / repeats
        assert all(len(json.loads(l)["objects"]) == 1000 for l in out.stdout.splitlines())
        return took

    def boto() -> float:
        start = time.perf_counter()
        for _ in range(repeats):
            assert s3.list_objects_v2(Bucket=bucket, Prefix="listing/")["KeyCount"] == 1000
        return (time.perf_counter() - start) * 1e3 / repeats

    url = urlparse(f"{server['endpoint']}/{bucket}?list-type=2&prefix=listing%2F")
    request = AWSRequest(method="GET", url=url.geturl())
    S3SigV4Auth(Credentials(server["access_key"], server["secret_key"]), "s3", server["region"]).add_auth(request)
    headers = dict(request.headers.items())
    conn = http.client.HTTPConnection(url.hostname, url.port)

    def raw() -> float:
        start = time.perf_counter()
        for _ in range(repeats):
            conn.request("GET", f"{url.path}?{url.query}", headers=headers)
            answer = conn.getresponse()
            page = answer.read()
            assert answer.status == 200 and page.count(b"<Key>") == 1000, page[:200]
        return (time.perf_counter() - start) * 1e3 / repeats

    runs = {"cli": cli, "boto3": boto, "raw": raw}
    for run in runs.values():  # warm-up: the code cache, the connection
        run()
    got = {name: [] for name in runs}
    ratios, over_floor = [], []
    for r in range(rounds):
        names = list(runs)[r % 3:] + list(runs)[:r % 3]
        for name in names:
            got[name].append(runs[name]())
        ratios.append(got["cli"][-1] / got["boto3"][-1])
        over_floor.append((got["cli"][-1] - got["raw"][-1]) / (got["boto3"][-1] - got["raw"][-1]))
    return {"cli_ms": statistics.median(got["cli"]), "boto3_ms": statistics.median(got["boto3"]),
            "raw_ms": statistics.median(got["raw"]), "rounds_ms": got,
            "ratio": statistics.median(ratios), "over_floor_ratio": statistics.median(over_floor)}


def svg(medians: dict, path: Path) -> None:
    width, height, left, bottom, top = 640, 320, 60, 40, 30
    peak = max(v for c in medians.values() for v in c.values()) or 1
    colours = {"connector": "#3b6fb6", "raw": "#8a8a8a", "boto3": "#e08a3c", "http": "#5aa469"}
    group = (width - left - 20) / len(OPS)
    bar = group / (len(CONTENDERS) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<text x="{left}" y="18">Small objects: mean µs per call (lower is better)</text>']
    for g, op in enumerate(OPS):
        for i, c in enumerate(CONTENDERS):
            v = medians[c][op]
            h = (height - bottom - top) * v / peak
            x = left + g * group + (i + 0.5) * bar
            parts.append(f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colours[c]}"/>')
            parts.append(f'<text x="{x:.1f}" y="{height - bottom - h - 3:.1f}" font-size="9">{v:.0f}</text>')
        parts.append(f'<text x="{left + g * group + group / 2 - 15:.1f}" y="{height - bottom + 15}">{op}</text>')
    for i, c in enumerate(CONTENDERS):
        parts.append(f'<rect x="{left + i * 110}" y="{height - 14}" width="10" height="10" fill="{colours[c]}"/>')
        parts.append(f'<text x="{left + i * 110 + 14}" y="{height - 5}">{c}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts))


def main() -> None:
    n = int(os.environ.get("SMALL_N", "1000"))
    rounds = int(os.environ.get("ROUNDS", "3"))
    OUT.mkdir(parents=True, exist_ok=True)
    # The server keeps its objects in memory when it can, as in bench-large:
    # its storage is not what is measured, and a PUT's file write to a disk
    # busy with other work adds a wait that none of the clients controls.
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="s3-small-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))
    server_proc = subprocess.Popen([str(EXAMPLES / "local_s3"), str(work / "data")], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
    http_proc = None
    try:
        server = json.loads(server_proc.stdout.readline())
        http_proc, http_base = start_http(server)
        listed = listing(server, max(rounds, 3))
        results = {c: {op: [] for op in OPS} for c in CONTENDERS}
        ratios = {op: [] for op in OPS}
        cpu = {who: {op: [] for op in OPS} for who in ("connector", "raw")}
        for r in range(rounds):
            order = ("paired", "boto3", "http") if r % 2 == 0 else ("http", "boto3", "paired")
            print(f"round {r + 1}/{rounds}: {', '.join(order)}", flush=True)
            for c in order:
                if c == "http":
                    got = run_http(http_base, server, n, r)
                    for op in OPS:
                        results["http"][op].append(got[op])
                    print(f"  {'http':<10} " + "  ".join(f"{op} {got[op]:8.1f} µs" for op in OPS), flush=True)
                    continue
                if c == "boto3":
                    got = run_boto3(server, n)
                    for op in OPS:
                        results["boto3"][op].append(got[op])
                    print(f"  {'boto3':<10} " + "  ".join(f"{op} {got[op]:8.1f} µs" for op in OPS), flush=True)
                    continue
                got = run_paired(server, n, r)
                for op in OPS:
                    results["connector"][op].append(got[op]["connector_us"])
                    results["raw"][op].append(got[op]["raw_us"])
                    ratios[op].append(got[op]["ratio"])
                    for who in cpu:
                        cpu[who][op].append(got[op][who + "_cpu_us"])
                for who in ("connector", "raw"):
                    print(f"  {who:<10} " + "  ".join(f"{op} {got[op][who + '_us']:8.1f} µs" for op in OPS), flush=True)
                print(f"  {'ratio':<10} " + "  ".join(f"{op} {got[op]['ratio']:8.2f}x  " for op in OPS), flush=True)
                for who in cpu:
                    print(f"  {who + ' cpu':<10} " + "  ".join(f"{op} {got[op][who + '_cpu_us']:8.1f} µs" for op in OPS),
                          flush=True)
    finally:
        if http_proc is not None:
            http_proc.terminate()
            http_proc.wait(timeout=30)
        server_proc.stdin.close()
        server_proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    medians = {c: {op: statistics.median(results[c][op]) for op in OPS} for c in CONTENDERS}
    print(f"\n{n} calls of each, 1 KiB objects, median of {rounds} rounds; mean µs per call;\n"
          "vs raw: median of the paired blocks' ratios")
    print(f"{'op':<7}{'connector':>10}{'raw':>10}{'boto3':>10}{'vs raw':>9}{'vs boto3':>10}"
          f"{'http':>10}{'http vs boto3':>15}")
    targets = []
    for op in OPS:
        m = medians
        vs_raw, vs_boto3 = statistics.median(ratios[op]), m["connector"][op] / m["boto3"][op]
        print(f"{op:<7}{m['connector'][op]:10.1f}{m['raw'][op]:10.1f}{m['boto3'][op]:10.1f}{vs_raw:8.2f}x{vs_boto3:9.2f}x"
              f"{m['http'][op]:10.1f}{m['http'][op] / m['boto3'][op]:14.2f}x")
        targets.append({"op": op, "vs_raw": round(vs_raw, 3), "vs_raw_pass": vs_raw <= RAW_MAX,
                        "vs_boto3": round(vs_boto3, 3), "vs_boto3_pass": vs_boto3 <= BOTO3_MAX})
    cpu_medians = {who: {op: statistics.median(cpu[who][op]) for op in OPS} for who in cpu}
    print("\nCPU time per call of the client's thread (paired run; median of the rounds' means, µs):")
    print(f"{'op':<7}{'connector':>10}{'raw':>10}{'added':>10}")
    for op in OPS:
        c, r = cpu_medians["connector"][op], cpu_medians["raw"][op]
        print(f"{op:<7}{c:10.1f}{r:10.1f}{c - r:10.1f}")
    print(f"\n1000-key listing: CLI (batch, JSON lines) {listed['cli_ms']:.1f} ms, boto3 {listed['boto3_ms']:.1f} ms, "
          f"raw client (the server's own time) {listed['raw_ms']:.1f} ms per listing\n"
          f"  CLI against boto3: {listed['ratio']:.3f}x the whole time; "
          f"{listed['over_floor_ratio']:.3f}x the time each adds to the raw client's")
    targets.append({"op": "LIST 1000 keys via the CLI", "vs_boto3": round(listed["ratio"], 4),
                    "vs_boto3_pass": listed["ratio"] <= 0.04, "vs_raw": None, "vs_raw_pass": True,
                    "over_floor_vs_boto3": round(listed["over_floor_ratio"], 4),
                    "over_floor_vs_boto3_pass": listed["over_floor_ratio"] <= 0.04})
    print("\ntargets")
    for t in targets:
        if t["vs_raw"] is not None:
            print(f"  {'PASS' if t['vs_raw_pass'] else 'FAIL'}  {t['op']}: connector at most {RAW_MAX}x raw: {t['vs_raw']:.2f}x")
            print(f"  {'PASS' if t['vs_boto3_pass'] else 'FAIL'}  {t['op']}: connector at most {BOTO3_MAX}x boto3: {t['vs_boto3']:.2f}x")
        else:
            print(f"  {'PASS' if t['vs_boto3_pass'] else 'FAIL'}  {t['op']}: at most 0.04x boto3: {t['vs_boto3']:.3f}x")
            print(f"  {'PASS' if t['over_floor_vs_boto3_pass'] else 'FAIL'}  {t['op']}, time over the server's: "
                  f"at most 0.04x boto3's: {t['over_floor_vs_boto3']:.3f}x")
    machine = {"uname": " ".join(os.uname()), "nproc": os.cpu_count(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (OUT / "small_objects.json").write_text(json.dumps(
        {"machine": machine, "n": n, "rounds": rounds, "results_us": results, "medians_us": medians,
         "ratios_vs_raw": ratios, "cpu_us": cpu, "cpu_medians_us": cpu_medians,
         "listing_1000_keys": listed, "targets": targets},
        indent=1))
    svg(medians, OUT / "small_objects.svg")
    print("\nwrote target/bench/small_objects.json and target/bench/small_objects.svg")


if __name__ == "__main__":
    if os.environ.get("VENV_PYTHON") and Path(sys.executable) != Path(os.environ["VENV_PYTHON"]):
        os.execv(os.environ["VENV_PYTHON"], [os.environ["VENV_PYTHON"], *sys.argv])
    main()
