"""The fast path: exact-match flow cache replay in numba kernels, batch by batch.

What it does: a batch of frames (struct of arrays) is classified into columns — parsed,
checked as the slow path would (checksums, underlay admission), keyed and hashed
(classify.py) — then replayed in order (replay.py): each packet's entry in the flow table
(flowtable.py) holds the action the slow path compiled (action_rows.py: MAC rewrite,
tunnel template, output port, path MTU, conntrack references, flow-log slots, receiving
ENI). Hits update connection tracking as the slow path's `ct_touch` does (the tests hold
the two equal), accumulate flow-log slots and counters, and are emitted into an output
arena. Everything else is punted to the slow path at its place in the batch (core.py);
the engine's side of that is host_batches.py. How the kernels are written, and why:
columns.py.

Inputs: `PacketBatch` (batch.py) from a VM port or the underlay.
Outputs: `Emissions` (frames + port numbers + source packet index) and punted indices.
Counters: hits and punts by reason (`FastPath.counters()`); `rx_packets` and flow-log
observations are merged into the engine's own after every kernel run.
Every kernel is a `@kernel` with an interpreted twin (`.py_func`) used as test oracle.

Example:
    fast = FastPath(engine.ctx)
    result = fast.process(VM_SIDE, fast.port_index("vm:eni-a"), PacketBatch.from_frames(frames),
                          slow=lambda i: handle_in_python(frames[i]))
"""

from smartnic.dataplane.fastpath.batch import Emissions, PacketBatch
from smartnic.dataplane.fastpath.core import FastPath, FastResult
from smartnic.dataplane.fastpath.flowkey import UNDERLAY_SIDE, VM_SIDE, key_words

__all__ = ["UNDERLAY_SIDE", "VM_SIDE", "Emissions", "FastPath", "FastResult", "PacketBatch",
           "key_words"]
