"""Small TCP tools the hostile benchmark and its test run inside VM namespaces.

    python hostile_probe.py serve --port 5201
        an echo server (any number of connections) until SIGTERM
    python hostile_probe.py connect --ip 10.0.1.20 --port 5201 --count 20 [--timeout 1]
        `count` new connections one after the other, each closed at once; prints
        {"ok", "failed", "p50_ms", "p99_ms"}
    python hostile_probe.py stream --ip 10.0.2.10 --port 5201 --seconds 5
        one connection opened first (prints "ready"), then a 64-byte message echoed every
        20 ms for `seconds`; prints {"round_trips", "failures", "max_gap_ms"} — an
        established flow that must keep flowing

Only the standard library: it runs in a fresh interpreter inside the namespace.
"""

from __future__ import annotations

import argparse
import json
import selectors
import signal
import socket
import sys
import time

MESSAGE = b"x" * 64
STREAM_INTERVAL_S = 0.02


def serve(port: int) -> None:
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    listener = socket.create_server(("0.0.0.0", port), backlog=4096, reuse_port=True)
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    while not stop["now"]:
        for key, _ in selector.select(0.2):
            if key.fileobj is listener:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                conn.setblocking(False)
                selector.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj  # type: ignore[assignment]
            try:
                data = conn.recv(65536)
                if data:
                    conn.sendall(data)
                    continue
            except OSError:
                pass
            selector.unregister(conn)
            conn.close()


def connect(ip: str, port: int, count: int, timeout_s: float) -> dict[str, float]:
    times: list[float] = []
    failed = 0
    for _ in range(count):
        start = time.monotonic()
        try:
            with socket.create_connection((ip, port), timeout=timeout_s):
                times.append((time.monotonic() - start) * 1000.0)
        except OSError:
            failed += 1
        time.sleep(0.01)
    times.sort()

    def pick(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))] if times else -1.0

    return {"ok": len(times), "failed": failed, "p50_ms": pick(0.5), "p99_ms": pick(0.99)}


def stream(ip: str, port: int, seconds: float) -> dict[str, float]:
    sock = socket.create_connection((ip, port), timeout=10.0)
    print("ready", flush=True)
    trips = failures = 0
    last = start = time.monotonic()
    gap = 0.0
    while time.monotonic() - start < seconds:
        try:
            sock.sendall(MESSAGE)
            got = b""
            while len(got) < len(MESSAGE):
                chunk = sock.recv(len(MESSAGE) - len(got))
                if not chunk:
                    raise OSError("closed")
                got += chunk
            trips += 1
            now = time.monotonic()
            gap, last = max(gap, now - last), now
        except OSError:
            failures += 1
        time.sleep(STREAM_INTERVAL_S)
    sock.close()
    return {"round_trips": trips, "failures": failures, "max_gap_ms": gap * 1000.0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["serve", "connect", "stream"])
    parser.add_argument("--ip", default="0.0.0.0")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    if args.mode == "serve":
        serve(args.port)
        return
    result = (connect(args.ip, args.port, args.count, args.timeout) if args.mode == "connect"
              else stream(args.ip, args.port, args.seconds))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
