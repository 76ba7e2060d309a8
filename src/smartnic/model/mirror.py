"""Traffic Mirroring objects of a config (TM-R1..R5): targets, filters and sessions.

Field names follow the `mirror` section of the scenario schema. Single-field ranges live
here (session number 1..32766, VNI 0..16777215, packet length 1..8500, rule numbers);
references, families and quotas are checked in `model.check_mirror`. The data plane does
not mirror yet: these objects are validated and kept.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from smartnic.model.base import Frozen

MIRROR_NUMBERS = (1, 32766)  # session numbers (TM-R3) and filter rule numbers (TM-R2)
MAX_VNI = 0xFFFFFF  # 24-bit VXLAN VNI (TM-R4)
MAX_PACKET_LENGTH_BYTES = 8500  # TM-R5


class MirrorTarget(Frozen):
    id: str
    eni: str


class MirrorRule(Frozen):
    n: int = Field(ge=MIRROR_NUMBERS[0], le=MIRROR_NUMBERS[1])
    action: Literal["accept", "reject"]
    proto: str | int | None = None  # IANA number (names accepted); None: all protocols
    src_ports: str | int | None = None
    dst_ports: str | int | None = None
    src: str
    dst: str


class MirrorFilter(Frozen):
    id: str
    ingress: list[MirrorRule] = []
    egress: list[MirrorRule] = []
    network_services: list[Literal["amazon-dns"]] = []


class MirrorSession(Frozen):
    id: str
    source: str
    target: str
    filter: str
    number: int = Field(ge=MIRROR_NUMBERS[0], le=MIRROR_NUMBERS[1])
    vni: int | None = Field(default=None, ge=0, le=MAX_VNI)
    packet_length: int | None = Field(default=None, ge=1, le=MAX_PACKET_LENGTH_BYTES)


class Mirror(Frozen):
    targets: list[MirrorTarget] = []
    filters: list[MirrorFilter] = []
    sessions: list[MirrorSession] = []
