"""UdpUnderlayPort between two namespaces: encapsulate() on one side, decapsulate() on the
other gives back the VNI, the inner frame and the sender's address."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from smartnic.packet import decapsulate, ip_to_int
from smartnic.packet.geneve import GENEVE_PORT
from smartnic.packet.overlay import OverlayKind
from smartnic.ports.udp import UdpUnderlayPort
from tests.unit.ports.udp_overlay import drain
from tests.unit.ports.udp_overlay import overlay_frame as overlay_between

HOST_A, HOST_B = "192.0.2.1", "192.0.2.2"
INNER = bytes.fromhex("0200000000aa0200000000bb0800") + bytes(range(64))


@pytest.fixture
def underlay(make_netns: Callable[[], str], make_veth: Callable[..., tuple[str, str]],
             netns_tools: SimpleNamespace) -> SimpleNamespace:
    ns_a, ns_b = make_netns(), make_netns()
    if_a, if_b = make_veth(ns_a, ns_b)
    netns_tools.ip("addr", "add", f"{HOST_A}/24", "dev", if_a, ns=ns_a)
    netns_tools.ip("addr", "add", f"{HOST_B}/24", "dev", if_b, ns=ns_b)
    return SimpleNamespace(ns_a=ns_a, ns_b=ns_b)


def overlay_frame(inner: bytes, vni: int, kind: OverlayKind = "vxlan") -> bytes:
    return overlay_between(inner, vni, HOST_A, HOST_B, kind)


@pytest.mark.netns
@pytest.mark.parametrize("batched", [True, False], ids=["mmsg", "per-datagram"])
@pytest.mark.parametrize("kind, udp_port", [("vxlan", 4789), ("geneve", GENEVE_PORT)])
def test_overlay_frame_crosses_the_underlay(underlay, open_in_netns, kind: OverlayKind,
                                            udp_port: int, batched: bool) -> None:
    port_a = open_in_netns(underlay.ns_a, lambda: UdpUnderlayPort(HOST_A, udp_port,
                                                                  batched=batched))
    port_b = open_in_netns(underlay.ns_b, lambda: UdpUnderlayPort(HOST_B, udp_port,
                                                                  batched=batched))
    port_a.tx_batch([overlay_frame(INNER, 0x123456, kind)])
    (got,) = drain(port_b, 1)
    header, inner = decapsulate(got)
    assert (header.kind, header.vni, inner) == (kind, 0x123456, INNER)
    assert header.outer_src_ip == ip_to_int(HOST_A)[1]
    assert header.outer_dst_ip == ip_to_int(HOST_B)[1]
    assert (header.udp_src_port, header.udp_dst_port) == (udp_port, udp_port)
    assert got[:12] == bytes.fromhex("025ec0000202025ec0000201")  # 02:5e:<dst>, 02:5e:<src>


@pytest.mark.netns
@pytest.mark.parametrize("batched", [True, False], ids=["mmsg", "per-datagram"])
def test_a_burst_arrives_complete_and_in_order(underlay, open_in_netns, batched: bool) -> None:
    port_a = open_in_netns(underlay.ns_a, lambda: UdpUnderlayPort(HOST_A, batched=batched))
    port_b = open_in_netns(underlay.ns_b, lambda: UdpUnderlayPort(HOST_B, batched=batched))
    inners = [INNER + index.to_bytes(2, "big") * (index % 700) for index in range(500)]
    port_a.tx_batch([overlay_frame(INNER, 999)])  # resolve ARP first: the kernel queues
    assert len(drain(port_b, 1)) == 1  # only ~200 KB of datagrams while it waits
    port_a.tx_batch([overlay_frame(inner, vni) for vni, inner in enumerate(inners)])
    frames = drain(port_b, len(inners))
    assert [decapsulate(frame)[1] for frame in frames] == inners
    assert [decapsulate(frame)[0].vni for frame in frames] == list(range(len(inners)))
    assert port_a.stats["tx_packets"] == len(inners) + 1
    assert port_b.stats["rx_packets"] == len(inners) + 1
    # sendmmsg carries many datagrams a call (a full send buffer may split the burst)
    sends = port_a.stats["tx_sends"]
    assert sends <= 6 if batched else sends == len(inners) + 1


@pytest.mark.netns
def test_a_datagram_larger_than_a_receive_slot_is_counted_not_delivered(
        underlay, open_in_netns) -> None:
    port_a = open_in_netns(underlay.ns_a, lambda: UdpUnderlayPort(HOST_A))
    port_b = open_in_netns(underlay.ns_b, lambda: UdpUnderlayPort(HOST_B, rx_slot_bytes=512))
    small, large = INNER, INNER + bytes(1000)
    port_a.tx_batch([overlay_frame(small, 1), overlay_frame(large, 2), overlay_frame(small, 3)])
    frames = drain(port_b, 2)
    assert [decapsulate(frame)[0].vni for frame in frames] == [1, 3]
    assert port_b.stats["rx_truncated"] == 1


@pytest.mark.netns
@pytest.mark.parametrize("batched", [True, False], ids=["mmsg", "per-datagram"])
def test_frames_that_are_not_ipv4_udp_are_counted_not_sent(underlay, open_in_netns,
                                                           batched: bool) -> None:
    port_a = open_in_netns(underlay.ns_a, lambda: UdpUnderlayPort(HOST_A, batched=batched))
    good = overlay_frame(INNER, 7)
    tcp = good[:23] + b"\x06" + good[24:]
    port_a.tx_batch([INNER, tcp, good[:40]])
    assert port_a.stats["tx_invalid"] == 3
    assert port_a.stats["tx_packets"] == 0


@pytest.mark.netns
@pytest.mark.parametrize("batched", [True, False], ids=["mmsg", "per-datagram"])
def test_an_unreachable_destination_is_counted_and_the_rest_still_go(
        underlay, open_in_netns, batched: bool) -> None:
    port_a = open_in_netns(underlay.ns_a, lambda: UdpUnderlayPort(HOST_A, batched=batched))
    port_b = open_in_netns(underlay.ns_b, lambda: UdpUnderlayPort(HOST_B, batched=batched))
    port_a.tx_batch([overlay_frame(INNER, 1)])
    assert len(drain(port_b, 1)) == 1
    good = overlay_frame(INNER, 2)
    nowhere = good[:30] + bytes([203, 0, 113, 9]) + good[34:]  # no route in ns_a
    port_a.tx_batch([nowhere, good])
    frames = drain(port_b, 1)
    assert [decapsulate(frame)[0].vni for frame in frames] == [2]
    assert port_a.stats["tx_errors"] == 1
    assert port_a.stats["tx_packets"] == 2
