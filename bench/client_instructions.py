#!/usr/bin/env python3
"""The client's own CPU per small-object call, counted in instructions:
the connector (the host library, one instance, the typed calls: the host's
HTTP client, the component's work and the boundary between them) against a
raw ureq client sending requests signed by botocore in advance (the floor),
both from `target/release/examples/small_objects`, against one local s3s-fs
server (`target/release/examples/local_s3`).

Wall-clock ratios of a ~100 µs call swing with whatever else a shared
machine does; `valgrind --tool=callgrind` counts the instructions a process
executes, the same from run to run. Each contender runs once with no calls
(start-up: loading, instantiating) and then with N calls of PUT; of PUT and
GET; of PUT, GET and HEAD; and of all four: the differences give each
operation's instructions per call. The server is not counted. Kernel time
is not counted either (both send the same requests over the same sockets),
but the system calls each makes are: counted by name with `strace -c`, in a
second run of each step.

Then a 1000-key listing through the CLI (batch mode, JSON lines, as `make
bench-small` times it): one batch of 1 listing and one of 1 + LIST_N, the
difference over LIST_N giving a listing's instructions, guest and host.

Last, where the connector's instructions go: the same steps once more
with the names-kept build (`make bench-size`'s, built by `make
bench-instructions` too) and wasmtime's perf map, which names the
component's compiled functions, so that callgrind's count of each piece of
compiled code is given to a function; each operation's count is then
split into hashing (SHA-256 and MD5, in the component and in the host,
which hashes a PUT's body: under valgrind, whose CPU has no SHA
instructions, the host's SHA-256 runs its portable code and counts far
more than it costs), memory (allocating and freeing in the component),
wasmtime (crossing the component boundary: lifting and lowering, entering
and leaving; and the builtins compiled code calls, such as `memory.copy`),
the rest of the host (the HTTP client, libc) and the rest of the
component's own code, with its largest functions.
Writes target/bench/client_instructions.json. Environment: INSTR_N (200),
LIST_N (20), VENV_PYTHON (botocore, for the raw client's signatures).
"""

import bisect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target"
OUT = TARGET / "bench"
EXAMPLE = TARGET / "release" / "examples" / "small_objects"
CLI = TARGET / "release" / "s3-connector"
NAMED_WASM = TARGET / "wasm32-wasip2" / "component-names" / "s3_connector.wasm"
OPS = ("put", "get", "head", "delete")
METHODS = {"put": "PUT", "get": "GET", "head": "HEAD", "delete": "DELETE"}


def callgrind(argv: list[str], out: Path, env: dict | None = None) -> tuple[int, int]:
    """Runs `argv` under callgrind, its profile written to `out`: the
    instructions it executed, every thread included, and its process id
    (valgrind runs the program in its own process)."""
    run = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, stderr = run.communicate()
    if run.returncode != 0:
        raise SystemExit(f"{argv[:2]} failed under valgrind:\n{stderr[-2000:]}")
    for line in stderr.splitlines():
        if "refs:" in line:
            return int(line.split("refs:")[1].strip().replace(",", "")), run.pid
    raise SystemExit("callgrind printed no instruction count")


