"""AWS describe-* objects → native config objects (one converter per object kind).

Input: the item lists of the describe outputs, grouped by top-level key (`Vpcs`,
`SecurityGroups`, ...). Output: plain dicts in the native schema (`model.config`), which
`load_config` then normalizes and validates. Only associated CIDR blocks, attached gateways
and live peerings are kept; the implicit local routes and `*` NACL rules are skipped.
"""

from __future__ import annotations

from typing import Any

from smartnic.model.aws_rules import (
    PROPAGATED_ORIGIN,
    nacl_rule_from_entry,
    route_from_aws,
    sg_rules_from_permission,
)

Sections = dict[str, list[dict[str, Any]]]
# Block states that are not (or no longer) part of the VPC/subnet; anything else, normally
# "associated", is kept.
UNASSOCIATED_STATES = {"associating", "disassociating", "disassociated", "failing", "failed"}
DEAD_PEERING_CODES = {"deleted", "deleting", "rejected", "failed", "expired"}
ATTACHED_STATES = {"available", "attached"}


def _associated(blocks: list[dict[str, Any]], cidr_key: str, state_key: str) -> list[str]:
    return [
        block[cidr_key]
        for block in blocks
        if block.get(state_key, {}).get("State") not in UNASSOCIATED_STATES and block.get(cidr_key)
    ]


def _in_vpc(sections: Sections, key: str, vpc_id: str) -> list[dict[str, Any]]:
    return [item for item in sections.get(key, []) if item.get("VpcId") == vpc_id]


def _vpc_defaults(sections: Sections, vpc_id: str) -> dict[str, str]:
    """The VPC's default SG (GroupName default), default NACL and main route table."""
    found = {
        "default_sg": [
            sg["GroupId"]
            for sg in _in_vpc(sections, "SecurityGroups", vpc_id)
            if sg.get("GroupName") == "default"
        ],
        "default_nacl": [
            acl["NetworkAclId"]
            for acl in _in_vpc(sections, "NetworkAcls", vpc_id)
            if acl.get("IsDefault")
        ],
        "main_route_table": [
            table["RouteTableId"]
            for table in _in_vpc(sections, "RouteTables", vpc_id)
            if any(assoc.get("Main") for assoc in table.get("Associations", []))
        ],
    }
    return {field: ids[0] for field, ids in found.items() if ids}


def convert_vpc(vpc: dict[str, Any], sections: Sections) -> dict[str, Any]:
    vpc_id = vpc["VpcId"]
    cidrs = _associated(vpc.get("CidrBlockAssociationSet", []), "CidrBlock", "CidrBlockState")
    primary = vpc.get("CidrBlock")
    if primary in cidrs:  # the primary block first (ADDR-R1)
        cidrs.remove(primary)
    cidrs = ([primary] if primary else []) + cidrs
    ipv6 = _associated(
        vpc.get("Ipv6CidrBlockAssociationSet", []), "Ipv6CidrBlock", "Ipv6CidrBlockState"
    )
    return {"id": vpc_id, "cidrs": cidrs, "ipv6_cidrs": ipv6, **_vpc_defaults(sections, vpc_id)}


def convert_subnet(subnet: dict[str, Any], sections: Sections) -> dict[str, Any]:
    subnet_id = subnet["SubnetId"]
    native: dict[str, Any] = {
        "id": subnet_id,
        "vpc": subnet.get("VpcId"),
        "cidr": subnet.get("CidrBlock"),
    }
    ipv6 = _associated(
        subnet.get("Ipv6CidrBlockAssociationSet", []), "Ipv6CidrBlock", "Ipv6CidrBlockState"
    )
    if ipv6:
        native["ipv6_cidr"] = ipv6[0]
    if subnet.get("AvailabilityZoneId"):
        native["availability_zone_id"] = subnet["AvailabilityZoneId"]
    for acl in sections.get("NetworkAcls", []):
        if any(a.get("SubnetId") == subnet_id for a in acl.get("Associations", [])):
            native["nacl"] = acl["NetworkAclId"]
    for table in sections.get("RouteTables", []):
        if any(a.get("SubnetId") == subnet_id for a in table.get("Associations", [])):
            native["route_table"] = table["RouteTableId"]
    return native


def convert_security_group(
    sg: dict[str, Any], owner: str, group_vpcs: dict[str, str]
) -> dict[str, Any]:
    sg_id, vpc_id = sg["GroupId"], sg.get("VpcId", "")
    rules: dict[str, list[dict[str, Any]]] = {"ingress": [], "egress": []}
    for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        for permission in sg.get(key, []):
            rules[direction] += sg_rules_from_permission(
                permission, sg_id, owner, vpc_id, group_vpcs
            )
    # Both lists are explicit: an SG without egress rules allows no egress (SG-R13).
    return {
        "id": sg_id,
        "vpc": vpc_id,
        "name": sg.get("GroupName"),
        "default": sg.get("GroupName") == "default",
        **rules,
    }


