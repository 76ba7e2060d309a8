"""Protocol, port-range and ICMP fields of SG and NACL rules (SG-R4..R6, NACL-R5).

Turns the loose forms a config may use (`tcp`, `TCP`, `6`, `"6"`, `-1`, `all`; ports `22`,
`"22"`, `"7000-8000"`) into one canonical form:

* proto: `"all"`, `"tcp"`, `"udp"`, `"icmp"`, `"icmpv6"`, or another IANA number as `int`;
* ports: `"N"` or `"N-M"` for tcp/udp, else `None` (other protocols cover all ports);
* icmp_type / icmp_code: ints (-1 = all) for icmp/icmpv6, else `None`.

Raises `ConfigError` naming the object and the rule field.
"""

from __future__ import annotations

import re
from typing import Any

from smartnic.model.errors import ConfigError

ALL_PROTOCOLS = "all"
NUMBER_BY_NAME = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
NAME_BY_NUMBER = {number: name for name, number in NUMBER_BY_NAME.items()}
PORT_RANGE = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")
MAX_PORT = 65535


def canonical_protocol(value: object, object_id: str, field: str) -> str | int:
    """`"all"`, a protocol name, or an IANA number without a common name (0..255)."""
    number: int
    if isinstance(value, str):
        text = value.strip().lower()
        if text in NUMBER_BY_NAME or text == ALL_PROTOCOLS:
            return text
        if not re.fullmatch(r"-?\d+", text):
            raise ConfigError(object_id, field, f"unknown protocol {value!r}")
        number = int(text)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise ConfigError(object_id, field, f"unknown protocol {value!r}")
    if number == -1:
        return ALL_PROTOCOLS
    if not 0 <= number <= 255:
        raise ConfigError(object_id, field, "protocol number must be -1 or 0..255")
    return NAME_BY_NUMBER.get(number, number)


def protocol_number(proto: str | int) -> int:
    """The IANA number of a canonical protocol; -1 for `all`."""
    if isinstance(proto, int):
        return proto
    return -1 if proto == ALL_PROTOCOLS else NUMBER_BY_NAME[proto]


def parse_ports(value: object, object_id: str, field: str) -> tuple[int, int]:
    """`22`, `"22"` or `"7000-8000"` → inclusive (from, to), 0..65535 and from <= to."""
    if isinstance(value, int) and not isinstance(value, bool):
        low = high = value
    elif isinstance(value, str) and (match := PORT_RANGE.fullmatch(value)):
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
    else:
        raise ConfigError(object_id, field, f"ports must be 'N' or 'N-M', not {value!r}")
    if not (0 <= low <= MAX_PORT and 0 <= high <= MAX_PORT):
        raise ConfigError(object_id, field, "ports must be within 0..65535")
    if low > high:
        raise ConfigError(object_id, field, f"port range {value!r} runs backwards")
    return low, high


def format_ports(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def canonical_traffic(
    rule: Any, object_id: str, field: str, icmpv6_required: bool
) -> dict[str, Any]:
    """Canonical proto/ports/icmp fields of an SG or NACL rule (any object with those attrs).

    tcp/udp need ports; icmp needs type and code; icmpv6 needs them when `icmpv6_required`
    (NACL rules with an IPv6 CIDR, NACL-R5), else omitted means all (SG-R4). Port and ICMP
    fields of other protocols are dropped: such rules cover all ports (SG-R4, NACL-R5).
    """
    proto = canonical_protocol(rule.proto, object_id, f"{field}.proto")
    traffic: dict[str, Any] = {"proto": proto, "ports": None, "icmp_type": None, "icmp_code": None}
    if proto in ("tcp", "udp"):
        if rule.ports is None:
            raise ConfigError(object_id, f"{field}.ports", f"a {proto} rule needs ports")
        traffic["ports"] = format_ports(*parse_ports(rule.ports, object_id, f"{field}.ports"))
    elif proto in ("icmp", "icmpv6"):
        required = proto == "icmp" or icmpv6_required
        traffic["icmp_type"], traffic["icmp_code"] = _icmp_fields(rule, object_id, field, required)
    return traffic


def _icmp_fields(rule: Any, object_id: str, field: str, required: bool) -> tuple[int, int]:
    if required and (rule.icmp_type is None or rule.icmp_code is None):
        missing = "icmp_type" if rule.icmp_type is None else "icmp_code"
        raise ConfigError(
            object_id, f"{field}.{missing}", f"an {rule.proto} rule needs icmp_type and icmp_code"
        )
    icmp_type = -1 if rule.icmp_type is None else rule.icmp_type
    icmp_code = -1 if rule.icmp_code is None else rule.icmp_code
    for name, value in (("icmp_type", icmp_type), ("icmp_code", icmp_code)):
        if not -1 <= value <= 255:
            raise ConfigError(object_id, f"{field}.{name}", f"{name} must be -1 or 0..255")
    if icmp_type == -1 and icmp_code != -1:
        raise ConfigError(object_id, f"{field}.icmp_code", "icmp_type -1 requires icmp_code -1")
    return icmp_type, icmp_code
