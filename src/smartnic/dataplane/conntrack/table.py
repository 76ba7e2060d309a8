"""Per-ENI connection tracking with idle timeouts and a capacity (SG-R18..R25).

Inputs: a FlowTuple per packet, the packet's direction relative to the ENI, the clock time.
Outputs: the matching live entry (and whether the packet is a reply), new entries, and
per-ENI counters `conntrack_allowance_exceeded` / `conntrack_allowance_available` (SG-R25).

Entries outlive policy changes (SG-R22: an established tracked flow continues after its
rule is removed); they expire after the idle timeout of their state. Expired entries are
removed lazily on lookup and by sweeps when an ENI reaches its capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.conntrack.key import CtKey, FlowTuple
from smartnic.dataplane.conntrack.timeouts import ConntrackTimeouts

DEFAULT_CAPACITY = 262_144


@dataclass(slots=True)
class CtEntry:
    eni_id: str
    key: CtKey
    proto_class: int
    origin: str  # "ingress" | "egress": the direction of the packet that created it
    created_s: float
    state: int = 0
    last_seen_s: float = 0.0
    expires_s: float = 0.0
    packets_orig: int = 0
    packets_reply: int = 0
    bytes_orig: int = 0
    bytes_reply: int = 0
    removed: bool = False


@dataclass(slots=True)
class _EniTrack:
    capacity: int
    timeouts: ConntrackTimeouts
    entries: dict[CtKey, CtEntry] = field(default_factory=dict)
    exceeded: int = 0


class ConntrackTable:
    """All tracked connections of the ENIs one engine serves."""

    def __init__(self) -> None:
        self._enis: dict[str, _EniTrack] = {}

    def configure_eni(self, eni_id: str, capacity: int, timeouts: ConntrackTimeouts) -> None:
        track = self._enis.get(eni_id)
        if track is None:
            self._enis[eni_id] = _EniTrack(capacity, timeouts)
        else:
            track.capacity, track.timeouts = capacity, timeouts

    def remove_eni(self, eni_id: str) -> None:
        track = self._enis.pop(eni_id, None)
        for entry in track.entries.values() if track else ():
            entry.removed = True

    def lookup(self, eni_id: str, tup: FlowTuple, now_s: float) -> tuple[CtEntry, bool] | None:
        """The live entry the packet belongs to, and whether it travels as a reply."""
        track = self._enis[eni_id]
        for key, is_reply in ((tup.forward, False), (tup.reverse, True)):
            entry = track.entries.get(key) if key is not None else None
            if entry is None:
                continue
            if entry.expires_s <= now_s:
                self._drop(track, entry)
                continue
            return entry, is_reply
        return None

    def create(
        self, eni_id: str, tup: FlowTuple, origin: str, now_s: float
    ) -> CtEntry | None:
        """A new entry for the packet's forward key; None when the ENI is at capacity."""
        track = self._enis[eni_id]
        assert tup.forward is not None, "replies never create entries"
        if len(track.entries) >= track.capacity:
            self._sweep(track, now_s)
        if len(track.entries) >= track.capacity:
            track.exceeded += 1
            return None
        entry = CtEntry(eni_id, tup.forward, tup.proto_class, origin, now_s, last_seen_s=now_s)
        entry.expires_s = now_s + track.timeouts.for_state(entry.proto_class, entry.state)
        track.entries[tup.forward] = entry
        return entry

    def touch(
        self, entry: CtEntry, is_reply: bool, tcp_flags: int, length_bytes: int, now_s: float
    ) -> bool:
        """Account a packet to its entry. False: the packet starts a new connection instead."""
        if entry.removed:
            return False
        track = self._enis[entry.eni_id]
        if entry.proto_class == st.CLASS_TCP:
            if st.tcp_reopens(entry.state, tcp_flags, is_reply):
                self._drop(track, entry)
                return False
            entry.state = st.tcp_next_state(entry.state, tcp_flags, is_reply)
        elif entry.proto_class == st.CLASS_UDP:
            entry.state = st.udp_next_state(entry.state, is_reply)
        elif entry.proto_class == st.CLASS_ICMP:
            entry.state = st.icmp_next_state(entry.state, is_reply)
        _count(entry, is_reply, length_bytes)
        entry.last_seen_s = now_s
        entry.expires_s = now_s + track.timeouts.for_state(entry.proto_class, entry.state)
        return True

    def alive(self, entry: CtEntry, now_s: float) -> bool:
        return not entry.removed and entry.expires_s > now_s

    def counters(self, eni_id: str, now_s: float) -> dict[str, int]:
        track = self._enis.get(eni_id)
        if track is None:
            return {}
        self._sweep(track, now_s)
        return {
            "conntrack_entries": len(track.entries),
            "conntrack_allowance_exceeded": track.exceeded,
            "conntrack_allowance_available": max(track.capacity - len(track.entries), 0),
        }

    def entries(self, eni_id: str) -> list[CtEntry]:
        track = self._enis.get(eni_id)
        return list(track.entries.values()) if track else []

    def _sweep(self, track: _EniTrack, now_s: float) -> None:
        for entry in [e for e in track.entries.values() if e.expires_s <= now_s]:
            self._drop(track, entry)

    @staticmethod
    def _drop(track: _EniTrack, entry: CtEntry) -> None:
        entry.removed = True
        track.entries.pop(entry.key, None)


def _count(entry: CtEntry, is_reply: bool, length_bytes: int) -> None:
    if is_reply:
        entry.packets_reply += 1
        entry.bytes_reply += length_bytes
    else:
        entry.packets_orig += 1
        entry.bytes_orig += length_bytes
