"""AWS describe-* JSON import from handcrafted files: file/key errors, blackhole and propagated
routes, edge associations, dead peerings, prefix-list entry files, load_config_file dispatch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smartnic.model import ConfigError, load_aws_directory, load_config, load_config_file

ACCOUNT = "123456789012"


def _get(items: list[Any], item_id: str) -> Any:
    return next(item for item in items if item.id == item_id)


def _write(directory: Path, name: str, document: Any) -> None:
    (directory / name).write_text(document if isinstance(document, str) else json.dumps(document))


def test_unknown_keys_and_unparsable_files_name_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "x.json", {"Reservations": []})
    with pytest.raises(ConfigError) as caught:
        load_aws_directory(tmp_path)
    assert (caught.value.object_id, caught.value.field) == ("x.json", "Reservations")
    _write(tmp_path, "x.json", "{not json")
    with pytest.raises(ConfigError, match="cannot parse") as caught:
        load_aws_directory(tmp_path)
    assert caught.value.object_id == "x.json"


def test_blackhole_propagated_edge_and_dead_peerings(tmp_path: Path) -> None:
    vpcs = [
        {"VpcId": f"vpc-{n}", "CidrBlock": f"10.{n}.0.0/16", "OwnerId": ACCOUNT} for n in (1, 2)
    ]
    _write(tmp_path, "v", {"Vpcs": vpcs})
    _write(tmp_path, "g", {"InternetGateways": [
        {"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1", "State": "available"}]},
        {"InternetGatewayId": "igw-loose", "Attachments": []},
    ]})  # fmt: skip
    _write(tmp_path, "p", {"VpcPeeringConnections": [
        {"VpcPeeringConnectionId": "pcx-dead", "Status": {"Code": "deleted"},
         "RequesterVpcInfo": {"VpcId": "vpc-1"}, "AccepterVpcInfo": {"VpcId": "vpc-2"}},
        {"VpcPeeringConnectionId": "pcx-far", "Status": {"Code": "active"},
         "RequesterVpcInfo": {"VpcId": "vpc-1"}, "AccepterVpcInfo": {"VpcId": "vpc-elsewhere"}},
    ]})  # fmt: skip
    _write(tmp_path, "r", {"RouteTables": [{
        "RouteTableId": "rtb-edge", "VpcId": "vpc-1",
        "Associations": [{"Main": False, "GatewayId": "igw-1"}],
        "Routes": [{"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local"},
                   {"DestinationCidrBlock": "10.1.0.0/16", "NetworkInterfaceId": "eni-gone",
                    "State": "blackhole"}],
    }, {
        "RouteTableId": "rtb-main", "VpcId": "vpc-1", "Associations": [{"Main": True}],
        "Routes": [{"DestinationCidrBlock": "172.31.0.0/16", "GatewayId": "vgw-1",
                    "Origin": "EnableVgwRoutePropagation"}],
    }]})  # fmt: skip
    config = load_config(load_aws_directory(tmp_path))
    assert [(g.id, g.vpc) for g in config.igws] == [("igw-1", "vpc-1")]
    assert config.peerings == []
    edge = _get(config.route_tables, "rtb-edge")
    assert edge.edge_associations == ["igw-1"] and [(r.dst, r.target) for r in edge.routes] == [
        ("10.1.0.0/16", "eni-gone")  # RT-R6: kept, its target does not exist
    ]
    assert _get(config.route_tables, "rtb-main").routes[0].propagated


def test_entries_file_without_a_known_list_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no describe"):
        load_aws_directory(tmp_path)
    _write(tmp_path, "entries.json", {"Entries": [{"Cidr": "10.0.0.0/8"}]})
    with pytest.raises(ConfigError, match="names no prefix list"):
        load_aws_directory(tmp_path)
    (tmp_path / "entries.json").rename(tmp_path / "pl-0abc.json")
    assert load_aws_directory(tmp_path)["prefix_lists"] == [
        {"id": "pl-0abc", "max_entries": 1, "entries": ["10.0.0.0/8"], "aws_managed": False}
    ]


def test_load_config_file_dispatches_and_refuses_scenario_files(tmp_path: Path) -> None:
    native = tmp_path / "cloud.yaml"
    native.write_text("vpcs:\n- id: vpc-a\n  cidrs: [10.0.0.0/16]\n")
    assert load_config_file(native).vpcs[0].id == "vpc-a"
    scenario = tmp_path / "scenarios.yaml"
    scenario.write_text("schema_version: 1\ntopologies: {}\nscenarios: []\n")
    with pytest.raises(ConfigError, match="scenario file"):
        load_config_file(scenario)
    single = tmp_path / "vpcs.json"
    single.write_text(json.dumps({"Vpcs": []}))
    with pytest.raises(ConfigError, match="directory"):
        load_config_file(single)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config_file(tmp_path / "missing.yaml")


def test_malformed_describe_objects_raise_config_error(tmp_path: Path) -> None:
    _write(tmp_path, "v", {"Vpcs": [{"CidrBlock": "10.0.0.0/16"}]})
    with pytest.raises(ConfigError, match="lacks this key") as caught:
        load_aws_directory(tmp_path)
    assert caught.value.field == "VpcId"
    _write(tmp_path, "v", {"Vpcs": [{"VpcId": "vpc-1", "CidrBlockAssociationSet": [3]}]})
    with pytest.raises(ConfigError, match="malformed"):
        load_aws_directory(tmp_path)
