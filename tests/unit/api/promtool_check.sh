#!/usr/bin/env bash
# Runs `promtool check metrics` on the /metrics output of a live API server
# (api_bench_server, synthetic 1,000-member view). Exit 77 (CTest: skipped)
# when promtool is not installed: apt-get install -y --no-install-recommends prometheus
set -euo pipefail
server_bin=$1
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIPPED: promtool not found (Debian package 'prometheus' provides it)"
  exit 77
fi
dir=$(mktemp -d)
"$server_bin" --members 1000 --events 50 --port 0 --port-file "$dir/port" 2>"$dir/server.log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  [[ -s "$dir/port" ]] && break
  if ! kill -0 "$pid" 2>/dev/null; then cat "$dir/server.log"; exit 1; fi
  sleep 0.1
done
port=$(cat "$dir/port")
curl --noproxy '*' -fsS --max-time 10 "http://127.0.0.1:$port/metrics" >"$dir/metrics.txt"
echo "$(grep -vc '^#' "$dir/metrics.txt") samples from /metrics"
promtool check metrics <"$dir/metrics.txt"
echo "promtool check metrics: OK"
