# Two entry points: `make demo` (no root) and `make test` (the whole suite).
# Both create .venv/ on first use and install pinned dependencies from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Debian packages of every binary the root-only tests and the benchmark run (namespaces,
# kernel VXLAN, captures, traffic tools, OVS).
SYSTEM_PACKAGES := iproute2 nftables tshark tcpdump iperf3 iputils-ping curl openvswitch-switch procps

.PHONY: demo test bench lint system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/smartnic demo $(ARGS)

# Kernels are compiled once before the suite (not by every worker on its first packet).
test: $(STAMP) system-deps
	$(BIN)/python -m smartnic.dataplane.warmup
	$(BIN)/pytest -n 2 --dist loadgroup $(ARGS)

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
