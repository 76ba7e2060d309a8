"""Amazon DHCP for IPv4 (RFC 2131/2132) on UDP 67 → 68, default option set (DHCP-R1).

DISCOVER → OFFER and REQUEST → ACK of the ENI's primary private IPv4, with subnet mask,
router (subnet base+1, also the server identifier), Amazon DNS (VPC base+2), domain name
(`ec2.internal` in us-east-1, else `<region>.compute.internal`), interface MTU, and a
3600 s lease. A REQUEST for another address gets NAK; a REQUEST naming another server,
other message types, a chaddr that is not the ENI's MAC, or malformed input get nothing.
Replies are broadcast (255.255.255.255, ff:ff:ff:ff:ff:ff) unless the client set ciaddr.
Input: (program, eni_id, frame, now); output: zero or one reply frame.
"""

from __future__ import annotations

from smartnic.compiler.program import Program
from smartnic.dataplane.services import dhcp_wire as wire
from smartnic.dataplane.services.exchange import Request, read_request, udp_reply
from smartnic.dataplane.services.names import private_domain
from smartnic.packet.addr import BROADCAST_MAC
from smartnic.packet.l4 import PROTO_UDP

DHCP_SERVER_PORT = 67
LEASE_S = 3600
RENEWAL_S = LEASE_S // 2  # T1 and T2 at RFC 2131 §4.4.5's defaults: 0.5 and 0.875 of lease
REBINDING_S = LEASE_S * 7 // 8
BROADCAST_IPV4 = 0xFFFFFFFF


def answer_dhcp(program: Program, eni_id: str, frame: bytes, now_unix_s: float) -> list[bytes]:
    request = read_request(program, eni_id, frame, PROTO_UDP, DHCP_SERVER_PORT)
    if request is None or request.pkt.ip_version != 4:
        return []
    try:
        message = wire.decode_message(request.payload)
    except wire.DhcpFormatError:
        return []
    if not _from_this_eni(request, message):
        return []
    reply_type = _reply_type(program, request, message)
    if reply_type is None:
        return []
    if reply_type == wire.NAK:  # yiaddr 0, always broadcast (RFC 2131 §4.3.2)
        nak = wire.encode_reply(message, 0, _nak_options(program, request))
        return [_send(program, request, nak, unicast_to=0)]
    options = _lease_options(program, request, reply_type)
    lease = wire.encode_reply(message, request.eni.primary_ipv4, options)
    return [_send(program, request, lease, unicast_to=message.ciaddr)]


def _from_this_eni(request: Request, message: wire.DhcpMessage) -> bool:
    """An Ethernet BOOTREQUEST for the ENI's own MAC: no other hardware sits behind it."""
    ethernet = (wire.HTYPE_ETHERNET, wire.HLEN_ETHERNET)
    return (
        message.op == wire.BOOTREQUEST
        and (message.htype, message.hlen) == ethernet
        and message.chaddr[:6] == request.eni.mac
    )


def _reply_type(program: Program, request: Request, message: wire.DhcpMessage) -> int | None:
    kind = message.message_type()
    if kind == wire.DISCOVER:
        return wire.OFFER
    if kind != wire.REQUEST:
        return None
    server = message.address_option(wire.OPT_SERVER_ID)
    if server is not None and server != _server_ip(program, request):
        return None  # the client chose another server's offer
    wanted = message.address_option(wire.OPT_REQUESTED_IP) or message.ciaddr
    if not wanted:
        return None
    return wire.ACK if wanted == request.eni.primary_ipv4 else wire.NAK


def _lease_options(program: Program, request: Request, reply_type: int) -> list[tuple[int, bytes]]:
    subnet = program.subnet_of(request.eni)
    domain = private_domain(program.config.region).encode()
    return [
        (wire.OPT_MESSAGE_TYPE, bytes([reply_type])),
        (wire.OPT_SERVER_ID, wire.address_bytes(subnet.router_ip(4))),
        (wire.OPT_LEASE_TIME, wire.seconds_bytes(LEASE_S)),
        (wire.OPT_RENEWAL_TIME, wire.seconds_bytes(RENEWAL_S)),
        (wire.OPT_REBINDING_TIME, wire.seconds_bytes(REBINDING_S)),
        (wire.OPT_SUBNET_MASK, wire.address_bytes(subnet.cidr.mask)),
        (wire.OPT_BROADCAST_ADDRESS, wire.address_bytes(subnet.cidr.last)),
        (wire.OPT_ROUTER, wire.address_bytes(subnet.router_ip(4))),
        (wire.OPT_DNS, wire.address_bytes(request.vpc.dns_ipv4)),
        (wire.OPT_DOMAIN_NAME, domain),
        (wire.OPT_INTERFACE_MTU, request.eni.mtu.to_bytes(2, "big")),
    ]


def _nak_options(program: Program, request: Request) -> list[tuple[int, bytes]]:
    return [
        (wire.OPT_MESSAGE_TYPE, bytes([wire.NAK])),
        (wire.OPT_SERVER_ID, wire.address_bytes(_server_ip(program, request))),
    ]


def _server_ip(program: Program, request: Request) -> int:
    return program.subnet_of(request.eni).router_ip(4)


def _send(program: Program, request: Request, payload: bytes, unicast_to: int) -> bytes:
    """From the router; to the client's ciaddr when it has one, else broadcast."""
    if unicast_to:
        return udp_reply(request, payload, src_ip=_server_ip(program, request),
                         dst_ip=unicast_to, eth_dst=request.eni.mac)  # fmt: skip
    return udp_reply(request, payload, src_ip=_server_ip(program, request),
                     dst_ip=BROADCAST_IPV4, eth_dst=BROADCAST_MAC)  # fmt: skip
