#!/usr/bin/env bash
# The bandwidth-drop scenario: a network namespace of its own whose loopback is shaped with tbf,
# a SplitNet server and an edge camera inside it, the uplink dropped half-way through the run.
# Needs root (ip netns, tc). Touches nothing outside the namespace it creates and deletes.
#
#   deploy/netns/bandwidth-drop.sh [HIGH] [LOW] [OUT] [bench options...]
#   deploy/netns/bandwidth-drop.sh 5mbit 0.5mbit tests/SplitNet.Benchmarks/reports
#   NAME=bandwidth-drop-ladder deploy/netns/bandwidth-drop.sh 48kbit 16kbit tests/SplitNet.Benchmarks/reports --model MODEL --fps 10
set -euo pipefail

high=${1:-5mbit}
low=${2:-0.5mbit}
out=${3:-tests/SplitNet.Benchmarks/reports}
name=${NAME:-bandwidth-drop-$low}
shift $(($# < 3 ? $# : 3))
ns="splitnet-shaped-$$"
root=$(cd "$(dirname "$0")/../.." && pwd)

dotnet build "$root/src/SplitNet.Cli" -c Release --nologo -v quiet
splitnet="$root/src/SplitNet.Cli/bin/Release/net10.0/splitnet"

host_netns=$(readlink /proc/self/ns/net)
ip netns add "$ns"
trap 'ip netns delete "$ns"' EXIT
# Without an MTU of 1500 and a burst larger than it, TCP stalls under tbf on loopback.
ip netns exec "$ns" ip link set lo up mtu 1500
ip netns exec "$ns" tc qdisc add dev lo root tbf rate "$high" burst 32kb latency 100ms

ip netns exec "$ns" "$splitnet" bench bandwidth-drop --high "$high" --low "$low" \
    --name "$name" --out "$out" --host-netns "$host_netns" "$@"
