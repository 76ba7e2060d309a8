# Two entry points: `make demo` (no root) and `make test` (the whole suite).
# Both create .venv/ on first use and install pinned dependencies from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Debian packages of every binary the root-only tests and the benchmark run (namespaces,
# kernel VXLAN, captures, traffic tools, OVS).
SYSTEM_PACKAGES := iproute2 nftables tshark tcpdump iperf3 iputils-ping curl openvswitch-switch procps

.PHONY: demo test test-checked test-checked-run bench lint system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/smartnic demo $(ARGS)

# Kernels are compiled once before the suite (not by every worker on its first packet), in
# both modes side by side (numba compiles on one core): normal, and bounds-checked
# (NUMBA_BOUNDSCHECK=1: numba checks every array index; its own kernel cache, see
# smartnic/numba_cache.py). The suite runs without the tests marked `boundscheck`, which
# then run bounds-checked (docs/architecture.md, "Memory safety of the kernels").
CHECKED := NUMBA_BOUNDSCHECK=1
PYTEST := $(BIN)/pytest -n 2 --dist loadgroup

test: $(STAMP) system-deps
	@$(CHECKED) $(BIN)/python -m smartnic.dataplane.warmup & checked=$$!; \
	$(BIN)/python -m smartnic.dataplane.warmup; normal=$$?; \
	wait $$checked && [ $$normal = 0 ]
	$(PYTEST) -m "not boundscheck" $(ARGS)
	$(MAKE) --no-print-directory test-checked-run

# Only the bounds-checked run (ARGS narrows it as for `make test`).
test-checked: $(STAMP)
	$(CHECKED) $(BIN)/python -m smartnic.dataplane.warmup
	$(MAKE) --no-print-directory test-checked-run

# pytest exits 5 when ARGS selects no marked test: nothing to check there.
test-checked-run:
	$(CHECKED) $(PYTEST) -m boundscheck $(ARGS) || [ $$? = 5 ]

bench: $(STAMP) system-deps
	$(BIN)/python -m smartnic.dataplane.warmup
	$(BIN)/smartnic bench $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

# Installs the Debian packages of the root-only tests when running as root; a no-op otherwise.
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		missing=""; for p in $(SYSTEM_PACKAGES); do \
			dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
		if [ -n "$$missing" ]; then \
			echo "installing:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		fi; \
	fi

clean:
	rm -rf $(VENV) out
