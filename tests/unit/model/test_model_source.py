"""model/source.py: documents with the line of every value, and files refused as one error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartnic.model import ConfigError, load_config_file
from smartnic.model.source import (
    SourceError,
    field_parts,
    load_document,
    locate,
    parse_document,
)
from smartnic.model.yaml_guard import MAX_DEPTH

CONFIG = """\
vpcs:
- id: vpc-a
  cidrs: [10.0.0.0/16]
subnets:
- id: subnet-a
  vpc: vpc-a
  cidr: 10.0.1.0/24
security_groups:
- id: sg-a
  vpc: vpc-a
  ingress:
  - proto: tcp
    ports: "22"
    peer: 10.0.0.0/8
  - proto: tcp
    ports: "99999"
    peer: 10.0.0.0/8
"""


def test_line_of_follows_the_data_path_to_the_deepest_existing_node() -> None:
    document = parse_document(CONFIG, Path("cloud.yaml"))
    assert document.line_of(("security_groups", 0, "ingress", 1, "ports")) == 16
    assert document.line_of(("security_groups", 0, "ingress", 7)) == 12  # the list itself
    assert document.line_of(()) == 1
    assert document.where(("subnets", 0, "cidr")) == "cloud.yaml:7"


def test_locate_finds_the_object_by_id_then_its_field() -> None:
    document = parse_document(CONFIG, Path("cloud.yaml"))
    assert locate(document, "sg-a", "ingress[1].ports") == 16
    assert locate(document, "subnet-a", "vpc") == 6
    assert locate(document, "subnets[0]", "cidr") == 7
    assert locate(document, "config", "vpcs") == 2
    assert locate(document, "sg-a", "(item)") == 9
    assert locate(document, "eni-nowhere", "ips") is None
    assert field_parts("ingress[2].peer") == ["ingress", 2, "peer"]


def test_config_refusal_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cloud.yaml"
    path.write_text(CONFIG)
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    assert str(caught.value).startswith(f"{path}:16: sg-a.ingress[1].ports: ")
    assert (caught.value.object_id, caught.value.field) == ("sg-a", "ingress[1].ports")


def test_merge_keys_keep_the_lines_of_the_merged_values() -> None:
    text = "base: &b {proto: tcp, peer: x}\nrules:\n- <<: *b\n  ports: '1'\n"
    document = parse_document(text, Path("m.yaml"))
    assert document.data["rules"][0] == {"proto": "tcp", "peer": "x", "ports": "1"}
    assert document.line_of(("rules", 0, "peer")) == 1


def test_json_indented_with_tabs_is_read_with_its_lines() -> None:
    text = json.dumps({"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}]}, indent="\t")
    document = parse_document(text, Path("vpcs.json"))
    assert document.data["Vpcs"][0]["VpcId"] == "vpc-1"
    assert document.line_of(("Vpcs", 0, "CidrBlock")) == 5


@pytest.mark.parametrize(("text", "says", "line"), [
    ("", "empty", None),
    ("a: [1,\n", "did not find expected", 2),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH}", 1),
    ("a: " + "1" * 5000, "a number of 5000 characters", 1),
    ("a: " + "1." + "5" * 200, "a number of 202 characters", 1),
    ("a: &x [*x]", "recursive alias", 1),
    ("a: b\x07", "character U+0007 is not allowed", 1),
    ("a: 1\n---\nb: 2\n", "expected a single document", 2),
    ("a: !!python/object:os.system x", "could not determine a constructor", 1),
])
def test_documents_refused_with_a_reason_and_line(text: str, says: str,
                                                   line: int | None) -> None:
    with pytest.raises(SourceError) as caught:
        parse_document(text, Path("f.yaml"))
    assert says in caught.value.reason and caught.value.line == line
    assert "\n" not in str(caught.value)


def test_alias_expansion_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 8)]
    with pytest.raises(SourceError, match="aliases expand to more than"):
        parse_document("\n".join(lines), Path("laughs.yaml"))


def test_files_refused_before_parsing(tmp_path: Path) -> None:
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"a: \xff\xfe")
    oversized = tmp_path / "o.yaml"
    with oversized.open("wb") as stream:
        stream.truncate(33 * 1024 * 1024)
    for path, says in ((binary, "not UTF-8 text"), (tmp_path, "is a directory"),
                       (tmp_path / "missing.yaml", "No such file"),
                       (oversized, "larger than 32 MiB")):
        with pytest.raises(SourceError, match=says):
            load_document(path)
