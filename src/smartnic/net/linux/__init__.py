"""The "physical" side of a topology on one Linux machine, from a Config.

One network namespace per host, per VM (ENI), for the underlay bridge, the edge and the
internet; veth links between them; optionally kernel-VXLAN hosts for interoperability.
Engines (one process per host namespace, plus the edge) run on top of it.

    topology = plan(config, prefix_for(path))   # hosts with kind: kernel get no engine
    build(topology)                       # state: /run/smartnic/<prefix>/state.json
    engine = exec_in(topology.hosts["host-1"].netns, ["python", "-m", "smartnic", ...])
    record_process(default_state_path(topology.prefix), "host-1", engine.pid)
    teardown(topology.prefix)             # processes, links, namespaces, state file

Modules: `names` (prefixes, names, state paths), `layout` (plan objects), `planner`
(`plan`), `builder` (`build`), `cleanup` (`teardown`), `state` (the state file), `nsexec`
(commands, sysctls and nftables in a namespace).
"""

from smartnic.net.linux.builder import build
from smartnic.net.linux.cleanup import teardown
from smartnic.net.linux.layout import (
    Bridge,
    EdgePlan,
    HostPlan,
    Interface,
    InternetPlan,
    Namespace,
    Neighbor,
    Route,
    TopologyPlan,
    Veth,
    VmPlan,
    Vxlan,
)
from smartnic.net.linux.names import (
    DEFAULT_STATE_ROOT,
    check_prefix,
    default_state_path,
    prefix_for,
)
from smartnic.net.linux.nsexec import exec_in, list_namespaces, run_in
from smartnic.net.linux.planner import plan
from smartnic.net.linux.state import TopologyExists, read_state, record_process

__all__ = [
    "DEFAULT_STATE_ROOT",
    "Bridge",
    "EdgePlan",
    "HostPlan",
    "Interface",
    "InternetPlan",
    "Namespace",
    "Neighbor",
    "Route",
    "TopologyExists",
    "TopologyPlan",
    "Veth",
    "VmPlan",
    "Vxlan",
    "build",
    "check_prefix",
    "default_state_path",
    "exec_in",
    "list_namespaces",
    "plan",
    "prefix_for",
    "read_state",
    "record_process",
    "run_in",
    "teardown",
]
