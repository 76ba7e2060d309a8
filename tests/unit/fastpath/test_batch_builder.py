"""BatchBuilder: batches built in kept arrays hold exactly the frames given, with the byte
count the arena sizing relies on, across growth and reuse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.dataplane.fastpath.batch import BatchBuilder, PacketBatch

frames_lists = st.lists(st.lists(st.binary(min_size=0, max_size=300), max_size=40), max_size=6)


@settings(max_examples=200, deadline=None)
@given(frames_lists)
def test_each_build_holds_its_frames_and_their_byte_count(batches: list[list[bytes]]) -> None:
    builder = BatchBuilder(frames=4, buffer_bytes=64)  # small: growth happens
    for frames in batches:
        batch = builder.build(frames)
        assert batch.frames() == frames
        assert batch.frame_bytes == sum(map(len, frames))
        assert len(batch) == len(frames)
        ends = batch.start + batch.length
        assert all(0 <= s and e <= batch.buf.shape[0]
                   for s, e in zip(batch.start.tolist(), ends.tolist(), strict=True))


def test_from_frames_and_repeat_know_their_byte_count() -> None:
    assert PacketBatch.from_frames([b"ab", b"cde"]).frame_bytes == 5
    assert PacketBatch.repeat(b"xyz", 4, stride=8).frame_bytes == 12
