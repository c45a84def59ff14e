"""Schemathesis hooks for handoff-service (loaded through SCHEMATHESIS_HOOKS by scripts/schemathesis.sh).

Intake requests are signed with the v2 scheme (docs/api.md) at the moment they are sent, over
the exact bytes that go on the wire: the canonical string needs the raw body and the request
target as sent, which only exist once `requests` has prepared the request. So the hook wraps the
transport adapter instead of editing the generated case.

A request is signed only when schemathesis generated schema-valid signature headers for it
(an integer timestamp, a `v2=<64 hex>` signature): then the generated values are replaced by a
real timestamp and signature. A request with a missing or malformed header is sent as generated,
so that the negative and missing-header checks still see the service refuse it.

The change stream (`GET /v1/changes/stream`) never ends by itself; its response is read for a
moment (the service sends a heartbeat every 200 ms in this run) and then closed, so checks see
its status, headers and first events.
"""

import hashlib
import hmac
import os
import re
import time

import requests.adapters

SECRET = os.environ["HANDOFF_INTAKE_SECRET"].encode()
STREAM_READ_SECONDS = float(os.environ.get("HANDOFF_ST_STREAM_SECONDS", "0.5"))

_V2 = re.compile(r"^v2=[0-9a-fA-F]{64}$")
_INTEGER = re.compile(r"^-?[0-9]+$")
_original_send = requests.adapters.HTTPAdapter.send


def _sign(request):
    timestamp = request.headers.get("X-Handoff-Timestamp")
    signature = request.headers.get("X-Handoff-Signature")
    if timestamp is None or signature is None:
        return
    if not _INTEGER.match(str(timestamp).strip()) or not _V2.match(str(signature).strip()):
        return
    now = str(int(time.time()))
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    canonical = b"\n".join([b"v2", now.encode(), request.method.upper().encode(), request.path_url.encode(), body])
    request.headers["X-Handoff-Timestamp"] = now
    request.headers["X-Handoff-Signature"] = "v2=" + hmac.new(SECRET, canonical, hashlib.sha256).hexdigest()


def _send(self, request, **kwargs):
    if request.path_url.startswith("/v1/intake/"):
        _sign(request)
    if request.method == "GET" and request.path_url.startswith("/v1/changes/stream"):
        kwargs["stream"] = True
        response = _original_send(self, request, **kwargs)
        collected = b""
        if response.status_code == 200:
            deadline = time.monotonic() + STREAM_READ_SECONDS
            try:
                for chunk in response.iter_content(chunk_size=None):
                    collected += chunk
                    if time.monotonic() >= deadline:
                        break
            finally:
                response.close()
        else:
            collected = response.content
        response._content = collected
        response._content_consumed = True
        return response
    return _original_send(self, request, **kwargs)


requests.adapters.HTTPAdapter.send = _send
