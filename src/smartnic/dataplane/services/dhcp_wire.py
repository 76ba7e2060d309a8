"""DHCPv4 message codec, hand-written (RFC 2131 §2 BOOTP layout, RFC 2132 options).

`decode_message` reads the fixed BOOTP fields and the options after the magic cookie into
a `DhcpMessage` (repeated options are concatenated, RFC 3396; option overload into
sname/file is not read); anything else raises `DhcpFormatError`. `encode_reply` writes a
BOOTREPLY echoing the request's xid, flags, ciaddr, giaddr and chaddr.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

BOOTREQUEST, BOOTREPLY = 1, 2
HTYPE_ETHERNET, HLEN_ETHERNET = 1, 6
DISCOVER, OFFER, REQUEST, ACK, NAK = 1, 2, 3, 5, 6

OPT_PAD, OPT_END = 0, 255
OPT_SUBNET_MASK, OPT_ROUTER, OPT_DNS, OPT_DOMAIN_NAME = 1, 3, 6, 15
OPT_INTERFACE_MTU, OPT_BROADCAST_ADDRESS = 26, 28
OPT_REQUESTED_IP, OPT_LEASE_TIME, OPT_MESSAGE_TYPE, OPT_SERVER_ID = 50, 51, 53, 54
OPT_RENEWAL_TIME, OPT_REBINDING_TIME = 58, 59

MAGIC_COOKIE = b"\x63\x82\x53\x63"
# op htype hlen hops xid secs flags ciaddr yiaddr siaddr giaddr chaddr sname file
_FIXED = struct.Struct("!BBBBIHHIIII16s64s128s")
_MIN_BOOTP_BYTES = 300  # old BOOTP clients drop shorter messages (RFC 1542 §3.3)


class DhcpFormatError(ValueError):
    """The bytes are not a DHCP message we can read."""


@dataclass(frozen=True, slots=True)
class DhcpMessage:
    op: int
    htype: int
    hlen: int
    xid: int
    flags: int
    ciaddr: int
    giaddr: int
    chaddr: bytes  # all 16 bytes, as sent
    options: dict[int, bytes]

    def message_type(self) -> int | None:
        value = self.options.get(OPT_MESSAGE_TYPE, b"")
        return value[0] if len(value) == 1 else None

    def address_option(self, code: int) -> int | None:
        value = self.options.get(code, b"")
        return int.from_bytes(value, "big") if len(value) == 4 else None


def decode_message(data: bytes) -> DhcpMessage:
    if len(data) < _FIXED.size + len(MAGIC_COOKIE):
        raise DhcpFormatError("shorter than the BOOTP header and magic cookie")
    op, htype, hlen, _, xid, _, flags, ciaddr, _, _, giaddr, chaddr, _, _ = _FIXED.unpack_from(
        data, 0
    )
    if data[_FIXED.size : _FIXED.size + 4] != MAGIC_COOKIE:
        raise DhcpFormatError("no DHCP magic cookie")
    options = _decode_options(data, _FIXED.size + 4)
    return DhcpMessage(op, htype, hlen, xid, flags, ciaddr, giaddr, chaddr, options)


def _decode_options(data: bytes, offset: int) -> dict[int, bytes]:
    options: dict[int, bytes] = {}
    while offset < len(data):
        code = data[offset]
        if code == OPT_END:
            return options
        if code == OPT_PAD:
            offset += 1
            continue
        if offset + 2 > len(data) or offset + 2 + data[offset + 1] > len(data):
            raise DhcpFormatError(f"option {code} runs past the message")
        value = data[offset + 2 : offset + 2 + data[offset + 1]]
        options[code] = options.get(code, b"") + value
        offset += 2 + len(value)
    return options  # a missing END is tolerated, as most servers do


def encode_reply(request: DhcpMessage, yiaddr: int, options: list[tuple[int, bytes]]) -> bytes:
    fixed = _FIXED.pack(
        BOOTREPLY, request.htype, request.hlen, 0, request.xid, 0, request.flags,
        request.ciaddr, yiaddr, 0, request.giaddr, request.chaddr, b"", b"",
    )  # fmt: skip
    body = b"".join(bytes([code, len(value)]) + value for code, value in options)
    message = fixed + MAGIC_COOKIE + body + bytes([OPT_END])
    return message + bytes(max(0, _MIN_BOOTP_BYTES - len(message)))


def address_bytes(ipv4: int) -> bytes:
    return ipv4.to_bytes(4, "big")


def seconds_bytes(seconds: int) -> bytes:
    return seconds.to_bytes(4, "big")
