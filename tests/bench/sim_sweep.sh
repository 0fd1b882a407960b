#!/usr/bin/env bash
# Cluster-scale simulator sweeps behind the figures in docs/simulator.md.
#
#   tests/bench/sim_sweep.sh [SWEEP...]   SWEEP: scale detection bytes loss observers profiles (default: all)
#
# Environment: PICKET (default build/picket), OUT (default sim-sweep-results), SEEDS (default "1 2 3"),
# MAX_N (largest N in the scale and detection sweeps, default 1000), BOOTSTRAP (default random; "warm"
# once the core has Swim::WarmStart, see sim/FINDINGS.md F2).
# Each run appends one JSON object (picket sim --json) to $OUT/<sweep>.jsonl and the wall time per phase
# to $OUT/<sweep>.timings; a Markdown table per sweep is printed at the end. Every run is bounded (the
# largest, N=5000, takes about 3 minutes and 11 GB of memory on one core; N=1000 about 15 s).
set -euo pipefail

PICKET=${PICKET:-build/picket}
OUT=${OUT:-sim-sweep-results}
SEEDS=${SEEDS:-"1 2 3"}
MAX_N=${MAX_N:-1000}
BOOTSTRAP=${BOOTSTRAP:-staged}
NET=(--latency-ms 1 --jitter-ms 1)
mkdir -p "$OUT"

if ! command -v jq >/dev/null; then echo "sim_sweep.sh: needs jq" >&2; exit 2; fi
if [[ -z ${TABLES_ONLY:-} && ! -x $PICKET ]]; then echo "sim_sweep.sh: no picket binary at $PICKET (set PICKET)" >&2; exit 2; fi

# Warm-up long enough for the join storm to settle (see FINDINGS F3) and the detectors to get history.
warmup_for() {
  local n=$1
  if [[ $BOOTSTRAP == warm || $BOOTSTRAP == staged ]]; then echo 10
  elif (( n <= 100 )); then echo 10
  elif (( n <= 300 )); then echo 30
  else echo 40
  fi
}

# run SWEEP LABEL ARGS...: one simulator run, tagged with LABEL (a JSON object merged into the result).
run() {
  local sweep=$1 label=$2; shift 2
  local json timing
  json=$("$PICKET" sim "$@" --bootstrap "$BOOTSTRAP" --json --timings 2>"$OUT/.stderr")
  timing=$(grep '^wall:' "$OUT/.stderr" || true)
  echo "$json" | jq -c --argjson lab "$label" '. + {"label": $lab}' >>"$OUT/$sweep.jsonl"
  echo "$label $timing" >>"$OUT/$sweep.timings"
  echo "$sweep $label: $(echo "$json" | jq -c '{wall_s, all_failed: .all_failed_s.p50, false_failures, bytes_per_member_s}')" >&2
}

sizes() { for n in 10 32 100 300 1000 2000 5000 10000; do (( n <= MAX_N )) && echo "$n"; done; return 0; }

sweep_scale() {
  : >"$OUT/scale.jsonl"; : >"$OUT/scale.timings"
  for n in $(sizes); do
    [[ $n == 32 || $n == 300 ]] && continue
    run scale "{\"n\":$n}" --nodes "$n" --seconds 60 --warmup "$(warmup_for "$n")" --seed 1 \
      --crash 1 --crash-at 20 "${NET[@]}"
  done
}

sweep_detection() {
  : >"$OUT/detection.jsonl"; : >"$OUT/detection.timings"
  for n in $(sizes); do
    local crashes=$(( n / 50 )); (( crashes < 1 )) && crashes=1; (( crashes > 10 )) && crashes=10
    local seeds=$SEEDS; (( n >= 1000 )) && seeds=1
    for seed in $seeds; do
      run detection "{\"n\":$n,\"seed\":$seed}" --nodes "$n" --seconds 40 --warmup "$(warmup_for "$n")" \
        --seed "$seed" --crash "$crashes" --crash-at 10 "${NET[@]}"
    done
  done
}

sweep_loss() {
  : >"$OUT/loss.jsonl"; : >"$OUT/loss.timings"
  for loss in 0 0.05 0.1 0.2 0.3; do
    for streams in udp all; do
      local extra=(); [[ $streams == all ]] && extra=(--stream-loss)
      run loss "{\"loss\":$loss,\"lossy\":\"$streams\"}" --nodes 100 --seconds 120 --warmup 10 --seed 1 \
        --crash 3 --crash-at 30 --loss "$loss" "${extra[@]}" "${NET[@]}"
    done
  done
}

sweep_observers() {
  : >"$OUT/observers.jsonl"; : >"$OUT/observers.timings"
  for loss in 0 0.1; do
    for k in 1 2 3 4 6 8; do
      run observers "{\"k\":$k,\"loss\":$loss}" --nodes 100 --seconds 60 --warmup 10 --seed 1 \
        --crash 3 --crash-at 20 --observers "$k" --loss "$loss" "${NET[@]}"
    done
  done
}

# Steady-state traffic (no faults) after the join storm has settled; with and without phi reports
# (FINDINGS F5).
sweep_bytes() {
  : >"$OUT/bytes.jsonl"; : >"$OUT/bytes.timings"
  for n in $(sizes); do
    local warmup=$(( $(warmup_for "$n") + 20 ))
    for phi in default off; do
      local extra=(); [[ $phi == off ]] && extra=(--phi-report-threshold 1000)
      run bytes "{\"n\":$n,\"phi_reports\":\"$phi\"}" --nodes "$n" --seconds 30 --warmup "$warmup" \
        --seed 1 "${extra[@]}" "${NET[@]}"
    done
  done
}

sweep_profiles() {
  : >"$OUT/profiles.jsonl"; : >"$OUT/profiles.timings"
  for profile in lan frugal; do
    for seed in $SEEDS; do
      run profiles "{\"profile\":\"$profile\",\"seed\":$seed}" --nodes 32 --seconds 60 --warmup 10 \
        --seed "$seed" --crash 2 --crash-at 20 --profile "$profile" "${NET[@]}"
    done
  done
}

# table SWEEP: one Markdown row per run.
table() {
  local sweep=$1
  echo
  echo "### $sweep"
  echo
  echo "| run | wall s | crashed | undetected | first suspect p50 | all failed p50 / p99 / max | dissemination p50 / max | false susp. | false fail. | converged | msgs/member/s | bytes/member/s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  jq -r '
    def f: if . == null then "-" else (. * 1000 | round / 1000 | tostring) end;
    "| \(.label | to_entries | map("\(.key)=\(.value)") | join(" ")) | \(.wall_s | f) | \(.crashed) | \(.undetected) | \(.first_suspect_s.p50 | f) | \(.all_failed_s.p50 | f) / \(.all_failed_s.p99 | f) / \(.all_failed_s.max | f) | \(.dissemination_s.p50 | f) / \(.dissemination_s.max | f) | \(.false_suspicions) | \(.false_failures) | \(.converged) | \(.msgs_per_member_s | f) | \(.bytes_per_member_s | round) |"
  ' "$OUT/$sweep.jsonl"
}

sweeps=("$@")
(( ${#sweeps[@]} == 0 )) && sweeps=(scale detection bytes loss observers profiles)
for s in "${sweeps[@]}"; do
  case $s in
    scale|detection|bytes|loss|observers|profiles) [[ -n ${TABLES_ONLY:-} ]] || "sweep_$s" ;;
    *) echo "sim_sweep.sh: unknown sweep '$s'" >&2; exit 2 ;;
  esac
done
for s in "${sweeps[@]}"; do table "$s"; done
