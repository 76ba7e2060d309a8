"""Classify a batch into columns: frames, underlay admission, parse passes, key hashes.

VM side (`classify_vm`): the port's ENI must own the source MAC (else PUNT_SOURCE); then
parse.py; the key is the ENI's tag + the L3/L4 identity (`keys.vm_origin`).
Underlay side (`classify_underlay`): the outer Ethernet/IPv4/UDP go through the same parse
passes (checksums included), then `tunnel` reads VXLAN-GBP or Geneve carrying only our
sender-tag option, and `admit` applies the checks of `intake.receive`: addressed to this
host, from a known host (or the edge), a known VNI, a sender tag living on the outer
source host and belonging to the VNI's VPC (the gateway tag only from the edge), a receiver
ENI of this host named by the inner destination MAC. A failing check is PUNT_ADMISSION: the
slow path drops and counts. What the sender may send (its inner source, its route to the
receiver) depends on the inner packet: admission checks it for new flows (flow entries
exist only for flows that passed it, and the key holds every input of the check).
ICMPv6 redirects are punted like neighbour discovery (PUNT_L2): the engine drops them.
Plain VXLAN (kernel peers: the sender is found by inner MAC, which the flow key does not
hold) and Geneve OAM are punted too. Then the inner frame — from its Ethernet header to
the end of the UDP datagram, as `decapsulate` cuts it — goes through the parse passes.
Key: `keys.underlay_origin` + the inner L3/L4 identity.

Example:
    classify_vm(batch.buf, batch.start, batch.length, eni_mac, eni_tag, keys, info)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from smartnic.dataplane.fastpath import parse as p
from smartnic.dataplane.fastpath.columns import (
    I_END,
    I_L4,
    I_L4_WORD,
    I_PROTO,
    I_START,
    I_STATUS,
    I_VERSION,
)
from smartnic.dataplane.fastpath.flowkey import UNDERLAY_SIDE, VM_SIDE, hash_keys
from smartnic.dataplane.fastpath.wire import be16, be32
from smartnic.dataplane.kernel import kernel

VXLAN_PORT, GENEVE_PORT = 4789, 6081
GATEWAY_TAG, UNKNOWN_TAG = 0xFFFE, 0
SENDER_OPTION_CLASS = 0xFF01
ICMPV6_REDIRECT = 137
KIND_HOST, KIND_VNI, KIND_MAC = 1, 2, 3  # key spaces of Admission.lookup_keys
_KIND_SHIFT = 56


class Admission(NamedTuple):
    """What the underlay checks need from the Program, as arrays."""

    lookup_keys: np.ndarray  # int64 sorted: kind << 56 | host IPv4 / VNI / local ENI MAC
    lookup_values: np.ndarray  # int64: host number / 1 / the ENI's tag
    tag_host: np.ndarray  # int64[65536]: host number of the ENI with that tag, or -1
    tag_vni: np.ndarray  # int64[65536]: VNI of the VPC of the ENI with that tag, or -1
    own: np.ndarray  # int64[2]: own underlay IPv4, the edge's


@kernel
def classify_vm(buf: np.ndarray, start: np.ndarray, length: np.ndarray, eni_mac: int,
                eni_tag: int, keys: np.ndarray, info: np.ndarray) -> None:
    count = start.shape[0]
    for i in range(count):
        begin = start[i]
        info[I_STATUS, i], info[I_START, i], info[I_END, i] = p.OK, begin, begin + length[i]
        keys[i, 5], keys[i, 6] = 0, eni_tag
        if length[i] >= 14:
            if (be16(buf, begin + 6) << 32 | be32(buf, begin + 8)) != eni_mac:
                info[I_STATUS, i] = p.PUNT_SOURCE
    _parse(buf, info, keys, count, VM_SIDE)


@kernel
def classify_underlay(buf: np.ndarray, start: np.ndarray, length: np.ndarray,
                      adm: Admission, keys: np.ndarray, info: np.ndarray) -> None:
    count = start.shape[0]
    for i in range(count):
        info[I_STATUS, i], info[I_START, i] = p.OK, start[i]
        info[I_END, i] = start[i] + length[i]
    p.parse_l3(buf, info, keys, count)
    p.parse_l4(buf, info, keys, count, UNDERLAY_SIDE)
    p.verify_checksums(buf, info, count)
    tunnel(buf, info, keys, count, adm.own[0])
    admit(buf, info, keys, count, adm.lookup_keys, adm.lookup_values, adm.tag_host,
          adm.tag_vni, adm.own[1])
    _parse(buf, info, keys, count, UNDERLAY_SIDE)


@kernel
def _parse(buf: np.ndarray, info: np.ndarray, keys: np.ndarray, count: int, side: int) -> None:
    p.parse_l3(buf, info, keys, count)
    p.parse_l4(buf, info, keys, count, side)
    _punt_redirects(info, count)
    p.verify_checksums(buf, info, count)
    hash_keys(keys, info, count)


@kernel
def _punt_redirects(info: np.ndarray, count: int) -> None:
    """ICMPv6 redirects (type 137) go to the engine's layer-2 handling, never routed."""
    for i in range(count):
        if (info[I_STATUS, i] == p.OK) & (info[I_VERSION, i] == 6) & (
                info[I_PROTO, i] == p.PROTO_ICMPV6):
            if (info[I_L4_WORD, i] >> 24) & 0xFF == ICMPV6_REDIRECT:
                info[I_STATUS, i] = p.PUNT_L2


