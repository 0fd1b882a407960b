#!/usr/bin/env bash
# Builds deploy/Containerfile for real and runs the image, without a Docker
# engine (see shared TOOLCHAIN.md section 7):
#
#   1. debootstrap a Debian 12 minbase root and import it as the two base
#      images the Containerfile names (docker.io/library/debian:bookworm and
#      :bookworm-slim): no registry is reachable here;
#   2. buildah bud --isolation chroot --storage-driver vfs (compiles picket
#      inside the build stage: several minutes on 2 cores);
#   3. buildah run --isolation chroot in the result: the image's default user
#      is 10001, `picket version` runs as uid 10001, every shared library
#      resolves, no compiler came along, and an agent started from the image
#      answers /healthz and /readyz on a loopback address (chroot isolation
#      shares the host network), also on the operations port that the
#      httpGet probes of deploy/k8s use.
#
# Slow (debootstrap about 1 min, then the compile: 14 min on 2 cores beside a
# CI run), so it runs only with PICKET_IMAGE_TEST=1, otherwise exits 77
# (CTest: skipped). CI sets it (.ci/run); `scripts/test` alone does not. Needs root and the
# Debian packages buildah, podman, debootstrap. All image storage lives in a
# private directory (--root/--runroot) removed at the end, also on failure.
#
# Environment:
#   PICKET_IMAGE_TEST=1            run at all
#   PICKET_IMAGE_ROOTFS=FILE.tar   reuse this Debian 12 root tarball instead of debootstrapping
#   PICKET_IMAGE_SAVE_ROOTFS=FILE  keep the debootstrapped tarball here for the next run
#   PICKET_IMAGE_KEEP=1            keep the work directory (storage, logs) for debugging
#   PICKET_IMAGE_WORKDIR=DIR       use DIR as the work directory and keep it; when it already
#                                  holds the image (from a kept run), skip steps 1-2
#   PICKET_JOBS                    compile jobs inside the build (default 2)
set -uo pipefail

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*"; exit 1; }

if [[ "${PICKET_IMAGE_TEST:-0}" != "1" ]]; then
  skip "the image test is opt-in (slow): set PICKET_IMAGE_TEST=1"
fi
[[ $(id -u) -eq 0 ]] || skip "needs root (debootstrap, buildah --isolation chroot)"
for tool in buildah podman debootstrap curl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps --test installs it)"
done

repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -n "${PICKET_IMAGE_WORKDIR:-}" ]]; then
  work=$PICKET_IMAGE_WORKDIR
  mkdir -p "$work"
  PICKET_IMAGE_KEEP=1
else
  work=$(mktemp -d /tmp/picket-image-test.XXXXXX)
fi
store=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
image=localhost/picket:image-test
container=""
run_pid=""        # `buildah run` of the agent
addr=127.0.68.1   # the agent started from the image: gossip :9746, API :9747 of this address

# Every descendant of a PID, children before grandchildren.
descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

