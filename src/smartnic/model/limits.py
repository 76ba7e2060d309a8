"""Ranges of single config fields: AWS's where AWS has one, the engine's where it does not.

Every number a config carries is bounded here or in `model.config`, so a config that passes
`smartnic validate` also fits the columns the engines store it in (numpy int64 and uint32
columns, the conntrack row space, the 16-bit sender identity of the overlay).

* AWS: the account id is 12 digits; region names look like `us-east-1`; a customer-managed
  prefix list holds 1..1000 entries (console and API limit, SG-R10); an ENI's MTU is at
  most 9001 (MTU-R1), at least 68 (IPv4) and 1280 when it has IPv6 addresses (RFC 8200);
  an ENI holds at most 50 private IPv4 and 50 IPv6 addresses (the largest instance types).
* Engine: `limits.conntrack_max` 1..MAX_CONNTRACK_ROWS, the rows one engine's connection
  table grows to (dataplane/conntrack/table.py MAX_ROWS, held equal by a test);
  `limits.pps` and `limits.new_flows` 1..MAX_PPS (10^9: beyond any NIC's line rate, and
  inside int32/uint32);
  at most MAX_ENIS ENIs, the 16-bit sender identities the overlay can carry
  (compiler/mapping.py assigns tags 1..0xFFF0).
"""

from __future__ import annotations

import re

ACCOUNT_ID = re.compile(r"\d{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
MAX_CONNTRACK_ROWS = 1 << 22
MAX_PPS = 1_000_000_000
MAX_ENIS = 0xFFF0
PREFIX_LIST_MAX_ENTRIES = 1000
ENI_MTU_RANGE = (68, 9001)
IPV6_MIN_MTU = 1280
MAX_ADDRESSES_PER_FAMILY = 50
