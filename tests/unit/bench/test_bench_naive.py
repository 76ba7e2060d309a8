"""The naive baseline decides like the engine: the same verdict (delivered, sent to the
gateway, or dropped at the same stage) for a sample of packets both ways, replies of
tracked connections included, under the benchmark policy with NACL denies patched in."""

from __future__ import annotations

from typing import Any

import pytest

from bench.bed import Bed, make_bed
from bench.naive import NaiveHost
from bench.naive_tables import naive_tables
from bench.policy import CLIENT, SERVER, aws_max_config
from smartnic.packet import build_frame, ip_to_int

NACL_DENIED_OUT, NACL_DENIED_IN = 5250, 5260


def _config() -> dict[str, Any]:
    config = aws_max_config()
    nacl = config["nacls"][0]
    nacl["egress"][0] = {"n": 10, "action": "deny", "proto": "udp",
                         "ports": f"{NACL_DENIED_OUT}-{NACL_DENIED_OUT}", "cidr": "10.0.2.0/24"}
    nacl["ingress"][0] = {"n": 10, "action": "deny", "proto": "udp",
                          "ports": f"{NACL_DENIED_IN}-{NACL_DENIED_IN}", "cidr": "10.0.1.0/24"}
    # a way out through the internet gateway: group 1's filler egress rule 5 allows TCP
    # 10105 to 172.17.5.0/24; route that block to the gateway and let the NACL pass it
    nacl["egress"][1] = {"n": 20, "action": "allow", "proto": "tcp", "ports": "0-65535",
                         "cidr": "172.17.0.0/16"}
    config["route_tables"][0]["routes"][0] = {"dst": "172.17.0.0/16", "target": "igw-bench"}
    # out of the sender but not into the receiver: UDP 6000
    config["security_groups"][0]["egress"][0] = {"proto": "udp", "ports": "6000",
                                                 "peer": "10.0.2.0/24"}
    return config


def _with_public_ip(config: dict[str, Any]) -> dict[str, Any]:
    config["enis"][0]["public_ip"] = "54.0.0.10"
    return config


def _frame(bed: Bed, sender: dict[str, str], dst: str, proto: int, sport: int = 0,
           dport: int = 0, icmp_type: int = 0, src: str | None = None) -> bytes:
    eni = bed.program.enis[sender["eni"]]
    return build_frame(eth_src=eni.mac, eth_dst=bed.program.vpcs[eni.vpc_id].router_mac,
                       ip_version=4, src_ip=ip_to_int(src or sender["ip"])[1],
                       dst_ip=ip_to_int(dst)[1], proto=proto, sport=sport, dport=dport,
                       tcp_flags=0x02 if proto == 6 else 0, icmp_type=icmp_type, icmp_id=77)


def _engine_verdict(bed: Bed, sender: dict[str, str], frame: bytes) -> tuple[str, str]:
    there, back = (bed.client, bed.server) if sender is CLIENT else (bed.server, bed.client)
    emitted = there.process_vm_batch(sender["eni"], [frame])
    assert there.journal is not None
    if not emitted:
        drop = there.journal[-1].drop
        return "drop", drop.stage if drop else "?"
    outer = emitted[0].frame
    if int.from_bytes(outer[30:34], "big") == bed.program.edge_underlay_ip:
        return "gateway", ""
    delivered = back.process_underlay_batch([outer])
    assert back.journal is not None
    if not delivered:
        drop = back.journal[-1].drop
        return "drop", drop.stage if drop else "?"
    return "vm", delivered[0].port.removeprefix("vm:")


def _naive_verdict(hosts: dict[str, NaiveHost], sender: dict[str, str],
                   frame: bytes) -> tuple[str, str]:
    other = SERVER if sender is CLIENT else CLIENT
    verdict, outer = hosts[sender["host"]].from_vm(sender["eni"], frame)
    if verdict[0] == "gateway":
        return "gateway", ""
    if outer is None:
        return verdict
    return hosts[other["host"]].from_underlay(outer)[0]


SAMPLE: list[tuple[dict[str, str], dict[str, Any]]] = [
    (CLIENT, {"dst": SERVER["ip"], "proto": 17, "sport": 40000, "dport": 5201}),
    (SERVER, {"dst": CLIENT["ip"], "proto": 17, "sport": 5201, "dport": 40000}),  # reply
    (SERVER, {"dst": CLIENT["ip"], "proto": 17, "sport": 5201, "dport": 40001}),  # unsolicited
    (CLIENT, {"dst": SERVER["ip"], "proto": 17, "sport": 40000, "dport": 80}),
    (CLIENT, {"dst": SERVER["ip"], "proto": 6, "sport": 40002, "dport": 5299}),
    (CLIENT, {"dst": SERVER["ip"], "proto": 6, "sport": 40002, "dport": 22}),
    (CLIENT, {"dst": SERVER["ip"], "proto": 1, "icmp_type": 8}),
    (SERVER, {"dst": CLIENT["ip"], "proto": 1, "icmp_type": 0}),  # echo reply
    (CLIENT, {"dst": SERVER["ip"], "proto": 17, "sport": 40003, "dport": NACL_DENIED_OUT}),
    (CLIENT, {"dst": SERVER["ip"], "proto": 17, "sport": 40003, "dport": NACL_DENIED_IN}),
    (CLIENT, {"dst": SERVER["ip"], "proto": 17, "sport": 1, "dport": 5201, "src": "10.0.1.99"}),
    (CLIENT, {"dst": "10.0.3.7", "proto": 17, "sport": 40004, "dport": 5201}),
    (CLIENT, {"dst": "10.0.2.99", "proto": 17, "sport": 40004, "dport": 5201}),
    (CLIENT, {"dst": SERVER["ip"], "proto": 17, "sport": 40005, "dport": 6000}),
    (CLIENT, {"dst": "172.16.5.9", "proto": 17, "sport": 40004, "dport": 5201}),
    (CLIENT, {"dst": "172.17.5.9", "proto": 6, "sport": 40004, "dport": 10105}),
    (CLIENT, {"dst": "172.17.6.9", "proto": 6, "sport": 40004, "dport": 10105}),
    (CLIENT, {"dst": "192.168.1.1", "proto": 17, "sport": 40004, "dport": 5201}),
]


@pytest.mark.parametrize("config", [_config(), _with_public_ip(_config())],
                         ids=["private-client", "public-client"])
def test_naive_and_engine_agree_on_every_sample_packet(config: dict[str, Any]) -> None:
    bed = make_bed(config=config, journal=True)
    hosts = {h: NaiveHost(naive_tables(bed.program, h)) for h in ("host-1", "host-2")}
    verdicts = []
    for sender, fields in SAMPLE:
        frame = _frame(bed, sender, **fields)
        engine, naive = _engine_verdict(bed, sender, frame), _naive_verdict(hosts, sender, frame)
        verdicts.append(engine)
        assert naive == engine, f"{sender['eni']} {fields}: naive {naive}, engine {engine}"
    stages = {v[1] for v in verdicts if v[0] == "drop"}
    internet = "gateway" if "public_ip" in config["enis"][0] else "no_transit"
    kinds = {v[0] for v in verdicts}
    assert {"vm", "drop"} <= kinds and internet in kinds | stages
    assert {"src_sg_egress", "dst_sg_ingress", "src_nacl_egress", "dst_nacl_ingress",
            "src_dst_check", "no_destination"} <= stages
