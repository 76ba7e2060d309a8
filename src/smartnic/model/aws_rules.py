"""EC2 API rule structures → native rule mappings (shared by `aws_json` and `ec2_api`).

* `sg_rules_from_permission`: one IpPermission (IpProtocol, FromPort, ToPort, IpRanges,
  Ipv6Ranges, PrefixListIds, UserIdGroupPairs) → one native SG rule per peer (SG-R4..R7).
* `nacl_rule_from_entry`: one NetworkAclEntry (RuleNumber, Protocol, RuleAction, Egress,
  CidrBlock/Ipv6CidrBlock, PortRange, IcmpTypeCode) → (direction, native NACL rule), or
  None for the implicit `*` rules 32767/32768 (NACL-R4).
* `route_from_aws`: one Route → native route, or None for the implicit local route (RT-R2).
"""

from __future__ import annotations

from typing import Any

from smartnic.model.aws_shapes import integer, items, mapping, optional_integer, text
from smartnic.model.errors import ConfigError
from smartnic.model.protocols import canonical_protocol

IMPLICIT_NACL_RULES = (32767, 32768)
ROUTE_TARGET_KEYS = (
    "NetworkInterfaceId", "InstanceId", "GatewayId", "NatGatewayId", "VpcPeeringConnectionId",
    "TransitGatewayId", "EgressOnlyInternetGatewayId", "LocalGatewayId", "CarrierGatewayId",
    "CoreNetworkArn",
)  # fmt: skip
PROPAGATED_ORIGIN = "EnableVgwRoutePropagation"
PEER_KEYS = (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6"), ("PrefixListIds", "PrefixListId"))


def traffic_fields(
    proto: str | int, low: Any, high: Any, object_id: str, field: str
) -> dict[str, Any]:
    """Port / ICMP fields from EC2's (FromPort, ToPort) or (From, To) pair (SG-R6)."""
    low = optional_integer(low, object_id, field)
    high = optional_integer(high, object_id, field)
    if proto in ("tcp", "udp"):
        if low is None or high is None or low == -1:
            return {"ports": "0-65535"}
        return {"ports": f"{low}-{high}"}
    if proto in ("icmp", "icmpv6"):
        return {
            "icmp_type": -1 if low is None else low,
            "icmp_code": -1 if high is None else high,
        }
    return {}


def _group_peer(pair: dict[str, Any], owner: str, vpc_id: str, group_vpcs: dict[str, str]) -> str:
    group_id = str(pair.get("GroupId", ""))
    account = str(pair.get("UserId") or owner)
    foreign_vpc = group_vpcs.get(group_id, pair.get("VpcId") or vpc_id) != vpc_id
    if foreign_vpc or account != owner or pair.get("VpcPeeringConnectionId"):
        return f"{account}/{group_id}"
    return group_id


def sg_rules_from_permission(
    permission: dict[str, Any],
    object_id: str,
    owner: str,
    vpc_id: str,
    group_vpcs: dict[str, str],
) -> list[dict[str, Any]]:
    permission = mapping(permission, object_id, "IpPermissions")
    proto = canonical_protocol(permission.get("IpProtocol"), object_id, "IpProtocol")
    traffic = {"proto": proto}
    low, high = permission.get("FromPort"), permission.get("ToPort")
    traffic.update(traffic_fields(proto, low, high, object_id, "IpPermissions.FromPort"))
    peers: list[tuple[Any, Any]] = []
    for key, peer_key in PEER_KEYS:
        for peer in items(permission.get(key), object_id, f"IpPermissions.{key}"):
            peers.append((peer.get(peer_key), peer.get("Description")))
    peers += [
        (_group_peer(pair, owner, vpc_id, group_vpcs), pair.get("Description"))
        for pair in items(permission.get("UserIdGroupPairs"), object_id, "UserIdGroupPairs")
    ]
    rules = []
    for peer, description in peers:
        if not isinstance(peer, str) or not peer:
            raise ConfigError(object_id, "IpPermissions", f"a permission has no peer: {permission}")
        rule = {**traffic, "peer": peer}
        if isinstance(description, str) and description:
            rule["description"] = description
        rules.append(rule)
    return rules


def nacl_rule_from_entry(
    entry: dict[str, Any], object_id: str
) -> tuple[str, dict[str, Any]] | None:
    number = integer(entry.get("RuleNumber"), object_id, "RuleNumber")
    if number in IMPLICIT_NACL_RULES:
        return None
    proto = canonical_protocol(entry.get("Protocol"), object_id, "Protocol")
    rule: dict[str, Any] = {
        "n": number,
        "action": text(entry.get("RuleAction"), object_id, "RuleAction").lower(),
        "proto": proto,
        "cidr": text(entry.get("CidrBlock") or entry.get("Ipv6CidrBlock"), object_id, "CidrBlock"),
    }
    port_range = mapping(entry.get("PortRange"), object_id, "PortRange")
    icmp = mapping(entry.get("IcmpTypeCode"), object_id, "IcmpTypeCode")
    if proto in ("tcp", "udp"):
        low, high = port_range.get("From"), port_range.get("To")
        rule.update(traffic_fields(proto, low, high, object_id, "PortRange"))
    elif proto in ("icmp", "icmpv6") and icmp:
        rule.update(
            traffic_fields(proto, icmp.get("Type"), icmp.get("Code"), object_id, "IcmpTypeCode")
        )
    return ("egress" if entry.get("Egress") else "ingress"), rule


def route_from_aws(
    route: dict[str, Any], object_id: str, instance_enis: dict[str, str]
) -> dict[str, Any] | None:
    if route.get("GatewayId") == "local":
        return None
    dst = (
        route.get("DestinationCidrBlock")
        or route.get("DestinationIpv6CidrBlock")
        or route.get("DestinationPrefixListId")
    )
    target_key = next((key for key in ROUTE_TARGET_KEYS if route.get(key)), None)
    if dst is None or target_key is None:
        raise ConfigError(object_id, "Routes", f"a route needs a destination and a target: {route}")
    target = str(route[target_key])
    if target_key == "InstanceId":
        target = instance_enis.get(target, target)  # an instance route goes to its primary ENI
    native: dict[str, Any] = {"dst": dst, "target": target}
    if route.get("Origin") == PROPAGATED_ORIGIN:
        native["propagated"] = True
    return native
