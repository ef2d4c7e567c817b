#!/usr/bin/env python3
"""Large-object benchmark: PUT and GET of one big object, side by side.

Three contenders move the same file through the same local S3 server (s3s-fs,
SigV4 signatures verified; `target/release/examples/local_s3`) in one run:

- connector: the component through its CLI, `s3-connector put-object-file
  --file` and `get-object --output`, with `--stats` when the CLI has it (the
  component's linear-memory peak), in three settings (see CONTENDERS):
  signed payloads, unsigned payloads, and unsigned as one PUT;
- curl: `curl -T` and `curl -o` on presigned PUT and GET URLs made by the
  connector's `get-object-signed-url` (made before the clock starts): one
  HTTP stream with nothing in the way, the physical limit for one stream;
- boto3: `upload_file` and `download_file` with their defaults (multipart
  above 8 MiB, 10 threads), in the project's virtualenv (bench/boto3_transfer.py).

Each round runs every contender's PUT, then every contender's GET, the order
of the contenders turning by one each round, so that drift (page cache, disk
write-back, CPU clocks) falls on all alike. Every PUT writes its own key; every
GET reads back what that contender uploaded, and the SHA-256 of the bytes
downloaded must equal the source's. Each transfer is one process, timed by the
wall clock from start to exit (so start-up is included: loading the component,
importing boto3), with its peak resident set from wait4's rusage (taken by a
small spawner process: see SPAWNER).

Before the rounds, one untimed call loads the component (after a build, the
first call compiles its machine code and caches it); then every contender
moves a 1 MiB object once: a warm-up, a quick check that each one works before
the big file is made, and the baseline for "host RSS independent of size".

Environment: BENCH_SIZE_MIB (default 1024), ROUNDS (default 3), VENV_PYTHON
(default target/venv/bin/python), S3_CONNECTOR (default
target/release/s3-connector). Prints a table and the targets as PASS/FAIL
lines, writes target/bench/large_objects.json and .svg, and removes its work
files. Exits 0 whatever the numbers are; 1 if a transfer failed or moved wrong
bytes; 2 if it could not set up.

Standard library only; `make bench-large` builds what it needs and runs it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target"
OUT_DIR = TARGET / "bench"
WORK = OUT_DIR / "work"
JSON_OUT = OUT_DIR / "large_objects.json"
SVG_OUT = OUT_DIR / "large_objects.svg"

CLI = Path(os.environ.get("S3_CONNECTOR") or TARGET / "release" / "s3-connector")
SERVER = TARGET / "release" / "examples" / "local_s3"
VENV_PYTHON = Path(os.environ.get("VENV_PYTHON") or TARGET / "venv" / "bin" / "python")
BOTO3_TRANSFER = ROOT / "bench" / "boto3_transfer.py"

MIB = 1 << 20
CHUNK = 8 * MIB
PROBE_MIB = 1
# `connector` is the CLI as a user runs it: over plain HTTP its default
# (`payload_signing: auto`) signs each request's SHA-256, computed in the
# component, as boto3 does over HTTP. `connector-unsigned` sends
# UNSIGNED-PAYLOAD, as a presigned URL does (curl), and as `auto` does over
# HTTPS. Their GETs are the same. `connector-one-put` is `connector-unsigned`
# with the multipart threshold at 5 GiB, so that a PUT is one stream as
# curl's is: the same request against the same server, which sets apart what
# the connector costs from what the server's multipart assembly costs (the
# local server writes each part, then joins them: every byte twice).
CONTENDERS = ("connector", "connector-unsigned", "connector-one-put", "curl", "boto3")
OPS = ("PUT", "GET")
REGION = "us-east-1"
URL_EXPIRES_SECONDS = 3600

# The targets.
CURL_RATIO_MIN = 0.8
GUEST_MEMORY_MAX_MIB = 16
# "Host RSS independent of size": the connector's peak RSS on the big object
# may exceed its peak on the 1 MiB probe by at most this much.
RSS_GROWTH_MAX_MIB = 16


class SetupError(Exception):
    """The benchmark could not start: a missing binary, a server that did not come up."""


@dataclass
class Transfer:
    """One timed transfer (or its failure)."""

    ok: bool
    seconds: float = 0.0
    mib_per_s: float = 0.0
    host_rss_kib: int = 0
    rss_floor_kib: int = 0
    guest_memory_peak_bytes: int | None = None
    inner_seconds: float | None = None
    key: str = ""
    error: str | None = None
    stats: dict | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        out = {
            "ok": self.ok,
            "key": self.key,
            "seconds": round(self.seconds, 4),
            "mib_per_s": round(self.mib_per_s, 2),
            "host_rss_kib": self.host_rss_kib,
            "host_rss_floor_kib": self.rss_floor_kib,
        }
        if self.guest_memory_peak_bytes is not None:
            out["guest_memory_peak_bytes"] = self.guest_memory_peak_bytes
        if self.inner_seconds is not None:
            out["inner_seconds"] = round(self.inner_seconds, 4)
        if self.stats is not None:
            out["stats"] = self.stats
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass
class Measured:
    """A finished process: exit code, wall time, peak RSS and its output."""

    returncode: int
    seconds: float
    maxrss_kib: int
    rss_floor_kib: int
    stdout: str
    stderr: str
    timed_out: bool


def env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise SetupError(f"{name}={text!r} is not a whole number") from None
    if value < 1:
        raise SetupError(f"{name} must be at least 1, not {value}")
    return value


# Each measured command is started by this small process, not by the driver.
# Linux records, when a process calls exec, the peak RSS of the memory it had
# until then; a child that subprocess starts with vfork (as it does) has its
# parent's memory until exec, so its ru_maxrss would be at least the driver's
# own peak. The spawner is a bare interpreter (-I -S, only built-in modules),
# so the floor it puts under its child is a few MiB (reported as rss_floor).
# It times from just before the spawn to the reap, so its own start-up is
# not counted, and kills the command after the timeout.
SPAWNER = r"""
import os, signal, sys, time
result_path, timeout, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
with open("/proc/self/status") as f:
    floor = next((int(l.split()[1]) for l in f if l.startswith("VmHWM:")), 0)
