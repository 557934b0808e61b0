#!/usr/bin/env bash
# The Debian packages a real node and its image builds need: one list, read by .ci/run
# (install) and by the harness (to name what is missing).
# Usage: packages.sh missing   prints the packages whose command is absent, one a line
#        packages.sh install   apt-get installs those (root; nothing when all are there)
set -euo pipefail

# command-or-path:package
NEEDS=(
  containerd:containerd ctr:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins
  iptables:iptables ip6tables:iptables ip:iproute2 conntrack:conntrack socat:socat
  debootstrap:debootstrap buildah:buildah podman:podman catatonit:catatonit
)

missing() {
  local need target
  local -A seen=()
  for need in "${NEEDS[@]}"; do
    target="${need%%:*}"
    if [[ "$target" == /* ]]; then [[ -x "$target" ]] && continue; else command -v "$target" >/dev/null && continue; fi
    [[ -n "${seen[${need#*:}]:-}" ]] && continue
    seen[${need#*:}]=1
    echo "${need#*:}"
  done
}

case "${1:-missing}" in
  missing) missing ;;
  install)
    mapfile -t packages < <(missing)
    [[ ${#packages[@]} -eq 0 ]] && exit 0
    echo "== apt-get install ${packages[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
    ;;
  *) echo "usage: packages.sh missing|install" >&2; exit 2 ;;
esac
