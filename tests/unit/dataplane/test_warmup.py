"""After the warm-up an engine meets no kernel it has not loaded: a fresh interpreter warms
up, then drives an engine pair as an engine process runs it (slow-path share, flow logs
delivered, not kept) through what the warm-up's own small cloud does not copy: a flood of
new connections that grows the flow table and connection tracking several times over,
replies, expiry, reuse of expired tuples, counters and flow-log windows. Every kernel the
workload calls must already be loaded: one loaded on demand stalls the engine loop for as
long as loading (or, on a cold cache, compiling) takes, with every port's frames waiting.
"""

from __future__ import annotations

import json
import subprocess
import sys

WORKLOAD = """
import json
from smartnic.dataplane.warmup import loaded_kernels, warm_up

warm_up()
from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.dataplane.allowance import DEFAULT_SLOWPATH_PPS
from smartnic.dataplane.host_engine import HostEngine
from smartnic.model import load_config
from smartnic.packet import build_frame
from smartnic.ports.memory import MemoryPort, MemoryUnderlay

before = loaded_kernels()
RULES = [{"proto": "tcp", "ports": "1-65535", "peer": "10.9.0.0/16"},
         {"proto": "udp", "ports": "53", "peer": "0.0.0.0/0"}]
config = {
    "vpcs": [{"id": "vpc-t", "cidrs": ["10.9.0.0/16"]}],
    "subnets": [{"id": "subnet-t", "vpc": "vpc-t", "cidr": "10.9.1.0/24"}],
    "security_groups": [{"id": "sg-t", "vpc": "vpc-t", "ingress": RULES,
                         "egress": [{"proto": "all", "peer": "0.0.0.0/0"}]}],
    "enis": [{"id": "eni-x", "subnet": "subnet-t", "ips": ["10.9.1.5"], "sgs": ["sg-t"]},
             {"id": "eni-y", "subnet": "subnet-t", "ips": ["10.9.1.6"], "sgs": ["sg-t"]}],
    "flow_logs": [{"id": "fl-t", "resource": "vpc-t", "interval": 60}],
    "hosts": [{"id": "h-1", "enis": ["eni-x"]}, {"id": "h-2", "enis": ["eni-y"]}],
}
program = compile_program(load_config(config))
clock, network = VirtualClock(), MemoryUnderlay()
engines = {h: HostEngine(h, program, clock, network.port(program.hosts[h].underlay_ip, h),
                         slowpath_pps=DEFAULT_SLOWPATH_PPS, keep_flow_logs=False)
           for h in ("h-1", "h-2")}
ports = {"eni-x": MemoryPort("eni-x"), "eni-y": MemoryPort("eni-y")}
engines["h-1"].attach("eni-x", ports["eni-x"])
engines["h-2"].attach("eni-y", ports["eni-y"])
enis = program.enis
router = program.vpcs["vpc-t"].router_mac

def frame(src, dst, sport, dport, proto=6, flags=0x02):
    return build_frame(eth_src=enis[src].mac, eth_dst=router, ip_version=4,
                       src_ip=enis[src].primary_ipv4,
                       dst_ip=enis[dst].primary_ipv4, proto=proto, sport=sport,
                       dport=dport, **({"tcp_flags": flags} if proto == 6 else {}))

def run(frames, src, host):
    for i in range(0, len(frames), 256):
        for f in frames[i:i + 256]:
            ports[src].inject(f)
        for _ in range(4):
            for engine in engines.values():
                engine.poll()
        clock.advance(0.3)  # within the new-flow allowance: every SYN is tracked

for rounds in range(3):
    syns = [frame("eni-x", "eni-y", 1024 + n, 5201 + rounds) for n in range(6000)]
    run(syns, "eni-x", "h-1")
    replies = [frame("eni-y", "eni-x", 5201 + rounds, 1024 + n, flags=0x12) for n in range(500)]
    run(replies, "eni-y", "h-2")
    run([frame("eni-y", "eni-x", 3000 + n, 53, proto=17) for n in range(300)], "eni-y", "h-2")
    for engine in engines.values():
        engine.tick()
        engine.eni_counters(next(iter(engine.vm_ports)))
    clock.advance(1000.0)  # every tracked connection and cached flow expires
    for engine in engines.values():
        engine.tick()
after = loaded_kernels()
print(json.dumps({"loaded_on_demand": sorted(k for k, n in after.items()
                                             if n != before.get(k, 0))}))
"""


def test_an_engine_meets_no_kernel_the_warm_up_left_unloaded() -> None:
    done = subprocess.run([sys.executable, "-c", WORKLOAD], capture_output=True, text=True,
                          timeout=900, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == {"loaded_on_demand": []}