timed_out = 0
def on_alarm(signum, frame):
    global timed_out
    timed_out = 1
    os.kill(pid, signal.SIGKILL)
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, timeout)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
signal.setitimer(signal.ITIMER_REAL, 0)
with open(result_path, "w") as f:
    f.write(f"{os.waitstatus_to_exitcode(status)} {seconds!r} {usage.ru_maxrss} {floor} {timed_out}")
"""


def run_measured(argv: list[str], env: dict[str, str], timeout: float, log_stem: Path) -> Measured:
    """Runs argv to its end: its wall time and its own peak RSS (wait4).

    Output goes to files, not pipes, so that a chatty command cannot block
    and nothing else runs in the driver while it is timed.
    """
    out_path = log_stem.with_suffix(".stdout")
    err_path = log_stem.with_suffix(".stderr")
    result_path = log_stem.with_suffix(".result")
    result_path.unlink(missing_ok=True)
    spawner = [sys.executable, "-I", "-S", "-c", SPAWNER, str(result_path), str(timeout), *argv]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        done = subprocess.run(spawner, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, check=False)
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    try:
        code, seconds, maxrss, floor, timed_out = result_path.read_text().split()
    except (OSError, ValueError):
        # The spawner itself failed (the command could not be started).
        return Measured(done.returncode or 127, 0.0, 0, 0, stdout, stderr, False)
    result_path.unlink(missing_ok=True)
    # ru_maxrss and VmHWM are in KiB on Linux.
    return Measured(int(code), float(seconds), int(maxrss), int(floor), stdout, stderr, timed_out == "1")


def run_quick(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """An untimed helper call (a presigned URL, a version)."""
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)


def failure_text(m: Measured) -> str:
    if m.timed_out:
        return f"timed out after {m.seconds:.0f} s"
    tail = (m.stderr.strip() or m.stdout.strip()).splitlines()[-5:]
    return f"exit {m.returncode}: " + " | ".join(tail)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def make_source(path: Path, size_mib: int) -> str:
    """Writes size_mib MiB of random bytes (incompressible); returns their SHA-256."""
    digest = hashlib.sha256()
    left = size_mib * MIB
    with open(path, "wb") as f:
        while left:
            chunk = os.urandom(min(CHUNK, left))
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
        f.flush()
        os.fsync(f.fileno())
    return digest.hexdigest()


def last_stats(stderr: str) -> dict | None:
    """The last `{"stats": ...}` line the CLI printed on stderr, if any."""
    for line in reversed(stderr.splitlines()):
        line = line.strip()
        if line.startswith('{"stats"'):
            try:
                stats = json.loads(line).get("stats")
            except json.JSONDecodeError:
                return None
            return stats if isinstance(stats, dict) else None
    return None


def server_root(size_mib: int) -> Path:
    """Where the server keeps its objects: BENCH_SERVER_DIR, else a directory in /dev/shm.

    The server's storage is not what is measured: on a disk, its write-back
    (a multipart upload writes every byte twice: the parts, then the object)
    shows as noise in every contender's PUT, several-fold between rounds on a
    shared machine. In memory (a multipart upload needs about three times the
    object at once) the clients' own costs remain. Downloads still go to a
    file on disk, as they would for a user.
    """
    given = os.environ.get("BENCH_SERVER_DIR", "").strip()
    if given:
        return Path(given) / f"s3-connector-bench-{os.getpid()}"
    shm = Path("/dev/shm")
    try:
        room = shutil.disk_usage(shm).free
    except OSError:
        room = 0
    if room > 4 * size_mib * MIB:
        return shm / f"s3-connector-bench-{os.getpid()}"
    return WORK / "s3"


class Bench:
    def __init__(self, size_mib: int, rounds: int) -> None:
        self.size_mib = size_mib
        self.rounds = rounds
        self.server: subprocess.Popen | None = None
        self.server_root = server_root(size_mib)
        self.conn: dict[str, str] = {}
        self.bucket = ""
        self.cli_has_stats = False
        self.failures: list[str] = []
        self.results: dict[str, dict[str, list[Transfer]]] = {
            c: {op: [] for op in OPS} for c in CONTENDERS
        }
        self.probe: dict[str, dict[str, Transfer]] = {c: {} for c in CONTENDERS}
        self.versions: dict[str, str] = {}

    # -- set-up -----------------------------------------------------------

    def check_tools(self) -> None:
        for path, how in ((CLI, "make build"), (SERVER, "cargo build -p s3-connector-host --release --examples")):
            if not path.is_file():
                raise SetupError(f"missing {path}: run `{how}` first")
        if shutil.which("curl") is None:
            raise SetupError("curl is not installed")
        if not VENV_PYTHON.is_file():
            raise SetupError(f"missing {VENV_PYTHON}: run `make moto` (it makes the virtualenv with boto3)")
        boto = run_quick([str(VENV_PYTHON), "-c", "import boto3, botocore; print(boto3.__version__, botocore.__version__)"])
        if boto.returncode != 0:
            raise SetupError(f"boto3 does not import in {VENV_PYTHON}: {boto.stderr.strip()}")
        boto3_version, botocore_version = boto.stdout.split()
        self.versions["boto3"] = boto3_version
        self.versions["botocore"] = botocore_version
        self.versions["curl"] = run_quick(["curl", "--version"]).stdout.splitlines()[0]
        self.versions["s3-connector"] = run_quick([str(CLI), "--version"]).stdout.strip()
        help_text = run_quick([str(CLI), "--help"]).stdout
        self.cli_has_stats = "--stats" in help_text

    def start_server(self) -> None:
        log = open(WORK / "server.log", "wb")
        self.server = subprocess.Popen(
            [str(SERVER), str(self.server_root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        line = self.server.stdout.readline() if self.server.stdout else ""
        if not line:
            self.server.wait(timeout=10)
            raise SetupError(f"the local S3 server did not start: {(WORK / 'server.log').read_text().strip()}")
        try:
            ready = json.loads(line)
        except json.JSONDecodeError:
            raise SetupError(f"the local S3 server printed {line.strip()!r}, not its endpoint") from None
        self.conn = {
            "endpoint": ready["endpoint"],
            "access_key": ready["access_key"],
            "secret_key": ready["secret_key"],
        }
        self.bucket = ready.get("bucket", "bench")

    def stop_server(self) -> None:
        if self.server is None:
            return
        if self.server.stdin:
            self.server.stdin.close()
        try:
            self.server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
        if self.server.stdout:
            self.server.stdout.close()
        self.server = None

    # -- contenders -------------------------------------------------------

    def cli_input(self, key: str, **extra: object) -> str:
        fields = {
            "bucket_name": self.bucket,
            "object_path": key,
            "access_key": self.conn["access_key"],
            "secret_key": self.conn["secret_key"],
            "region": REGION,
        }
        fields.update(extra)
        return json.dumps(fields)

    def cli_argv(self, operation: str, key: str, *rest: str, **extra: object) -> list[str]:
        return [
            str(CLI),
            operation,
            "--endpoint",
            self.conn["endpoint"],
            "--path-style",
            "--input",
            self.cli_input(key, **extra),
            *rest,
        ]

    def base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            AWS_ACCESS_KEY_ID=self.conn["access_key"],
            AWS_SECRET_ACCESS_KEY=self.conn["secret_key"],
            AWS_ENDPOINT_URL=self.conn["endpoint"],
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
            AWS_RESPONSE_CHECKSUM_VALIDATION="when_required",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        )
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        return env

    def presign(self, key: str, method: str) -> tuple[str, dict[str, str]]:
        """A presigned URL from the connector, and the headers it signed."""
        done = run_quick(
            self.cli_argv("get-object-signed-url", key, expires_seconds=URL_EXPIRES_SECONDS, method=method),
            env=self.base_env(),
        )
        if done.returncode != 0:
            raise RuntimeError(f"get-object-signed-url {method}: exit {done.returncode}: {done.stderr.strip()}")
        file = json.loads(done.stdout)["file"]
        headers = file.get("signed_headers") or {}
        return file["url"], {str(k): str(v) for k, v in headers.items()}

    def transfer_argv(self, contender: str, op: str, key: str, path: Path) -> tuple[list[str], dict[str, str]]:
        env = self.base_env()
        if contender.startswith("connector"):
            stats = ["--stats"] if self.cli_has_stats else []
            if op == "PUT":
                extra: dict[str, object] = {}
                if contender in ("connector-unsigned", "connector-one-put"):
                    extra["payload_signing"] = "unsigned"
                if contender == "connector-one-put":
                    extra["multipart_threshold"] = 5 << 30
                return self.cli_argv("put-object-file", key, "--file", str(path), *stats, **extra), env
            # `connector` makes the download durable before renaming it
            # (the default); the other two rename it as soon as it is whole,
            # as curl and boto3 do (`--no-fsync`).
            no_fsync = [] if contender == "connector" else ["--no-fsync"]
            return self.cli_argv("get-object", key, "--output", str(path), *no_fsync, *stats), env
        if contender == "curl":
            url, headers = self.presign(key, op)
            header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
            if op == "PUT":
                return ["curl", "-sS", "-f", *header_args, "-T", str(path), url], env
            return ["curl", "-sS", "-f", *header_args, "-o", str(path), url], env
        verb = "put" if op == "PUT" else "get"
        argv = [str(VENV_PYTHON), str(BOTO3_TRANSFER), verb, self.conn["endpoint"], self.bucket, key, str(path)]
        return argv, env

    def transfer(self, contender: str, op: str, key: str, path: Path, size_mib: int, expect_sha: str) -> Transfer:
        """One timed PUT (path -> key) or GET (key -> path, checked)."""
        if self.server is None or self.server.poll() is not None:
            return Transfer(ok=False, key=key, error="the local S3 server is not running")
        try:
            argv, env = self.transfer_argv(contender, op, key, path)
        except (RuntimeError, json.JSONDecodeError, KeyError, subprocess.TimeoutExpired) as e:
            return Transfer(ok=False, key=key, error=str(e))
        # Write back the previous transfer's dirty pages now, not during this one.
        os.sync()
        timeout = 120 + 2 * size_mib
        m = run_measured(argv, env, timeout, WORK / f"{contender}-{op}")
        t = Transfer(
            ok=m.returncode == 0 and not m.timed_out,
            seconds=m.seconds,
            mib_per_s=size_mib / m.seconds if m.seconds > 0 else 0.0,
            host_rss_kib=m.maxrss_kib,
            rss_floor_kib=m.rss_floor_kib,
            key=key,
        )
        if contender.startswith("connector"):
            t.stats = last_stats(m.stderr)
            if t.stats is not None and isinstance(t.stats.get("guest_memory_peak_bytes"), int):
                t.guest_memory_peak_bytes = t.stats["guest_memory_peak_bytes"]
        if contender == "boto3" and m.returncode == 0:
            try:
                t.inner_seconds = float(json.loads(m.stdout.strip().splitlines()[-1])["seconds"])
            except (ValueError, KeyError, IndexError):
                pass
        if not t.ok:
            t.error = failure_text(m)
            return t
        if op == "GET":
            if not path.is_file():
                t.ok, t.error = False, "no file was written"
            else:
                got = sha256_of(path)
                if got != expect_sha:
                    size = path.stat().st_size
                    t.ok = False
                    t.error = f"wrong bytes: {size} bytes with SHA-256 {got}, expected {size_mib * MIB} with {expect_sha}"
        return t

    def measure_one(
        self, contender: str, op: str, key: str, source: Path, size_mib: int, sha: str, label: str
    ) -> Transfer:
        """Runs one PUT or GET and reports it on one line."""
        download = WORK / f"{key}.download"
        if op == "PUT":
            t = self.transfer(contender, "PUT", key, source, size_mib, sha)
        else:
            t = self.transfer(contender, "GET", key, download, size_mib, sha)
            download.unlink(missing_ok=True)
            # The object is read back once: drop it so the disk holds one
            # object per contender, not one per round.
            (self.server_root / self.bucket / key).unlink(missing_ok=True)
        if t.ok:
            guest = (
                f"  guest {t.guest_memory_peak_bytes / MIB:6.1f} MiB" if t.guest_memory_peak_bytes is not None else ""
            )
            print(
                f"  {label:<9} {op:<3}  {contender:<18} {t.seconds:8.2f} s  {t.mib_per_s:8.1f} MiB/s"
                f"  host RSS {rss_text(t.host_rss_kib, t.rss_floor_kib):>7} MiB{guest}",
                flush=True,
            )
        else:
            print(f"  {label:<9} {op:<3}  {contender:<18} FAILED: {t.error}", flush=True)
            self.failures.append(f"{label} {op} {contender}: {t.error}")
        return t

    # -- the run ----------------------------------------------------------

    def run(self) -> None:
        probe_file = WORK / "probe.bin"
        probe_sha = make_source(probe_file, PROBE_MIB)
        self.start_server()
        print(f"local S3 server (s3s-fs, SigV4 verified) at {self.conn['endpoint']}, bucket {self.bucket}")
        if not self.cli_has_stats:
            print("the CLI has no --stats: guest memory is not measured")

        # Load the component once, untimed: after a build the first call
        # compiles its machine code (and caches it), which would land in the
        # probe's time and RSS.
        try:
            self.presign("warm-up.bin", "GET")
        except (RuntimeError, json.JSONDecodeError, KeyError, subprocess.TimeoutExpired) as e:
            print(f"warm-up call failed: {e}")

        print(f"warm-up and baseline: {PROBE_MIB} MiB")
        for contender in CONTENDERS:
            key = f"{contender}-probe.bin"
            for op in OPS:
                if op == "GET" and not self.probe[contender]["PUT"].ok:
                    continue
                self.probe[contender][op] = self.measure_one(
                    contender, op, key, probe_file, PROBE_MIB, probe_sha, "warm-up"
                )
        probe_file.unlink(missing_ok=True)

        source = WORK / "source.bin"
        print(f"writing {self.size_mib} MiB of random bytes to {source.relative_to(ROOT)}", flush=True)
        sha = make_source(source, self.size_mib)
        for r in range(self.rounds):
            order = CONTENDERS[r % len(CONTENDERS) :] + CONTENDERS[: r % len(CONTENDERS)]
            label = f"round {r + 1}"
            print(f"{label}/{self.rounds}: {', '.join(order)}", flush=True)
            put_ok: dict[str, bool] = {}
            for op in OPS:
                for contender in order:
                    key = f"{contender}-round{r + 1}.bin"
                    if op == "GET" and not put_ok.get(contender):
                        # One entry per round, so that rounds pair up.
                        self.results[contender][op].append(Transfer(ok=False, key=key, error="its PUT failed"))
                        continue
                    t = self.measure_one(contender, op, key, source, self.size_mib, sha, label)
                    self.results[contender][op].append(t)
                    if op == "PUT":
                        put_ok[contender] = t.ok
        source.unlink(missing_ok=True)

    # -- the report -------------------------------------------------------

    def medians(self, contender: str, op: str) -> dict | None:
        done = [t for t in self.results[contender][op] if t.ok]
        if not done:
            return None
        guest = [t.guest_memory_peak_bytes for t in done if t.guest_memory_peak_bytes is not None]
        inner = [t.inner_seconds for t in done if t.inner_seconds is not None]
        out = {
            "rounds_ok": len(done),
            "seconds": statistics.median(t.seconds for t in done),
            "mib_per_s": statistics.median(t.mib_per_s for t in done),
            "host_rss_kib": statistics.median(t.host_rss_kib for t in done),
            "host_rss_kib_max": max(t.host_rss_kib for t in done),
            "host_rss_floor_kib": max(t.rss_floor_kib for t in done),
        }
        if guest:
            out["guest_memory_peak_bytes"] = statistics.median(guest)
            out["guest_memory_peak_bytes_max"] = max(guest)
        if inner:
            out["inner_seconds"] = round(statistics.median(inner), 4)
        out["seconds"] = round(out["seconds"], 4)
        out["mib_per_s"] = round(out["mib_per_s"], 2)
        return out

    def ratio(self, op: str, contender: str, other: str) -> float | None:
        """The median over rounds of contender's throughput over other's in the same round.

        Transfers of one round run minutes apart at most, those of different
        rounds further: the machine's drift (write-back, other load, clock
        speed) shows between rounds more than within one, so each round's
        ratio is taken first, then their median.
        """
        pairs = [
            a.mib_per_s / b.mib_per_s
            for a, b in zip(self.results[contender][op], self.results[other][op])
            if a.ok and b.ok and b.mib_per_s > 0
        ]
        return statistics.median(pairs) if pairs else None

    def targets(self) -> list[dict]:
        out = []

        def add(name: str, passed: bool | None, value: str) -> None:
            status = "n/a" if passed is None else ("PASS" if passed else "FAIL")
            out.append({"target": name, "status": status, "value": value})

        for op in OPS:
            # Like for like: neither hashes the payload.
            r = self.ratio(op, "connector-unsigned", "curl")
            add(
                f"{op}: connector-unsigned throughput >= {CURL_RATIO_MIN}x curl",
                None if r is None else r >= CURL_RATIO_MIN,
                "no result" if r is None else f"{r:.2f}x",
            )
        # One stream each, neither hashing: the connector's own cost.
        r = self.ratio("PUT", "connector-one-put", "curl")
        add(
            f"PUT: connector-one-put (one stream, as curl) throughput >= {CURL_RATIO_MIN}x curl",
            None if r is None else r >= CURL_RATIO_MIN,
            "no result" if r is None else f"{r:.2f}x",
        )
        # Like for like: both sign the payload over plain HTTP.
        r = self.ratio("PUT", "connector", "boto3")
        add(
            "PUT: connector (signed payload) faster than boto3",
            None if r is None else r > 1.0,
            "no result" if r is None else f"{r:.2f}x",
        )
        # Like for like: neither flushes the file to disk before renaming it.
        r = self.ratio("GET", "connector-unsigned", "boto3")
        add(
            "GET: connector (--no-fsync, as boto3) faster than boto3",
            None if r is None else r > 1.0,
            "no result" if r is None else f"{r:.2f}x",
        )
        r = self.ratio("GET", "connector", "boto3")
        add(
            "GET: connector (durable: flushed before the rename) faster than boto3",
            None if r is None else r > 1.0,
            "no result" if r is None else f"{r:.2f}x",
        )
        guest = [
            t.guest_memory_peak_bytes
            for op in OPS
            for c in ("connector", "connector-unsigned", "connector-one-put")
            for t in self.results[c][op]
            if t.ok and t.guest_memory_peak_bytes is not None
        ]
        if guest:
            peak = max(guest)
            add(
                f"connector guest linear memory <= {GUEST_MEMORY_MAX_MIB} MiB",
                peak <= GUEST_MEMORY_MAX_MIB * MIB,
                f"peak {peak / MIB:.1f} MiB",
            )
        else:
            reason = "no --stats in the CLI" if not self.cli_has_stats else "no stats reported"
            add(f"connector guest linear memory <= {GUEST_MEMORY_MAX_MIB} MiB", None, reason)
        for op in OPS:
            probe = self.probe["connector"].get(op)
            big = [t.host_rss_kib for t in self.results["connector"][op] if t.ok]
            if probe is None or not probe.ok or not big:
                add(f"{op}: connector host RSS independent of size", None, "no result")
                continue
            growth = (max(big) - probe.host_rss_kib) / 1024
            add(
                f"{op}: connector host RSS independent of size (+<= {RSS_GROWTH_MAX_MIB} MiB from"
                f" {PROBE_MIB} MiB to {self.size_mib} MiB)",
                growth <= RSS_GROWTH_MAX_MIB,
                f"{probe.host_rss_kib / 1024:.1f} -> {max(big) / 1024:.1f} MiB ({growth:+.1f})",
            )
        return out

    def table(self) -> str:
        header = ("op", "contender", "seconds", "MiB/s", "host RSS MiB", "guest MiB", "vs curl", "vs boto3")
        rows = [header]
        for op in OPS:
            for contender in CONTENDERS:
                m = self.medians(contender, op)
                if m is None:
                    rows.append((op, contender, "failed", "-", "-", "-", "-", "-"))
                    continue
                guest = m.get("guest_memory_peak_bytes")
                vs_curl = self.ratio(op, contender, "curl")
                vs_boto3 = self.ratio(op, contender, "boto3")
                rows.append(
                    (
                        op,
                        contender,
                        f"{m['seconds']:.2f}",
                        f"{m['mib_per_s']:.1f}",
                        rss_text(m["host_rss_kib"], m["host_rss_floor_kib"]),
                        "-" if guest is None else f"{guest / MIB:.1f}",
                        "-" if vs_curl is None else f"{vs_curl:.2f}x",
                        "-" if vs_boto3 is None else f"{vs_boto3:.2f}x",
                    )
                )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = []
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [cell.rjust(w) for cell, w in zip(row[2:], widths[2:])]
            lines.append("  ".join(cells))
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def machine(self) -> dict:
        cpu = ""
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        uname = run_quick(["uname", "-a"]).stdout.strip() or " ".join(platform.uname())
        nproc = run_quick(["nproc"]).stdout.strip()
        return {
            "uname": uname,
            "nproc": int(nproc) if nproc.isdigit() else os.cpu_count(),
            "cpu": cpu,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
        }

    def report(self, machine: dict) -> dict:
        results = {}
        for contender in CONTENDERS:
            results[contender] = {}
            for op in OPS:
                results[contender][op] = {
                    "rounds": [t.to_json() for t in self.results[contender][op]],
                    "median": self.medians(contender, op),
                }
        return {
            "machine": machine,
            "versions": self.versions,
            "config": {
                "size_mib": self.size_mib,
                "rounds": self.rounds,
                "server": "s3s-fs on 127.0.0.1 (target/release/examples/local_s3), SigV4 verified",
                "server_dir": str(self.server_root),
                "order": "per round: every PUT, then every GET; the contenders' order turns by one each round",
                "seconds": "wall time of the process, start-up included; boto3's inner_seconds leaves out"
                " the interpreter's start-up and the import",
                "host_rss": "peak resident set of the process (wait4 ru_maxrss, KiB); a value at"
                " host_rss_floor_kib (the spawner's own peak) means the process peaked at or below it",
                "guest_memory": "the component's linear-memory peak, from the CLI's --stats",
                "cli_has_stats": self.cli_has_stats,
            },
            "probe": {
                "size_mib": PROBE_MIB,
                "results": {c: {op: t.to_json() for op, t in ops.items()} for c, ops in self.probe.items()},
            },
            "results": results,
            "ratios": {
                op: {
                    f"{mine}_vs_{other}": None if r is None else round(r, 3)
                    for mine in ("connector", "connector-unsigned")
                    for other in ("curl", "boto3")
                    for r in [self.ratio(op, mine, other)]
                }
                for op in OPS
            },
            "targets": self.targets(),
            "failures": self.failures,
        }

    def svg(self) -> str:
        """A grouped bar chart of median MiB/s: one group per op, one bar per contender."""
        colours = {
            "connector": "#3b6fb6",
            "connector-unsigned": "#7fa7de",
            "connector-one-put": "#b9cdee",
            "curl": "#8a8a8a",
            "boto3": "#e08a3c",
        }
        width, height = 640, 420
        left, right, top, bottom = 70, 20, 60, 75
        plot_w, plot_h = width - left - right, height - top - bottom
        values = {
            (op, c): (m["mib_per_s"] if (m := self.medians(c, op)) else None) for op in OPS for c in CONTENDERS
        }
        top_value = max([v for v in values.values() if v is not None] or [1.0])
        step = nice_step(top_value / 5)
        y_max = step * (int(top_value / step) + 1)

        def y(v: float) -> float:
            return top + plot_h - v / y_max * plot_h

        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
            f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">'
            f"{escape(f'{self.size_mib} MiB object: median throughput of {self.rounds} round(s)')}</text>",
            f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#555">'
            "local s3s-fs server, SigV4 verified; higher is better</text>",
        ]
        tick = 0.0
        while tick <= y_max + step / 2:
            parts.append(
                f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" stroke="#e4e4e4"/>'
            )
            parts.append(
                f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#555">{tick:g}</text>'
            )
            tick += step
        parts.append(
            f'<text transform="translate(18 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">MiB/s</text>'
        )
        group_w = plot_w / len(OPS)
        bar_w = group_w / (len(CONTENDERS) + 1.5)
        for g, op in enumerate(OPS):
            x0 = left + g * group_w + bar_w * 0.75
            for i, c in enumerate(CONTENDERS):
                x = x0 + i * bar_w
                v = values[(op, c)]
                if v is None:
                    parts.append(
                        f'<text x="{x + bar_w / 2:.1f}" y="{y(0) - 6:.1f}" text-anchor="middle"'
                        f' fill="#b00">failed</text>'
                    )
                    continue
                parts.append(
                    f'<rect x="{x + 2:.1f}" y="{y(v):.1f}" width="{bar_w - 4:.1f}" height="{y(0) - y(v):.1f}"'
                    f' fill="{colours[c]}"><title>{escape(f"{op} {c}: {v:.1f} MiB/s")}</title></rect>'
                )
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y(v) - 5:.1f}" text-anchor="middle">{v:.0f}</text>'
                )
            parts.append(
                f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{top + plot_h + 22}" text-anchor="middle"'
                f' font-size="14" font-weight="bold">{op}</text>'
            )
        parts.append(
            f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#333"/>'
        )
        legend_w = 120
        for i, c in enumerate(CONTENDERS):
            lx = left + plot_w / 2 - legend_w * len(CONTENDERS) / 2 + i * legend_w
            ly = height - 24
            parts.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colours[c]}"/>')
            parts.append(f'<text x="{lx + 18}" y="{ly + 10}">{escape(c)}</text>')
        parts.append("</svg>")
        return "\n".join(parts) + "\n"


def rss_text(rss_kib: float, floor_kib: float) -> str:
    """Peak RSS in MiB; `<=F` when it is no more than the spawner's floor."""
    if rss_kib <= floor_kib + 256:
        return f"<={floor_kib / 1024:.1f}"
    return f"{rss_kib / 1024:.1f}"


