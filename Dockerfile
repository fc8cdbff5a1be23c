# syntax=docker/dockerfile:1
#
# Tessera's server image: `docker build -t tessera .`, then
#   docker run -p 8080:8080 -v tessera-data:/data tessera
# (embedded SQLite in the /data volume; for PostgreSQL and Redis see
# compose.yaml and docs/deploy.md). e2e/container.test.ts replays the build and
# run steps below without Docker, so keep every RUN step runnable by an
# unprivileged user in the stage's WORKDIR.

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile TypeScript and build the console, with dev dependencies. No install script runs here:
# the compiler needs no native module, and the root `prepare` hook (the build)
# is the next step, explicit.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npm run build

# 2. The server's production dependencies, nothing else: only the server
# workspace is installed, without dev dependencies and without the root
# `prepare` hook (it would need the compiler). better-sqlite3 is then built for
# this very base image (a prebuilt binary when one can be downloaded; else
# compiled with the tools installed here), so it matches the runtime stage.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/server/package.json packages/server/
RUN npm ci --omit=dev --workspace=@tessera/server --ignore-scripts --no-audit --no-fund
RUN npm rebuild better-sqlite3

# 3. What runs: the built server and its production dependencies, owned by
# root and only readable by the user the server runs as.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TESSERA_HOST=0.0.0.0 \
    TESSERA_PORT=8080 \
    TESSERA_DATABASE_URL=sqlite:/data/tessera.db
WORKDIR /app
COPY LICENSE package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY packages/server/package.json packages/server/
COPY packages/server/bin packages/server/bin
COPY --from=build /app/packages/server/dist packages/server/dist
# The admin console's static files (Vite's build), served by the server at /console/.
COPY --from=build /app/packages/console/dist packages/console/dist
# The SQLite database and its key file (tessera.db, tessera.db.key) live in
# the volume, owned by the server's user, readable by it alone.
RUN install -d -m 0700 -o 1000 -g 1000 /data
VOLUME /data
# The image's `node` user, by number so that Kubernetes' runAsNonRoot can
# check it without reading /etc/passwd.
USER 1000:1000
EXPOSE 8080
# No curl in the image: node's own fetch. Plain HTTP on the container's port;
# with TESSERA_TLS_CERT set, probe from outside instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TESSERA_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1 (exec form, no shell, no npm): it handles SIGTERM
# (drain, then exit 0) and SIGINT itself, so neither `docker run --init` nor
# tini is needed, and it starts no process it would have to reap besides its
# own cluster workers (TESSERA_WORKERS), which it waits for.
# e2e/container.test.ts runs it as PID 1 of a fresh PID namespace and stops it
# with SIGTERM.
CMD ["node", "packages/server/dist/main.js"]
