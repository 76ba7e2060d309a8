"""Where ENIs live and what their MAC addresses are (normalization helpers).

* `assign_macs`: every ENI without a `mac` gets one derived from its id by hashing —
  stable across runs, locally administered unicast with first octet 02/06/0a/0e (ENI-R4),
  unique among the config's ENIs (a collision re-hashes with a counter).
* `place_enis`: hosts from the config, or `host-1..3` when there are none; ENIs a host
  does not list go, in config order, to the host with the fewest ENIs (ties: host order);
  hosts without `underlay_ip` get 198.18.0.<n> (n = 1-based host index).
"""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address

from smartnic.model.config import Eni, Host

DEFAULT_HOST_COUNT = 3
UNDERLAY_BASE = IPv4Address("198.18.0.0")


def derived_mac(eni_id: str, attempt: int = 0) -> str:
    digest = hashlib.sha256(f"{eni_id}#{attempt}".encode()).digest()
    # Low nibble 0b0010 of the first octet: locally administered, unicast (ENI-R4).
    first = 0x02 | ((digest[0] & 0x03) << 2)
    return ":".join(f"{octet:02x}" for octet in (first, *digest[1:6]))


def assign_macs(enis: list[Eni]) -> list[Eni]:
    used = {eni.mac for eni in enis if eni.mac is not None}
    assigned = []
    for eni in enis:
        if eni.mac is None:
            attempt = 0
            while (mac := derived_mac(eni.id, attempt)) in used:
                attempt += 1
            used.add(mac)
            eni = eni.model_copy(update={"mac": mac})
        assigned.append(eni)
    return assigned


def place_enis(hosts: list[Host], enis: list[Eni]) -> list[Host]:
    if not hosts:
        hosts = [Host(id=f"host-{n}") for n in range(1, DEFAULT_HOST_COUNT + 1)]
    listed = {eni_id for host in hosts for eni_id in host.enis}
    placed = [list(host.enis) for host in hosts]
    for eni in enis:
        if eni.id not in listed:
            emptiest = min(range(len(placed)), key=lambda i: (len(placed[i]), i))
            placed[emptiest].append(eni.id)
    return [
        host.model_copy(
            update={
                "enis": placed[n],
                "underlay_ip": host.underlay_ip or str(UNDERLAY_BASE + n + 1),
            }
        )
        for n, host in enumerate(hosts)
    ]
