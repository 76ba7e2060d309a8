"""Idle timeouts per protocol class and state (SG-R24).

Documented: TcpEstablishedTimeout (default 432000 s, 60..432000), UdpStreamTimeout
(180 s, 60..180), UdpTimeout (30 s, 30..60), other protocols 600 s. Timeouts for ICMP and
for TCP states other than ESTABLISHED are undocumented ([U], spec §9 item 3): we use the
Linux nf_conntrack defaults and expose them as fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.dataplane.conntrack import states as st


@dataclass(frozen=True, slots=True)
class ConntrackTimeouts:
    tcp_established_s: float = 432000.0
    udp_stream_s: float = 180.0
    udp_s: float = 30.0
    other_s: float = 600.0
    icmp_s: float = 30.0
    tcp_syn_sent_s: float = 120.0
    tcp_syn_recv_s: float = 60.0
    tcp_fin_wait_s: float = 120.0
    tcp_close_wait_s: float = 60.0
    tcp_last_ack_s: float = 30.0
    tcp_time_wait_s: float = 120.0
    tcp_close_s: float = 10.0

    def for_state(self, proto_class: int, state: int) -> float:
        if proto_class == st.CLASS_TCP:
            return self._tcp(state)
        if proto_class == st.CLASS_UDP:
            return self.udp_stream_s if state == st.UDP_STREAM else self.udp_s
        if proto_class == st.CLASS_ICMP:
            return self.icmp_s
        return self.other_s

    def _tcp(self, state: int) -> float:
        return (
            self.tcp_syn_sent_s,  # NONE: a packet always moves the state on
            self.tcp_syn_sent_s,
            self.tcp_syn_recv_s,
            self.tcp_established_s,
            self.tcp_fin_wait_s,
            self.tcp_close_wait_s,
            self.tcp_last_ack_s,
            self.tcp_time_wait_s,
            self.tcp_close_s,
        )[state]
