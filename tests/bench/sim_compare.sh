#!/bin/bash
# Runs six simulator scenarios with two picket binaries and says, for each,
# whether their JSON reports (wall time removed) are identical, and if not
# which fields differ. Usage: tests/bench/sim_compare.sh OLD_BINARY NEW_BINARY
set -uo pipefail
OLD=$1; NEW=$2
scen=(
"--nodes 32 --seconds 30 --crash 2 --seed 1"
"--nodes 64 --seconds 30 --loss 0.1 --seed 2"
"--nodes 48 --seconds 40 --partition 0.3 --partition-at 5 --heal-at 20 --seed 3"
"--nodes 32 --seconds 30 --pause-node-ms 3000 --pause-every-ms 10000 --pause-count 2 --seed 4"
"--nodes 40 --seconds 30 --join-rate 1 --join-for 10 --leave 2 --seed 5"
"--nodes 32 --seconds 30 --crash 2 --seed 6 --profile wan"
)
for s in "${scen[@]}"; do
  a=$($OLD sim $s --json | python3 -c 'import json,sys; r=json.load(sys.stdin); r.pop("wall_s",None); print(json.dumps(r,sort_keys=True))')
  b=$($NEW sim $s --json | python3 -c 'import json,sys; r=json.load(sys.stdin); r.pop("wall_s",None); print(json.dumps(r,sort_keys=True))')
  if [ "$a" == "$b" ]; then echo "IDENTICAL: $s"; else echo "DIFFERENT: $s"; python3 - "$a" "$b" <<'PY'
import json,sys
a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
def flat(d,p=""):
    out={}
    if isinstance(d,dict):
        for k,v in d.items(): out.update(flat(v,p+"."+k))
    elif isinstance(d,list):
        for i,v in enumerate(d): out.update(flat(v,p+f"[{i}]"))
    else: out[p]=d
    return out
fa,fb=flat(a),flat(b)
diff=[k for k in sorted(set(fa)|set(fb)) if fa.get(k)!=fb.get(k)]
for k in diff[:12]: print("   ",k,fa.get(k),"->",fb.get(k))
print("    fields differing:",len(diff))
PY
  fi
done
