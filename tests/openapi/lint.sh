#!/usr/bin/env bash
# Lints api/openapi.yaml with Redocly CLI (the version pinned in
# tests/openapi/package-lock.json), configuration tests/openapi/redocly.yaml:
# the recommended rules, every warning an error, two exceptions explained
# there. Fails on any problem.
#
# Needs node and npm. Exits 77 (CTest: skipped) when one is missing or the
# linter cannot be installed. The npm package is installed once into
# $PICKET_OPENAPI_NODE_DIR (default: /tmp/picket-openapi-node) and reused
# while the lock file is unchanged.
set -uo pipefail

skip() { echo "SKIPPED: $*"; exit 77; }

here=$(cd "$(dirname "$0")" && pwd)
spec=$(realpath "${1:-$here/../../api/openapi.yaml}")
for tool in node npm; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps --test)"
done
# @redocly/cli 2.77 needs Node.js 20.19+ (Debian 12's own nodejs is 18).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  skip "node $(node --version) is older than the 20.19 that @redocly/cli needs"

node_dir=${PICKET_OPENAPI_NODE_DIR:-/tmp/picket-openapi-node}
source "$here/../npm_ci.sh"
npm_ci_cached "$here" "$node_dir" node_modules/.bin/redocly "Redocly CLI (@redocly/cli)"

# No telemetry, no update check: the result depends on the lock file only.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
out=$("$node_dir/node_modules/.bin/redocly" lint "$spec" --config "$here/redocly.yaml" \
  --format stylish --lint-config error 2>&1)
status=$?
# Drop the banner about Node.js 20's end of life (boxed lines).
grep -v '[║╔╚]' <<<"$out" | grep -v '^[[:space:]]*$'
if ((status == 0)) && grep -qiE '[0-9]+ (warning|error)' <<<"$out"; then
  echo "FAIL: the linter reported problems"
  status=1
fi
exit $status