def convert_nacl(acl: dict[str, Any]) -> dict[str, Any]:
    native: dict[str, Any] = {
        "id": acl["NetworkAclId"],
        "vpc": acl.get("VpcId"),
        "ingress": [],
        "egress": [],
    }
    for entry in acl.get("Entries", []):
        converted = nacl_rule_from_entry(entry, acl["NetworkAclId"])
        if converted is not None:
            direction, rule = converted
            native[direction].append(rule)
    return native


def convert_route_table(table: dict[str, Any], instance_enis: dict[str, str]) -> dict[str, Any]:
    table_id = table["RouteTableId"]
    routes = [route_from_aws(route, table_id, instance_enis) for route in table.get("Routes", [])]
    associations = table.get("Associations", [])
    return {
        "id": table_id,
        "vpc": table.get("VpcId"),
        "main": any(assoc.get("Main") for assoc in associations),
        "routes": [route for route in routes if route is not None],
        "edge_associations": [a["GatewayId"] for a in associations if a.get("GatewayId")],
    }


def convert_eni(eni: dict[str, Any]) -> dict[str, Any]:
    addresses = sorted(eni.get("PrivateIpAddresses", []), key=lambda a: not a.get("Primary"))
    ips = [a["PrivateIpAddress"] for a in addresses if a.get("PrivateIpAddress")]
    if not ips and eni.get("PrivateIpAddress"):
        ips = [eni["PrivateIpAddress"]]
    native: dict[str, Any] = {
        "id": eni["NetworkInterfaceId"],
        "subnet": eni.get("SubnetId"),
        "ips": ips,
        "sgs": [group["GroupId"] for group in eni.get("Groups", [])],
        "src_dst_check": eni.get("SourceDestCheck", True),
        "interface_type": eni.get("InterfaceType", "interface"),
    }
    ipv6 = [a["Ipv6Address"] for a in eni.get("Ipv6Addresses", []) if a.get("Ipv6Address")]
    public_ip = (eni.get("Association") or {}).get("PublicIp")
    optional = {
        "ipv6": ipv6,
        "public_ip": public_ip,
        "mac": eni.get("MacAddress"),
        "instance_id": (eni.get("Attachment") or {}).get("InstanceId"),
    }
    native.update({key: value for key, value in optional.items() if value})
    return native


def instance_primary_enis(enis: list[dict[str, Any]]) -> dict[str, str]:
    """InstanceId → the ENI at device index 0 (else the first one seen)."""
    by_instance: dict[str, str] = {}
    for eni in sorted(enis, key=lambda e: (e.get("Attachment") or {}).get("DeviceIndex", 99)):
        instance = (eni.get("Attachment") or {}).get("InstanceId")
        if instance:
            by_instance.setdefault(instance, eni["NetworkInterfaceId"])
    return by_instance


def convert_peering(peering: dict[str, Any], vpc_ids: set[str]) -> dict[str, Any] | None:
    """A peering between two VPCs of the dump; dead ones and far sides outside are dropped."""
    code = (peering.get("Status") or {}).get("Code", "")
    side_a = (peering.get("RequesterVpcInfo") or {}).get("VpcId")
    side_b = (peering.get("AccepterVpcInfo") or {}).get("VpcId")
    if code in DEAD_PEERING_CODES or side_a not in vpc_ids or side_b not in vpc_ids:
        return None
    return {"id": peering["VpcPeeringConnectionId"], "a": side_a, "b": side_b, "state": code}


def convert_gateway(gateway_id: str, attachments: list[dict[str, Any]]) -> dict[str, Any] | None:
    attached = [a["VpcId"] for a in attachments if a.get("State") in ATTACHED_STATES]
    return {"id": gateway_id, "vpc": attached[0]} if attached else None


def propagating_vgws(sections: Sections, described: set[str]) -> list[dict[str, Any]]:
    """VPN gateways the dump does not describe but whose routes propagate into a table:
    AWS propagates only from a gateway attached to the table's VPC (RT-R4), so each is
    attached there."""
    implied: dict[str, dict[str, Any]] = {}
    for table in sections.get("RouteTables", []):
        for route in table.get("Routes", []):
            gateway = route.get("GatewayId")
            propagated = route.get("Origin") == PROPAGATED_ORIGIN
            if propagated and isinstance(gateway, str) and gateway not in described:
                implied.setdefault(gateway, {"id": gateway, "vpc": table.get("VpcId")})
    return list(implied.values())


def convert_prefix_list(prefix_list: dict[str, Any], entries: list[str]) -> dict[str, Any]:
    native: dict[str, Any] = {
        "id": prefix_list["PrefixListId"],
        "max_entries": prefix_list.get("MaxEntries") or max(1, len(entries)),
        "entries": entries,
        "aws_managed": prefix_list.get("OwnerId") == "AWS",
    }
    if prefix_list.get("AddressFamily") in ("IPv4", "IPv6"):
        native["address_family"] = prefix_list["AddressFamily"]
    return native
