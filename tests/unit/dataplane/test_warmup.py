"""The warm-up runs every entry kernel of the fast path and of admission, so none is left
to compile on a real engine's first packet (checked in a fresh interpreter, where nothing
else has called them)."""

from __future__ import annotations

import json
import subprocess
import sys

CHECK = """
import json
from smartnic.dataplane.admission import ordered
from smartnic.dataplane.conntrack import rows
from smartnic.dataplane.fastpath import admit_install, admit_scan, classify, replay
from smartnic.dataplane.warmup import warm_up

kernels = (classify.classify_vm, classify.classify_underlay, replay.replay, admit_scan.scan,
           admit_install.install, ordered.decide_vm_in_order, ordered.decide_underlay_in_order,
           rows.sweep)
before = [k.py_func.__qualname__ for k in kernels if k.signatures]
warm_up()
print(json.dumps({"before": before,
                  "missing": [k.py_func.__qualname__ for k in kernels if not k.signatures]}))
"""


def test_warm_up_compiles_every_entry_kernel() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          timeout=600, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result == {"before": [], "missing": []}
