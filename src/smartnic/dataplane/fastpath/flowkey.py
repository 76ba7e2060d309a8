"""Flow keys as uint64 words: the identity of `dataplane/keys.py`, packed for the kernels.

    w0, w1  source address (high, low 64 bits; IPv4 in the low word)
    w2, w3  destination address
    w4      side << 48 | ip_version << 40 | proto << 32 | l4_word (parse.py)
    w5      outer source IPv4 << 32 | VNI                       (underlay side; 0 on VMs)
    w6      sender tag << 16 | receiver tag                     (VM side: the ENI's tag)
    w7      hash of w0..w6 (`hash_keys`)

The packing is injective on what the parser produces (TCP/UDP carry no ICMP fields and
ICMP no ports), so two packets share an entry exactly when `keys.py` gives them equal
tuples. `key_words` builds the same words from a `keys.py` tuple for installs.

Example:
    key_words(flow_key(vm_origin(eni.tag), pkt))  # == the row the VM-side passes write
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.fastpath.columns import I_STATUS
from smartnic.dataplane.kernel import kernel

KEY_WORDS = 7  # w7 holds the hash
ROW_WORDS = 8
VM_SIDE = 0
UNDERLAY_SIDE = 1

_SEED = np.uint64(0x9E3779B97F4A7C15)
_MUL = np.uint64(0xFF51AFD7ED558CCD)
_FIN = np.uint64(0xC4CEB9FE1A85EC53)
_S32, _S33 = np.uint64(32), np.uint64(33)
_LOW64 = (1 << 64) - 1


@kernel
def hash_keys(keys: np.ndarray, info: np.ndarray, count: int) -> None:
    """w7 of every row still OK: multiply-xorshift over w0..w6, Murmur3's finalizer last."""
    for i in range(count):
        if info[I_STATUS, i] != 0:
            continue
        h = _SEED
        for j in range(KEY_WORDS):
            h = (h ^ keys[i, j]) * _MUL
            h ^= h >> _S32
        h ^= h >> _S33
        h *= _FIN
        h ^= h >> _S33
        keys[i, KEY_WORDS] = h


def l4_word(proto: int, sport: int, dport: int, icmp_type: int, icmp_code: int,
            icmp_id: int) -> int:
    if proto in (1, 58):
        return icmp_type << 24 | icmp_code << 16 | icmp_id
    return sport << 16 | dport


def key_words(key: tuple[int, ...]) -> np.ndarray:
    """The words (hash included) of a `keys.flow_key` tuple of either side."""
    if key[0] == VM_SIDE:
        outer, tags, l3l4 = 0, key[1], key[2:]
    else:
        _, outer_src, vni, sender_tag, receiver_tag, *rest = key
        outer, tags, l3l4 = outer_src << 32 | vni, sender_tag << 16 | receiver_tag, tuple(rest)
    version, src, dst, proto, sport, dport, icmp_type, icmp_code, icmp_id = l3l4
    word4 = key[0] << 48 | version << 40 | proto << 32 | l4_word(
        proto, sport, dport, icmp_type, icmp_code, icmp_id)
    rows = np.zeros((1, ROW_WORDS), np.uint64)
    rows[0, :KEY_WORDS] = (src >> 64, src & _LOW64, dst >> 64, dst & _LOW64, word4, outer, tags)
    hash_keys(rows, np.zeros((1, 1), np.int64), 1)
    return rows[0]
