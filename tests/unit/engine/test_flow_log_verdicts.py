"""Flow-log records exist only where a security verdict was reached (FL-R10, FL-R13, ORD-R1)."""

from __future__ import annotations

from typing import Any

from smartnic.clock import VirtualClock
from smartnic.model import load_config
from smartnic.net.cloud import Cloud
from smartnic.packet import build_frame, ip_to_int

CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-1", "cidrs": ["10.0.0.0/16"], "ipv6_cidrs": ["2001:db8::/56"]}],
    "subnets": [{"id": "subnet-1", "vpc": "vpc-1", "cidr": "10.0.1.0/24",
                 "ipv6_cidr": "2001:db8:0:1::/64"}],
    "enis": [{"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.10"],
              "ipv6": ["2001:db8:0:1::10"]}],
    "flow_logs": [{"id": "fl-1", "resource": "vpc-1", "interval": 60}],
}


def _cloud() -> tuple[Cloud, Any]:
    cloud = Cloud(load_config(CONFIG), VirtualClock(), responsive=False)
    return cloud, cloud.program.enis["eni-1"]


def test_multicast_dropped_before_the_security_group_is_not_logged() -> None:
    cloud, eni = _cloud()
    frame = build_frame(eth_src=eni.mac, eth_dst=bytes.fromhex("333300000016"), ip_version=6,
                        src_ip=ip_to_int("fe80::1")[1], dst_ip=ip_to_int("ff02::16")[1],
                        proto=17, sport=5353, dport=5353)
    journey = cloud.send_from_vm("eni-1", frame)
    assert journey.drop is not None and journey.drop.stage == "no_destination"
    assert [r for r in cloud.flow_log_records() if r.log_status == "OK"] == []


def test_unrouted_packet_is_logged_as_accepted_egress() -> None:
    cloud, eni = _cloud()
    frame = build_frame(eth_src=eni.mac, eth_dst=cloud.program.vpcs["vpc-1"].router_mac,
                        ip_version=4, src_ip=eni.primary_ipv4,
                        dst_ip=ip_to_int("192.0.2.1")[1], proto=6, sport=40000, dport=80,
                        tcp_flags=0x02)
    journey = cloud.send_from_vm("eni-1", frame)
    assert journey.drop is not None and journey.drop.stage == "no_route"
    [record] = [r for r in cloud.flow_log_records() if r.log_status == "OK"]
    assert (record.eni_id, record.direction, record.action) == ("eni-1", "egress", "ACCEPT")
