#!/usr/bin/env python3
"""Two builds of the HTTP artifact side by side under `s3-connector serve`:
the same calls taking turns, against one local SigV4-checking S3 server
(`target/release/examples/local_s3`), so that whatever else the machine
does falls on both.

    python3 bench/serve_ab.py A.wasm B.wasm

Each artifact runs under its own `serve` (the workspace's
`target/release/s3-connector`, so the host is the same), each called over
one keep-alive connection. A turn runs CALLS calls of each operation through
A and then through B (B first on odd turns): a 1 KiB `put-object-text`,
`get-object` (the bytes as the body), `head-object`, and a 1000-key
`list-objects` page (a tenth as many calls). Prints, per operation, the
median over TURNS turns of the mean µs per call, and B's over A's. For
comparing a change to the face or the composition before it lands; `make
bench-small` measures the artifact of the tree against the other clients.

Environment: TURNS (default 8), CALLS (default 50).
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target" / "release"


def start_serve(server: dict, wasm: str):
    """`s3-connector serve` on `wasm` with the server's connection; returns
    the process and a keep-alive connection to it."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=server["access_key"], AWS_SECRET_ACCESS_KEY=server["secret_key"])
    argv = [str(TARGET / "s3-connector"), "--endpoint", server["endpoint"], "--region", server["region"],
            "--path-style", "serve", "--listen", "127.0.0.1:0", "--http-wasm", wasm]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"s3-connector serve did not start on {wasm}: {line!r}")
    url = urlparse(line.split()[-1])
    return proc, http.client.HTTPConnection(url.hostname, url.port)


def post(conn, op: str, fields: dict) -> bytes:
    """One call; its answer must be a 200."""
    conn.request("POST", f"/v1/{op}", body=json.dumps({"input": fields}),
                 headers={"content-type": "application/json"})
    answer = conn.getresponse()
    data = answer.read()
    if answer.status != 200:
        raise SystemExit(f"{op}: {answer.status} {data[:300]!r}")
    return data


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    builds = sys.argv[1:]
    turns = int(os.environ.get("TURNS", "8"))
    calls = int(os.environ.get("CALLS", "50"))
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="s3-ab-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))
    server_proc = subprocess.Popen([str(TARGET / "examples" / "local_s3"), str(work / "data")],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    procs = []
    try:
        server = json.loads(server_proc.stdout.readline())
        bucket, content = server["bucket"], "x" * 1024
        conns = []
        for wasm in builds:
            proc, conn = start_serve(server, wasm)
            procs.append(proc)
            conns.append(conn)
        for i in range(1000):
            post(conns[0], "put-object-text", {"bucket_name": bucket, "object_path": f"page/key-{i:04}.txt",
                                               "content": "x"})
        post(conns[0], "put-object-text", {"bucket_name": bucket, "object_path": "small.txt", "content": content})

        def get(conn, i):
            body = post(conn, "get-object", {"bucket_name": bucket, "object_path": "small.txt"})
            assert len(body) == 1024, len(body)

        def listing(conn, i):
            out = json.loads(post(conn, "list-objects", {"bucket_name": bucket, "prefix": "page/"}))
            assert len(json.dumps(out)) > 50_000

        ops = {
            "PUT": (calls, lambda conn, i: post(conn, "put-object-text", {
                "bucket_name": bucket, "object_path": f"put/{i % 100:03}.txt", "content": content})),
            "GET": (calls, get),
            "HEAD": (calls, lambda conn, i: post(conn, "head-object", {"bucket_name": bucket,
                                                                       "object_path": "small.txt"})),
            "LIST1000": (max(calls // 10, 1), listing),
        }
        times = {op: [[], []] for op in ops}
        for turn in range(turns + 1):
            order = (0, 1) if turn % 2 == 0 else (1, 0)
            for op, (count, call) in ops.items():
                for which in order:
                    start = time.perf_counter()
                    for i in range(count):
                        call(conns[which], i)
                    took = (time.perf_counter() - start) * 1e6 / count
                    if turn > 0:  # the first turn warms up
                        times[op][which].append(took)
        print(f"A = {builds[0]}\nB = {builds[1]}\n{turns} turns of {calls} calls (listings {max(calls // 10, 1)})")
        print(f"{'':10}{'A µs':>10}{'B µs':>10}{'B/A':>8}")
        for op, (a, b) in times.items():
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"{op:10}{ma:>10,.0f}{mb:>10,.0f}{mb / ma:>8.2f}")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        server_proc.stdin.close()
        server_proc.wait(timeout=30)


if __name__ == "__main__":
    main()
