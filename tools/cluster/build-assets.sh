#!/usr/bin/env bash
# Builds the control-plane binaries the tests need from Go modules, through the
# module proxy, into a cache outside the repository (never committed):
#   $KUBEINFER_CACHE/assets/kubernetes-<v>/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}
#   $KUBEINFER_CACHE/assets/kubernetes-<v>/{kubelet,kube-proxy}  (target `node`: the real node)
#   $KUBEINFER_CACHE/assets/coredns-<v>/coredns                   (target `node`: cluster DNS)
#   $KUBEINFER_CACHE/assets/etcd-<v>/etcd
#   $KUBEINFER_CACHE/assets/kwok-<v>/kwok
#   $KUBEINFER_CACHE/assets/helm-<v>/helm
#   $KUBEINFER_CACHE/assets/fake-gcs-server-<v>/fake-gcs-server  (GCS emulator for test/storage)
#   $KUBEINFER_CACHE/assets/kstatus-<v>/kstatus  (kstatus's verdict on one object, as Helm 4 --wait reads it)
#   $KUBEINFER_CACHE/assets/prometheus-<v>/{prometheus,promtool}  (target `prometheus`: dashboards, alerts)
#   $KUBEINFER_CACHE/assets/prometheus-adapter-<v>/prometheus-adapter  (target `prometheus-adapter`: custom.metrics.k8s.io)
#   $KUBEINFER_CACHE/assets/keda-<v>/keda.sh_scaledobjects.yaml  (KEDA's ScaledObject CRD, from its module)
# k8s.io/kubernetes cannot be `go install`ed directly: its go.mod replaces every
# k8s.io/* staging module with a ./staging path (kubernetes/kubernetes#79384), so a
# wrapper module requires it and replaces each staging module with the matching v0.X.Y.
# Usage: build-assets.sh [all|kubernetes|node|prometheus|prometheus-adapter|keda-crds|etcd|kwok|helm|fake-gcs-server|kstatus|paths|print-versions]...
#   all: what every test needs; `node` (kubelet, kube-proxy, CoreDNS) comes on top for real-node tests.
#   paths: prints name=path for every binary (where the test harness looks in the cache).
# Concurrent runs (parallel test files) serialize on a lock; the second finds the cache filled.
set -euo pipefail

KUBERNETES_VERSION="${KUBEINFER_KUBERNETES_VERSION:-v1.35.4}"
ETCD_VERSION="${KUBEINFER_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KUBEINFER_KWOK_VERSION:-v0.7.0}"
HELM_VERSION="${KUBEINFER_HELM_VERSION:-v3.21.4}"
FAKE_GCS_SERVER_VERSION="${KUBEINFER_FAKE_GCS_SERVER_VERSION:-v1.56.1}"
# sigs.k8s.io/cli-utils, whose pkg/kstatus Helm 4 --wait, Flux and kpt compute status with.
KSTATUS_VERSION="${KUBEINFER_KSTATUS_VERSION:-v0.37.2}"
COREDNS_VERSION="${KUBEINFER_COREDNS_VERSION:-v1.14.7}"
# Prometheus 3.x publishes its Go module as v0.3MM.P (3.16.0 = v0.316.0).
PROMETHEUS_VERSION="${KUBEINFER_PROMETHEUS_VERSION:-v3.16.0}"
# KEDA v2.21 needs Go 1.27; the CRD is all we take from it, and v2.20's serves the same keda.sh/v1alpha1.
KEDA_VERSION="${KUBEINFER_KEDA_VERSION:-v2.20.2}"
# The proxy serves this module's versions but not its version list: name one exactly.
PROMETHEUS_ADAPTER_VERSION="${KUBEINFER_PROMETHEUS_ADAPTER_VERSION:-v0.12.0}"
CACHE="${KUBEINFER_CACHE:-$HOME/.cache/kubeinfer}"
ASSETS="$CACHE/assets"
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath"