def nice_step(raw: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at least raw."""
    if raw <= 0:
        return 1.0
    power = 10.0 ** int(f"{raw:e}".split("e")[1])
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def main() -> int:
    try:
        size_mib = env_int("BENCH_SIZE_MIB", 1024)
        rounds = env_int("ROUNDS", 3)
    except SetupError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    bench = Bench(size_mib, rounds)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    try:
        bench.check_tools()
        machine = bench.machine()
        print(f"{size_mib} MiB PUT and GET, {rounds} round(s): connector, curl, boto3 on {machine['uname']}")
        bench.run()
    except SetupError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    finally:
        bench.stop_server()
        shutil.rmtree(bench.server_root, ignore_errors=True)
        shutil.rmtree(WORK, ignore_errors=True)

    report = bench.report(machine)
    JSON_OUT.write_text(json.dumps(report, indent=2) + "\n")
    SVG_OUT.write_text(bench.svg())

    print()
    print(
        f"{size_mib} MiB, median of {rounds} round(s); seconds: wall time of the process;"
        " host RSS: its peak resident set; guest: the component's linear-memory peak;"
        " vs curl, vs boto3: the median of each round's ratio of throughputs"
    )
    print(bench.table())
    print()
    print("targets")
    for t in report["targets"]:
        print(f"  {t['status']:<4}  {t['target']}: {t['value']}")
    print()
    print(f"wrote {JSON_OUT.relative_to(ROOT)} and {SVG_OUT.relative_to(ROOT)}")
    if bench.failures:
        print(f"\n{len(bench.failures)} transfer(s) failed:", file=sys.stderr)
        for failure in bench.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
