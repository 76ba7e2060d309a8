"""HTTP/1.x for the metadata service: one request in, one whole response out.

`respond(program, eni, request_bytes, now_unix_s)` parses a request head (request line
and headers; a body is ignored) and returns the response bytes, always closing
(`Connection: close`). GET serves `imds_tree` paths (404 when absent); IMDSv2
`PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1..21600) returns
a token, and any token is accepted afterwards. Other methods → 405; a head that is
incomplete or not HTTP/1.x → 400.
"""

from __future__ import annotations

import base64
import hashlib

from smartnic.compiler.program import Program
from smartnic.compiler.views import EniView
from smartnic.dataplane.services.imds_tree import lookup, metadata_tree

TOKEN_PATH = "/latest/api/token"
TOKEN_TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
MAX_TOKEN_TTL_S = 21600
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def respond(program: Program, eni: EniView, request: bytes, now_unix_s: float) -> bytes:
    head = _parse_head(request)
    if head is None:
        return http_response(400, "")
    method, path, headers = head
    if method == "PUT" and path == TOKEN_PATH:
        return _token(eni, headers, now_unix_s)
    if method != "GET":
        return http_response(405, "")
    body = lookup(metadata_tree(program, eni), path)
    return http_response(404, "") if body is None else http_response(200, body)


def http_response(status: int, body: str, headers: tuple[str, ...] = ()) -> bytes:
    data = body.encode()
    lines = [
        f"HTTP/1.1 {status} {_REASONS[status]}",
        "Content-Type: text/plain",
        f"Content-Length: {len(data)}",
        "Connection: close",
        "Server: EC2ws",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def _parse_head(request: bytes) -> tuple[str, str, dict[str, str]] | None:
    """(method, path without query, lower-cased headers), or None for a bad head."""
    end = request.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = request[:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        return None
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            return None
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1].split("?", 1)[0], headers


def _token(eni: EniView, headers: dict[str, str], now_unix_s: float) -> bytes:
    ttl_text = headers.get(TOKEN_TTL_HEADER, "")
    if not ttl_text.isdigit() or not 1 <= int(ttl_text) <= MAX_TOKEN_TTL_S:
        return http_response(400, "")
    digest = hashlib.sha256(f"{eni.id}/{now_unix_s}".encode()).digest()
    token = base64.urlsafe_b64encode(digest).decode()
    return http_response(200, token, (f"X-Aws-Ec2-Metadata-Token-Ttl-Seconds: {int(ttl_text)}",))
