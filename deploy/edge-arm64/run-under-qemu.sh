#!/usr/bin/env bash
# Publishes splitnet-edge self-contained for linux-x64 and linux-arm64, serves the shipped vision
# model on loopback, runs both edges against it (the arm64 one under qemu-user-static) and checks
# that every frame is answered and that both edges' predictions are equal.
# Usage (as root): deploy/edge-arm64/run-under-qemu.sh [frames, default 100] [output folder, default a temp dir]
# Needs (Debian): qemu-user-static, and with `dpkg --add-architecture arm64` the arm64 libraries a
# self-contained .NET app still loads from the system: libc6:arm64 libstdc++6:arm64 libssl3:arm64.
set -euo pipefail
cd "$(dirname "$0")/../.."
frames=${1:-100}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
command -v qemu-aarch64-static >/dev/null || { echo "qemu-aarch64-static is missing: apt-get install qemu-user-static" >&2; exit 2; }
[ -e /usr/lib/aarch64-linux-gnu/libssl.so.3 ] && [ -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ] \
  || { echo "arm64 libraries are missing: dpkg --add-architecture arm64; apt-get install libc6:arm64 libstdc++6:arm64 libssl3:arm64" >&2; exit 2; }

for rid in linux-x64 linux-arm64; do
  dotnet publish src/SplitNet.EdgeApp -c Release -r "$rid" --self-contained -p:DebugType=none -o "$out/$rid" -v q -nologo
  total=$(du -sb "$out/$rid" | cut -f1); assets=$(du -sb "$out/$rid/assets" | cut -f1)
  echo "$rid publish: $(( (total - assets) / 1000000 )) MB without assets, $(( assets / 1000000 )) MB of assets; largest: $(ls -S "$out/$rid" | head -3 | tr '\n' ' ')"
done

dotnet build src/SplitNet.Cli -c Release -v q -nologo >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SplitNet__Server__Backend=OnnxRuntime dotnet src/SplitNet.Cli/bin/Release/net10.0/splitnet.dll serve --port "$port" --metrics-port 0 \
  --model src/SplitNet.Cli/bin/Release/net10.0/assets/models/entropic/server >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do grep -q "Ready" "$out/server.log" && break; sleep 0.5; done
grep -q "Ready" "$out/server.log" || { cat "$out/server.log" >&2; exit 1; }

url="http://127.0.0.1:$port"
"$out/linux-x64/splitnet-edge" --server "$url" --count "$frames" --predictions "$out/x64.txt" --json | tee "$out/x64.json"
# qemu-user passes the host's /proc/cpuinfo through, and ONNX Runtime's CPU detection (cpuinfo)
# crashes on x86 contents in an arm64 process: in a private mount namespace (root) the edge sees
# a Cortex-A72's (a Raspberry Pi 4's) instead.
unshare -m bash -c 'mount --bind "$0" /proc/cpuinfo && exec env DOTNET_EnableWriteXorExecute=0 qemu-aarch64-static "$@"' \
  "$PWD/deploy/edge-arm64/cpuinfo-cortex-a72" "$out/linux-arm64/splitnet-edge" \
  --server "$url" --count "$frames" --deadline-ms 30000 --predictions "$out/arm64.txt" --json | tee "$out/arm64.json"

answered=$(grep -cv ',-1$' "$out/arm64.txt" || true)
if [ "$answered" -ne "$frames" ]; then echo "arm64: $answered of $frames frames answered" >&2; exit 1; fi
if ! cmp -s "$out/x64.txt" "$out/arm64.txt"; then echo "arm64 and x64 predictions differ" >&2; diff "$out/x64.txt" "$out/arm64.txt" | head >&2; exit 1; fi
echo "arm64 under qemu: $answered of $frames frames answered, predictions equal to the x64 edge's ($out)"
