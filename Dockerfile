# syntax=docker/dockerfile:1
# Production image. One image, several roles chosen by the command:
#   serve (default), worker, scheduler, ingest, migrate.
# See docker-compose.yml for a complete deployment.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: resolve the locked dependencies into /app/.venv ---------------
FROM ${PYTHON_IMAGE} AS builder

ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# --- runtime: the venv and the code, no build tools -------------------------
FROM ${PYTHON_IMAGE} AS runtime

RUN groupadd --system --gid 10001 inbox \
    && useradd --system --uid 10001 --gid inbox --home-dir /app --no-create-home --shell /usr/sbin/nologin inbox \
    && mkdir -p /var/lib/inbox \
    && chown inbox:inbox /var/lib/inbox

# The code stays owned by root: the service user can read it, not change it.
COPY --from=builder /app /app

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    INBOX_DATA_DIR=/var/lib/inbox \
    INBOX_SERVER__HOST=0.0.0.0 \
    INBOX_SERVER__PORT=8000

WORKDIR /app
USER inbox

EXPOSE 8000

# Meaningful for `serve` only; docker-compose.yml disables it for the other roles.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

ENTRYPOINT ["inbox"]
CMD ["serve"]
