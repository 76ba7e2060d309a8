"""The batched UDP underlay's vectorised frame check agrees with the per-frame one
(`_udp_target`) on every frame: the same frames refused, the same payloads and
destinations for the rest, in order."""

from __future__ import annotations

import socket

from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.packet import encapsulate, ip_to_int
from smartnic.ports.udp import _udp_target, udp_targets

INNER = bytes.fromhex("0200000000aa0200000000bb0800") + bytes(range(40))


def overlay(dst_ip: str, dst_port_kind: str = "vxlan") -> bytes:
    return encapsulate(INNER, kind=dst_port_kind, vni=5, outer_src_mac="02:00:00:00:00:01",
                       outer_dst_mac="02:00:00:00:00:02", outer_src_ip=ip_to_int("192.0.2.1")[1],
                       outer_dst_ip=ip_to_int(dst_ip)[1], udp_src_port=50000)


def mutated(frame: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    data = bytearray(frame)
    for offset, value in edits:
        data[offset % len(data)] = value
    return bytes(data[:cut]) if cut is not None else bytes(data)


frames_strategy = st.lists(
    st.builds(mutated,
              st.sampled_from([overlay("192.0.2.2"), overlay("10.9.8.7", "geneve")]),
              st.lists(st.tuples(st.integers(0, 60), st.integers(0, 255)), max_size=3),
              st.one_of(st.none(), st.integers(0, 120))),
    max_size=12)


@settings(max_examples=300, deadline=None)
@given(frames_strategy)
def test_vectorised_check_matches_the_per_frame_check(frames: list[bytes]) -> None:
    expected = [t for t in map(_udp_target, frames) if t is not None]
    got = udp_targets(frames)
    if not expected:
        assert got is None
        return
    assert got is not None
    (buffer, starts, lengths), (ips, ports), refused = got
    assert refused == len(frames) - len(expected)
    payloads = [buffer[s:s + n].tobytes() for s, n in zip(starts.tolist(), lengths.tolist(),
                                                          strict=True)]
    assert payloads == [bytes(payload) for payload, _ in expected]
    destinations = [(socket.inet_ntoa(ip.tobytes()), int(port[0]) << 8 | int(port[1]))
                    for ip, port in zip(ips, ports, strict=True)]
    assert destinations == [address for _, address in expected]


def test_frames_that_are_all_wrong_give_none() -> None:
    assert udp_targets([b"", b"\x00" * 60]) is None
