#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, starts every real
# service the tests use (PostgreSQL, Redis, the S3 server, etcd + kube-apiserver + kwok),
# applies migrations, then lints, builds and runs every unit and integration test.
# Usage: scripts/test.sh [jest args...]     e.g. scripts/test.sh libs/persistence
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/services/common.sh"
cd "$REPO_ROOT"

t0=$(now_s)
# Node 20 is supported by the locked SDK; its notice about future releases is noise in test output.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
bash scripts/install.sh
bash scripts/services.sh start

info "lint and build"
npx nx run-many -t lint build --outputStyle=static --parallel=2
node dist/apps/cli/main.js migrate

info "unit and integration tests"
results="$(state_dir)/jest-results.json"
rm -f "$results"
set +e
npx jest --ci --maxWorkers=2 --json --outputFile="$results" "$@"
rc=$?
set -e
if [[ -f "$results" ]]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  ' "$results"
fi
info "test suite finished in $(since "$t0") with exit code $rc"
exit $rc
