"""Names the VPC's services hand out: private DNS hostnames, the domain, instance ids.

Shared by DNS (answers), DHCP (domain-name option) and metadata (local-hostname), so the
three always agree. Inputs: the region and EniViews; outputs: text.
"""

from __future__ import annotations

import hashlib

from smartnic.compiler.program import Program
from smartnic.compiler.views import EniView

_LEGACY_REGION = "us-east-1"  # the one region whose private domain is ec2.internal (DHCP-R1)


def private_domain(region: str) -> str:
    """The DHCP domain name and private DNS zone of a region (DHCP-R1)."""
    return "ec2.internal" if region == _LEGACY_REGION else f"{region}.compute.internal"


def private_zones(region: str) -> tuple[str, ...]:
    """Zones Amazon DNS is authoritative for; us-east-1 also keeps the regional form."""
    regional = f"{region}.compute.internal"
    return ("ec2.internal", regional) if region == _LEGACY_REGION else (regional,)


def ip_label(ipv4: int) -> str:
    """`ip-10-0-1-10`: the IP-based hostname label of an IPv4 address."""
    return "ip-" + "-".join(str((ipv4 >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def private_hostname(ipv4: int, region: str) -> str:
    return f"{ip_label(ipv4)}.{private_domain(region)}"


def instance_id_of(eni: EniView) -> str:
    """The ENI's instance id, or a stable `i-` + 17 hex digits derived from the ENI id."""
    if eni.instance_id:
        return eni.instance_id
    return "i-" + hashlib.sha256(eni.id.encode()).hexdigest()[:17]


def instance_enis(program: Program, eni: EniView) -> list[EniView]:
    """The ENIs attached to the same instance as `eni` (itself alone when it has no id)."""
    if not eni.instance_id:
        return [eni]
    return [other for other in program.enis.values() if other.instance_id == eni.instance_id]
