#!/usr/bin/env bash
# Local Kubernetes control plane without containers, all on 127.0.0.1:
#   etcd                     client 127.0.0.1:52379, peer 127.0.0.1:52380, data .local/kube/etcd
#   kube-apiserver           https://127.0.0.1:56443 (RBAC+Node authz; x509 client certs and a
#                            static admin token; service-account tokens signed with .local/kube/pki/sa.key)
#   kube-controller-manager  (KUBE_CONTROLLERS=1, default) Deployments->Pods, default
#                            ServiceAccounts, kube-root-ca.crt, GC, ... ; https 127.0.0.1:56257
#   kube-scheduler           (KUBE_CONTROLLERS=1, default) binds Pods to nodes; https 127.0.0.1:56259
#   kwok                     plays the kubelet of the fake nodes (scripts/services/kwok-stages.yaml)
# and creates two fake nodes: case-storage-node-1 (label case-storage.io/ssd=true) and
# case-storage-node-2. Admin kubeconfig: .local/kube/kubeconfig; admin bearer token:
# .local/kube/admin.token. Certificates (openssl) under .local/kube/pki.
#
# Usage: kube.sh start|stop|restart|status|env|reset
#   reset   stops everything and deletes .local/kube (etcd data, certs, kubeconfigs)
# Env overrides: KUBE_HOST (127.0.0.1) KUBE_API_PORT (56443) KUBE_ETCD_PORT (52379)
#   KUBE_ETCD_PEER_PORT (52380) KUBE_CM_PORT (56257) KUBE_SCHED_PORT (56259) KUBE_KWOK_PORT (56250)
#   (not ETCD_*: etcd reads ETCD_* variables as its own flags)
#   KUBE_CONTROLLERS (1; 0 = only etcd, apiserver, kwok) KUBE_NODES ("case-storage-node-1:ssd
#   case-storage-node-2": name[:ssd] list) KUBE_SERVICE_CIDR (10.96.0.0/16)
#   KUBE_POD_CIDR (10.244.0.0/16)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HOST="${KUBE_HOST:-127.0.0.1}"
API_PORT="${KUBE_API_PORT:-56443}"
ETCD_PORT="${KUBE_ETCD_PORT:-52379}"
ETCD_PEER_PORT="${KUBE_ETCD_PEER_PORT:-52380}"
KCM_PORT="${KUBE_CM_PORT:-56257}"
SCHED_PORT="${KUBE_SCHED_PORT:-56259}"
KWOK_PORT="${KUBE_KWOK_PORT:-56250}"
CONTROLLERS="${KUBE_CONTROLLERS:-1}"
NODES="${KUBE_NODES:-case-storage-node-1:ssd case-storage-node-2}"
SERVICE_CIDR="${KUBE_SERVICE_CIDR:-10.96.0.0/16}"
POD_CIDR="${KUBE_POD_CIDR:-10.244.0.0/16}"
SERVICE_IP="${SERVICE_CIDR%.*/*}.1" # first address of the service range
SSD_LABEL="case-storage.io/ssd"

KUBE_DIR="$REPO_ROOT/.local/kube"
PKI="$KUBE_DIR/pki"
ADMIN_KUBECONFIG="$KUBE_DIR/kubeconfig"
API_URL="https://$HOST:$API_PORT"
ETCD_URL="http://$HOST:$ETCD_PORT"

# ---------- certificates ----------

# sign_cert NAME CN O EXT: key + cert for NAME signed by the local CA (O may be empty).
sign_cert() {
  local name="$1" cn="$2" org="$3" ext="$4" subj
  [[ -s "$PKI/$name.crt" && -s "$PKI/$name.key" ]] && return 0
  subj="/CN=$cn"
  [[ -n "$org" ]] && subj="/O=$org$subj"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile <(printf '%s\n' "$ext") \
    -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr"
  chmod 600 "$PKI/$name.key"
}

