"""A small AWS estate built with boto3 against moto, for the AWS JSON import tests.

`build_estate(ec2)` creates two VPCs (one dual-stack with a secondary IPv4 block), a subnet
with IPv6, a customer prefix list, SGs referencing an SG, a prefix list and (across an
active peering) a peered VPC's SG, a custom NACL, an IGW, a VGW, ENIs and an instance, and
a route table with IGW, peering, ENI and instance routes. It returns the ids the tests need.
"""

from __future__ import annotations

import ipaddress
from typing import Any

ACCOUNT = "123456789012"
Ids = dict[str, str]


def build_estate(ec2: Any) -> Ids:
    ids: Ids = {}
    _network(ec2, ids)
    _security_groups(ec2, ids)
    _network_acl(ec2, ids)
    _gateways_and_interfaces(ec2, ids)
    _routes(ec2, ids)
    return ids


def _network(ec2: Any, ids: Ids) -> None:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"][
        "VpcId"
    ]
    ids["vpc"] = vpc_id
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.1.0.0/16")
    described = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    ids["vpc6"] = described["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    ids["sub6"] = str(next(ipaddress.ip_network(ids["vpc6"]).subnets(new_prefix=64)))
    ids["vpc2"] = ec2.create_vpc(CidrBlock="192.168.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=ids["sub6"])
    ids["subnet"] = subnet["Subnet"]["SubnetId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=ids["vpc2"])
    ids["pcx"] = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=ids["pcx"])
    prefix_list = ec2.create_managed_prefix_list(
        PrefixListName="corp", AddressFamily="IPv4", MaxEntries=5,
        Entries=[{"Cidr": "203.0.113.0/24"}],
    )  # fmt: skip
    ids["pl"] = prefix_list["PrefixList"]["PrefixListId"]


def _security_groups(ec2: Any, ids: Ids) -> None:
    for name, vpc in (("web", "vpc"), ("app", "vpc"), ("db", "vpc2")):
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=ids[vpc])
        ids[name] = group["GroupId"]
    https = {
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}],
        "UserIdGroupPairs": [{"GroupId": ids["app"]}],
        "PrefixListIds": [{"PrefixListId": ids["pl"]}],
    }  # fmt: skip
    ping = {
        "IpProtocol": "icmp",
        "FromPort": 8,
        "ToPort": -1,
        "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
    }
    ec2.authorize_security_group_ingress(GroupId=ids["web"], IpPermissions=[https, ping])
    peered = {
        "GroupId": ids["app"],
        "UserId": ACCOUNT,
        "VpcId": ids["vpc"],
        "VpcPeeringConnectionId": ids["pcx"],
    }
    postgres = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [peered]}
    ec2.authorize_security_group_ingress(GroupId=ids["db"], IpPermissions=[postgres])


def _network_acl(ec2: Any, ids: Ids) -> None:
    ids["acl"] = acl_id = ec2.create_network_acl(VpcId=ids["vpc"])["NetworkAcl"]["NetworkAclId"]
    association = next(
        a
        for acl in ec2.describe_network_acls()["NetworkAcls"]
        for a in acl["Associations"]
        if a["SubnetId"] == ids["subnet"]
    )
    ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id
    )
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="10.0.0.0/16", PortRange={"From": 80, "To": 80},
    )  # fmt: skip
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id, RuleNumber=120, Protocol="-1", RuleAction="deny", Egress=True,
        Ipv6CidrBlock="::/0",
    )  # fmt: skip


def _gateways_and_interfaces(ec2: Any, ids: Ids) -> None:
    ids["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=ids["vpc"])
    ids["vgw"] = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpnGatewayId=ids["vgw"], VpcId=ids["vpc"])
    ids["eni6"] = str(ipaddress.ip_network(ids["sub6"])[16])
    eni = ec2.create_network_interface(
        SubnetId=ids["subnet"], Groups=[ids["web"]], PrivateIpAddress="10.0.1.10",
        Ipv6Addresses=[{"Ipv6Address": ids["eni6"]}],
    )  # fmt: skip
    ids["eni"] = eni["NetworkInterface"]["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=ids["eni"], PrivateIpAddresses=["10.0.1.11"])
    ec2.modify_network_interface_attribute(
        NetworkInterfaceId=ids["eni"], SourceDestCheck={"Value": False}
    )
    instance = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=ids["subnet"]
    )
    ids["instance"] = instance["Instances"][0]["InstanceId"]


def _routes(ec2: Any, ids: Ids) -> None:
    ids["rtb"] = table = ec2.create_route_table(VpcId=ids["vpc"])["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=ids["subnet"])
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=ids["igw"])
    ec2.create_route(
        RouteTableId=table, DestinationCidrBlock="192.168.0.0/16", VpcPeeringConnectionId=ids["pcx"]
    )
    ec2.create_route(
        RouteTableId=table, DestinationCidrBlock="172.16.0.0/16", NetworkInterfaceId=ids["eni"]
    )
    ec2.create_route(
        RouteTableId=table, DestinationCidrBlock="172.17.0.0/16", InstanceId=ids["instance"]
    )
