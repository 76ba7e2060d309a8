"""Where things are on the underlay: hosts, VNIs, interface identities and MAC addresses.

- one VNI per VPC (explicit `vni`, else assigned in config order from 1001);
- a 16-bit identity tag per ENI, carried in the overlay so the receiver knows which
  interface sent a packet (SG-R9a); derived from the ENI id so it survives unrelated edits;
- the synthetic MAC of each VPC router and gateway, used when the data plane answers ARP/ND
  and rewrites frames as a router would (ENI-R5).
"""

from __future__ import annotations

import hashlib
import zlib

from smartnic.compiler.sg import GATEWAY_TAG, UNKNOWN_TAG
from smartnic.model.config import Config

FIRST_VNI = 1001
EDGE_UNDERLAY_IP = "198.18.255.254"
EDGE_HOST_ID = "edge"


def assign_vnis(config: Config) -> dict[str, int]:
    taken = {v.vni for v in config.vpcs if v.vni is not None}
    vnis: dict[str, int] = {}
    candidate = FIRST_VNI
    for vpc in config.vpcs:
        if vpc.vni is not None:
            vnis[vpc.id] = vpc.vni
            continue
        while candidate in taken:
            candidate += 1
        vnis[vpc.id] = candidate
        taken.add(candidate)
    return vnis


def assign_tags(config: Config) -> dict[str, int]:
    reserved = {UNKNOWN_TAG, GATEWAY_TAG, 0xFFFF}
    tags: dict[str, int] = {}
    used: set[int] = set()
    for eni in config.enis:
        tag = zlib.crc32(eni.id.encode()) % 0xFFF0 + 1
        while tag in used or tag in reserved:
            tag = tag % 0xFFF0 + 1
        tags[eni.id] = tag
        used.add(tag)
    return tags


def synthetic_mac(name: str) -> bytes:
    """A stable locally administered unicast MAC for a router or gateway."""
    digest = hashlib.sha256(name.encode()).digest()
    return bytes([0x0E]) + digest[:5]
