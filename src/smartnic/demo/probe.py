"""Small network probes run inside VM namespaces by `smartnic demo --netns`.

    python -m smartnic.demo.probe tcp HOST PORT [SOURCE] # connect within 2 s
    python -m smartnic.demo.probe udp HOST PORT          # send one datagram, wait for one
    python -m smartnic.demo.probe dns SERVER NAME        # A query; prints the answer
Exit status 0 on success, 1 on timeout or refusal. Standard library only.
"""

from __future__ import annotations

import secrets
import socket
import struct
import sys

TIMEOUT_S = 2.0


def tcp(host: str, port: int, source: str | None = None) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT_S)
        if source:
            sock.bind((source, 0))
        try:
            sock.connect((host, port))
        except OSError:
            return False
    return True


def udp(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT_S)
        sock.sendto(b"probe", (host, port))
        try:
            sock.recvfrom(2048)
        except OSError:
            return False
    return True


def dns(server: str, name: str) -> str | None:
    """The first A record for `name` from `server`, or None."""
    ident = secrets.randbits(16)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    query = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + b"\0\1\0\1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT_S)
        sock.sendto(query, (server, 53))
        try:
            reply, _ = sock.recvfrom(2048)
        except OSError:
            return None
    answers = struct.unpack("!H", reply[6:8])[0]
    if answers == 0 or len(reply) < len(query) + 16:
        return None
    rdata = reply[len(query) + 12: len(query) + 16]  # name pointer, type, class, ttl, length
    return socket.inet_ntoa(rdata)


def main(argv: list[str]) -> int:
    kind, host, arg = argv[0], argv[1], argv[2]
    if kind == "dns":
        answer = dns(host, arg)
        print(answer or "no answer")
        return 0 if answer else 1
    source = argv[3] if len(argv) > 3 else None
    ok = tcp(host, int(arg), source) if kind == "tcp" else udp(host, int(arg))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
