# syntax=docker/dockerfile:1
# Mosaic's image: the compiled gateway (`npm run build`, deploy/build.mjs) on a slim Node, with production
# dependencies only, run as the unprivileged `node` user. No emulator, demo, test or TypeScript source is inside.
#   docker build -t mosaic .
#   docker run -p 4000:4000 -e MOSAIC_KEYSTONE_URL=… -e MOSAIC_LEGACY_URL=… -e MOSAIC_LEGACY_API_KEY=… mosaic
# Configuration comes from the environment (server/load-config.ts, MOSAIC_*) and an optional file passed with
# --config (deploy/k8s mounts one from a ConfigMap). test/deploy/build.test.ts builds and runs what the runtime
# stage runs (same ENV, same CMD) with plain node; test/deploy/manifests.test.ts checks the CMD's file is built.

FROM node:20-slim AS builder
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY deploy/build.mjs deploy/
COPY core core
COPY datasources datasources
COPY resolvers resolvers
COPY server server
COPY schema schema
RUN npm run build

FROM node:20-slim AS runtime
# NODE_ENV=production: libraries' production paths. MOSAIC_HOST: listen on every interface of the container
# (the gateway's default is loopback only). The port is the default, 4000.
# NODE_OPTIONS: under a memory limit (deploy/k8s: 512 Mi) Node sizes V8's heap from the cgroup — 259 MB there —
# and the young generation shrinks with it to a few MB, so every request's short-lived upstream JSON is promoted
# and collected by full GCs: the bench measured CPU per request ×1.5–2.4 in a 512 MiB cgroup. 16 MB semi-spaces
# (V8's own default without a limit) gave back most of it for ~45 MB more peak RSS (bench/README.md "Memory").
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=16 \
    MOSAIC_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# dist/ holds the schema too (dist/schema/*.graphql, copied by the build): nothing else of the tree is needed.
# Files stay owned by root, so the running gateway cannot change its own code.
COPY --from=builder /app/dist dist
USER node
EXPOSE 4000
# Docker's own health check (Kubernetes uses the probes in deploy/k8s instead). The slim image has no curl: Node's fetch.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MOSAIC_PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1 directly (no npm, no shell), so SIGTERM reaches server/serve.ts's drain; Node installs
# handlers for it, which PID 1 needs since the kernel gives PID 1 no default action for SIGTERM.
CMD ["node", "dist/server/cli.js", "serve"]