def instructions(argv: list[str]) -> int:
    """Instructions `argv` executes, every thread included."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        return callgrind(argv, Path(out.name))[0]


def system_calls(argv: list[str]) -> dict[str, int]:
    """System calls `argv` makes, every thread included, by name."""
    with tempfile.NamedTemporaryFile(suffix=".strace") as out:
        run = subprocess.run(["strace", "-f", "-c", "-o", out.name, *argv], capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"{argv[:2]} failed under strace:\n{run.stderr[-2000:]}")
        counts = {}
        for line in Path(out.name).read_text().splitlines():
            fields = line.split()
            # % time, seconds, usecs/call, calls, [errors,] syscall
            if len(fields) >= 5 and fields[-1] != "total" and fields[3].isdigit():
                counts[fields[-1]] = int(fields[3])
        return counts


def listing_instructions(server: dict, repeats: int) -> int:
    """Instructions the CLI executes per listing of a 1000-key prefix (keys
    put first, not counted): a batch of 1 + `repeats` listings less a batch
    of 1, over `repeats`. Every run is under valgrind, the first to fill the
    code cache for valgrind's CPU."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=server["access_key"], AWS_SECRET_ACCESS_KEY=server["secret_key"])
    argv = [str(CLI), "--endpoint", server["endpoint"], "--region", server["region"], "--path-style", "batch"]
    puts = "".join(json.dumps({"operation": "put-object-text", "input": {
        "bucket_name": server["bucket"], "object_path": f"listing/key-{i:04}.txt", "content": "x"}}) + "\n"
        for i in range(1000))
    subprocess.run(argv, input=puts, env=env, check=True, capture_output=True, text=True)
    line = json.dumps({"operation": "list-objects",
                       "input": {"bucket_name": server["bucket"], "prefix": "listing/"}}) + "\n"

    def batch(count: int) -> int:
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as lines, \
                tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
            lines.write(line * count)
            lines.flush()
            with open(lines.name) as stdin:
                run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", *argv],
                                     stdin=stdin, env=env, capture_output=True, text=True)
            if run.returncode != 0 or len(run.stdout.splitlines()) != count or \
                    any(len(json.loads(l).get("objects", [])) != 1000 for l in run.stdout.splitlines()):
                raise SystemExit(f"the CLI's listing failed under valgrind:\n{run.stderr[-2000:]}")
            for text in run.stderr.splitlines():
                if "refs:" in text:
                    return int(text.split("refs:")[1].strip().replace(",", ""))
        raise SystemExit("callgrind printed no instruction count")

    batch(1)
    return (batch(1 + repeats) - batch(1)) // repeats


def demangled(names: list[str]) -> list[str]:
    """Rust symbol names demangled by binutils' `c++filt` (which reads
    Rust's v0 scheme), their hashes dropped; as they are without it."""
    if shutil.which("c++filt") is None:
        return names
    run = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True)
    out = run.stdout.splitlines()
    if run.returncode != 0 or len(out) != len(names):
        return names
    return [re.sub(r"\[[0-9a-f]{1,16}\]", "", name) for name in out]


def functions(callgrind_out: Path, perf_map: Path) -> dict[str, int]:
    """Instructions by function in one callgrind run: host functions by
    their symbols, the component's compiled code by the perf map that
    wasmtime wrote (callgrind sees it as anonymous code, named by address)."""
    spans = []
    for line in perf_map.read_text().splitlines():
        start, size, name = line.split(" ", 2)
        spans.append((int(start, 16), int(size, 16), re.sub(r"^wasm\[\d+\]::function\[\d+\]::", "", name)))
    spans.sort()
    starts = [span[0] for span in spans]
    report = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", str(callgrind_out)],
                            capture_output=True, text=True, check=True).stdout
    counts: dict[str, int] = {}
    for line in report.splitlines():
        row = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*?)(?: \[[^\]]*\])?$", line)
        if not row or "PROGRAM TOTALS" in line:
            continue
        count, where = int(row.group(1).replace(",", "")), row.group(2)
        address = re.match(r"\?\?\?:0x([0-9a-f]+)$", where)
        if address:
            at = bisect.bisect_right(starts, int(address.group(1), 16)) - 1
            inside = at >= 0 and spans[at][0] <= int(address.group(1), 16) < spans[at][0] + spans[at][1]
            name = "wasm " + (spans[at][2] if inside else "(unnamed compiled code)")
        else:
            name = "host " + where.split(":", 1)[-1]
        counts[name] = counts.get(name, 0) + count
    return counts


CATEGORIES = (
    ("hashing", lambda name: "sha2" in name or "md5" in name or (name.startswith("wasm") and "digest" in name)),
    ("memory", lambda name: name.startswith("wasm") and any(
        word in name for word in ("__rust_alloc", "__rust_dealloc", "__rust_realloc", "cabi_realloc", "raw_vec",
                                  "heap"))),
    ("wasmtime", lambda name: "wasmtime" in name or "trampoline" in name),
    ("host", lambda name: name.startswith("host")),
    ("component", lambda name: True),
)


