#!/usr/bin/env bash
# Renders every kustomization of deploy/k8s with `kubectl kustomize` and checks
# the output offline (tests/deploy/check_manifests.mjs): Kubernetes schema
# validation with the npm package kubernetes-models (pinned in
# tests/deploy/package-lock.json) plus a strict unknown-field check, then what
# the picket sidecar needs (native sidecar, env, ports, probes, preStop,
# securityContext, resources, Secrets, headless Service, NetworkPolicy).
#
# Needs kubectl (its built-in kustomize; Kustomize Components need v3.7+),
# node and npm. Exits 77 (CTest: skipped) with a message when one is missing
# or the validator cannot be installed. The npm packages are installed once
# into $PICKET_DEPLOY_NODE_DIR (default: /tmp/picket-deploy-node) and reused
# while the lock file is unchanged.
set -uo pipefail

skip() { echo "SKIPPED: $*"; exit 77; }

here=$(cd "$(dirname "$0")" && pwd)
k8s=$here/../../deploy/k8s
for tool in kubectl node npm; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (kubectl: Kubernetes client with kustomize; node/npm: scripts/install-deps --test)"
done
kubectl kustomize --help >/dev/null 2>&1 || skip "this kubectl has no 'kustomize' subcommand"

node_dir=${PICKET_DEPLOY_NODE_DIR:-/tmp/picket-deploy-node}
source "$here/../npm_ci.sh"
npm_ci_cached "$here" "$node_dir" node_modules/kubernetes-models "the schema validator kubernetes-models"

out=$(mktemp -d /tmp/picket-manifests.XXXXXX)
trap 'rm -rf "$out"' EXIT
targets=()
status=0
for spec in base:secure overlays/deployment:secure overlays/try-it:insecure; do
  dir=${spec%%:*}
  variant=${spec##*:}
  name=$(basename "$dir")
  if ! kubectl kustomize "$k8s/$dir" >"$out/$name.yaml" 2>"$out/$name.err"; then
    if grep -q 'unknown field "components"' "$out/$name.err"; then
      skip "this kubectl's kustomize is too old for Components (Debian 12's kubernetes-client 1.20 is); needs kubectl 1.21+"
    fi
    echo "FAIL kubectl kustomize deploy/k8s/$dir:"
    cat "$out/$name.err"
    status=1
    continue
  fi
  targets+=("$name=$out/$name.yaml:$variant")
done
echo "rendered with $(kubectl version --client 2>/dev/null | grep -i kustomize || echo 'kubectl kustomize')"
node "$here/check_manifests.mjs" "$node_dir/node_modules" "${targets[@]}" || status=1
exit $status
