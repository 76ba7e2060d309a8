"""Benchmarks of smartnic against reference datapaths, built from Linux network namespaces.

`bench.traffic` measures packet rate and latency between two VM namespaces;
`bench.anchors` builds the reference datapaths (kernel VXLAN + nftables conntrack, Open
vSwitch userspace datapath + conntrack) that smartnic's numbers are compared with.
All of it needs root.
"""
