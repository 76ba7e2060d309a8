"""AWS describe-* JSON import: boto3 against moto (`moto_estate`), dumped under odd file names,
loaded back with load_config_file."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from smartnic.model import Config, load_config_file

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")
from moto_estate import ACCOUNT, build_estate  # noqa: E402  (needs boto3 and moto)

DESCRIBE_FILES = {  # describe call → deliberately unhelpful file name
    "describe_vpcs": "a.json",
    "describe_subnets": "zz-whatever.txt",
    "describe_security_groups": "groups (copy).json",
    "describe_network_acls": "0001",
    "describe_route_tables": "rt.out",
    "describe_network_interfaces": "enis.JSON",
    "describe_vpc_peering_connections": "p.json",
    "describe_internet_gateways": "gw",
    "describe_vpn_gateways": "vpn.json",
    "describe_managed_prefix_lists": "lists.json",
}


@pytest.fixture(scope="module")
def dumped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    directory = tmp_path_factory.mktemp("aws")
    with moto.mock_aws():
        ec2 = boto3.client(
            "ec2", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        ids = build_estate(ec2)
        for call, file_name in DESCRIBE_FILES.items():
            (directory / file_name).write_text(json.dumps(getattr(ec2, call)(), default=str))
        entries = ec2.get_managed_prefix_list_entries(PrefixListId=ids["pl"])
        (directory / f"entries of {ids['pl']} today.json").write_text(
            json.dumps(entries, default=str)
        )
    return directory, ids


@pytest.fixture(scope="module")
def loaded(dumped: tuple[Path, dict[str, str]]) -> tuple[Config, dict[str, str]]:
    directory, ids = dumped
    return load_config_file(directory), ids


def _get(items: list[Any], item_id: str) -> Any:
    return next(item for item in items if item.id == item_id)


def test_account_region_and_vpcs(loaded: tuple[Config, dict[str, str]]) -> None:
    config, ids = loaded
    assert (config.account_id, config.region) == (ACCOUNT, "us-east-1")
    vpc = _get(config.vpcs, ids["vpc"])
    # moto prints IPv6 blocks with leading zeros at times; the model canonicalises them.
    canonical_v6 = str(ipaddress.ip_network(ids["vpc6"]))
    assert (vpc.cidrs, vpc.ipv6_cidrs) == (["10.0.0.0/16", "10.1.0.0/16"], [canonical_v6])
    default_sg = _get(config.security_groups, vpc.default_sg)
    assert default_sg.name == "default" and default_sg.default
    assert _get(config.route_tables, vpc.main_route_table).main
    assert any(v.cidrs == ["172.31.0.0/16"] for v in config.vpcs)  # moto's default VPC


def test_subnet_associations(loaded: tuple[Config, dict[str, str]]) -> None:
    config, ids = loaded
    subnet = _get(config.subnets, ids["subnet"])
    assert (subnet.cidr, subnet.ipv6_cidr) == ("10.0.1.0/24", ids["sub6"])
    assert (subnet.nacl, subnet.route_table) == (ids["acl"], ids["rtb"])


def test_security_group_rules_one_per_peer(loaded: tuple[Config, dict[str, str]]) -> None:
    config, ids = loaded
    web = _get(config.security_groups, ids["web"])
    assert [
        (r.proto, r.ports, r.icmp_type, r.icmp_code, r.peer, r.description) for r in web.ingress
    ] == [
        ("tcp", "443", None, None, "0.0.0.0/0", "https"),
        ("tcp", "443", None, None, ids["pl"], None),
        ("tcp", "443", None, None, ids["app"], None),
        ("icmp", None, 8, -1, "10.0.0.0/16", None),
    ]
    assert [(r.proto, r.peer) for r in web.egress][0] == ("all", "0.0.0.0/0")
    db = _get(config.security_groups, ids["db"])
    assert [r.peer for r in db.ingress] == [f"{ACCOUNT}/{ids['app']}"]  # SG-R7 peered reference


def test_nacl_entries_without_the_implicit_rules(loaded: tuple[Config, dict[str, str]]) -> None:
    config, ids = loaded
    nacl = _get(config.nacls, ids["acl"])
    assert [(r.n, r.action, r.proto, r.ports, r.cidr) for r in nacl.ingress] == [
        (100, "allow", "tcp", "80", "10.0.0.0/16")
    ]
    assert [(r.n, r.action, r.proto, r.cidr) for r in nacl.egress] == [(120, "deny", "all", "::/0")]
    default = _get(config.nacls, _get(config.vpcs, ids["vpc"]).default_nacl)
    assert all(r.n < 32767 for r in default.ingress + default.egress)


def test_routes_skip_local_and_map_instances_to_enis(loaded: tuple[Config, dict[str, str]]) -> None:
    config, ids = loaded
    instance_eni = next(e.id for e in config.enis if e.instance_id == ids["instance"])
    table = _get(config.route_tables, ids["rtb"])
    assert [(r.dst, r.target) for r in table.routes] == [
        ("0.0.0.0/0", ids["igw"]),
        ("192.168.0.0/16", ids["pcx"]),
        ("172.16.0.0/16", ids["eni"]),
        ("172.17.0.0/16", instance_eni),
    ]


def test_enis_peerings_gateways_prefix_lists(loaded: tuple[Config, dict[str, str]]) -> None:
    config, ids = loaded
    eni = _get(config.enis, ids["eni"])
    assert eni.ips == ["10.0.1.10", "10.0.1.11"] and not eni.src_dst_check
    assert eni.sgs == [ids["web"]] and eni.ipv6 == [ids["eni6"]]
    assert eni.mac and eni.mac.startswith("02:") and eni.interface_type == "interface"
    assert [(p.id, p.a, p.b, p.state) for p in config.peerings] == [
        (ids["pcx"], ids["vpc"], ids["vpc2"], "active")
    ]
    assert [(g.id, g.vpc) for g in config.igws] == [(ids["igw"], ids["vpc"])]
    assert [(g.id, g.vpc) for g in config.vgws] == [(ids["vgw"], ids["vpc"])]
    corp = _get(config.prefix_lists, ids["pl"])
    assert (corp.entries, corp.max_entries, corp.address_family, corp.aws_managed) == (
        ["203.0.113.0/24"], 5, "IPv4", False,
    )  # fmt: skip
    assert any(pl.aws_managed for pl in config.prefix_lists)