cleanup() {
  if [[ -n "$run_pid" ]]; then
    # buildah run -> buildah-chroot-runtime -> buildah-chroot-exec -> picket:
    # stop the whole chain by PID, the agent first.
    local pids
    pids=$(descendants "$run_pid" | tac)
    for p in $pids "$run_pid"; do kill -KILL "$p" 2>/dev/null || true; done
  fi
  [[ -n "$container" ]] && buildah "${store[@]}" rm "$container" >/dev/null 2>&1
  if [[ "${PICKET_IMAGE_KEEP:-0}" == "1" ]]; then
    echo "kept $work"
  else
    buildah "${store[@]}" rmi --all --force >/dev/null 2>&1
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

t0=$SECONDS
phase() { echo "[$((SECONDS - t0))s] $*"; }

if buildah "${store[@]}" images "$image" >/dev/null 2>&1; then
  phase "reusing $image built earlier in $work (remove the directory to rebuild)"
else
# ---- 1. base images
if [[ -n "${PICKET_IMAGE_ROOTFS:-}" && -f "${PICKET_IMAGE_ROOTFS}" ]]; then
  phase "using the root tarball $PICKET_IMAGE_ROOTFS"
  rootfs_tar=$PICKET_IMAGE_ROOTFS
else
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [[ -n "$mirror" ]] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [[ -n "$mirror" ]] || mirror=http://deb.debian.org/debian
  # No mirror, no base image and no build (the Containerfile runs apt-get):
  # say so and skip, as the multi-process tests do without iptables.
  curl -fsS --max-time 30 -o /dev/null "$mirror/dists/bookworm/Release" ||
    skip "the Debian mirror $mirror is unreachable (debootstrap and the image build need it)"
  phase "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
  rootfs_tar=$work/rootfs.tar
  tar -C "$work/rootfs" -cf "$rootfs_tar" . || fail "tar of the root"
  rm -rf "$work/rootfs"
  if [[ -n "${PICKET_IMAGE_SAVE_ROOTFS:-}" ]]; then cp "$rootfs_tar" "$PICKET_IMAGE_SAVE_ROOTFS"; fi
fi
phase "importing it as docker.io/library/debian:bookworm and :bookworm-slim"
for name in docker.io/library/debian:bookworm-slim docker.io/library/debian:bookworm; do
  podman "${store[@]}" import "$rootfs_tar" "$name" >/dev/null 2>"$work/import.log" ||
    { cat "$work/import.log"; fail "podman import $name"; }
done

# ---- 2. build
phase "buildah bud -f deploy/Containerfile (compiles picket; log: $work/bud.log)"
bud_start=$SECONDS
if ! buildah "${store[@]}" bud --isolation chroot --pull=never --build-arg "PICKET_JOBS=${PICKET_JOBS:-2}" \
    -f "$repo/deploy/Containerfile" -t "$image" "$repo" >"$work/bud.log" 2>&1; then
  tail -40 "$work/bud.log"
  fail "buildah bud"
fi
phase "built in $((SECONDS - bud_start))s"
fi
buildah "${store[@]}" images

# ---- 3. run
container=$(buildah "${store[@]}" from --pull=never "$image") || fail "buildah from"
run() { buildah "${store[@]}" run --isolation chroot "$@"; }

checks=0
ok() { checks=$((checks + 1)); echo "ok: $*"; }

user=$(buildah "${store[@]}" inspect --format '{{.OCIv1.Config.User}}' "$image")
[[ "$user" == "10001:10001" ]] || fail "image USER is '$user', expected 10001:10001"
ok "image config User is $user"

uid=$(run "$container" -- id -u) || fail "id -u in the image"
[[ "$uid" == "10001" ]] || fail "default user in the image has uid '$uid'"
ok "a command in the image runs as uid $uid by default"

version=$(run --user 10001 "$container" -- picket version) || fail "picket version as uid 10001"
[[ "$version" == picket\ * ]] || fail "unexpected version output '$version'"
ok "picket version as uid 10001: $version"

missing=$(run "$container" -- sh -c 'ldd /usr/local/bin/picket | grep "not found"' 2>/dev/null)
[[ -z "$missing" ]] || fail "shared libraries missing in the image: $missing"
ok "every shared library of picket resolves in the image"

tools=$(run "$container" -- sh -c 'for t in g++ gcc c++ cmake ninja protoc; do command -v $t; done' 2>/dev/null)
[[ -z "$tools" ]] || fail "build tools in the runtime image: $tools"
ok "no compiler or build tool in the runtime image"

size=$(buildah "${store[@]}" images --format '{{.Size}}' "$image")
base=$(buildah "${store[@]}" images --format '{{.Size}}' docker.io/library/debian:bookworm-slim | head -1)
binary=$(run "$container" -- du -h /usr/local/bin/picket | cut -f1)
files=$(run "$container" -- sh -c 'du -sxm / 2>/dev/null | cut -f1')
echo "image size: $size, ${files} MB of files (base: the debootstrapped stand-in for bookworm-slim, $base; picket binary: $binary)"

# An agent from the image, on a loopback address (chroot isolation shares the
# host network). Its keyring comes from a file, as in the pod.
keyring=$work/keyring
run --user 10001 "$container" -- picket keygen >"$keyring" || fail "picket keygen in the image"
chmod 0644 "$keyring"
buildah "${store[@]}" copy --chown 10001:10001 "$container" "$keyring" /tmp/keyring >/dev/null ||
  fail "copy the keyring into the container"
# Started without a shell function or subshell, so that $! is buildah's own PID.
buildah "${store[@]}" run --isolation chroot --user 10001 \
  --env PICKET_NAME=image-test-1 --env PICKET_BIND=$addr:9746 --env PICKET_ADVERTISE=$addr:9746 \
  --env PICKET_HTTP=$addr:9747 --env PICKET_OPS_LISTEN=$addr:9748 --env PICKET_KEYRING=/tmp/keyring --env PICKET_LOG_FORMAT=json \
  "$container" -- picket agent >"$work/agent.log" 2>&1 &
run_pid=$!
code=000
for _ in $(seq 1 100); do
  code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://$addr:9747/healthz" 2>/dev/null)
  [[ "$code" == 200 ]] && break
  kill -0 "$run_pid" 2>/dev/null || { cat "$work/agent.log"; fail "the agent from the image exited"; }
  sleep 0.1
done
[[ "$code" == 200 ]] || { cat "$work/agent.log"; fail "/healthz of the agent from the image answered $code"; }
ok "an agent started from the image (uid 10001, keyring from a file) answers /healthz on $addr:9747"
code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://$addr:9747/readyz")
[[ "$code" == 200 ]] || fail "/readyz answered $code (an agent without seeds starts the cluster)"
ok "/readyz answers 200"
grep -q '"gossip encryption on' "$work/agent.log" || grep -q 'encryption on' "$work/agent.log" ||
  { cat "$work/agent.log"; fail "the agent did not report encryption on"; }
ok "the agent reports gossip encryption on"

# The probes of deploy/k8s: kubelet's httpGet on the operations listener
# (PICKET_OPS_LISTEN, here $addr:9748); nothing runs inside the image.
for path in healthz readyz; do
  code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://$addr:9748/$path")
  [[ "$code" == 200 ]] || { cat "$work/agent.log"; fail "the manifests' httpGet probe of /$path on the ops port answered $code"; }
  ok "the manifests' httpGet probe of /$path on the ops port $addr:9748 answers 200"
done

# Graceful stop: SIGTERM to the picket process itself, as the container
# runtime sends it to the container's PID 1 (buildah run does not forward it).
agent=""
for p in $(descendants "$run_pid"); do
  [[ "$(ps -o comm= -p "$p" 2>/dev/null)" == picket ]] && agent=$p
done
[[ -n "$agent" ]] || fail "cannot find the picket process under buildah run (pid $run_pid)"
kill -TERM "$agent"
for _ in $(seq 1 100); do kill -0 "$agent" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$agent" 2>/dev/null; then fail "the agent did not stop within 10 s of SIGTERM"; fi
for _ in $(seq 1 50); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
cleanup_pid=$run_pid
run_pid=""
kill -KILL "$cleanup_pid" 2>/dev/null   # buildah itself, if it lingers after its child
wait "$cleanup_pid" 2>/dev/null
grep -q 'left the cluster' "$work/agent.log" || { cat "$work/agent.log"; fail "no graceful leave on SIGTERM"; }
ok "SIGTERM makes the agent from the image leave and exit"

phase "done: $checks checks passed"
echo "$checks passed, 0 failed"
