"""Amazon Time Sync (169.254.169.123, fd00:ec2::123): an NTP server on UDP port 123.

Answers an NTPv3/v4 client request (mode 3, RFC 5905 §7.3) with a server reply (mode 4)
in the client's version: stratum 1, reference id "AMZN", reference, receive and transmit
timestamps from the engine clock, and the client's transmit timestamp as origin.
Other modes, other versions and packets shorter than the 48-byte header get no answer;
extension fields and MACs after the header are ignored.
Input: (program, eni_id, frame, now_unix_s); output: zero or one reply frame.
"""

from __future__ import annotations

import struct

from smartnic.compiler.program import Program
from smartnic.dataplane.services.exchange import read_request, udp_reply
from smartnic.packet.l4 import PROTO_UDP

NTP_PORT = 123
NTP_HEADER_BYTES = 48
NTP_UNIX_OFFSET_S = 2208988800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01
MODE_CLIENT, MODE_SERVER = 3, 4
STRATUM = 1
REFERENCE_ID = b"AMZN"
PRECISION_LOG2_S = -20  # about a microsecond
ROOT_DISPERSION_S = 0.0001
_MIN_POLL_LOG2_S, _MAX_POLL_LOG2_S = 4, 17  # RFC 5905 MINPOLL..MAXPOLL
_SUPPORTED_VERSIONS = (3, 4)

# li_vn_mode, stratum, poll, precision, root delay, root dispersion, refid, 4 timestamps
_HEADER = struct.Struct("!BBbbII4sQQQQ")


def answer_ntp(program: Program, eni_id: str, frame: bytes, now_unix_s: float) -> list[bytes]:
    request = read_request(program, eni_id, frame, PROTO_UDP, NTP_PORT)
    if request is None or len(request.payload) < NTP_HEADER_BYTES:
        return []
    first_byte, _, poll, _, _, _, _, _, _, _, client_transmit = _HEADER.unpack_from(
        request.payload, 0
    )
    version, mode = (first_byte >> 3) & 0x7, first_byte & 0x7
    if mode != MODE_CLIENT or version not in _SUPPORTED_VERSIONS:
        return []
    now = ntp_timestamp(now_unix_s)
    reply = _HEADER.pack(
        (version << 3) | MODE_SERVER,  # leap indicator 0: no leap second pending
        STRATUM,
        min(max(poll, _MIN_POLL_LOG2_S), _MAX_POLL_LOG2_S),
        PRECISION_LOG2_S,
        0,  # root delay: a stratum-1 source is its own reference
        round(ROOT_DISPERSION_S * 65536),  # NTP short format, 16.16 fixed point
        REFERENCE_ID,
        now,  # reference: the clock is disciplined continuously
        client_transmit,
        now,
        now,
    )
    return [udp_reply(request, reply)]


def ntp_timestamp(unix_s: float) -> int:
    """64-bit NTP timestamp (32.32 fixed point, seconds wrap per era) of a Unix time."""
    whole_s, fraction_s = divmod(unix_s + NTP_UNIX_OFFSET_S, 1.0)
    fraction = min(int(fraction_s * (1 << 32)), (1 << 32) - 1)
    return ((int(whole_s) & 0xFFFFFFFF) << 32) | fraction
