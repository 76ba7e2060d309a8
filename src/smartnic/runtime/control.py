"""The engine's control socket: a UNIX stream socket answering one JSON request per line.

Requests: {"op": "status"} and {"op": "counters"}. The server side is non-blocking and
polled from the engine loop; `query()` is the client used by `smartnic status/counters`.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any]]
MAX_REQUEST_BYTES = 65536


class ControlServer:
    def __init__(self, path: str | Path, handler: Handler) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self.path.unlink()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(self.path))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.handler = handler

    def fileno(self) -> int:
        return self.sock.fileno()

    def serve_pending(self) -> int:
        """Answer every client waiting to connect; each sends one request line. Returns
        how many were answered."""
        answered = 0
        while True:
            try:
                client, _ = self.sock.accept()
            except BlockingIOError:
                return answered
            answered += 1
            with client:
                client.settimeout(1.0)
                self._answer(client)

    def _answer(self, client: socket.socket) -> None:
        try:
            request = json.loads(_read_line(client))
            reply = self.handler(request if isinstance(request, dict) else {})
        except (ValueError, OSError) as error:
            reply = {"error": str(error)}
        try:
            client.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()
        if self.path.exists():
            os.unlink(self.path)


def query(path: str | Path, request: dict[str, Any], timeout_s: float = 2.0) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect(str(path))
        sock.sendall(json.dumps(request).encode() + b"\n")
        return json.loads(_read_line(sock))


def _read_line(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n") and len(data) < MAX_REQUEST_BYTES:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode()
