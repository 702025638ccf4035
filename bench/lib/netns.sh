# Shared by bench/failover.sh: separate "hosts" on one machine for the failover matrix, as the address-mode tests'
# NetworkLab builds them: network namespaces on one bridge (itself in a namespace, so the machine's own network is
# never touched). Source it; it defines functions only. Needs root and iproute2.
#
#   netns_open PREFIX SUBNET    -> PREFIX-sw (bridge) and PREFIX-{cli .30, web .20, lbs .10, lb1 .11, lb2 .12} on SUBNET.0/24
#   netns_close PREFIX          -> deletes them (the veths and the bridge go with them)
#
# lbs holds both load balancers of the listen-mode pair (they share one network namespace, as in compose); lb1 and
# lb2 are the two hosts of the address-mode pair; cli runs the driver and its clients; web the nginx backend.

netns_open() {
  local prefix=$1 subnet=$2 host octet
  netns_close "$prefix"
  ip netns add "$prefix-sw"
  ip -n "$prefix-sw" link add br0 type bridge
  ip -n "$prefix-sw" link set br0 up
  for host in cli:30 web:20 lbs:10 lb1:11 lb2:12; do
    octet=${host#*:}
    host=${host%:*}
    ip netns add "$prefix-$host"
    ip -n "$prefix-sw" link add "p-$host" type veth peer name eth0 netns "$prefix-$host"
    ip -n "$prefix-sw" link set "p-$host" master br0 up
    ip -n "$prefix-$host" addr add "$subnet.$octet/24" dev eth0
    ip -n "$prefix-$host" link set eth0 up
    ip -n "$prefix-$host" link set lo up
  done
}

netns_close() {
  local prefix=$1 ns
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-" || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
}
