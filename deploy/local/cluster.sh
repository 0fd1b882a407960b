#!/usr/bin/env bash
# A local picket cluster for playing: N agents on loopback, each on its own
# address 127.0.0.(10+i), gossip on :9746 and its HTTP API on :9747 of that
# address. State (pids, logs) lives in $PICKET_LOCAL_DIR (default /tmp/picket-local).
#
#   deploy/local/cluster.sh start [N] [extra agent flags...]   start N agents (default 5)
#   deploy/local/cluster.sh status                             member table from agent 1
#   deploy/local/cluster.sh kill I                             SIGKILL agent I
#   deploy/local/cluster.sh stop                               stop every agent started here
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
picket=${PICKET_BIN:-$here/../../build/picket}
dir=${PICKET_LOCAL_DIR:-/tmp/picket-local}

addr() { echo "127.0.0.$((10 + $1))"; }

start() {
  local n=${1:-5}
  shift || true
  if [[ ! -x "$picket" ]]; then
    echo "no picket binary at $picket (build first: scripts/build)" >&2
    exit 1
  fi
  if [[ -s "$dir/pids" ]]; then
    echo "a local cluster is already running (deploy/local/cluster.sh stop)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  : >"$dir/pids"
  for i in $(seq 1 "$n"); do
    local join=()
    if ((i > 1)); then join=(--join "$(addr 1):9746"); fi
    "$picket" agent --name "picket-$i" --bind "$(addr "$i"):9746" --http "$(addr "$i"):9747" \
      "${join[@]}" "$@" >"$dir/picket-$i.log" 2>&1 &
    echo "$! picket-$i $(addr "$i")" >>"$dir/pids"
  done
  echo "started $n agents; logs in $dir; API of agent 1: http://$(addr 1):9747/v1/members"
}

stop() {
  [[ -f "$dir/pids" ]] || return 0
  while read -r pid name _; do
    # Only signal processes that are still our picket agents.
    if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "picket agent --name $name "; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done <"$dir/pids"
  for _ in $(seq 1 50); do
    local alive=0
    while read -r pid _; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done <"$dir/pids"
    ((alive)) || break
    sleep 0.1
  done
  while read -r pid _; do kill -KILL "$pid" 2>/dev/null || true; done <"$dir/pids"
  : >"$dir/pids"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) "$picket" members --http "$(addr 1):9747" ;;
  kill)
    pid=$(awk -v n="picket-$2" '$2 == n {print $1}' "$dir/pids")
    kill -KILL "$pid" && echo "SIGKILL picket-$2 (pid $pid)"
    ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
