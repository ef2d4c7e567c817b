#!/usr/bin/env python3
"""Interop run of the HTTP artifact on the wasmtime CLI (`make interop`).

    interop_http.py HTTP_WASM LOCAL_S3 [WASMTIME]

Starts the embedded local S3 server (LOCAL_S3: target/release/examples/local_s3),
runs `wasmtime serve -S cli -S http` on HTTP_WASM with the server's connection
in its environment (`--env`), and drives every operation of the manifest
(`GET /v1/operations`) through it over HTTP, checking each answer: status,
typed error and the fields a user would look at. Operations the local server
does not implement (tagging, versions) must answer its `not-implemented`.
An operation of the manifest with no case here fails the run, so that a new
operation cannot slip through untested. Prints 'N passed, N failed'; exits 1
on any failure. Standard library only.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

BUCKET = "bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, method="GET", body=b"", headers=None):
    req = urllib.request.Request(url, data=body if method != "GET" else None, method=method)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


class Run:
    def __init__(self, base, secret):
        self.base = base
        self.secret = secret
        self.passed = 0
        self.failed = []
        self.covered = set()

    def post(self, op, input_, body=None, headers=None):
        if body is None:
            body = json.dumps({"input": input_}).encode()
        status, hdrs, data = request(f"{self.base}/v1/{op}", "POST", body, headers)
        if self.secret.encode() in data or any(self.secret in v for v in hdrs.values()):
            self.fail(op, "the secret key was answered")
        return status, hdrs, data

    def check(self, op, what, ok, detail=""):
        self.covered.add(op)
        if ok:
            self.passed += 1
        else:
            self.fail(op, f"{what}: {detail}")

    def fail(self, op, message):
        self.failed.append(f"{op}: {message}")
        print(f"FAIL {op}: {message}", file=sys.stderr)

    def ok_json(self, op, input_, **kw):
        status, _, data = self.post(op, input_, **kw)
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        self.check(op, "status 200", status == 200, f"{status} {data[:300]!r}")
        return value if isinstance(value, dict) or isinstance(value, list) else {}

    def error(self, op, input_, status, kind, code=None):
        got, _, data = self.post(op, input_)
        try:
            err = json.loads(data)["error"]
        except (ValueError, KeyError, TypeError):
            err = {}
        good = got == status and err.get("kind") == kind and (code is None or err.get("code") == code)
        self.check(op, f"{status} {kind} {code or ''}", good, f"{got} {data[:300]!r}")


def drive(run, manifest):
    obj = {"bucket_name": BUCKET, "object_path": "interop/hello.txt"}
    put = run.ok_json("put-object-text", dict(obj, content="Hello, interop!"))
    run.check("put-object-text", "etag", str(put.get("etag", "")).startswith('"'), put)

    head = run.ok_json("head-object", obj)
    run.check("head-object", "length", head.get("content_length") == 15, head)
    run.error("head-object", dict(obj, object_path="interop/missing"), 404, "service", "no-such-key")

    status, hdrs, data = run.post("get-object", obj)
    run.check("get-object", "bytes", status == 200 and data == b"Hello, interop!", f"{status} {data[:100]!r}")
    run.check("get-object", "etag header", hdrs.get("etag") == put.get("etag"), hdrs)
    run.error("get-object", dict(obj, object_path="interop/missing"), 404, "service", "no-such-key")

    blob = os.urandom(17 * 1024 * 1024 + 5)
    status, _, data = run.post(
        "put-object-file", None, body=blob,
        headers={"x-s3-input": json.dumps({"bucket_name": BUCKET, "object_path": "interop/blob.bin"}),
                 "content-type": "application/octet-stream"})
    answer = json.loads(data) if status == 200 else {}
    run.check("put-object-file", "multipart upload", status == 200 and answer.get("parts", 0) >= 2,
              f"{status} {data[:300]!r}")
    status, _, data = run.post("get-object", {"bucket_name": BUCKET, "object_path": "interop/blob.bin"})
    run.check("get-object", "streamed bytes", status == 200 and data == blob, f"{status} {len(data)} bytes")

    listed = run.ok_json("list-objects", {"bucket_name": BUCKET, "prefix": "interop/"})
    keys = [o["key"] for o in listed.get("objects", [])]
    run.check("list-objects", "keys", keys == ["interop/blob.bin", "interop/hello.txt"], keys)
    run.error("list-objects", {"bucket_name": "no-such-bucket-interop"}, 404, "service", "no-such-bucket")
    run.error("list-objects", {"bucket_name": BUCKET, "prefx": "a"}, 400, "invalid-input")

    buckets = run.ok_json("list-buckets", {})
    names = [b.get("name") for b in buckets.get("buckets", buckets if isinstance(buckets, list) else [])]
    run.check("list-buckets", "bench listed", BUCKET in names, buckets)
    ddl = run.ok_json("list-buckets-ddl", {})
    run.check("list-buckets-ddl", "bench listed", any(i.get("value") == BUCKET for i in ddl.get("result", [])), ddl)

    signed = run.ok_json("get-object-signed-url", dict(obj, expires_seconds=300))
    url = signed.get("file", {}).get("url", "")
    status, _, data = request(url) if url else (0, {}, b"")
    run.check("get-object-signed-url", "URL fetches the object", status == 200 and data == b"Hello, interop!", status)

    loc = run.ok_json("get-bucket-location", {"bucket_name": BUCKET})
    run.check("get-bucket-location", "region", loc.get("result") == "us-east-1", loc)

    run.ok_json("create-bucket", {"bucket_name": "interop-new"})
    hb = run.ok_json("head-bucket", {"bucket_name": "interop-new"})
    run.check("head-bucket", "exists", hb.get("exists") is True, hb)
    run.ok_json("delete-bucket", {"bucket_name": "interop-new"})
    hb = run.ok_json("head-bucket", {"bucket_name": "interop-new"})
    run.check("head-bucket", "gone", hb.get("exists") is False, hb)
    run.error("create-bucket", {"bucket_name": BUCKET}, 409, "service")

    run.ok_json("put-object-acl", dict(obj, acl="public-read"))
    copied = run.ok_json("copy-object", {"source_bucket_name": BUCKET, "source_object_path": obj["object_path"],
                                         "bucket_name": BUCKET, "object_path": "interop/copy.txt"})
    run.check("copy-object", "etag", "etag" in copied, copied)

    for op, extra in (("get-object-tagging", {}), ("put-object-tagging", {"tags": {"a": "b"}}),
                      ("delete-object-tagging", {}), ("list-object-versions", None)):
        input_ = {"bucket_name": BUCKET} if extra is None else dict(obj, **extra)
        run.error(op, input_, 502, "service", "not-implemented")

    run.ok_json("create-folder", {"bucket_name": BUCKET, "folder_path": "interop/dir"})
    # s3s-fs lists no empty folder marker: a key inside makes the folder seen.
    run.ok_json("put-object-text", {"bucket_name": BUCKET, "object_path": "interop/dir/a.txt", "content": "a"})
    folders = run.ok_json("list-folders", {"bucket_name": BUCKET, "parent": "interop"})
    run.check("list-folders", "folder", "interop/dir/" in folders.get("folders", []), folders)
    gone = run.ok_json("delete-folder", {"bucket_name": BUCKET, "folder_path": "interop/dir"})
    run.check("delete-folder", "deleted", gone.get("failed", 1) == 0 or gone.get("failed") == [], gone)

    uploads = run.ok_json("list-multipart-uploads", {"bucket_name": BUCKET})
    run.check("list-multipart-uploads", "none left", uploads.get("uploads", uploads.get("result", [])) == [], uploads)
    run.error("abort-multipart-upload", dict(obj, upload_id="NO-SUCH-UPLOAD"), 404, "service", "no-such-upload")

    post = run.ok_json("presign-post", {"bucket_name": BUCKET, "key_prefix": "uploads/", "expires_seconds": 600})
    run.check("presign-post", "form", bool(post.get("url")) and "policy" in json.dumps(post.get("fields", {})).lower(), post)
    tested = run.ok_json("test-connection", {"bucket_name": BUCKET})
    run.check("test-connection", "ok", tested.get("ok") is True, tested)

    deleted = run.ok_json("delete-object", obj)
    run.check("delete-object", "success", deleted.get("success") is True, deleted)
    many = run.ok_json("delete-objects", {"bucket_name": BUCKET, "object_keys": [
        {"key": "interop/blob.bin"}, {"key": "interop/copy.txt"}]})
    run.check("delete-objects", "both deleted", many.get("deleted") == 2, many)

    status, _, data = request(f"{run.base}/v1/no-such-operation", "POST", b"{}")
    run.check("routes", "unknown operation 404", status == 404, status)
    status, _, data = request(f"{run.base}/v1/list-objects", "POST", b"{not json")
    run.check("routes", "bad JSON 400", status == 400, status)

    for op in manifest["operations"]:
        if op["name"] not in run.covered:
            run.fail(op["name"], "no interop case drives it")


def main():
    wasm, local_s3 = sys.argv[1], sys.argv[2]
    wasmtime = sys.argv[3] if len(sys.argv) > 3 else "wasmtime"
    with tempfile.TemporaryDirectory() as root, tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen([local_s3, root], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        serve = None
        try:
            local = json.loads(server.stdout.readline())
            port = free_port()
            env = {"AWS_ACCESS_KEY_ID": local["access_key"], "AWS_SECRET_ACCESS_KEY": local["secret_key"],
                   "AWS_REGION": local["region"], "AWS_ENDPOINT_URL": local["endpoint"],
                   "S3_CONNECTOR_PATH_STYLE": "true", "S3_CONNECTOR_ALLOW_LOOPBACK": "1"}
            args = [wasmtime, "serve", "-S", "cli", "-S", "http", "--addr", f"127.0.0.1:{port}"]
            for name, value in env.items():
                args += ["--env", f"{name}={value}"]
            serve = subprocess.Popen(args + [wasm], stdin=subprocess.DEVNULL, stderr=log)
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 120
            while True:
                try:
                    status, _, body = request(f"{base}/v1/operations")
                    break
                except OSError:
                    if time.time() > deadline or serve.poll() is not None:
                        raise SystemExit("wasmtime serve did not answer")
                    time.sleep(0.5)
            run = Run(base, local["secret_key"])
            manifest = json.loads(body)
            run.check("operations", "manifest", status == 200 and len(manifest.get("operations", [])) > 0, status)
            drive(run, manifest)
        finally:
            if serve is not None:
                serve.terminate()
                serve.wait()
            server.stdin.close()
            server.wait()
        # A request whose instance trapped may still have sent its whole
        # answer (a trap after the last byte): wasmtime serve says so on
        # stderr only.
        log.seek(0)
        serve_log = log.read()
        sys.stderr.write(serve_log)
        if "worker failed" in serve_log or "error while executing" in serve_log:
            run.fail("serve", "a request's instance trapped (wasmtime serve's log above)")
    print(f"{run.passed} passed, {len(run.failed)} failed")
    sys.exit(1 if run.failed else 0)


if __name__ == "__main__":
    main()