def attribution(conn: list[str], n: int, work: Path) -> dict:
    """Each operation's instructions per call by category and by function,
    from runs of the names-kept build with wasmtime's perf map."""
    env = dict(os.environ, S3_CONNECTOR_WASM=str(NAMED_WASM), SMALL_PERFMAP="1")
    steps = []
    for upto in range(len(OPS) + 1):
        argv = [*conn, "0"] if upto == 0 else [*conn, str(n), ",".join(OPS[:upto])]
        out = work / f"attribution-{upto}.callgrind"
        _, pid = callgrind(argv, out, env)
        perf_map = Path(f"/tmp/perf-{pid}.map")
        steps.append(functions(out, perf_map))
        perf_map.unlink(missing_ok=True)
    calls = n + min(n, 50)
    result = {}
    for i, op in enumerate(OPS):
        before, after = steps[i], steps[i + 1]
        per_call = {name: (after.get(name, 0) - before.get(name, 0)) / calls for name in set(before) | set(after)}
        categories = {category: 0.0 for category, _ in CATEGORIES}
        for name, count in per_call.items():
            category = next(category for category, belongs in CATEGORIES if belongs(name))
            categories[category] += count
        top = sorted(((count, name) for name, count in per_call.items()), reverse=True)[:12]
        names = demangled([name.split(" ", 1)[1] for _, name in top])
        result[METHODS[op]] = {
            "categories": {category: round(count) for category, count in categories.items()},
            "top": [[f"{name.split(' ', 1)[0]} {readable}", round(count)]
                    for (count, name), readable in zip(top, names)],
        }
    return result


def signed_requests(server: dict, ops: tuple, n: int, path: Path) -> None:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    creds = Credentials(server["access_key"], server["secret_key"])
    base = f"{server['endpoint']}/{server['bucket']}"
    body = b"x" * 1024

    def signed(method: str, key: str) -> dict:
        request = AWSRequest(method=method, url=f"{base}/{key}", data=body if method == "PUT" else b"")
        S3SigV4Auth(creds, "s3", server["region"]).add_auth(request)
        return {"url": request.url, "headers": dict(request.headers.items())}

    keys = [f"raw/small-{i:05}.txt" for i in range(n)]
    # The requests of the operations not run this step are in the file too,
    # under a name the client does not read, so that every step's client
    # parses as much JSON: the differences between steps are the calls'
    # alone (the parse of a call's request had been counted as its own,
    # about 11k instructions).
    signed_ops = {op: [signed(METHODS[op], k) for k in keys] for op in OPS}
    requests = {op: signed_ops[op] if op in ops else [] for op in OPS}
    requests["unused"] = {op: signed_ops[op] for op in OPS if op not in ops}
    path.write_text(json.dumps(requests))