ensure_pki() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  if [[ ! -s "$PKI/ca.crt" || ! -s "$PKI/ca.key" ]]; then
    info "generating a local CA and certificates in $PKI"
    rm -f "$PKI"/*.crt "$PKI"/*.key
    openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
    chmod 600 "$PKI/ca.key"
    openssl req -x509 -new -key "$PKI/ca.key" -sha256 -days 3650 \
      -subj "/CN=case-storage-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$PKI/ca.crt"
  fi
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  sign_cert apiserver kube-apiserver "" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$HOST,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign_cert controller-manager-serving kube-controller-manager "" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$HOST,DNS:localhost"
  sign_cert scheduler-serving kube-scheduler "" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$HOST,DNS:localhost"
  sign_cert admin case-storage-admin system:masters "$client"
  sign_cert front-proxy-client front-proxy-client "" "$client"
  sign_cert controller-manager system:kube-controller-manager "" "$client"
  sign_cert scheduler system:kube-scheduler "" "$client"
  sign_cert kwok kwok-controller system:masters "$client"
  if [[ ! -s "$PKI/sa.key" ]]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    chmod 600 "$PKI/sa.key"
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  if [[ ! -s "$KUBE_DIR/admin.token" ]]; then
    openssl rand -hex 24 >"$KUBE_DIR/admin.token"
    chmod 600 "$KUBE_DIR/admin.token"
  fi
  printf '%s,case-storage-admin-token,case-storage-admin-token,"system:masters"\n' \
    "$(cat "$KUBE_DIR/admin.token")" >"$PKI/tokens.csv"
  chmod 600 "$PKI/tokens.csv"
}

# write_kubeconfig FILE CERTNAME USER: kubeconfig with embedded CA and client cert.
write_kubeconfig() {
  local file="$1" cert="$2" user="$3"
  umask 077
  cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: case-storage-local
  cluster:
    server: $API_URL
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$cert.crt")
    client-key-data: $(base64 -w0 <"$PKI/$cert.key")
contexts:
- name: case-storage-local
  context:
    cluster: case-storage-local
    user: $user
current-context: case-storage-local
EOF
  mv -f "$file.tmp" "$file"
}

# ---------- API helpers (curl; no kubectl needed) ----------

# kapi METHOD PATH [JSON]: prints the body; exit status 0 for 2xx; HTTP code in $KAPI_CODE.
kapi() {
  local method="$1" path="$2" out code args=()
  [[ $# -ge 3 ]] && args=(--data "$3")
  out="$(mktemp)"
  code="$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 -X "$method" \
    --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    -H 'Content-Type: application/json' -H 'Accept: application/json' \
    "${args[@]}" "$API_URL$path" || true)"
  cat "$out"
  rm -f "$out"
  KAPI_CODE="$code"
  [[ "$code" == 2* ]]
}

api_ready() {
  curl -sf --max-time 3 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "$API_URL/readyz" >/dev/null
}
etcd_healthy() { curl -sf --max-time 3 "$ETCD_URL/health" | grep -q '"health":"true"'; }

ensure_nodes() {
  local spec name ssd labels body
  for spec in $NODES; do
    name="${spec%%:*}"
    ssd=""
    [[ "$spec" == *:ssd ]] && ssd=", \"$SSD_LABEL\": \"true\""
    labels="\"kubernetes.io/hostname\": \"$name\", \"kubernetes.io/os\": \"linux\", \"kubernetes.io/arch\": \"amd64\", \"type\": \"kwok\"$ssd"
    body="{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$name\",\"labels\":{$labels},\"annotations\":{\"kwok.x-k8s.io/node\":\"fake\",\"node.alpha.kubernetes.io/ttl\":\"0\"}},\"spec\":{}}"
    if kapi GET "/api/v1/nodes/$name" >/dev/null; then
      info "node $name exists"
    elif kapi POST /api/v1/nodes "$body" >/dev/null || [[ "$KAPI_CODE" == 409 ]]; then
      info "node $name created${ssd:+ (labelled $SSD_LABEL=true)}"
    else
      die "creating node $name failed (HTTP $KAPI_CODE)"
    fi
  done
}

node_ready() {
  kapi GET "/api/v1/nodes/$1" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const n=JSON.parse(s);const c=(n.status?.conditions||[]).find(c=>c.type==="Ready");process.exit(c?.status==="True"?0:1)})'
}

# ---------- start / stop ----------

start_etcd() {
  local bin
  bin="$(require_tool etcd)"
  if pid_alive etcd && etcd_healthy; then
    info "etcd already running (pid $(read_pid etcd))"
    return 0
  fi
  pid_alive etcd && stop_daemon etcd
  mkdir -p "$KUBE_DIR/etcd"
  chmod 700 "$KUBE_DIR/etcd"
  start_daemon etcd "$(log_file etcd)" "$bin" \
    --name case-storage \
    --data-dir "$KUBE_DIR/etcd" \
    --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
    --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster "case-storage=http://$HOST:$ETCD_PEER_PORT" \
    --log-level warn
  wait_for_port "$HOST" "$ETCD_PORT" 30 etcd
  wait_for_cmd 30 "etcd health at $ETCD_URL/health" etcd_healthy
}

start_apiserver() {
  local bin
  bin="$(require_tool kube-apiserver)"
  if pid_alive kube-apiserver && api_ready; then
    info "kube-apiserver already running (pid $(read_pid kube-apiserver))"
    return 0
  fi
  pid_alive kube-apiserver && stop_daemon kube-apiserver
  start_daemon kube-apiserver "$(log_file kube-apiserver)" "$bin" \
    --bind-address "$HOST" --advertise-address "$HOST" --secure-port "$API_PORT" \
    --etcd-servers "$ETCD_URL" \
    --cert-dir "$PKI" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --token-auth-file "$PKI/tokens.csv" \
    --requestheader-client-ca-file "$PKI/ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" \
    --proxy-client-key-file "$PKI/front-proxy-client.key" \
    --authorization-mode Node,RBAC \
    --service-account-issuer "https://kubernetes.default.svc.cluster.local" \
    --service-account-key-file "$PKI/sa.pub" \
    --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --profiling=false \
    --v=1
  wait_for_port "$HOST" "$API_PORT" 90 kube-apiserver
  local i
  for ((i = 0; i < 600; i++)); do
    api_ready && return 0
    pid_alive kube-apiserver || { tail_log kube-apiserver; die "kube-apiserver exited"; }
    sleep 0.2
  done
  tail_log kube-apiserver
  die "kube-apiserver not ready after 120s"
}

start_controllers() {
  local kcm sched
  [[ "$CONTROLLERS" == 1 ]] || return 0
  kcm="$(require_tool kube-controller-manager)"
  sched="$(require_tool kube-scheduler)"
  write_kubeconfig "$KUBE_DIR/controller-manager.kubeconfig" controller-manager system:kube-controller-manager
  write_kubeconfig "$KUBE_DIR/scheduler.kubeconfig" scheduler system:kube-scheduler
  start_daemon kube-controller-manager "$(log_file kube-controller-manager)" "$kcm" \
    --kubeconfig "$KUBE_DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$KUBE_DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$KUBE_DIR/controller-manager.kubeconfig" \
    --bind-address "$HOST" --secure-port "$KCM_PORT" \
    --tls-cert-file "$PKI/controller-manager-serving.crt" \
    --tls-private-key-file "$PKI/controller-manager-serving.key" \
    --client-ca-file "$PKI/ca.crt" \
    --root-ca-file "$PKI/ca.crt" \
    --service-account-private-key-file "$PKI/sa.key" \
    --use-service-account-credentials=true \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --cluster-cidr "$POD_CIDR" --allocate-node-cidrs=false \
    --leader-elect=false \
    --v=1
  start_daemon kube-scheduler "$(log_file kube-scheduler)" "$sched" \
    --kubeconfig "$KUBE_DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$KUBE_DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig "$KUBE_DIR/scheduler.kubeconfig" \
    --bind-address "$HOST" --secure-port "$SCHED_PORT" \
    --tls-cert-file "$PKI/scheduler-serving.crt" \
    --tls-private-key-file "$PKI/scheduler-serving.key" \
    --client-ca-file "$PKI/ca.crt" \
    --leader-elect=false \
    --v=1
  wait_for_port "$HOST" "$KCM_PORT" 60 kube-controller-manager
  wait_for_port "$HOST" "$SCHED_PORT" 60 kube-scheduler
}

start_kwok() {
  local bin
  bin="$(require_tool kwok)"
  write_kubeconfig "$KUBE_DIR/kwok.kubeconfig" kwok kwok-controller
  start_daemon kwok "$(log_file kwok)" "$bin" \
    --config "$SERVICES_DIR/kwok-stages.yaml" \
    --kubeconfig "$KUBE_DIR/kwok.kubeconfig" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector "kwok.x-k8s.io/node=fake" \
    --node-ip "$HOST" --cidr "$POD_CIDR" \
    --server-address "$HOST:$KWOK_PORT" \
    --node-lease-duration-seconds 40
  wait_for_port "$HOST" "$KWOK_PORT" 60 kwok
}

start() {
  local t0 spec name i
  t0="$(now_s)"
  require_cmd openssl curl node
  mkdir -p "$KUBE_DIR"
  chmod 700 "$KUBE_DIR"
  ensure_pki
  write_kubeconfig "$ADMIN_KUBECONFIG" admin case-storage-admin
  start_etcd
  start_apiserver
  info "kube-apiserver ready at $API_URL ($(since "$t0"))"
  start_controllers
  start_kwok
  ensure_nodes
  for spec in $NODES; do
    name="${spec%%:*}"
    for ((i = 0; i < 300; i++)); do
      node_ready "$name" && break
      pid_alive kwok || { tail_log kwok; die "kwok exited"; }
      sleep 0.2
    done
    node_ready "$name" || { tail_log kwok; die "node $name not Ready after 60s"; }
  done
  info "nodes Ready: $(for s in $NODES; do printf '%s ' "${s%%:*}"; done)"
  info "Kubernetes ready in $(since "$t0"): API $API_URL, KUBECONFIG=$ADMIN_KUBECONFIG, bearer token in $KUBE_DIR/admin.token"
}

DAEMONS_REVERSED=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

stop() {
  local d
  for d in "${DAEMONS_REVERSED[@]}"; do stop_daemon "$d"; done
}

status() {
  local d rc=0 want=(etcd kube-apiserver kwok)
  [[ "$CONTROLLERS" == 1 ]] && want+=(kube-controller-manager kube-scheduler)
  for d in "${want[@]}"; do
    if pid_alive "$d"; then info "$d running (pid $(read_pid "$d"))"; else info "$d not running"; rc=1; fi
  done
  if [[ -s "$PKI/ca.crt" ]] && api_ready; then
    info "API $API_URL ready"
  else
    info "API $API_URL not ready"
    rc=1
  fi
  return "$rc"
}

print_env() {
  printf 'export KUBECONFIG=%q\n' "$ADMIN_KUBECONFIG"
  printf 'export KUBE_API_URL=%q\n' "$API_URL"
  printf 'export KUBE_CA_FILE=%q\n' "$PKI/ca.crt"
  printf 'export KUBE_TOKEN_FILE=%q\n' "$KUBE_DIR/admin.token"
  printf 'export ETCD_ENDPOINT=%q\n' "$ETCD_URL"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  status) status ;;
  env) print_env ;;
  reset)
    stop
    rm -rf "$KUBE_DIR"
    info "removed $KUBE_DIR"
    ;;
  *) die "usage: $0 start|stop|restart|status|env|reset" ;;
esac
