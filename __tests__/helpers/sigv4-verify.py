"""Checks AWS SigV4 signatures with botocore, an implementation independent of the one under test.

Reads a JSON list of requests as a server received them ({"method", "url", "headers"}) and the
secret key from argv[1]; prints a JSON list, one entry per request: {"ok": bool, "why": str}.
Only the headers the request says it signed (SignedHeaders) are given to botocore, which signs
every header it is handed; its S3 signer takes the path exactly as sent, as S3 does.
"""
import json
import re
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
    r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$"
)


def check(req, secret):
    headers = {k.lower(): v for k, v in req["headers"].items()}
    m = AUTH.match(headers.get("authorization", ""))
    if not m:
        return {"ok": False, "why": "no SigV4 Authorization header"}
    key_id, date, region, service, signed, signature = m.groups()
    names = signed.split(";")
    if not {"host", "x-amz-date", "x-amz-content-sha256"} <= set(names):
        return {"ok": False, "why": "host, x-amz-date and x-amz-content-sha256 must be signed: " + signed}
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(date):
        return {"ok": False, "why": "credential scope date differs from x-amz-date"}
    request = AWSRequest(
        method=req["method"], url=req["url"], headers={n: headers[n] for n in names if n != "host"}
    )
    request.context["timestamp"] = amz_date
    auth = S3SigV4Auth(Credentials(key_id, secret, headers.get("x-amz-security-token")), service, region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != signature:
        return {"ok": False, "why": "signature differs; botocore's canonical request:\n" + canonical}
    return {"ok": True, "why": ""}


def main():
    secret = sys.argv[1]
    requests = json.load(sys.stdin)
    json.dump([check(r, secret) for r in requests], sys.stdout)


main()
