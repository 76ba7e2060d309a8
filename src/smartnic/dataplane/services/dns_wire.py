"""DNS message codec, hand-written (RFC 1035 §4.1; EDNS0 OPT from RFC 6891).

Decodes only what a stub resolver's query holds — header, one question, and the OPT
record among the other sections — and encodes responses whose answers all own the
question name (a compression pointer to it). Input: UDP payload bytes; output: `Query`,
or `DnsFormatError` for anything that is not a well-formed query.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

CLASS_IN = 1
TYPE_A, TYPE_PTR, TYPE_AAAA, TYPE_OPT, TYPE_ANY = 1, 12, 28, 41, 255
RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_NOTIMP, RCODE_REFUSED = 0, 3, 4, 5
OPCODE_QUERY = 0

FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD = 0x8000, 0x0400, 0x0200, 0x0100
HEADER_BYTES = 12
PLAIN_UDP_BYTES = 512  # the largest response a client without EDNS accepts (RFC 1035 §4.2.1)
OUR_EDNS_UDP_BYTES = 1232  # the payload size the 2020 DNS flag day settled on

_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, ttl, rdlength
_QUESTION_FIXED = struct.Struct("!HH")
_POINTER_TO_QUESTION = b"\xc0\x0c"  # the question name sits right after the header
_MAX_NAME_BYTES = 255
_MAX_LABEL_BYTES = 63


class DnsFormatError(ValueError):
    """The bytes are not a DNS query we can read."""


@dataclass(frozen=True, slots=True)
class Query:
    id: int
    flags: int
    labels: tuple[bytes, ...]  # the question name as sent (case kept for the echo)
    qtype: int
    qclass: int
    edns_udp_bytes: int | None  # the client's OPT payload size; None without EDNS

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def name(self) -> str:
        """Lower-case dotted name, without the trailing dot, for matching."""
        return ".".join(label.decode("latin-1") for label in self.labels).lower()


@dataclass(frozen=True, slots=True)
class Record:
    """A resource record owned by the question name."""

    rtype: int
    ttl_s: int
    rdata: bytes


def decode_query(data: bytes) -> Query:
    if len(data) < HEADER_BYTES:
        raise DnsFormatError("shorter than a DNS header")
    ident, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data, 0)
    if flags & FLAG_QR or qdcount != 1:
        raise DnsFormatError("not a query with exactly one question")
    labels, offset = _read_question_name(data, HEADER_BYTES)
    qtype, qclass = _unpack(_QUESTION_FIXED, data, offset)
    offset += _QUESTION_FIXED.size
    edns_udp_bytes = None
    for index in range(ancount + nscount + arcount):
        offset = _skip_name(data, offset)
        rtype, rclass, _, rdlength = _unpack(_RR_FIXED, data, offset)
        offset += _RR_FIXED.size + rdlength
        if offset > len(data):
            raise DnsFormatError("record data runs past the message")
        if rtype == TYPE_OPT and index >= ancount + nscount:
            edns_udp_bytes = max(rclass, PLAIN_UDP_BYTES)  # smaller values mean 512 (§6.2.5)
    return Query(ident, flags, labels, qtype, qclass, edns_udp_bytes)


def encode_response(query: Query, rcode: int, authoritative: bool, records: list[Record]) -> bytes:
    """The response to `query`; answers that do not fit the client's limit set TC instead."""
    limit_bytes = PLAIN_UDP_BYTES
    opt = b""
    if query.edns_udp_bytes is not None:
        limit_bytes = min(query.edns_udp_bytes, OUR_EDNS_UDP_BYTES)
        opt = b"\x00" + _RR_FIXED.pack(TYPE_OPT, OUR_EDNS_UDP_BYTES, 0, 0)
    question = encode_name(query.labels) + _QUESTION_FIXED.pack(query.qtype, query.qclass)
    answers = b"".join(
        _POINTER_TO_QUESTION + _RR_FIXED.pack(r.rtype, CLASS_IN, r.ttl_s, len(r.rdata)) + r.rdata
        for r in records
    )
    flags = FLAG_QR | (query.flags & (0x7800 | FLAG_RD)) | rcode  # opcode and RD copied
    if authoritative:
        flags |= FLAG_AA
    answer_count = len(records)
    if HEADER_BYTES + len(question) + len(answers) + len(opt) > limit_bytes:
        flags, answers, answer_count = flags | FLAG_TC, b"", 0
    header = _HEADER.pack(query.id, flags, 1, answer_count, 0, 1 if opt else 0)
    return header + question + answers + opt


def encode_name(labels: tuple[bytes, ...] | list[bytes]) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def _read_question_name(data: bytes, offset: int) -> tuple[tuple[bytes, ...], int]:
    """Labels of an uncompressed name: nothing precedes the question to point at."""
    labels: list[bytes] = []
    wire_bytes = 1
    while True:
        if offset >= len(data):
            raise DnsFormatError("name runs past the message")
        length = data[offset]
        if length == 0:
            return tuple(labels), offset + 1
        if length > _MAX_LABEL_BYTES:
            raise DnsFormatError("compressed or oversized label in the question")
        label = data[offset + 1 : offset + 1 + length]
        wire_bytes += length + 1
        if len(label) != length or wire_bytes > _MAX_NAME_BYTES:
            raise DnsFormatError("label runs past the message or name too long")
        labels.append(label)
        offset += length + 1


def _skip_name(data: bytes, offset: int) -> int:
    """Offset after a possibly compressed name; pointers are not followed, only passed."""
    while offset < len(data):
        length = data[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            return offset + 2
        if length > _MAX_LABEL_BYTES:
            raise DnsFormatError("reserved label type")
        offset += length + 1
    raise DnsFormatError("name runs past the message")


def _unpack(layout: struct.Struct, data: bytes, offset: int) -> tuple[int, ...]:
    if offset + layout.size > len(data):
        raise DnsFormatError("message ends inside a fixed field")
    return layout.unpack_from(data, offset)
