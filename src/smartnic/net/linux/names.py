"""Names of a Linux topology: its prefix, namespaces, interfaces and state file.

Every object of one topology carries a short prefix (`sn` + 4 hex digits by default), so
two topologies side by side never meet and a crashed one can be swept by prefix.

* namespaces: `<p>-ul` (underlay bridge), `<p>-h<N>` (host N, 1-based in config order),
  `<p>-v<N>` (VM of the N-th ENI of the config), `<p>-edge`, `<p>-inet`;
* interfaces (≤ 15 characters, the kernel's IFNAMSIZ - 1): `<p>ul` underlay bridge,
  `<p>h<N>` / `<p>b<N>` host N's underlay veth (host end / bridge port), `<p>e` / `<p>be`
  the edge's, `<p>ex` / `<p>in` the edge ↔ internet link, `<p>v<N>` the host end of VM N's
  link (the VM end is `eth0`); inside a kernel-VXLAN host, `br<K>` / `vxlan<K>` per VPC;
* state: `/run/smartnic/<p>/state.json`, or under `$SMARTNIC_STATE_DIR` / a given root.
"""

from __future__ import annotations

import hashlib
import os
import string
from pathlib import Path

IFNAME_MAX_CHARS = 15
PREFIX_MIN_CHARS, PREFIX_MAX_CHARS = 2, 8
PREFIX_CHARACTERS = frozenset(string.ascii_lowercase + string.digits)
PREFIX_RULE = "2-8 lower-case letters or digits, starting with a letter"
DEFAULT_STATE_ROOT = Path("/run/smartnic")
STATE_ROOT_ENV = "SMARTNIC_STATE_DIR"
STATE_FILE_NAME = "state.json"
VM_DEVICE = "eth0"


def check_prefix(prefix: str) -> str:
    """The topology name (prefix) itself, or ValueError saying what is wrong with it.

    The one check every lifecycle command applies to `--name`: 2-8 lower-case letters or
    digits, starting with a letter. No `-` inside, so `<prefix>-` names one topology's
    namespaces and no other's; at most 8 characters, so `<prefix>` plus a role and a number
    stays within the kernel's 15-character interface names.
    """
    problem = _prefix_problem(prefix)
    if problem:
        raise ValueError(f"invalid topology name {prefix!r}: {problem}; use {PREFIX_RULE}")
    return prefix


def _prefix_problem(prefix: str) -> str | None:
    if not prefix:
        return "it is empty"
    if len(prefix) > PREFIX_MAX_CHARS:
        return (f"{len(prefix)} characters, at most {PREFIX_MAX_CHARS} (it prefixes interface "
                f"names, which Linux limits to {IFNAME_MAX_CHARS} characters)")
    if len(prefix) < PREFIX_MIN_CHARS:
        return f"{len(prefix)} character, at least {PREFIX_MIN_CHARS}"
    refused = sorted({c for c in prefix if c not in PREFIX_CHARACTERS})
    if refused:
        return "characters not allowed: " + " ".join(repr(c) for c in refused)
    if not prefix[0].isalpha():
        return "it must start with a letter"
    return None


def prefix_for(config_path_or_name: str | Path) -> str:
    """A stable prefix: `sn` + 4 hex digits of a hash of the resolved path (or the name)."""
    text = str(config_path_or_name)
    if Path(text).exists():
        text = str(Path(text).resolve())
    return "sn" + hashlib.sha256(text.encode()).hexdigest()[:4]


def netns_name(prefix: str, role: str, number: int | None = None) -> str:
    """`<p>-ul`, `<p>-edge`, `<p>-inet`, `<p>-h<N>`, `<p>-v<N>`."""
    return f"{prefix}-{role}" if number is None else f"{prefix}-{role}{number}"


def ifname(prefix: str, role: str, number: int | None = None) -> str:
    """A prefixed interface name; ValueError when it would exceed IFNAMSIZ."""
    name = f"{prefix}{role}" if number is None else f"{prefix}{role}{number}"
    if len(name) > IFNAME_MAX_CHARS:
        raise ValueError(f"interface name {name!r} is longer than {IFNAME_MAX_CHARS} characters")
    return name


def state_root(root: str | Path | None = None) -> Path:
    if root is not None:
        return Path(root)
    return Path(os.environ.get(STATE_ROOT_ENV) or DEFAULT_STATE_ROOT)


def default_state_path(prefix: str, root: str | Path | None = None) -> Path:
    return state_root(root) / check_prefix(prefix) / STATE_FILE_NAME