@kernel
def tunnel(buf: np.ndarray, info: np.ndarray, keys: np.ndarray, count: int,
           own_ip: int) -> None:
    """VXLAN-GBP / Geneve(+sender tag) of parsed outer UDP: inner frame bounds into
    I_START/I_END, outer source << 32 | VNI into w5, sender tag << 16 into w6."""
    for i in range(count):
        if info[I_STATUS, i] != p.OK:
            continue
        if (info[I_VERSION, i] != 4) | (info[I_PROTO, i] != p.PROTO_UDP):
            info[I_STATUS, i] = p.PUNT_FORMAT
            continue
        udp, dport = info[I_L4, i], info[I_L4_WORD, i] & 0xFFFF
        at, end = udp + 8, udp + be16(buf, udp + 4)
        status, tag, inner = p.PUNT_FORMAT, 0, at + 8
        if end - at < 8:
            status = p.PUNT_MALFORMED
        elif dport == VXLAN_PORT:
            flags = buf[at]
            status = p.OK if flags == 0x88 else (p.PUNT_ADMISSION if flags == 0x08
                                                 else p.PUNT_MALFORMED)
            tag = be16(buf, at + 2)
        elif dport == GENEVE_PORT:
            status, tag = _geneve_tag(buf, at, end)
            inner = at + 16
        if (status == p.OK) & (end - inner < 14):
            status = p.PUNT_MALFORMED
        info[I_STATUS, i] = status
        if status != p.OK:
            continue
        if np.int64(keys[i, 3]) != own_ip:
            info[I_STATUS, i] = p.PUNT_ADMISSION
            continue
        vni = be32(buf, at + 4) >> 8
        info[I_START, i], info[I_END, i] = inner, end
        keys[i, 5] = np.uint64((np.int64(keys[i, 1]) << 32) | vni)
        keys[i, 6] = np.uint64(tag << 16)


@kernel
def _geneve_tag(buf: np.ndarray, at: int, end: int) -> tuple[int, int]:
    """(status, sender tag): version 0, one 8-byte option (ours), Ethernet inside, no OAM."""
    if (buf[at] != 2) | (be16(buf, at + 2) != 0x6558) | (end - at < 16):
        return p.PUNT_FORMAT, 0
    if buf[at + 1] & 0x80:
        return p.PUNT_ADMISSION, 0  # OAM
    option = be32(buf, at + 8)  # class, type, reserved bits + length in words
    if (option >> 16 != SENDER_OPTION_CLASS) | ((option >> 8) & 0xFF != 1) | (option & 0x1F != 1):
        return p.PUNT_FORMAT, 0
    tag = be32(buf, at + 12)
    return (p.OK, tag) if tag <= 0xFFFF else (p.PUNT_MALFORMED, 0)


@kernel
def admit(buf: np.ndarray, info: np.ndarray, keys: np.ndarray, count: int,
          lookup_keys: np.ndarray, lookup_values: np.ndarray, tag_host: np.ndarray,
          tag_vni: np.ndarray, edge_ip: int) -> None:
    """`intake.receive`'s checks on source host, VNI and sender; the receiver's tag → w6.
    Packets of a burst share their outer identity: the last verdict is reused for them."""
    last_w5, last_tag, last_mac, last_receiver = np.uint64(0), np.int64(-1), -1, -1
    for i in range(count):
        if info[I_STATUS, i] != p.OK:
            continue
        tag = np.int64(keys[i, 6]) >> 16
        mac = be16(buf, info[I_START, i]) << 32 | be32(buf, info[I_START, i] + 2)
        if (keys[i, 5] != last_w5) | (tag != last_tag) | (mac != last_mac):
            last_w5, last_tag, last_mac = keys[i, 5], tag, mac
            last_receiver = _admitted_receiver(keys[i, 5], int(tag), mac, lookup_keys,
                                               lookup_values, tag_host, tag_vni, edge_ip)
        if last_receiver >= 0:
            keys[i, 6] = np.uint64((tag << 16) | last_receiver)
        else:
            info[I_STATUS, i] = p.PUNT_ADMISSION


@kernel
def _admitted_receiver(w5: np.uint64, tag: int, mac: int, lookup_keys: np.ndarray,
                       lookup_values: np.ndarray, tag_host: np.ndarray, tag_vni: np.ndarray,
                       edge_ip: int) -> int:
    """The receiver's tag when source host, VNI and sender pass, else -1."""
    source, vni = np.int64(w5 >> np.uint64(32)), np.int64(w5) & 0xFFFFFF
    queries = (KIND_HOST << _KIND_SHIFT | source, KIND_VNI << _KIND_SHIFT | vni,
               KIND_MAC << _KIND_SHIFT | mac)
    host, known_vni, receiver = -1, -1, -1
    for q in range(3):  # binary search of each query in the one sorted table
        low, high = 0, lookup_keys.shape[0]
        while low < high:
            middle = (low + high) >> 1
            if lookup_keys[middle] < queries[q]:
                low = middle + 1
            else:
                high = middle
        value = -1
        if low < lookup_keys.shape[0]:
            if lookup_keys[low] == queries[q]:
                value = lookup_values[low]
        if q == 0:
            host = value
        elif q == 1:
            known_vni = value
        else:
            receiver = value
    if tag == GATEWAY_TAG:
        sender_ok = source == edge_ip
    else:
        sender_ok = (tag != UNKNOWN_TAG) & (host >= 0) & (tag_host[tag] == host) & (
            tag_vni[tag] == vni)
    return receiver if sender_ok & (known_vni >= 0) else -1
