"""The null forwarder's batch rewrites (bench/nullfwd.py) equal the frame-by-frame ones, for
batches below and above the size where numpy takes over."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from bench.nullfwd import IP_LENGTH_AT, OUTER_BYTES, encapsulated, outer_template, to_vm_frames
from smartnic.dataplane.fastpath.batch import PacketBatch

OUTER = outer_template("198.18.0.1", "198.18.0.2")  # VXLAN to port 4789
TO_VM = bytes(range(1, 13))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=14, max_size=300), max_size=40))
def test_encapsulated_puts_the_outer_header_before_each_frame(frames: list[bytes]) -> None:
    """scapy is the oracle: the outer IPv4 total length and checksum, the UDP length."""
    out = encapsulated(PacketBatch.from_frames(frames), OUTER).frames()
    assert len(out) == len(frames)
    for frame, sent in zip(frames, out, strict=True):
        packet = Ether(sent)
        rebuilt = packet[IP].copy()
        del rebuilt.chksum
        assert packet[IP].len == len(frame) + 36 and packet[UDP].len == len(frame) + 16
        assert IP(bytes(rebuilt)).chksum == packet[IP].chksum
        assert sent[:IP_LENGTH_AT] == OUTER[:IP_LENGTH_AT] and sent[OUTER_BYTES:] == frame


def _vxlan(d: bytes) -> bool:
    return d[12:14] == b"\x08\x00" and d[23] == 17 and d[36:38] == (4789).to_bytes(2, "big")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.binary(min_size=0, max_size=200),
                          st.binary(min_size=14, max_size=150).map(lambda f: OUTER + f)),
                max_size=40))
def test_to_vm_frames_strip_the_outer_header_and_readdress(datagrams: list[bytes]) -> None:
    expected = [TO_VM + d[OUTER_BYTES + 12:] for d in datagrams
                if len(d) >= OUTER_BYTES + 14 and _vxlan(d)]
    received = PacketBatch.from_frames(datagrams)  # a receive buffer is writable:
    received = PacketBatch(received.buf.copy(), received.start, received.length)
    assert to_vm_frames(received, TO_VM).frames() == expected
