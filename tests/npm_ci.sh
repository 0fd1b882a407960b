# Sourced by the test scripts that run npm tools (tests/deploy/check_manifests.sh,
# tests/openapi/lint.sh). Defines:
#
#   npm_ci_cached SRC_DIR NODE_DIR PROBE WHAT
#
# Installs the packages pinned in SRC_DIR/package-lock.json with `npm ci`
# into NODE_DIR, once: it is reused while the lock file is unchanged and
# NODE_DIR/PROBE exists. On failure prints npm's log and calls `skip`
# (defined by the caller: exits 77) with a message naming WHAT.
npm_ci_cached() {
  local src=$1 node_dir=$2 probe=$3 what=$4
  mkdir -p "$node_dir"
  if ! cmp -s "$src/package-lock.json" "$node_dir/package-lock.json" || [[ ! -e "$node_dir/$probe" ]]; then
    cp "$src/package.json" "$src/package-lock.json" "$node_dir/"
    echo "installing $what (npm ci in $node_dir)"
    if ! (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
      cat "$node_dir/npm.log"
      rm -f "$node_dir/package-lock.json"
      skip "could not install $what with npm (registry unreachable?)"
    fi
  fi
}
