#!/usr/bin/env bash
# The bandwidth-drop scenario: an edge camera and a SplitNet server in network namespaces of their
# own, joined by a veth pair whose edge side is shaped on egress with tbf (the uplink; answers come
# back unshaped), the uplink dropped half-way through the run. LINK=loopback instead puts both in
# one namespace with its loopback shaped, answers and acknowledgements included (the older reports).
# Needs root (ip netns, tc). Touches nothing outside the namespaces it creates and deletes.
#
#   deploy/netns/bandwidth-drop.sh [HIGH] [LOW] [OUT] [bench options...]
#   NAME=bandwidth-drop-uplink deploy/netns/bandwidth-drop.sh 48kbit 16kbit tests/SplitNet.Benchmarks/reports --fps 10
#   LINK=loopback deploy/netns/bandwidth-drop.sh 5mbit 0.5mbit tests/SplitNet.Benchmarks/reports
set -euo pipefail

high=${1:-5mbit}
low=${2:-0.5mbit}
out=${3:-tests/SplitNet.Benchmarks/reports}
name=${NAME:-bandwidth-drop-$low}
shift $(($# < 3 ? $# : 3))
edge="splitnet-shaped-$$"
server="splitnet-server-$$"
root=$(cd "$(dirname "$0")/../.." && pwd)

dotnet build "$root/src/SplitNet.Cli" -c Release --nologo -v quiet
splitnet="$root/src/SplitNet.Cli/bin/Release/net10.0/splitnet"

host_netns=$(readlink /proc/self/ns/net)
if [ "${LINK:-veth}" = loopback ]; then
    ip netns add "$edge"
    trap 'ip netns delete "$edge"' EXIT
    # Without an MTU of 1500 and a burst larger than it, TCP stalls under tbf on loopback.
    ip netns exec "$edge" ip link set lo up mtu 1500
    ip netns exec "$edge" "$splitnet" bench bandwidth-drop --high "$high" --low "$low" \
        --name "$name" --out "$out" --host-netns "$host_netns" "$@"
    exit
fi
. "$root/deploy/netns/veth-pair.sh"

ip netns exec "$edge" "$splitnet" bench bandwidth-drop --high "$high" --low "$low" \
    --server-netns "$server" --server-address 10.201.0.2 --dev sn-edge \
    --name "$name" --out "$out" --host-netns "$host_netns" "$@"
