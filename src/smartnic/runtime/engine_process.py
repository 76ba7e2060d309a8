"""`python -m smartnic.runtime.engine_process --spec FILE`: an engine as the supervisor runs it.

The same as `smartnic engine --spec FILE` without importing the whole command line (the
demo, trace and benchmark commands cost seconds of imports on a busy machine, at every
restart). Refused, with one line and exit status 2, unless its parent is the topology's
supervisor (supervision.unsupervised_engine). Logs how long its modules took to load;
the supervisor reports the whole time until the engine answered (`ready_after_s`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from smartnic.runtime.supervision import unsupervised_engine

REFUSED_EXIT = 2


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    parser = argparse.ArgumentParser(prog="python -m smartnic.runtime.engine_process")
    parser.add_argument("--spec", type=Path, required=True, help="engine spec written by `up`")
    spec = parser.parse_args(argv).spec
    refusal = unsupervised_engine(spec)
    if refusal:
        print(f"error: engine refused: {refusal}", file=sys.stderr)
        return REFUSED_EXIT
    from smartnic.runtime.main import run_engine

    print(f"engine {spec.name}: modules loaded in {time.monotonic() - started:.2f} s", flush=True)
    run_engine(spec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
