# syntax=docker/dockerfile:1.7
# One image for every Beacon service and role: `docker run beacon api ingest`, `... worker
# moderation`, `... migrate iam`, `... topics analytics` (deploy/image/entrypoint.sh).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: the locked dependencies, then the workspace packages, into /app/.venv ----------
FROM ${PYTHON_IMAGE} AS build
# The same uv as the Makefile's, so the lockfile is read the same way.
RUN pip install --no-cache-dir "uv==0.13.9"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, from the lockfile only: this layer is rebuilt only when they change.
# --locked installs exactly uv.lock and fails the build if it no longer matches the pyprojects.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY services/ingest/pyproject.toml services/ingest/
COPY services/moderation/pyproject.toml services/moderation/
COPY services/publisher/pyproject.toml services/publisher/
COPY services/analytics/pyproject.toml services/analytics/
COPY services/workspace/pyproject.toml services/workspace/
COPY services/inbox/pyproject.toml services/inbox/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --all-packages --no-install-workspace
COPY shared/ shared/
COPY services/ services/
# Not editable: the runtime stage copies the environment without the sources beside it.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --all-packages --no-editable

# ---- runtime: the environment, the migrations and the entry point; no build tools ---------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 beacon \
    && useradd --system --uid 10001 --gid beacon --home-dir /app --shell /usr/sbin/nologin beacon
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# Alembic environments live beside the packages, not inside them.
COPY shared/alembic.ini shared/
COPY shared/migrations shared/migrations
COPY services/ingest/alembic.ini services/ingest/
COPY services/ingest/migrations services/ingest/migrations
COPY services/moderation/alembic.ini services/moderation/
COPY services/moderation/migrations services/moderation/migrations
COPY services/publisher/alembic.ini services/publisher/
COPY services/publisher/migrations services/publisher/migrations
COPY services/analytics/alembic.ini services/analytics/
COPY services/analytics/migrations services/analytics/migrations
COPY services/workspace/alembic.ini services/workspace/
COPY services/workspace/migrations services/workspace/migrations
COPY services/inbox/alembic.ini services/inbox/
COPY services/inbox/migrations services/inbox/migrations
COPY deploy/image/entrypoint.sh deploy/image/healthcheck.py deploy/image/
# HOME in /tmp: the root filesystem may be read-only (Kubernetes mounts an emptyDir there).
ENV PATH=/app/.venv/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LOG_FORMAT=json
USER 10001:10001
EXPOSE 8001 8002 8003 8004 8005 8006 9001 9002 9003 9004 9005 9006
# /healthz of the API or worker this container runs (the entry point notes its port).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/image/healthcheck.py"]
ENTRYPOINT ["/app/deploy/image/entrypoint.sh"]
CMD ["api", "ingest"]