def main() -> None:
    n = int(os.environ.get("INSTR_N", "200"))
    for tool in ("valgrind", "strace"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: `make bench-instructions` installs it")
    OUT.mkdir(parents=True, exist_ok=True)
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="s3-instr-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))
    server_proc = subprocess.Popen([str(TARGET / "release" / "examples" / "local_s3"), str(work / "data")],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        server = json.loads(server_proc.stdout.readline())
        conn = [str(EXAMPLE), "connector", server["endpoint"], server["access_key"], server["secret_key"],
                server["bucket"]]
        # Fills the code cache, so that no run below compiles. Under
        # valgrind, as the runs below: the CPU features it reports differ from
        # the machine's, and the cache keeps an entry per engine and CPU.
        instructions([*conn, "0"])
        requests = work / "requests.json"
        totals = {"connector": [], "raw": []}
        syscalls = {"connector": [], "raw": []}
        for upto in range(len(OPS) + 1):
            ops = OPS[:upto]
            print(f"counting: {', '.join(ops) or 'start-up only'}", flush=True)
            connector = [*conn, "0"] if upto == 0 else [*conn, str(n), ",".join(ops)]
            totals["connector"].append(instructions(connector))
            syscalls["connector"].append(system_calls(connector))
            signed_requests(server, ops, n, requests)
            raw = [str(EXAMPLE), "raw", str(requests)]
            totals["raw"].append(instructions(raw))
            syscalls["raw"].append(system_calls(raw))
        list_n = int(os.environ.get("LIST_N", "20"))
        print(f"counting: a 1000-key listing through the CLI ({list_n} listings)", flush=True)
        per_listing = listing_instructions(server, list_n)
        attributed = None
        if NAMED_WASM.is_file() and shutil.which("callgrind_annotate"):
            print("counting: where the connector's instructions go (the names-kept build)", flush=True)
            attributed = attribution(conn, n, work)
    finally:
        server_proc.stdin.close()
        server_proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    # The connector's mode warms up on min(N, 50) calls of each operation
    # besides its N timed ones; raw's makes exactly N.
    calls = {"connector": n + min(n, 50), "raw": n}
    per_call = {who: {METHODS[op]: (totals[who][i + 1] - totals[who][i]) / calls[who] for i, op in enumerate(OPS)}
                for who in totals}
    print(f"\ninstructions per call (valgrind callgrind; client process only, kernel and server not counted), N={n}")
    print(f"{'op':<7}{'connector':>12}{'raw':>10}{'ratio':>8}")
    for op in OPS:
        c, r = per_call["connector"][METHODS[op]], per_call["raw"][METHODS[op]]
        print(f"{METHODS[op]:<7}{c:12,.0f}{r:10,.0f}{c / r:7.2f}x")
    print(f"start-up (no calls): connector {totals['connector'][0]:,}, raw {totals['raw'][0]:,}")
    print(f"a 1000-key listing through the CLI (batch, JSON lines; guest and host): {per_listing:,}")

    # System calls per call, by name: each step's counts less the step's before.
    syscalls_per_call = {
        who: {METHODS[op]: {name: (syscalls[who][i + 1].get(name, 0) - syscalls[who][i].get(name, 0)) / calls[who]
                            for name in syscalls[who][i + 1]}
              for i, op in enumerate(OPS)}
        for who in syscalls}
    print(f"\nsystem calls per call (strace -c; client process only), N={n}")
    print(f"{'op':<7}{'connector':>12}{'raw':>10}   what the connector makes more of (per call)")
    for op in OPS:
        c, r = syscalls_per_call["connector"][METHODS[op]], syscalls_per_call["raw"][METHODS[op]]
        more = {name: c[name] - r.get(name, 0) for name in c if c[name] - r.get(name, 0) >= 0.05}
        print(f"{METHODS[op]:<7}{sum(c.values()):12.2f}{sum(r.values()):10.2f}   "
              + (", ".join(f"{name} {count:.2f}" for name, count in sorted(more.items())) or "none"))
    if attributed:
        print(f"\nwhere the connector's instructions go, per call (the names-kept build, N={n}): "
              + ", ".join(category for category, _ in CATEGORIES))
        for op, split in attributed.items():
            print(f"{op:<7}" + "".join(f"{count:>11,}" for count in split["categories"].values())
                  + f"   total {sum(split['categories'].values()):,}")
        for op, split in attributed.items():
            print(f"\n{op}, its largest functions:")
            for name, count in split["top"]:
                print(f"  {count:>8,}  {name[:110]}")
    machine = {"uname": " ".join(os.uname()), "nproc": os.cpu_count()}
    (OUT / "client_instructions.json").write_text(json.dumps(
        {"machine": machine, "n": n, "totals": totals, "per_call": per_call, "per_listing": per_listing,
         "syscalls": syscalls, "syscalls_per_call": syscalls_per_call, "attribution": attributed}, indent=1))
    print("\nwrote target/bench/client_instructions.json")


if __name__ == "__main__":
    if os.environ.get("VENV_PYTHON") and Path(sys.executable) != Path(os.environ["VENV_PYTHON"]):
        os.execv(os.environ["VENV_PYTHON"], [os.environ["VENV_PYTHON"], *sys.argv])
    main()
