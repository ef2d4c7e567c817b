#!/usr/bin/env python3
"""Writes s3-botocore-cases.json: S3 signing cases the published vectors lack
(session tokens, signed Range headers, response-* and versionId parameters,
awkward keys, a host with a port), with the values botocore's S3SigV4Auth and
S3SigV4QueryAuth compute for them. botocore is the independent oracle; the
keys are encoded with botocore's own `percent_encode(key, safe='/~')`, as its
S3 serializer does.

Run with botocore installed: python3 derive_with_botocore.py > s3-botocore-cases.json
"""

import datetime
import hashlib
import json
import sys
from unittest import mock

import botocore
import botocore.auth as auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEAbEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+slashes=="
TIMESTAMP = "20130524T000000Z"
WHEN = datetime.datetime(2013, 5, 24, 0, 0, 0)

AWKWARD_KEY = "photos/2024 summer/\u00e9t\u00e9+1 (copy)&x=y#?~*'\"<>.jpg"


class Recording:
    """Keeps the canonical request and string to sign a signer computed."""

    def canonical_request(self, request):
        self.recorded_creq = super().canonical_request(request)
        return self.recorded_creq

    def string_to_sign(self, request, canonical_request):
        self.recorded_sts = super().string_to_sign(request, canonical_request)
        return self.recorded_sts

    def signature(self, string_to_sign, request):
        self.recorded_sig = super().signature(string_to_sign, request)
        return self.recorded_sig


class HeaderAuth(Recording, auth.S3SigV4Auth):
    pass


class QueryAuth(Recording, auth.S3SigV4QueryAuth):
    pass


def case(name, mode, description, method, scheme, host, key, query, headers,
         payload="", token=None, region="us-east-1", expires=None):
    path = "/" + percent_encode(key, safe="/~") if key is not None else "/"
    url = f"{scheme}://{host}{path}"
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, token)
    request = AWSRequest(method=method, url=url, headers=dict(headers),
                         data=payload.encode(), params=list(query))
    if mode == "header":
        signer = HeaderAuth(credentials, "s3", region)
    else:
        signer = QueryAuth(credentials, "s3", region, expires=expires)
        # A presigned request is not sent by botocore: its params are put in
        # the URL by the signer.
        request.data = b""
    with mock.patch.object(auth, "get_current_datetime", return_value=WHEN):
        signer.add_auth(request)
    prepared = request.prepare()
    expected = {
        "canonical_request": signer.recorded_creq,
        "string_to_sign": signer.recorded_sts,
        "signature": signer.recorded_sig,
    }
    if mode == "header":
        expected["authorization"] = prepared.headers["Authorization"]
        expected["payload_sha256"] = hashlib.sha256(payload.encode()).hexdigest()
    else:
        expected["url"] = prepared.url
    return {
        "name": name,
        "mode": mode,
        "description": description,
        "method": method,
        "scheme": scheme,
        "host": host,
        "key": key,
        "path": path,
        "query": [list(p) for p in query],
        "headers": [list(h) for h in headers],
        "payload": payload,
        "session_token": token,
        "region": region,
        "expires": expires,
        "expected": expected,
    }


def main():
    cases = [
        case("put-awkward-key-with-token", "header",
             "PUT of a key with spaces, UTF-8, +, &, =, #, ?, ~, *, quotes and <>; "
             "metadata with runs of spaces; temporary credentials.",
             "PUT", "https", "examplebucket.s3.amazonaws.com", AWKWARD_KEY, [],
             [("Content-Type", "image/jpeg"),
              ("x-amz-meta-note", "  two   spaces  inside "),
              ("x-amz-storage-class", "STANDARD_IA")],
             payload="hello, world\n", token=TOKEN, region="eu-west-3"),
        case("get-range-version", "header",
             "Ranged GET of one version of a key with dot segments and a double slash.",
             "GET", "https", "examplebucket.s3.amazonaws.com", "a/../b//./c", [
                 ("versionId", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo")],
             [("Range", "bytes=0-9")]),
        case("list-objects-v2-awkward-query", "header",
             "ListObjectsV2 whose prefix, delimiter and continuation token need encoding.",
             "GET", "https", "examplebucket.s3.amazonaws.com", None, [
                 ("list-type", "2"), ("prefix", "a b/\u00e9+&=?"), ("delimiter", "/"),
                 ("continuation-token", "1/abc+def=="), ("max-keys", "1000")], []),
        case("presign-get-with-token", "presign",
             "The documentation's presigned GET with temporary credentials.",
             "GET", "https", "examplebucket.s3.amazonaws.com", "test.txt", [], [],
             token=TOKEN, expires=86400),
        case("presign-get-range-response-headers", "presign",
             "Presigned ranged GET of an awkward key overriding the response's "
             "content type and disposition, for one version, valid 7 days.",
             "GET", "https", "examplebucket.s3.amazonaws.com", AWKWARD_KEY, [
                 ("response-content-type", "text/plain; charset=utf-8"),
                 ("response-content-disposition",
                  "attachment; filename=\"r\u00e9sum\u00e9 2024.pdf\""),
                 ("versionId", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo")],
             [("Range", "bytes=100-199")], token=TOKEN, expires=604800),
        case("presign-get-custom-endpoint-port", "presign",
             "Presigned GET through a path-style custom endpoint with a port: "
             "the port is part of the signed host.",
             "GET", "http", "127.0.0.1:9000", "bucket/key with spaces", [], [],
             expires=1),
    ]
    out = {
        "description": "S3 signing cases computed with botocore "
                       f"{botocore.__version__} (S3SigV4Auth for header cases, "
                       "S3SigV4QueryAuth for presign cases) by derive_with_botocore.py. "
                       "Not published by AWS: an independent implementation's output.",
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "service": "s3",
        "timestamp": TIMESTAMP,
        "notes": [
            "path is the key encoded by botocore.utils.percent_encode(key, safe='/~'), "
            "with a leading '/'; it is the canonical URI (S3 does not normalise).",
            "query lists raw (decoded) parameters in request order; headers are the "
            "ones the operation sets (the signer adds host, x-amz-date, "
            "x-amz-content-sha256 and x-amz-security-token).",
            "Presigned URLs: botocore writes the operation's parameters first, then "
            "the X-Amz-* ones, unsorted; the signature does not depend on that order.",
        ],
        "cases": cases,
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
