# syntax=docker/dockerfile:1
# One image per app from one file:
#   docker build -f docker/app.Dockerfile --build-arg APP=upload-api -t case-storage/upload-api .
# APP is one of upload-api | manifest-service | workspace-manager | cli | markdown-agent.
# The workspace-manager image also carries the default agent (markdown-agent/) that its
# local runtime runs. See docker/README.md.
#
# Node 22: the code runs on 20 and 22, and AWS SDK releases after early 2027 need 22.
# Pin the base by digest in CI (NODE_IMAGE=node:22-bookworm-slim@sha256:...).
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: the whole workspace, dev dependencies included, then one app's bundle ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    CI=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ARG APP
# webpack's generatePackageJson writes dist/apps/$APP/package.json *and* a package-lock.json
# pruned from the root lock to the bundle's externals, so the runtime install below is
# reproducible. (The generated `prune` targets expect apps/$APP/package.json, which an
# integrated workspace does not have, so they are not used.)
# NODE_ENV=production only here: it keeps absolute build paths out of the source maps;
# on `npm ci` above it would skip the dev dependencies the build needs.
# /out is the image's /app: the bundle at the top; for the workspace manager, the default
# agent's bundle in markdown-agent/ (with its own pruned lock: it has its own dependencies).
RUN test -n "${APP}" || { echo "--build-arg APP=upload-api|manifest-service|workspace-manager|cli|markdown-agent is required" >&2; exit 1; } \
 && NODE_ENV=production npx nx build "${APP}" --outputStyle=static \
 && test -f "dist/apps/${APP}/main.js" && test -f "dist/apps/${APP}/package-lock.json" \
 && mkdir -p /out && cp -R "dist/apps/${APP}/." /out/ \
 && if [ "${APP}" = workspace-manager ]; then \
      NODE_ENV=production npx nx build markdown-agent --outputStyle=static \
      && mkdir -p /out/markdown-agent && cp -R dist/apps/markdown-agent/. /out/markdown-agent/; \
    fi

# ---- deps: production dependencies of each bundle only, from its pruned lock ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=build /out/ ./
# --ignore-scripts: nothing we ship needs an install script (no native addons).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && if [ -f markdown-agent/package-lock.json ]; then \
      npm ci --prefix markdown-agent --omit=dev --ignore-scripts --no-audit --no-fund; \
    fi \
 && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ARG APP
LABEL org.opencontainers.image.title="case-storage-${APP}" \
      org.opencontainers.image.description="Case Storage ${APP}"
# The package managers are not needed at run time; removing them shrinks what an attacker
# could use. Node itself stays.
# tini as PID 1: the workspace manager runs agents, whose own children are re-parented to
# PID 1 when an agent exits first; node would leave them as zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1 \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
# Everything root-owned and read-only to the app user: the container can run with
# readOnlyRootFilesystem and the process cannot rewrite its own code.
COPY --from=deps /app/ ./
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NODE_OPTIONS=--enable-source-maps \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# A numeric non-root user (not the image's `node` user by name), so Kubernetes'
# runAsNonRoot can verify it without a runAsUser override.
USER 10001:10001
# tini forwards SIGTERM to node, whose handlers drain HTTP and close pools and queues with
# a hard deadline. Ports: upload-api 3001, manifest-service 3002, workspace-manager 3003
# (PORT overrides); the cli takes a command: `docker run IMAGE migrate`; the markdown-agent
# image converts the directory it is given: `docker run -v $PWD:/w IMAGE /w`.
ENTRYPOINT ["tini", "--", "node", "main.js"]