log() { printf '[build-assets %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

need_go() {
  command -v go >/dev/null || { log "go is not on PATH: install Go >= 1.25, or point KUBEBUILDER_ASSETS / TEST_ASSET_* at prebuilt binaries"; exit 1; }
}

KUBERNETES_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
NODE_COMMANDS=(kubelet kube-proxy)

# build_kubernetes COMMAND...: the commands of k8s.io/kubernetes that are not in the cache yet.
build_kubernetes() {
  local out="$ASSETS/kubernetes-$KUBERNETES_VERSION" missing=() cmd
  for cmd in "$@"; do [[ -x "$out/$cmd" ]] || missing+=("$cmd"); done
  if [[ ${#missing[@]} -eq 0 ]]; then log "kubernetes $KUBERNETES_VERSION: $* cached in $out"; return; fi
  need_go
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"' RETURN
  log "kubernetes $KUBERNETES_VERSION: resolving modules (staging modules at $staging)"
  curl -fsSL "${GOPROXY_URL:-https://proxy.golang.org}/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod" -o "$work/upstream.mod" \
    || go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
  {
    echo "module kubeinfer.local/assets"
    echo
    grep -E '^go ' "$work/upstream.mod"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$work/upstream.mod" \
      | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$work/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for cmd in "${missing[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"; done
    printf ')\n'
  } > "$work/tools.go"
  (cd "$work" && go mod tidy >&2)
  local ldflags="-s -w"
  ldflags+=" -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  mkdir -p "$out"
  # One binary at a time, each renamed into place when complete: a present binary is a whole one.
  for cmd in "${missing[@]}"; do
    log "kubernetes $KUBERNETES_VERSION: compiling $cmd (the first one takes longest; later ones reuse the build cache)"
    local t0=$SECONDS
    (cd "$work" && go build -ldflags "$ldflags" -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
    mv "$out/$cmd.tmp" "$out/$cmd"
    log "kubernetes $KUBERNETES_VERSION: $cmd built in $((SECONDS - t0))s"
  done
}

# A binary from a main.go of our own (on stdin) that requires one module at a version.
go_build_main() { # name version module
  local name="$1" version="$2" module="$3" out="$ASSETS/$1-$2"
  if [[ -x "$out/$name" ]]; then log "$name $version: cached in $out"; cat >/dev/null; return; fi
  need_go
  # The trap removes itself: traps are global, and the caller's return must not run it again.
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"; trap - RETURN' RETURN
  log "$name $version: resolving $module"
  cat > "$work/main.go"
  printf 'module kubeinfer.local/%s\n\ngo 1.24\n\nrequire %s %s\n' "$name" "$module" "$version" > "$work/go.mod"
  (cd "$work" && go mod tidy >&2)
  log "$name $version: compiling"
  mkdir -p "$out.tmp"
  (cd "$work" && go build -ldflags "-s -w" -o "$out.tmp/$name" .)
  rm -rf "$out"; mv "$out.tmp" "$out"
}

build_etcd() {
  go_build_main etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 <<'GO'
// The etcd binary is exactly this: etcdmain.Main, as in etcd's own main.go.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
}

go_install() { # name module-path version [cache-key] [extra ldflags]
  local name="$1" pkg="$2" version="$3" out="$ASSETS/$1-${4:-$3}" ldflags="-s -w ${5:-}"
  if [[ -x "$out/$name" ]]; then log "$name $version: cached in $out"; return; fi
  need_go
  log "$name $version: go install $pkg@$version"
  mkdir -p "$out.tmp"
  GOBIN="$out.tmp" go install -ldflags "$ldflags" "$pkg@$version"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

build_kwok() { go_install kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"; }
# helm's built-in capabilities (template, lint, client dry-run) assume Kubernetes 1.20 unless
# the release build sets them; set them to the Kubernetes minor the tests run.
KUBE_MINOR_VERSION="${KUBERNETES_VERSION#v}"; KUBE_MINOR_VERSION="${KUBE_MINOR_VERSION%.*}"
HELM_KEY="$HELM_VERSION-kube$KUBE_MINOR_VERSION"
build_helm() {
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}" flags=""
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    flags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$minor"
  done
  flags+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$HELM_KEY" "$flags"
}
build_fake-gcs-server() { go_install fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKE_GCS_SERVER_VERSION"; }
build_coredns() { go_install coredns github.com/coredns/coredns "$COREDNS_VERSION"; }
# KEDA's own CRD yaml (config/crd/bases in its module), so the tests' apiserver validates
# ScaledObjects exactly as a cluster with KEDA does. Nothing is compiled.
build_keda-crds() {
  local out="$ASSETS/keda-$KEDA_VERSION" crd=keda.sh_scaledobjects.yaml
  if [[ -f "$out/$crd" ]]; then log "keda $KEDA_VERSION: CRD cached in $out"; return; fi
  need_go
  log "keda $KEDA_VERSION: downloading the module for its CRD"
  local dir; dir="$(go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [[ -f "$dir/config/crd/bases/$crd" ]] || { log "keda $KEDA_VERSION: no config/crd/bases/$crd in the module"; exit 1; }
  mkdir -p "$out.tmp"
  cp "$dir/config/crd/bases/$crd" "$out.tmp/"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

# Its command is cmd/adapter. Built in a wrapper module, not with `go install pkg@v`: that
# reads the module's version list for deprecations, which the proxy refuses for this module.
build_prometheus-adapter() {
  local out="$ASSETS/prometheus-adapter-$PROMETHEUS_ADAPTER_VERSION" pkg=sigs.k8s.io/prometheus-adapter/cmd/adapter
  if [[ -x "$out/prometheus-adapter" ]]; then log "prometheus-adapter $PROMETHEUS_ADAPTER_VERSION: cached in $out"; return; fi
  need_go
  local work; work="$(mktemp -d)"; trap 'rm -rf "$work"; trap - RETURN' RETURN
  log "prometheus-adapter $PROMETHEUS_ADAPTER_VERSION: resolving modules"
  local t0=$SECONDS
  printf 'module kubeinfer.local/prometheus-adapter\n\ngo 1.24\n\nrequire sigs.k8s.io/prometheus-adapter %s\n' "$PROMETHEUS_ADAPTER_VERSION" > "$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$work/tools.go"
  (cd "$work" && go mod tidy >&2)
  log "prometheus-adapter $PROMETHEUS_ADAPTER_VERSION: compiling"
  mkdir -p "$out.tmp"
  (cd "$work" && go build -ldflags "-s -w" -o "$out.tmp/prometheus-adapter" "$pkg")
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "prometheus-adapter $PROMETHEUS_ADAPTER_VERSION: built in $((SECONDS - t0))s"
}

# prometheus and promtool from one module. Service discovery other than static, file, HTTP and
# Kubernetes is left out (remove_all_sd): it is most of the compile time and no test uses it.
# The web UI's assets are not in the module (they come from an npm build), and no test needs them.
build_prometheus() {
  local out="$ASSETS/prometheus-$PROMETHEUS_VERSION" minor="${PROMETHEUS_VERSION#v3.}"
  if [[ -x "$out/prometheus" && -x "$out/promtool" ]]; then log "prometheus $PROMETHEUS_VERSION: cached in $out"; return; fi
  need_go
  local module="github.com/prometheus/prometheus" at="@v0.3$(printf '%02d' "${minor%%.*}").${minor#*.}"
  local flags="-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION#v}"
  flags+=" -X github.com/prometheus/common/version.Branch=HEAD -X github.com/prometheus/common/version.BuildUser=build-assets"
  log "prometheus $PROMETHEUS_VERSION: go install $module/cmd/{prometheus,promtool}$at"
  local t0=$SECONDS
  mkdir -p "$out.tmp"
  GOBIN="$out.tmp" go install -tags remove_all_sd,enable_kubernetes_sd -ldflags "$flags" \
    "$module/cmd/prometheus$at" "$module/cmd/promtool$at"
  rm -rf "$out"; mv "$out.tmp" "$out"
  log "prometheus $PROMETHEUS_VERSION: built in $((SECONDS - t0))s"
}

build_kstatus() {
  go_build_main kstatus "$KSTATUS_VERSION" sigs.k8s.io/cli-utils <<'GO'
// kstatus: reads one Kubernetes object as JSON on stdin and prints kstatus's verdict,
// {"status": "Current|InProgress|Failed|...", "message": "..."}, computed by the same
// library call (status.Compute) that Helm 4 --wait and Flux make.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var object map[string]interface{}
	// apimachinery's decoder keeps integers as int64, as the apiserver's client does.
	if err := k8sjson.Unmarshal(raw, &object); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	result, err := status.Compute(&unstructured.Unstructured{Object: object})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out, _ := json.Marshal(map[string]string{"status": result.Status.String(), "message": result.Message})
	fmt.Println(string(out))
}
GO
}

print_paths() {
  local cmd
  for cmd in "${KUBERNETES_COMMANDS[@]}" "${NODE_COMMANDS[@]}"; do echo "$cmd=$ASSETS/kubernetes-$KUBERNETES_VERSION/$cmd"; done
  echo "coredns=$ASSETS/coredns-$COREDNS_VERSION/coredns"
  echo "etcd=$ASSETS/etcd-$ETCD_VERSION/etcd"
  echo "kwok=$ASSETS/kwok-$KWOK_VERSION/kwok"
  echo "helm=$ASSETS/helm-$HELM_KEY/helm"
  echo "fake-gcs-server=$ASSETS/fake-gcs-server-$FAKE_GCS_SERVER_VERSION/fake-gcs-server"
  echo "kstatus=$ASSETS/kstatus-$KSTATUS_VERSION/kstatus"
  echo "prometheus=$ASSETS/prometheus-$PROMETHEUS_VERSION/prometheus"
  echo "promtool=$ASSETS/prometheus-$PROMETHEUS_VERSION/promtool"
  echo "prometheus-adapter=$ASSETS/prometheus-adapter-$PROMETHEUS_ADAPTER_VERSION/prometheus-adapter"
  echo "keda-crd=$ASSETS/keda-$KEDA_VERSION/keda.sh_scaledobjects.yaml"
}

lock() {
  mkdir -p "$ASSETS"
  exec 9>"$ASSETS/.lock"
  if command -v flock >/dev/null && ! flock -n 9; then
    log "another build holds $ASSETS/.lock; waiting for it"
    flock 9
  fi
}

targets=("$@"); [[ ${#targets[@]} -eq 0 ]] && targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    all) lock; build_etcd; build_kubernetes "${KUBERNETES_COMMANDS[@]}"; build_kwok; build_helm; build_fake-gcs-server; build_kstatus; build_keda-crds ;;
    kubernetes) lock; build_kubernetes "${KUBERNETES_COMMANDS[@]}" ;;
    # Called from here, not from a function: a function's RETURN trap stays set in its caller.
    node) lock; build_kubernetes "${NODE_COMMANDS[@]}"; build_coredns ;;
    etcd|kwok|helm|fake-gcs-server|kstatus|prometheus|prometheus-adapter|keda-crds) lock; "build_$t" ;;
    paths) print_paths ;;
    print-versions) echo "kubernetes=$KUBERNETES_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION helm=$HELM_VERSION fake-gcs-server=$FAKE_GCS_SERVER_VERSION kstatus=$KSTATUS_VERSION coredns=$COREDNS_VERSION prometheus=$PROMETHEUS_VERSION prometheus-adapter=$PROMETHEUS_ADAPTER_VERSION keda=$KEDA_VERSION cache=$ASSETS" ;;
    *) log "unknown target $t (want all|kubernetes|node|prometheus|prometheus-adapter|keda-crds|etcd|kwok|helm|fake-gcs-server|kstatus|paths|print-versions)"; exit 2 ;;
  esac
done
