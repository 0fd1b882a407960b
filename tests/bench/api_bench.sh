#!/usr/bin/env bash
# HTTP API benchmark (not a test): wrk against api_bench_server, which serves a
# synthetic view of N members (default 1,000) on 127.0.0.1.
#
#   tests/bench/api_bench.sh [BUILD_DIR] [SECONDS]
#
# The server (one thread by design) is pinned to CPU 0 and wrk to CPU 1, so
# "req/s on one core" is what the server thread sustains. Targets (docs/architecture.md):
# GET /v1/members at N=1,000 <= 2 ms; /healthz >= 20,000 req/s on one core.
# Needs wrk (apt-get install -y wrk).
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
members=${MEMBERS:-1000}
server_bin="$build/api_bench_server"
[[ -x "$server_bin" ]] || { echo "no $server_bin: build the api_bench_server target" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 2; }

dir=$(mktemp -d)
pin_server=() pin_wrk=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
  pin_server=(taskset -c 0) pin_wrk=(taskset -c 1)
fi
"${pin_server[@]}" "$server_bin" --members "$members" --events 100 --port 0 --port-file "$dir/port" \
  2>"$dir/server.log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 1 100); do [[ -s "$dir/port" ]] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$dir/port")"
bytes=$(curl --noproxy '*' -fsS "$url/v1/members" | wc -c)
echo "api_bench_server: $members members, /v1/members body $bytes bytes, server on CPU 0, wrk on CPU 1"

# CPU seconds (user + system) the server process has used so far.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$pid/stat"
}
run() {  # label, wrk args...
  local label=$1; shift
  echo "== $label: wrk $*"
  local before after
  before=$(cpu_seconds)
  "${pin_wrk[@]}" wrk "$@" >"$dir/out"
  after=$(cpu_seconds)
  grep -E "Latency|requests in|Requests/sec|50%|90%|99%|Socket errors|Non-2xx" "$dir/out" || true
  # Server CPU per request: what one core can sustain, whatever else the
  # machine is doing (load average: $(cut -d' ' -f1 /proc/loadavg)).
  awk -v b="$before" -v a="$after" '/requests in/ { n = $1 } END {
    cpu = a - b; if (n > 0 && cpu > 0)
      printf "   server CPU %.2f s for %d requests: %.1f us/request, %.0f requests per CPU-second\n", cpu, n, cpu * 1e6 / n, n / cpu
  }' "$dir/out"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run "/healthz throughput" -t1 -c50 -d"${seconds}s" --latency "$url/healthz"
run "/v1/members latency, one connection" -t1 -c1 -d"${seconds}s" --latency "$url/v1/members"
run "/v1/members throughput" -t1 -c8 -d"${seconds}s" --latency "$url/v1/members"
