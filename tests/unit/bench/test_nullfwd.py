"""The null forwarder's batch rewrites (bench/nullfwd.py) equal the frame-by-frame ones, for
batches below and above the size where numpy takes over."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.nullfwd import OUTER_BYTES, UDP_LENGTH_AT, encapsulated, outer_template, to_vm_frames
from smartnic.dataplane.fastpath.batch import PacketBatch

OUTER = outer_template("198.18.0.1", "198.18.0.2")
TO_VM = bytes(range(1, 13))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=14, max_size=300), max_size=40))
def test_encapsulated_puts_the_outer_header_before_each_frame(frames: list[bytes]) -> None:
    expected = [OUTER[:UDP_LENGTH_AT] + struct.pack("!H", len(f) + 16)
                + OUTER[UDP_LENGTH_AT + 2:] + f for f in frames]
    assert encapsulated(PacketBatch.from_frames(frames), OUTER).frames() == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=200), max_size=40))
def test_to_vm_frames_strip_the_outer_header_and_readdress(datagrams: list[bytes]) -> None:
    expected = [TO_VM + d[OUTER_BYTES + 12:] for d in datagrams if len(d) >= OUTER_BYTES + 14]
    received = PacketBatch.from_frames(datagrams)  # a receive buffer is writable:
    received = PacketBatch(received.buf.copy(), received.start, received.length)
    assert to_vm_frames(received, TO_VM).frames() == expected
