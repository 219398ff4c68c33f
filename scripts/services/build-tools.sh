#!/usr/bin/env bash
# Builds the Go tools pinned in tools/go/go.mod into a cache outside the repo:
#   ${CASE_STORAGE_CACHE:-$HOME/.cache/case-storage}/tools/<hash of go.mod+go.sum>/bin/
# A tool whose binary already exists there is skipped, so fresh clones and CI reuse it.
#
# Usage: build-tools.sh [all|s3|kube|TOOL...]      (default: all)
#   s3   = versitygw
#   kube = etcd kube-apiserver kube-controller-manager kube-scheduler kwok helm
#   TOOL = one of: versitygw etcd kube-apiserver kube-controller-manager kube-scheduler kwok helm
#   build-tools.sh --bin-dir   prints the bin dir and exits
# Env: CASE_STORAGE_CACHE (cache root), GO (go binary, default `go`),
#      BUILD_TOOLS_FORCE=1 (rebuild even if present).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

GO="${GO:-go}"
TOOLS_DIR="$(tools_go_dir)"
BIN_DIR="$(tools_bin_dir)"

if [[ "${1:-}" == "--bin-dir" ]]; then
  printf '%s\n' "$BIN_DIR"
  exit 0
fi

command -v "$GO" >/dev/null 2>&1 || die "Go is required (go.mod needs go >= 1.26): '$GO' not found"

# tool name -> Go package (each is a `tool` directive in tools/go/go.mod)
declare -A PKG=(
  [versitygw]=github.com/versity/versitygw/cmd/versitygw
  [etcd]=go.etcd.io/etcd/server/v3
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kwok]=sigs.k8s.io/kwok/cmd/kwok
  [helm]=helm.sh/helm/v4/cmd/helm
)
# tool name -> the name `go build -o DIR/` gives the binary
declare -A OUT=([etcd]=server)
KUBE_TOOLS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok helm)

want=()
[[ $# -gt 0 ]] || set -- all
for arg in "$@"; do
  case "$arg" in
    all) want+=("${KUBE_TOOLS[@]}" versitygw) ;;
    s3) want+=(versitygw) ;;
    kube) want+=("${KUBE_TOOLS[@]}") ;;
    *)
      [[ -n "${PKG[$arg]:-}" ]] || die "unknown tool or group '$arg' (use: all, s3, kube, ${!PKG[*]})"
      want+=("$arg")
      ;;
  esac
done

modver() { (cd "$TOOLS_DIR" && "$GO" list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$1"); }

missing=()
declare -A seen=()
for t in "${want[@]}"; do
  [[ -n "${seen[$t]:-}" ]] && continue
  seen[$t]=1
  if [[ -x "$BIN_DIR/$t" && "${BUILD_TOOLS_FORCE:-0}" != 1 ]]; then
    info "$t: cached ($BIN_DIR/$t)"
  else
    missing+=("$t")
  fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
  mkdir -p "$BIN_DIR"
  start="$(now_s)"
  info "building ${missing[*]} with $("$GO" version | awk '{print $3}') into $BIN_DIR"
  info "(a cold kube-apiserver build takes several minutes on 2 cores)"

  k8s_ver="$(modver k8s.io/kubernetes)"
  k8s_minor="$(cut -d. -f2 <<<"$k8s_ver")"
  helm_ver="$(modver helm.sh/helm/v4)"
  vgw_ver="$(modver github.com/versity/versitygw)"
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # Version stamps the upstream Makefiles set; -X on a symbol a binary lacks is ignored.
  ldflags="-s -w"
  ldflags+=" -X k8s.io/component-base/version.gitVersion=$k8s_ver"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$k8s_minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/component-base/version.buildDate=$build_date"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$k8s_ver"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$k8s_minor"
  ldflags+=" -X helm.sh/helm/v4/internal/version.version=$helm_ver"
  ldflags+=" -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
  ldflags+=" -X main.Version=$vgw_ver -X main.BuildTime=$build_date"

  pkgs=()
  for t in "${missing[@]}"; do pkgs+=("${PKG[$t]}"); done
  tmp="$(mktemp -d "$BIN_DIR/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # One `go build` for all packages shares the compile work between them.
  (cd "$TOOLS_DIR" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
    "$GO" build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
  for t in "${missing[@]}"; do
    src="$tmp/${OUT[$t]:-$t}"
    [[ -x "$src" ]] || die "go build produced no binary for $t (expected $src)"
    mv -f "$src" "$BIN_DIR/$t"
  done
  info "built ${missing[*]} in $(since "$start")"
fi

info "tools are in $BIN_DIR"
for t in "${!seen[@]}"; do printf '%s\n' "$BIN_DIR/$t"; done | sort
