"""IPv4 fragmentation (RFC 791 §3.2), for tests and for simulating routers.

Each fragment repeats the Ethernet header, carries data in multiples of 8
bytes (except the last), and keeps only the options marked "copied" after
the first fragment. Fragmenting a fragment keeps its offset and MF.
"""

from __future__ import annotations

from dataclasses import replace

from smartnic.packet.ethernet import ETHERTYPE_IPV4, Ethernet
from smartnic.packet.frames import pad_frame
from smartnic.packet.ipv4 import IPV4_HEADER_BYTES, Ipv4, options_for_later_fragments


def fragment_ipv4(frame: bytes, mtu_bytes: int) -> list[bytes]:
    """Split an IPv4 frame so every IP packet is at most `mtu_bytes`.

    Returns the frame unchanged (in a list) if it already fits. Raises
    ValueError if DF is set or the MTU leaves no room for 8 data bytes.
    """
    ethernet, l3_offset = Ethernet.unpack(frame, 0)
    if ethernet.ethertype != ETHERTYPE_IPV4:
        raise ValueError("not an IPv4 frame")
    header, data_start = Ipv4.unpack(frame, l3_offset)
    if header.total_length <= mtu_bytes:
        return [frame]
    if header.df:
        raise ValueError("cannot fragment: DF is set")
    data = frame[data_start : l3_offset + header.total_length]
    later_options = options_for_later_fragments(header.options)
    link_header = ethernet.pack()
    fragments: list[bytes] = []
    position = 0
    while position < len(data):
        options = header.options if position == 0 else later_options
        room_bytes = (mtu_bytes - IPV4_HEADER_BYTES - len(options)) // 8 * 8
        if room_bytes <= 0:
            raise ValueError(f"MTU {mtu_bytes} leaves no room for fragment data")
        chunk = data[position : position + room_bytes]
        is_last = position + len(chunk) == len(data)
        fragment_header = replace(
            header,
            total_length=IPV4_HEADER_BYTES + len(options) + len(chunk),
            mf=header.mf or not is_last,
            fragment_offset_bytes=header.fragment_offset_bytes + position,
            options=options,
            checksum=None,
        )
        fragments.append(pad_frame(link_header + fragment_header.pack() + chunk))
        position += len(chunk)
    return fragments
