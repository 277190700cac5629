# syntax=docker/dockerfile:1
# One image for every kots service: `docker run kots:local <command>` runs `node bin/kots.js <command>`
# (up | agent | simulate | bridge | consumer | sql | consolidate | dashboard | alerts | config ...).
#
# DuckDB's httpfs extension (needed by `kots sql`, `consolidate` and the dashboard to read s3://) is
# seeded at build time from its PyPI wheel, so the image never downloads anything at run time and
# works on hosts without internet. The wheel must match the DuckDB of @duckdb/node-api in
# package-lock.json (DUCKDB_VERSION below; test/deploy checks they agree).

ARG NODE_VERSION=24.22.3
ARG DUCKDB_VERSION=1.5.5

# ---- production dependencies (the DuckDB native binding comes as a prebuilt optional package)
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The image's own Node is 24 already: drop the Node runtime that package.json brings as an optional
# dependency for machines whose system Node is older.
# --ignore-scripts: `prepare` compiles dist/ with esbuild, a dev dependency; the image runs the sources.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force \
 && rm -rf node_modules/node-linux-* node_modules/.bin/node

# ---- DuckDB extensions from PyPI, laid out as an extension directory: v<version>/<platform>/<name>.duckdb_extension
FROM python:3.12-slim-bookworm AS duckdb-extensions
ARG DUCKDB_VERSION
RUN pip download --no-cache-dir --disable-pip-version-check --no-deps --only-binary=:all: \
      -d /wheels "duckdb-extension-httpfs==${DUCKDB_VERSION}" \
 && case "$(uname -m)" in x86_64) platform=linux_amd64 ;; aarch64) platform=linux_arm64 ;; *) echo "no DuckDB platform for $(uname -m)"; exit 1 ;; esac \
 && mkdir -p "/out/v${DUCKDB_VERSION}/${platform}" \
 && python -c "import sys, zipfile, pathlib; [zipfile.ZipFile(w).extractall('/x') for w in pathlib.Path('/wheels').glob('*.whl')]" \
 && cp "$(find /x -name 'httpfs.duckdb_extension' | head -n1)" "/out/v${DUCKDB_VERSION}/${platform}/httpfs.duckdb_extension"

# ---- runtime: sources run through tsx (no build step), as the unprivileged `node` user
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    KOTS_DUCKDB_EXTENSION_DIRECTORY=/opt/kots/duckdb-extensions \
    KOTS_LAKE_PATH=/var/lib/kots/lake \
    KOTS_AGENT_SPOOL_DIR=/var/lib/kots/spool \
    KOTS_UP_STATE_DIR=/var/lib/kots/state
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=duckdb-extensions /out /opt/kots/duckdb-extensions
COPY . .
RUN mkdir -p /var/lib/kots && chown node:node /var/lib/kots
USER node
VOLUME ["/var/lib/kots"]
# Each service in docker-compose.yml declares its own check (the bridge's /healthz, the dashboard's page).
HEALTHCHECK NONE
ENTRYPOINT ["node", "bin/kots.js"]
CMD ["up"]
