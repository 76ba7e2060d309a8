"""The instance metadata an ENI's VM sees, as a tree of paths (IMDS, IMDSv1 paths).

`metadata_tree(program, eni)` builds `{"latest": {"meta-data": {...}}}`: leaves are the
text bodies, inner nodes are listed one entry a line with a trailing "/" on directories.
`lookup(tree, path)` returns the body for an HTTP path, or None (404). Entries that do
not apply (public-ipv4 without a public address, IPv6 lists without IPv6) are absent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

from smartnic.compiler.cidr import format_ip
from smartnic.compiler.program import Program
from smartnic.compiler.views import EniView
from smartnic.dataplane.services.names import instance_enis, instance_id_of, private_hostname
from smartnic.packet.addr import bytes_to_mac

Tree: TypeAlias = dict[str, "str | Tree"]


def metadata_tree(program: Program, eni: EniView) -> Tree:
    region = program.config.region
    hostname = private_hostname(eni.primary_ipv4, region)
    meta: Tree = {
        "hostname": hostname,
        "local-hostname": hostname,
        "instance-id": instance_id_of(eni),
        "local-ipv4": format_ip(4, eni.primary_ipv4),
        "mac": bytes_to_mac(eni.mac),
        "placement": {"region": region},
        "security-groups": _lines(_sg_names(program, eni)),
        "services": {"domain": "amazonaws.com", "partition": "aws"},
        "network": {"interfaces": {"macs": {
            bytes_to_mac(e.mac): _interface(program, e, n)
            for n, e in enumerate(instance_enis(program, eni))
        }}},
    }  # fmt: skip
    if eni.instance_type:
        meta["instance-type"] = eni.instance_type
    if eni.public_ipv4 is not None:
        meta["public-ipv4"] = format_ip(4, eni.public_ipv4)
    if eni.ipv6:
        meta["ipv6"] = format_ip(6, min(eni.ipv6))
    return {"latest": {"meta-data": meta}}


def _interface(program: Program, eni: EniView, device_number: int) -> Tree:
    subnet, vpc = program.subnet_of(eni), program.vpcs[eni.vpc_id]
    secondary = sorted(eni.ipv4 - {eni.primary_ipv4})
    node: Tree = {
        "device-number": str(device_number),
        "interface-id": eni.id,
        "local-hostname": private_hostname(eni.primary_ipv4, program.config.region),
        "local-ipv4s": _lines(format_ip(4, a) for a in [eni.primary_ipv4, *secondary]),
        "mac": bytes_to_mac(eni.mac),
        "owner-id": program.config.account_id,
        "security-group-ids": _lines(eni.sg_ids),
        "subnet-id": subnet.id,
        "subnet-ipv4-cidr-block": str(subnet.cidr),
        "vpc-id": vpc.id,
        "vpc-ipv4-cidr-block": str(vpc.cidrs[0]),
        "vpc-ipv4-cidr-blocks": _lines(str(c) for c in vpc.cidrs),
    }
    if eni.public_ipv4 is not None:
        node["public-ipv4s"] = format_ip(4, eni.public_ipv4)
    if eni.ipv6:
        node["ipv6s"] = _lines(format_ip(6, a) for a in sorted(eni.ipv6))
        node["vpc-ipv6-cidr-blocks"] = _lines(str(c) for c in vpc.ipv6_cidrs)
        if subnet.ipv6_cidr is not None:
            node["subnet-ipv6-cidr-blocks"] = str(subnet.ipv6_cidr)
    return node


def lookup(tree: Tree, path: str) -> str | None:
    """The body at `path` ("/latest/meta-data/mac"); a directory gives its listing."""
    node: str | Tree = tree
    for part in (p for p in path.split("/") if p):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, str):
        return node
    entries = sorted(node.items())
    return _lines(f"{key}/" if isinstance(value, dict) else key for key, value in entries)


def _sg_names(program: Program, eni: EniView) -> list[str]:
    """Group names as EC2 reports them, falling back to ids for unnamed groups."""
    names = {sg.id: sg.name or sg.id for sg in program.config.security_groups}
    return [names.get(sg_id, sg_id) for sg_id in eni.sg_ids]


def _lines(items: Iterable[str]) -> str:
    return "\n".join(items)
