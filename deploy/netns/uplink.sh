#!/usr/bin/env bash
# The comparative run: two network namespaces of their own, an edge and a server, joined by a veth
# pair whose edge side is shaped on egress (the uplink) with tbf at each rate in turn; every path
# to the vision and the text model's answer measured through it (bench uplink). Needs root (ip netns, tc).
# Touches nothing outside the namespaces it creates and deletes.
#
#   deploy/netns/uplink.sh [OUT] [bench uplink options…]
#   deploy/netns/uplink.sh tests/SplitNet.Benchmarks/reports --rate 1mbit 5.85mbit 18.88mbit none
set -euo pipefail

out=${1:-tests/SplitNet.Benchmarks/reports}
shift || true
edge="splitnet-edge-$$"
server="splitnet-server-$$"
root=$(cd "$(dirname "$0")/../.." && pwd)

dotnet build "$root/src/SplitNet.Cli" -c Release --nologo -v quiet
splitnet="$root/src/SplitNet.Cli/bin/Release/net10.0/splitnet"

host_netns=$(readlink /proc/self/ns/net)
. "$root/deploy/netns/veth-pair.sh"

ip netns exec "$edge" "$splitnet" bench uplink --server-netns "$server" --server-address 10.201.0.2 --dev sn-edge \
    --host-netns "$host_netns" --out "$out" "$@"
