# One image for both roles: `boomerang serve` (default) and `boomerang worker`.

# --- frontend: the embedded admin UI, built by Vite into hashed files + .vite/manifest.json -
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- python: the app and its dependencies in a venv ----------------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# The pinned, hashed dependencies first (a layer that changes only with the lock), then the app
# itself without resolving anything again.
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY app/ app/
COPY webhooks/ webhooks/
COPY jobs/ jobs/
COPY migrations/ migrations/
COPY devstore/ devstore/
RUN /opt/venv/bin/pip install --no-deps .

# --- runtime: non-root, no build tools ------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
RUN useradd --create-home --uid 10001 boomerang \
 && install -d -o boomerang -g boomerang /var/lib/boomerang
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src /app
COPY --from=frontend /src/frontend/dist /app/frontend/dist
WORKDIR /app
# DATA_DIR: the file outbox (no SMTP_URL) and embedded services (no DATABASE_URL/REDIS_URL),
# written by the non-root user; mount a volume there to keep them.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 FRONTEND_DIR=/app/frontend/dist \
    DATA_DIR=/var/lib/boomerang WORKER_METRICS_HOST=0.0.0.0 LOG_FORMAT=json
VOLUME /var/lib/boomerang
USER boomerang
# 8000: the web app (its /metrics included); 8001: the worker's metrics (`boomerang worker`).
EXPOSE 8000 8001
# Liveness, for either role: the web server's /healthz, or the worker's heartbeat (see
# app/healthcheck.py). Never /readyz: readiness (PostgreSQL and Redis answer) is for the load
# balancer's routing; marking containers unhealthy for a database outage would only get them
# all restarted at once, and the processes reconnect by themselves. Run with a restart policy
# (`docker run --restart unless-stopped`, Compose `restart: unless-stopped`).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["boomerang", "healthcheck"]
CMD ["boomerang", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
