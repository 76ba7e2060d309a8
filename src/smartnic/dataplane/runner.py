"""Applying a flow action to one packet: effects in order, then the output.

Effects: allowance gates (a refused packet stops here, counted as `<kind>_allowance_exceeded`),
connection-tracking updates, flow-log observations. Outputs become emissions on named
ports: `vm:<eni>`, `underlay`, `internet`, `gateway:<id>`. Packets larger than the path
MTU are fragmented when IPv4 allows it, else dropped at `mtu_exceeded` with an ICMP
fragmentation-needed / packet-too-big sent back to a local sender (MTU-R1).
"""

from __future__ import annotations

from typing import NamedTuple

from smartnic.dataplane import actions as act
from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.context import EngineContext
from smartnic.dataplane.services import ServiceDesk
from smartnic.dataplane.verdict import Drop
from smartnic.packet import build_icmp_frag_needed, build_icmpv6_packet_too_big, fragment_ipv4
from smartnic.packet.overlay import OverlayKind, encapsulate
from smartnic.packet.parse import Packet
from smartnic.telemetry.flowlogs import FlowObservation


class Emission(NamedTuple):
    """A frame leaving the engine on a port (a tuple: one is made per forwarded frame, and
    a frozen dataclass cost three times as much to build)."""

    port: str
    frame: bytes


def underlay_mac(ip: int) -> bytes:
    return bytes([0x02, 0x5E]) + ip.to_bytes(4, "big")


def overlay_frame(kind: OverlayKind, own_ip: int, output: act.ToUnderlay, frame: bytes) -> bytes:
    """The inner frame with router-rewritten MACs, encapsulated for the underlay."""
    inner = output.eth_dst + output.eth_src + frame[12:]
    return encapsulate(
        inner, kind=kind, vni=output.vni,
        outer_src_mac=underlay_mac(own_ip), outer_dst_mac=underlay_mac(output.underlay_ip),
        outer_src_ip=own_ip, outer_dst_ip=output.underlay_ip,
        udp_src_port=output.udp_src_port, sender_tag=output.sender_tag,
    )


class ActionRunner:
    def __init__(self, ctx: EngineContext, services: ServiceDesk) -> None:
        self.ctx = ctx
        self.services = services

    def is_current(self, action: act.FlowAction, pkt: Packet) -> bool:
        """May this cached action be replayed for `pkt` now?"""
        if action.generation != self.ctx.program.generation:
            return False
        now_s = self.ctx.clock.now()
        for effect in action.effects:
            if isinstance(effect, act.CtTouch):
                entry = effect.entry
                if not self.ctx.conntrack.alive(entry, now_s):
                    return False
                if entry.proto_class == st.CLASS_TCP and st.tcp_reopens(
                    entry.state, pkt.tcp_flags, effect.is_reply
                ):
                    return False
        return True

    def run(self, action: act.FlowAction, frame: bytes, pkt: Packet,
            out: list[Emission]) -> Drop | None:
        if action.output is not None and pkt.ip_total_length > action.path_mtu_bytes:
            return self._oversize(action, frame, pkt, out)
        return self._one(action, frame, pkt.tcp_flags, pkt.ip_total_length, out)

    def _one(self, action: act.FlowAction, frame: bytes, tcp_flags: int, length_bytes: int,
             out: list[Emission]) -> Drop | None:
        drop = self._effects(action, tcp_flags, length_bytes) or action.drop
        if drop is not None:
            self.ctx.counters.drop(drop.eni_id, drop.stage, drop.reason)
            return drop
        assert action.output is not None
        self._emit(action.output, frame, out)
        return None

    def _effects(self, action: act.FlowAction, tcp_flags: int, length_bytes: int) -> Drop | None:
        ctx, now_s = self.ctx, self.ctx.clock.now()
        for effect in action.effects:
            if isinstance(effect, act.RateGate):
                if not ctx.allowances.admit(effect.eni_id, effect.kind, effect.limit_packets,
                                            now_s):
                    ctx.counters.add(effect.eni_id, f"{effect.kind}_allowance_exceeded")
                    return Drop("allowance_exceeded", f"{effect.kind}_allowance", effect.eni_id)
            elif isinstance(effect, act.CtTouch):
                ctx.conntrack.touch(effect.entry, effect.is_reply, tcp_flags, length_bytes, now_s)
            else:
                ctx.flowlogs.observe(_observation(effect, tcp_flags, length_bytes, now_s))
        return None

    def _emit(self, output: act.Output, frame: bytes, out: list[Emission]) -> None:
        if isinstance(output, act.ToVm):
            rewritten = output.eth_dst + output.eth_src + frame[12:]
            out.append(Emission(f"vm:{output.eni_id}", rewritten))
            self.ctx.counters.add(output.eni_id, "rx_packets")
        elif isinstance(output, act.ToUnderlay):
            out.append(Emission("underlay", overlay_frame(
                self.ctx.program.overlay, self.ctx.underlay_ip, output, frame)))
        elif isinstance(output, act.ToService):
            for reply in self.services.answer(output.service, output.eni_id, frame):
                out.append(Emission(f"vm:{output.eni_id}", reply))
        else:
            out.append(Emission(output.port, frame))

    def _oversize(self, action: act.FlowAction, frame: bytes, pkt: Packet,
                  out: list[Emission]) -> Drop | None:
        mtu = action.path_mtu_bytes
        if pkt.ip_version == 4 and not pkt.df:
            for piece in fragment_ipv4(frame, mtu):
                ip_length = int.from_bytes(piece[pkt.l3_offset + 2:pkt.l3_offset + 4], "big")
                self._one(action, piece, pkt.tcp_flags, ip_length, out)
            return None
        sender = action.sender_on_host
        if sender is not None:
            out.append(Emission(f"vm:{sender}", self._too_big(sender, frame, pkt, mtu)))
        drop = Drop("mtu_exceeded", "df_set" if pkt.ip_version == 4 else "packet_too_big", sender)
        self.ctx.counters.drop(sender, drop.stage, drop.reason)
        return drop

    def _too_big(self, eni_id: str, frame: bytes, pkt: Packet, mtu: int) -> bytes:
        program = self.ctx.program
        eni = program.enis[eni_id]
        subnet = program.subnet_of(eni)
        router_mac = program.vpcs[eni.vpc_id].router_mac
        build = build_icmp_frag_needed if pkt.ip_version == 4 else build_icmpv6_packet_too_big
        return build(frame, mtu, src_mac=router_mac, dst_mac=eni.mac,
                     router_ip=subnet.router_ip(pkt.ip_version))


def _observation(effect: act.LogPacket, tcp_flags: int, length_bytes: int,
                 now_s: float) -> FlowObservation:
    return FlowObservation(
        eni_id=effect.eni_id, direction=effect.direction, action=effect.action,
        ip_version=effect.ip_version, pkt_src=effect.pkt_src, pkt_dst=effect.pkt_dst,
        sport=effect.sport, dport=effect.dport, protocol=effect.protocol,
        length_bytes=length_bytes, tcp_flags=tcp_flags if effect.protocol == 6 else 0,
        traffic_path=effect.traffic_path, time_s=now_s,
    )
