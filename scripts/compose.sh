#!/usr/bin/env bash
# The Makefile's docker targets: `docker compose` where it exists, else `docker-compose` (v1.29).
#   scripts/compose.sh up [WORKERS]   build, start broker + WORKERS workers, wait until healthy, say where
#   scripts/compose.sh scale M        run M workers (broker untouched), wait until they are healthy
#   scripts/compose.sh wait [M]       wait until the broker and M (default: all) workers are healthy
#   scripts/compose.sh logs | down | ps
# Extra docker compose flags (e.g. -p name, -f file) can be given in COMPOSE_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z ${COMPOSE:-} ]]; then
  if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE=docker-compose; fi
fi
# shellcheck disable=SC2206
DC=($COMPOSE ${COMPOSE_FLAGS:-})
WAIT_SECONDS=${WAIT_SECONDS:-180}

say() { echo "compose: $*"; }

# A value from the environment, else from .env, else the default (what compose itself does).
setting() {
  local name=$1 default=$2 value=${!1:-}
  if [[ -z $value && -f .env ]]; then
    value=$(sed -n "s/^[[:space:]]*$name[[:space:]]*=[[:space:]]*//p" .env | tail -1 | sed -e 's/^["'\'']//' -e 's/["'\'']$//')
  fi
  echo "${value:-$default}"
}

check_model() {
  local dir file
  dir=$(setting YOLOMQ_MODELS_DIR ./models)
  file=$(setting YOLOMQ_MODEL_FILE yolov8n.onnx)
  if [[ ! -f $dir/$file ]]; then
    say "no model at $dir/$file (the workers mount $dir at /models and load /models/$file)."
    say "Run 'make model' to download yolov8n.onnx, or put any YOLO ONNX file in $dir and set YOLOMQ_MODEL_FILE in .env."
    exit 1
  fi
}

health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || echo gone; }

# wait_healthy [workers]: until the broker, the gateway (when it runs) and the given number of workers
# (default: every worker container) report healthy. Prints what it is waiting for every 10 s; on timeout shows the logs.
wait_healthy() {
  local want=${1:-} deadline=$((SECONDS + WAIT_SECONDS)) last=0
  while :; do
    local broker workers healthy=0 total=0 id
    broker=$("${DC[@]}" ps -q broker 2>/dev/null || true)
    workers=$("${DC[@]}" ps -q worker 2>/dev/null || true)
    for id in $workers; do
      total=$((total + 1))
      [[ $(health "$id") == healthy ]] && healthy=$((healthy + 1))
    done
    local target=${want:-$total} state="not started" gateway gateway_state=absent
    [[ -n $broker ]] && state=$(health "$broker")
    gateway=$("${DC[@]}" ps -q gateway 2>/dev/null || true)
    [[ -n $gateway ]] && gateway_state=$(health "$gateway")
    if [[ $state == healthy && $healthy -ge $target && $total -eq $target && $gateway_state =~ ^(healthy|absent)$ ]]; then
      say "broker healthy, $healthy/$target workers healthy${gateway:+, gateway $gateway_state}"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      say "timed out after ${WAIT_SECONDS}s: broker $state, $healthy/$target workers healthy, gateway $gateway_state"
      "${DC[@]}" ps || true
      "${DC[@]}" logs --tail=30 || true
      return 1
    fi
    if ((SECONDS - last >= 10)); then
      say "waiting: broker $state, $healthy/$target workers healthy, gateway $gateway_state"
      last=$SECONDS
    fi
    sleep 1
  done
}

where() {
  local host=${BROKER_ADDRESS:-localhost}
  say "broker frontend (clients):  tcp://$host:$(setting BROKER_FRONTEND_PORT 5555)"
  say "broker backend (workers):   tcp://$host:$(setting BROKER_BACKEND_PORT 5556)"
  say "broker HTTP:                http://$host:$(setting BROKER_HTTP_PORT 8080)/status   (also /healthz /readyz /metrics)"
  say "dashboard and HTTP API:     http://$host:$(setting GATEWAY_HTTP_PORT 8081)/   (POST /v1/detect, /openapi.json)"
  say "try: ${DC[*]} --profile tools run --rm client detect /data/<image>   (./data is mounted at /data)"
}

case ${1:-} in
  up)
    check_model
    workers=${2:-$(setting YOLOMQ_WORKERS 2)}
    "${DC[@]}" up -d --build --scale "worker=$workers"
    wait_healthy "$workers"
    where
    ;;
  scale)
    [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "usage: scripts/compose.sh scale M   (e.g. make scale M=4)" >&2; exit 2; }
    check_model
    "${DC[@]}" up -d --no-recreate --scale "worker=$2"
    wait_healthy "$2"
    ;;
  wait) wait_healthy "${2:-}" ;;
  logs) "${DC[@]}" logs -f --tail=100 ;;
  ps) "${DC[@]}" ps ;;
  down) "${DC[@]}" down --remove-orphans ;;
  *)
    echo "usage: scripts/compose.sh up [WORKERS] | scale M | wait [M] | logs | ps | down" >&2
    exit 2
    ;;
esac
