"""VXLAN header (RFC 7348) with the Group Policy extension (draft-smith-vxlan-group-policy).

Plain: flags(1)=0x08 (I) reserved(3) VNI(3) reserved(1).
GBP:   flags(1)=0x88 (G+I) policy flags(1) group policy id(2) VNI(3) reserved(1).
Any other flag bit is rejected: Linux drops such packets too, so accepting
them would make the data planes disagree.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import BAD_VXLAN_FLAGS, TRUNCATED_VXLAN, MalformedPacket

VXLAN_PORT = 4789
VXLAN_HEADER_BYTES = 8
FLAG_VNI_VALID = 0x08
FLAG_GROUP_POLICY = 0x80
MAX_VNI = 0xFFFFFF

_HEADER = struct.Struct("!BBHI")


@dataclass(frozen=True, slots=True)
class Vxlan:
    """VXLAN header; `group_policy_id` None means plain RFC 7348."""

    vni: int
    group_policy_id: int | None = None
    policy_flags: int = 0

    def pack(self) -> bytes:
        if not 0 <= self.vni <= MAX_VNI:
            raise ValueError(f"VNI out of range: {self.vni}")
        if self.group_policy_id is None:
            return _HEADER.pack(FLAG_VNI_VALID, 0, 0, self.vni << 8)
        flags = FLAG_GROUP_POLICY | FLAG_VNI_VALID
        return _HEADER.pack(flags, self.policy_flags, self.group_policy_id, self.vni << 8)

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Vxlan, int]:
        if len(buf) < offset + VXLAN_HEADER_BYTES:
            raise MalformedPacket(TRUNCATED_VXLAN, f"{len(buf) - offset} bytes")
        flags, policy_flags, policy_id, vni_word = _HEADER.unpack_from(buf, offset)
        end = offset + VXLAN_HEADER_BYTES
        if flags == FLAG_VNI_VALID:
            return cls(vni_word >> 8), end  # reserved fields ignored on receipt (RFC 7348 §5)
        if flags == FLAG_GROUP_POLICY | FLAG_VNI_VALID:
            return cls(vni_word >> 8, policy_id, policy_flags), end
        raise MalformedPacket(BAD_VXLAN_FLAGS, f"flags {flags:#04x}")
