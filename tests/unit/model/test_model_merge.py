"""deep_merge: the scenario schema's merge rules (mappings, id-lists, _delete, replaced lists)."""

from __future__ import annotations

import copy

from smartnic.model import deep_merge


def test_mappings_merge_recursively_and_scalars_are_overridden() -> None:
    base = {"a": {"x": 1, "y": {"z": 2}}, "b": 1}
    assert deep_merge(base, {"a": {"y": {"w": 3}}, "b": 2}) == {
        "a": {"x": 1, "y": {"z": 2, "w": 3}},
        "b": 2,
    }


def test_id_lists_merge_item_by_item() -> None:
    base = {"enis": [{"id": "eni-a", "ips": ["10.0.1.10"]}, {"id": "eni-b", "mtu": 1500}]}
    merged = deep_merge(base, {"enis": [{"id": "eni-b", "mtu": 9001}, {"id": "eni-c"}]})
    assert merged["enis"] == [
        {"id": "eni-a", "ips": ["10.0.1.10"]},
        {"id": "eni-b", "mtu": 9001},
        {"id": "eni-c"},
    ]


def test_delete_marker_removes_an_item_and_is_a_noop_for_unknown_ids() -> None:
    base = {"flow_logs": [{"id": "fl-1"}, {"id": "fl-2"}]}
    merged = deep_merge(
        base, {"flow_logs": [{"id": "fl-1", "_delete": True}, {"id": "fl-x", "_delete": True}]}
    )
    assert merged == {"flow_logs": [{"id": "fl-2"}]}


def test_other_lists_are_replaced() -> None:
    base = {"security_groups": [{"id": "sg-c", "ingress": [{"proto": "all", "peer": "0.0.0.0/0"}]}]}
    merged = deep_merge(base, {"security_groups": [{"id": "sg-c", "ingress": []}]})
    assert merged["security_groups"][0]["ingress"] == []
    assert deep_merge({"ips": ["a", "b"]}, {"ips": ["c"]}) == {"ips": ["c"]}


def test_an_empty_override_list_replaces_an_id_list() -> None:
    assert deep_merge({"enis": [{"id": "eni-a"}]}, {"enis": []}) == {"enis": []}


def test_new_content_loses_delete_markers_and_inputs_are_not_mutated() -> None:
    base = {"vpcs": [{"id": "vpc-a", "tags": {"k": "v"}}]}
    override = {"vpcs": [{"id": "vpc-b", "subnets": [{"id": "s", "_delete": True}, {"id": "t"}]}]}
    base_copy, override_copy = copy.deepcopy(base), copy.deepcopy(override)
    merged = deep_merge(base, override)
    assert merged["vpcs"][1] == {"id": "vpc-b", "subnets": [{"id": "t"}]}
    merged["vpcs"][0]["tags"]["k"] = "changed"
    assert (base, override) == (base_copy, override_copy)
