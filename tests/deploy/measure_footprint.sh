#!/usr/bin/env bash
# Measures the idle footprint of picket agents, to size the Kubernetes
# requests and limits (deploy/k8s). Not a test: prints figures.
#
#   tests/deploy/measure_footprint.sh [N] [SETTLE_S] [MEASURE_S]
#
# Starts N agents (default 5) on 127.0.66.1..N with an encrypted keyring,
# lets them settle SETTLE_S seconds (default 20), then reads each agent's
# VmRSS/VmHWM from /proc/PID/status and its utime+stime from /proc/PID/stat
# over MEASURE_S seconds (default 30). Loopback only; stops every agent it
# started (by PID), also when interrupted.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
picket=${PICKET_BIN:-$here/../../build/picket}
n=${1:-5}
settle=${2:-20}
measure=${3:-30}
dir=$(mktemp -d /tmp/picket-footprint.XXXXXX)
pids=()
cleanup() {
  local p alive
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 80); do   # a graceful leave takes at most --leave-timeout (5 s)
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"$picket" keygen >"$dir/keyring"
for i in $(seq 1 "$n"); do
  join=()
  ((i > 1)) && join=(--join 127.0.66.1:9746)
  "$picket" agent --name "fp-$i" --bind "127.0.66.$i:9746" --http "127.0.66.$i:9747" \
    --keyring "$dir/keyring" "${join[@]}" >"$dir/agent-$i.log" 2>&1 &
  pids+=("$!")
done
sleep "$settle"
alive=$(curl -s --noproxy '*' "http://127.0.66.1:9747/v1/self" | python3 -c 'import json,sys; print(json.load(sys.stdin)["alive"])')
echo "agents: $n, alive as seen by fp-1: $alive"

hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A t0
for p in "${pids[@]}"; do t0[$p]=$(ticks "$p"); done
start=$(date +%s.%N)
sleep "$measure"
end=$(date +%s.%N)
printf '%-8s %10s %10s %10s %10s\n' agent VmRSS_kB VmHWM_kB RssAnon_kB cpu_%core
i=0
for p in "${pids[@]}"; do
  i=$((i + 1))
  rss=$(awk '/^VmRSS/{print $2}' "/proc/$p/status")
  hwm=$(awk '/^VmHWM/{print $2}' "/proc/$p/status")
  anon=$(awk '/^RssAnon/{print $2}' "/proc/$p/status")
  cpu=$(awk -v a="${t0[$p]}" -v b="$(ticks "$p")" -v hz="$hz" -v s="$start" -v e="$end" \
    'BEGIN{printf "%.3f", 100 * (b - a) / hz / (e - s)}')
  printf '%-8s %10s %10s %10s %10s\n' "fp-$i" "$rss" "$hwm" "$anon" "$cpu"
done | tee "$dir/table"
awk 'NR>1{r+=$2; if($2>mr)mr=$2; h=($3>h)?$3:h; a+=$4; c+=$5; if($5>mc)mc=$5; n++}
     END{printf "mean RSS %.1f MiB (max %.1f MiB, of which anonymous %.1f MiB on average), max peak RSS %.1f MiB, mean CPU %.3f%% of a core (max %.3f%%)\n",
         r/n/1024, mr/1024, a/n/1024, h/1024, c/n, mc}' "$dir/table"
