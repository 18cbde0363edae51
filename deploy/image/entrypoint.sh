#!/bin/sh
# The container's entry point: `<role> <service> [extra arguments]`.
#
#   api <service>       the service's HTTP API (uvicorn through beacon_shared.serve, so a drained
#                       SIGTERM exits 0; one process: scale with replicas)
#   worker <service>    its worker: consumers, outbox relay, scheduled jobs
#   migrate <service>   its schema to the latest migration (`iam` for the API keys' schema)
#   topics <service>    its Kafka topics and dead-letter topics, with their partition counts
#
# Every role execs its process, so SIGTERM reaches it directly and it drains before exiting.
# Settings come from the environment (see the README); the variables read here as well:
#   <SVC>_HTTP_PORT / <SVC>_WORKER_PORT   ports (defaults 8001-8006 / 9001-9006, as in Settings)
#   BIND_HOST                             address the API listens on (default 0.0.0.0)
#   API_SHUTDOWN_GRACE_SECONDS            how long in-flight requests may finish after SIGTERM (20)
#   FORWARDED_ALLOW_IPS                   proxies trusted for X-Forwarded-* (default 127.0.0.1)
#   BEACON_HEALTH_FILE                    where the health URL for HEALTHCHECK is written
set -eu

usage() {
    echo "usage: $0 api|worker|migrate|topics ingest|moderation|publisher|analytics|workspace|inbox" >&2
    echo "       $0 migrate iam" >&2
    exit 64
}

[ "$#" -ge 2 ] || usage
role=$1
service=$2
shift 2
home=$(cd "$(dirname "$0")/../.." && pwd)

case "$service" in
    ingest) offset=1 ;;
    moderation) offset=2 ;;
    publisher) offset=3 ;;
    analytics) offset=4 ;;
    workspace) offset=5 ;;
    inbox) offset=6 ;;
    iam) [ "$role" = migrate ] || usage; offset=0 ;;
    *) usage ;;
esac
prefix=$(echo "$service" | tr '[:lower:]' '[:upper:]')

# The port a setting names, or its default; also written down for the image's HEALTHCHECK.
port_of() {
    eval "value=\${${prefix}_$1_PORT:-}"
    [ -n "$value" ] || value=$(($2 + offset))
    echo "$value"
}
remember_health_url() {
    echo "http://127.0.0.1:$1/healthz" >"${BEACON_HEALTH_FILE:-/tmp/beacon-health-url}" 2>/dev/null || true
}

case "$role" in
    api)
        port=$(port_of HTTP 8000)
        remember_health_url "$port"
        exec python -m beacon_shared.serve --factory "$service.main:create_app" \
            --host "${BIND_HOST:-0.0.0.0}" --port "$port" \
            --no-access-log --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
            --timeout-graceful-shutdown "${API_SHUTDOWN_GRACE_SECONDS:-20}" "$@"
        ;;
    worker)
        remember_health_url "$(port_of WORKER 9000)"
        exec python -m "$service.worker" "$@"
        ;;
    migrate)
        if [ "$service" = iam ]; then ini="$home/shared/alembic.ini"; else ini="$home/services/$service/alembic.ini"; fi
        exec alembic -c "$ini" upgrade head "$@"
        ;;
    topics)
        exec python -m "$service.worker" topics "$@"
        ;;
    *) usage ;;
esac
