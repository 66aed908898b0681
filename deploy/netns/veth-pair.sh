# Sourced by the netns scripts: namespaces $edge and $server (made here, deleted on exit) joined by a
# veth pair, sn-edge at 10.201.0.1 and sn-server at 10.201.0.2.
ip netns add "$edge"
ip netns add "$server"
trap 'ip netns pids "$server" | xargs -r kill; ip netns delete "$edge"; ip netns delete "$server"' EXIT
ip link add sn-edge netns "$edge" type veth peer name sn-server netns "$server"
ip -n "$edge" addr add 10.201.0.1/24 dev sn-edge
ip -n "$server" addr add 10.201.0.2/24 dev sn-server
for ns in "$edge" "$server"; do ip -n "$ns" link set lo up; done
ip -n "$edge" link set sn-edge up
ip -n "$server" link set sn-server up
