"""Entry points that turn user input into a validated, complete Config.

* `load_config(data)`: a native config mapping (the `config` schema of the scenario files)
  → parse (pydantic: types and single-field ranges) → ids (kind prefix, unique) →
  normalize → validate → Config. Every refusal is a ConfigError naming the object id and
  field; pydantic errors are converted, never leaked. This is the one path: the CLI, the
  engines, the scenario runner (topologies, patches, EC2 API steps) and the AWS JSON
  import all end here.
* `load_config_file(path)`: a directory → AWS describe-* JSON (`model.aws_json`); a YAML
  (or JSON) file → native config, read by `model.source` (which refuses unreadable, binary,
  empty, deeply nested or oversized files). Refusals are ConfigFileErrors that name the file
  and, for YAML/JSON, the line of the object's field. A scenario file is refused with a
  pointer to its `topologies`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from smartnic.model.aws_json import load_aws_directory
from smartnic.model.config import Config
from smartnic.model.errors import ConfigError, ConfigFileError
from smartnic.model.normalize import normalize
from smartnic.model.source import SourceError, is_directory, load_document, locate
from smartnic.model.validate import check_ids, validate

CONFIG_OBJECT = "config"
AWS_TOP_LEVEL_KEYS = {"Vpcs", "Subnets", "SecurityGroups", "NetworkAcls", "RouteTables"}


def load_config(data: dict[str, Any]) -> Config:
    if not isinstance(data, dict):
        raise ConfigError(CONFIG_OBJECT, "(root)", "a config must be a mapping")
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise _config_error(data, error) from None
    check_ids(config)
    config = normalize(config)
    validate(config)
    return _sorted_nacl_rules(config)


def _sorted_nacl_rules(config: Config) -> Config:
    """NACL rules in evaluation order (NACL-R3), once numbers are known to be unique."""
    nacls = [
        nacl.model_copy(
            update={
                "ingress": sorted(nacl.ingress, key=lambda rule: rule.n),
                "egress": sorted(nacl.egress, key=lambda rule: rule.n),
            }
        )
        for nacl in config.nacls
    ]
    return config.model_copy(update={"nacls": nacls})


def _config_error(data: dict[str, Any], error: ValidationError) -> ConfigError:
    """The first pydantic error as a ConfigError naming the innermost object with an id
    (an ENI, a mirror session, ...) and the field path below it."""
    detail = error.errors()[0]
    path = _data_path(data, detail["loc"], detail["type"])
    object_id, start = CONFIG_OBJECT, 0
    node: Any = data
    for depth, part in enumerate(path):
        node = _child(node, part)
        if not isinstance(part, int):
            continue
        if isinstance(node, dict) and isinstance(node.get("id"), str) and node["id"].strip():
            object_id, start = node["id"], depth + 1
        elif object_id == CONFIG_OBJECT:  # an item without id: named by its position
            object_id, start = _field_text(path[: depth + 1]), depth + 1
    message = detail["msg"].removeprefix("Value error, ")
    return ConfigError(object_id, _field_text(path[start:]) or "(item)", message)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    return node[part] if isinstance(node, list) and isinstance(part, int) else None


def _data_path(data: Any, loc: tuple[Any, ...], error_type: str) -> list[str | int]:
    """The part of a pydantic `loc` that indexes the data (drops union-member tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            if error_type == "missing" and isinstance(part, str):
                path.append(part)
            break
        path.append(part)
    return path


def _field_text(path: list[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_config_file(path: str | Path) -> Config:
    """A refusal names the file: `cloud.yaml:14: eni-a.ips: …` (ConfigFileError)."""
    location = Path(path)
    if is_directory(location):
        try:
            return load_config(load_aws_directory(location))
        except ConfigFileError:
            raise
        except ConfigError as error:  # converted objects have no line in the describe files
            raise _in_file(str(location), error) from None
    try:
        document = load_document(location)
    except SourceError as error:
        where = error.path if error.line is None else f"{error.path}:{error.line}"
        raise ConfigFileError(where, error.path, "", error.reason) from None
    data = document.data
    if isinstance(data, dict) and ("scenarios" in data or "topologies" in data):
        raise ConfigFileError(
            document.where(("scenarios" if "scenarios" in data else "topologies",)),
            str(location),
            "",
            "this is a scenario file, not a config: load one of "
            "its topologies (merged with a scenario's config) instead",
        )
    if isinstance(data, dict) and AWS_TOP_LEVEL_KEYS & data.keys():
        key = sorted(AWS_TOP_LEVEL_KEYS & data.keys())[0]
        raise ConfigFileError(
            document.where((key,)),
            str(location),
            "",
            f"{key}: AWS describe-* output: put the describe files in one directory and load "
            "the directory",
        )
    try:
        return load_config(data)
    except ConfigError as error:
        line = locate(document, error.object_id, error.field)
        raise _in_file(str(location) if line is None else f"{location}:{line}", error) from None


def _in_file(where: str, error: ConfigError) -> ConfigFileError:
    return ConfigFileError(where, error.object_id, error.field, error.message)
