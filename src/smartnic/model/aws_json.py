"""Load a directory of `aws ec2 describe-*` outputs into a native config mapping.

Input: a directory holding, under any file names, the JSON printed by describe-vpcs,
describe-subnets, describe-security-groups, describe-network-acls, describe-route-tables,
describe-network-interfaces, describe-vpc-peering-connections, describe-internet-gateways,
describe-vpn-gateways and describe-managed-prefix-lists (each file recognised by its
top-level key), plus for each managed prefix list the output of
`get-managed-prefix-list-entries --prefix-list-id pl-…` in a file whose name contains that
id. boto3 responses dumped with `json.dumps(resp, default=str)` work too (their
`ResponseMetadata` and `NextToken` keys are ignored).
Output: a plain dict in the native schema; pass it to `load_config`. Unreadable files and
unknown top-level keys raise ConfigError naming the file and the key (a ConfigFileError
with the file's path, and line for JSON syntax errors, when the file cannot be read).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from smartnic.model import aws_objects as convert
from smartnic.model.errors import ConfigError, ConfigFileError
from smartnic.model.source import SourceError, read_text

SECTION_KEYS = {
    "Vpcs", "Subnets", "SecurityGroups", "NetworkAcls", "RouteTables", "NetworkInterfaces",
    "VpcPeeringConnections", "InternetGateways", "VpnGateways", "PrefixLists",
}  # fmt: skip
ENTRIES_KEY = "Entries"
IGNORED_KEYS = {"ResponseMetadata", "NextToken"}
PREFIX_LIST_ID = re.compile(r"pl-[0-9a-zA-Z]+")
REGION_OF_ZONE = re.compile(r"[a-z]+(?:-[a-z]+)+-\d+")


def load_aws_directory(path: str | Path) -> dict[str, Any]:
    directory = Path(path)
    if not directory.is_dir():
        raise ConfigError(str(directory), "(directory)", "not a directory")
    sections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    entry_files: dict[str, list[dict[str, Any]]] = {}
    for file in sorted(directory.iterdir()):
        if not file.is_file() or file.name.startswith("."):  # no FIFOs: they would block
            continue
        for key, items in _read_describe_file(file).items():
            if key == ENTRIES_KEY:
                entry_files[file.name] = items
            else:
                sections[key].extend(items)
    if not sections and not entry_files:
        raise ConfigError(str(directory), "(directory)", "no describe-* output found")
    try:
        return _native_config(sections, entry_files)
    except KeyError as error:  # the describe JSON is the boundary: report, never trace back
        raise ConfigError(
            str(directory), str(error.args[0]), "a describe-* object lacks this key"
        ) from None
    except (TypeError, AttributeError) as error:
        raise ConfigError(str(directory), "(describe output)", f"malformed: {error}") from None


def _read_describe_file(file: Path) -> dict[str, list[dict[str, Any]]]:
    try:
        document = json.loads(read_text(file))
    except SourceError as error:  # unreadable, binary, too large
        raise ConfigFileError(str(file), file.name, "", error.reason) from None
    except json.JSONDecodeError as error:
        raise ConfigFileError(f"{file}:{error.lineno}", file.name, "",
                              f"cannot parse JSON: {error.msg} (column {error.colno})") from None
    except ValueError:  # an integer of more than 4300 digits
        raise ConfigFileError(str(file), file.name, "", "cannot parse JSON: a number too "
                              "long to convert") from None
    except RecursionError:
        raise ConfigFileError(str(file), file.name, "", "cannot parse JSON: nested too "
                              "deeply") from None
    if not isinstance(document, dict):
        raise ConfigError(file.name, "(json)", "expected a JSON object with one top-level key")
    found: dict[str, list[dict[str, Any]]] = {}
    for key, items in document.items():
        if key in IGNORED_KEYS:
            continue
        if key not in SECTION_KEYS and key != ENTRIES_KEY:
            raise ConfigError(file.name, key, "unknown top-level key (not a describe-* output)")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ConfigError(file.name, key, "expected a list of objects")
        found[key] = items
    return found


def _owner_and_region(sections: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    known: dict[str, str] = {}
    owners = [item.get("OwnerId") for key in ("Vpcs", "SecurityGroups") for item in sections[key]]
    owner = next((o for o in owners if o), None)
    if owner:
        known["account_id"] = str(owner)
    zones = [subnet.get("AvailabilityZone", "") for subnet in sections["Subnets"]]
    region = next((m.group(0) for z in zones if (m := REGION_OF_ZONE.match(z))), None)
    if region:
        known["region"] = region
    return known


def _native_config(
    sections: dict[str, list[dict[str, Any]]], entry_files: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    head = _owner_and_region(sections)
    owner = head.get("account_id", "")
    group_vpcs = {sg["GroupId"]: sg.get("VpcId", "") for sg in sections["SecurityGroups"]}
    instance_enis = convert.instance_primary_enis(sections["NetworkInterfaces"])
    vpc_ids = {vpc["VpcId"] for vpc in sections["Vpcs"]}
    igws = [
        convert.convert_gateway(g["InternetGatewayId"], g.get("Attachments", []))
        for g in sections["InternetGateways"]
    ]
    vgws = [
        convert.convert_gateway(g["VpnGatewayId"], g.get("VpcAttachments", []))
        for g in sections["VpnGateways"]
    ]
    vgws += convert.propagating_vgws(sections, {g["VpnGatewayId"] for g in sections["VpnGateways"]})
    peerings = [convert.convert_peering(p, vpc_ids) for p in sections["VpcPeeringConnections"]]
    body: dict[str, Any] = {
        "vpcs": [convert.convert_vpc(vpc, sections) for vpc in sections["Vpcs"]],
        "subnets": [convert.convert_subnet(subnet, sections) for subnet in sections["Subnets"]],
        "security_groups": [
            convert.convert_security_group(sg, owner, group_vpcs)
            for sg in sections["SecurityGroups"]
        ],
        "nacls": [convert.convert_nacl(acl) for acl in sections["NetworkAcls"]],
        "route_tables": [
            convert.convert_route_table(table, instance_enis) for table in sections["RouteTables"]
        ],
        "prefix_lists": _prefix_lists(sections["PrefixLists"], entry_files),
        "peerings": [p for p in peerings if p is not None],
        "igws": [g for g in igws if g is not None],
        "vgws": [g for g in vgws if g is not None],
        "enis": [convert.convert_eni(eni) for eni in sections["NetworkInterfaces"]],
    }
    return {**head, **{key: value for key, value in body.items() if value}}


def _prefix_lists(
    described: list[dict[str, Any]], entry_files: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Prefix lists with their entries; an entries file names its list in the file name."""
    lists = {pl["PrefixListId"]: pl for pl in described}
    entries: dict[str, list[str]] = {}
    for file_name, items in entry_files.items():
        owners = [pl_id for pl_id in lists if pl_id in file_name]
        if not owners:
            owners = PREFIX_LIST_ID.findall(file_name)[:1]
            if not owners:
                raise ConfigError(
                    file_name, ENTRIES_KEY, "the file name names no prefix list (pl-…)"
                )
            lists[owners[0]] = {"PrefixListId": owners[0]}
        entries[owners[0]] = [str(item.get("Cidr")) for item in items]
    return [convert.convert_prefix_list(pl, entries.get(pl_id, [])) for pl_id, pl in lists.items()]
