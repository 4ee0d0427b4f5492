#!/usr/bin/env bash
# `make test-compose`: the compose deployment, proved on a real Docker engine.
#   1. start the engine (../shared/docker/engine.sh: Debian's dockerd + Compose v1, base image built locally)
#   2. build the three images; report their sizes
#   3. a worker without a model refuses to start and names the path it looked at
#   4. up with 3 workers and the gateway, wait until healthy; /healthz and /status answer from the host,
#      the gateway serves its dashboard and a detection
#   5. real detections from the client container (real model, shared photos): every answer correct,
#      answers from all 3 workers
#   6. while a benchmark runs: scale to 1 worker, back to 2; no request fails
#   7. while a benchmark runs: docker kill one worker; every request still answered
#   8. a worker whose process crashes is restarted by Docker (restart: unless-stopped) and serves again
#   9. docker-compose.workers.yml, as on another machine: a worker dials the broker through the host's
#      address and published backend port, registers, and serves requests
#  10. autoscaling: the `scaler` service (profile autoscale, docker actuator) grows the worker containers
#      from 1 to 3 under load and takes them back to 1 when the load drops, with no failed request
#  11. down -v and stop the engine, also on failure (trap)
# Settings: YOLOMQ_TEST_MODEL (../shared/models/yolov8n_int8.onnx), YOLOMQ_TEST_IMAGES (../shared/images),
# TEST_PORT_BASE (15000: ports 15555, 15556, 18080), KEEP_ENGINE=1 leaves the engine running at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ENGINE=${YOLOMQ_ENGINE_SCRIPT:-$ROOT/../shared/docker/engine.sh}
MODEL=$(realpath "${YOLOMQ_TEST_MODEL:-$ROOT/../shared/models/yolov8n_int8.onnx}")
IMAGES=$(realpath "${YOLOMQ_TEST_IMAGES:-$ROOT/../shared/images}")
PORT_BASE=${TEST_PORT_BASE:-15000}
PROJECT=yolomqtest
COPIES=12 # copies of each photo: enough requests to reach every worker
START=$SECONDS

step() { echo; echo "=== test-compose [$((SECONDS - START))s]: $*"; }
fail() { echo "test-compose: FAILED: $*" >&2; exit 1; }

[[ -f $ENGINE ]] || fail "no engine script at $ENGINE"
[[ -f $MODEL ]] || fail "no model at $MODEL (set YOLOMQ_TEST_MODEL)"
[[ -f $IMAGES/bus.jpg && -f $IMAGES/zidane.jpg ]] || fail "no bus.jpg and zidane.jpg in $IMAGES (set YOLOMQ_TEST_IMAGES)"

# The compose file's knobs, pointed at the shared model and a scratch data folder (never the repo).
DATA=$(mktemp -d /tmp/yolomqtest-data.XXXXXX)
OUT=$(mktemp -d /tmp/yolomqtest-out.XXXXXX)
for i in $(seq -w 1 $COPIES); do
  cp "$IMAGES/bus.jpg" "$DATA/bus-$i.jpg"
  cp "$IMAGES/zidane.jpg" "$DATA/zidane-$i.jpg"
done
chmod -R a+rX "$DATA"
export YOLOMQ_MODELS_DIR=$(dirname "$MODEL") YOLOMQ_MODEL_FILE=$(basename "$MODEL") YOLOMQ_DATA_DIR=$DATA
export BROKER_FRONTEND_PORT=$((PORT_BASE + 555)) BROKER_BACKEND_PORT=$((PORT_BASE + 556))
export BROKER_HTTP_PORT=$((PORT_BASE + 3080)) GATEWAY_HTTP_PORT=$((PORT_BASE + 3081))
# published on every interface, as by default: the "other machine" worker of step 9 dials the host's address
export YOLOMQ_PUBLISH_ADDRESS=0.0.0.0 LOG_LEVEL=info YOLOMQ_REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE=docker-compose; fi
export COMPOSE COMPOSE_FLAGS="-p $PROJECT"
DC=($COMPOSE -p $PROJECT)
REMOTE=($COMPOSE -p ${PROJECT}remote -f docker-compose.workers.yml)
CLIENT=("${DC[@]}" --profile tools run --rm -T client)

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if ((rc != 0)) && docker info >/dev/null 2>&1; then
    echo "--- test-compose failed (rc $rc): containers and recent logs"
    "${DC[@]}" ps
    "${DC[@]}" logs --tail=40
  fi
  step "down -v"
  if docker info >/dev/null 2>&1; then
    BROKER_HOST=${BROKER_HOST:-none} "${REMOTE[@]}" down -v --remove-orphans
    "${DC[@]}" --profile tools --profile autoscale down -v --remove-orphans
  fi
  rm -rf "$DATA" "$OUT"
  if [[ ${KEEP_ENGINE:-0} != 1 ]]; then
    step "stopping the engine"
    bash "$ENGINE" stop
  fi
  if ((rc == 0)); then echo "test-compose: PASSED in $((SECONDS - START))s"; else echo "test-compose: FAILED (rc $rc)"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "starting the Docker engine"
bash "$ENGINE" start
"${DC[@]}" --profile tools --profile autoscale down -v --remove-orphans >/dev/null 2>&1 || true # leftovers of an earlier run

step "building the images"
"${DC[@]}" --profile tools build
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(yolomq/|node:20-bookworm-slim)' | sort |
  while read -r name size; do echo "image size: $name $size"; done

step "a worker without a model refuses to start and names the path"
set +e
missing=$("${DC[@]}" run --rm -T --no-deps -e YOLOMQ_MODEL=/models/no-such-model.onnx worker 2>&1)
status=$?
set -e
echo "$missing" | tail -3
((status != 0)) || fail "the worker started without a model"
grep -q '/models/no-such-model.onnx' <<<"$missing" || fail "the worker's refusal does not name /models/no-such-model.onnx"

step "up: broker + 3 workers"
"${DC[@]}" up -d --scale worker=3
bash scripts/compose.sh wait 3
curl -fsS "http://127.0.0.1:$BROKER_HTTP_PORT/healthz" >/dev/null || fail "/healthz does not answer from the host"
live=$(curl -fsS "http://127.0.0.1:$BROKER_HTTP_PORT/status" | jq '.workers | length')
[[ $live == 3 ]] || fail "/status lists $live workers, expected 3"
echo "host: /healthz ok, /status lists $live workers"

gateway=http://127.0.0.1:$GATEWAY_HTTP_PORT
curl -fsS "$gateway/" >"$OUT/dashboard.html" || fail "the gateway's dashboard does not answer at $gateway/"
grep -qi '<html' "$OUT/dashboard.html" || fail "the gateway's / is not an HTML page"
curl -fsS -H 'Content-Type: image/jpeg' --data-binary @"$IMAGES/bus.jpg" "$gateway/v1/detect" >"$OUT/gateway.json" ||
  fail "POST $gateway/v1/detect failed"
jq -e '.width == 810 and ([.detections[] | select(.className == "bus")] | length) == 1' "$OUT/gateway.json" >/dev/null ||
  fail "the gateway's answer for bus.jpg is wrong: $(head -c 300 "$OUT/gateway.json")"
echo "host: gateway dashboard ok, POST /v1/detect bus.jpg -> $(jq -c '[.detections[].className]' "$OUT/gateway.json")"

step "detections from the client container: correct, and from all 3 workers"
"${CLIENT[@]}" detect /data --json --concurrency 6 >"$OUT/detect.jsonl" || fail "yolomq detect failed: $(tail -5 "$OUT/detect.jsonl")"
node test/deploy/compose/check-detections.mjs --workers 3 --images $((2 * COPIES)) <"$OUT/detect.jsonl"

# bench_in_background NAME SECONDS [CONCURRENCY=4]: a closed-loop load from a client container, report in
# $OUT/NAME.json
bench_in_background() {
  "${CLIENT[@]}" bench --images /data --duration "$2s" --concurrency "${3:-4}" --timeout 30s --json >"$OUT/$1.json" 2>"$OUT/$1.err" &
  BENCH_PID=$!
}
# check_bench NAME: the benchmark finished, answered requests, and none failed
check_bench() {
  local rc=0
  wait "$BENCH_PID" || rc=$?
  [[ -s $OUT/$1.json ]] || fail "$1: no benchmark report (rc $rc): $(tail -5 "$OUT/$1.err")"
  jq -c '{sent, ok, failed, errors, throughput, p99Ms: .latencyMs.p99}' "$OUT/$1.json" | sed "s/^/$1: /"
  jq -e '.ok > 0 and .failed == 0 and .sent == .ok' "$OUT/$1.json" >/dev/null || fail "$1: requests failed or went unanswered"
  ((rc == 0)) || fail "$1: the benchmark exited with $rc"
}

step "scaling 3 -> 1 -> 2 workers while requests flow"
bench_in_background scaling 40
sleep 8
"${DC[@]}" up -d --no-recreate --scale worker=1
bash scripts/compose.sh wait 1
sleep 6
"${DC[@]}" up -d --no-recreate --scale worker=2
bash scripts/compose.sh wait 2
check_bench scaling

step "docker kill one worker mid-load"
bench_in_background kill 30
sleep 8
victim=$("${DC[@]}" ps -q worker | sed -n 1p)
echo "killing worker container ${victim:0:12}"
docker kill "$victim" >/dev/null
check_bench kill

step "a crashed worker is restarted (restart: unless-stopped)"
# `docker kill` is a manual stop, which Docker's restart policy leaves alone; a crash is not
"${DC[@]}" up -d --no-recreate --scale worker=2
bash scripts/compose.sh wait 2
victim=$("${DC[@]}" ps -q worker | sed -n 1p)
before=$(docker inspect -f '{{.RestartCount}}' "$victim")
# every process but the init (PID 1): the worker's node process dies, init exits, the container ends
docker exec "$victim" sh -c 'kill -KILL -1' || true
for _ in $(seq 1 60); do
  [[ $(docker inspect -f '{{.RestartCount}}' "$victim") -gt $before ]] && break
  sleep 1
done
after=$(docker inspect -f '{{.RestartCount}}' "$victim")
((after > before)) || fail "the crashed worker ${victim:0:12} was not restarted"
echo "worker ${victim:0:12} crashed and was restarted (restart count $before -> $after)"
bash scripts/compose.sh wait 2
"${CLIENT[@]}" detect /data --json --concurrency 4 >"$OUT/after-restart.jsonl" || fail "detect after the restart failed"
node test/deploy/compose/check-detections.mjs --workers 2 --images $((2 * COPIES)) <"$OUT/after-restart.jsonl"

step "docker-compose.workers.yml: a worker as on another machine joins through the published port"
host_ip=$(hostname -I | awk '{print $1}')
export BROKER_HOST=$host_ip # what the other machine's .env would say
"${REMOTE[@]}" up -d --scale worker=1
remote=$("${REMOTE[@]}" ps -q worker)
remote_host=$(docker inspect -f '{{.Config.Hostname}}' "$remote")
joined=false
for _ in $(seq 1 90); do
  if curl -fsS "http://127.0.0.1:$BROKER_HTTP_PORT/status" | jq -e --arg h "$remote_host" '.workers | any(.host == $h)' >/dev/null; then
    joined=true
    break
  fi
  sleep 1
done
$joined || fail "the worker of docker-compose.workers.yml (BROKER_HOST=$host_ip) did not register"
echo "remote worker on host $remote_host registered through tcp://$host_ip:$BROKER_BACKEND_PORT"
"${CLIENT[@]}" detect /data --json --concurrency 6 >"$OUT/remote.jsonl" || fail "detect with the remote worker failed"
node test/deploy/compose/check-detections.mjs --workers 3 --images $((2 * COPIES)) <"$OUT/remote.jsonl"
served=$(jq -r 'select(.type == "result") | .workerId' "$OUT/remote.jsonl" | grep -c -- "-$remote_host-" || true)
((served > 0)) || fail "no answer came from the remote worker (host $remote_host)"
echo "the remote worker answered $served of $((2 * COPIES)) requests"

step "autoscaling: the scaler service follows the broker's decision with worker containers"
BROKER_HOST=$host_ip "${REMOTE[@]}" down -v # only this project's containers serve from here on
# the broker's policy (it decides; the scaler service acts through the Docker socket): 1..3 workers, one
# per 2 ongoing requests, up after 2 s of demand, down after 10 s without
export YOLOMQ_SCALER_MIN=1 YOLOMQ_SCALER_MAX=3 YOLOMQ_SCALER_TARGET=2
export YOLOMQ_SCALER_UPSCALE_DELAY_MS=2000 YOLOMQ_SCALER_DOWNSCALE_DELAY_MS=10000
"${DC[@]}" up -d --scale worker=1 # the broker is recreated with the policy
bash scripts/compose.sh wait 1
"${DC[@]}" --profile autoscale up -d --no-recreate --scale worker=1 scaler
running_workers() {
  docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter label=com.docker.compose.service=worker | wc -l
}
# wait_workers N SECONDS: until N worker containers run
wait_workers() {
  local deadline=$((SECONDS + $2))
  until (($(running_workers) == $1)); do
    ((SECONDS < deadline)) || fail "expected $1 running worker containers within $2 s, have $(running_workers)"
    sleep 1
  done
  echo "$1 worker containers running after $(($2 - (deadline - SECONDS))) s"
}
wait_workers 1 30
# 8 clients in a closed loop: about 8 ongoing requests, so the policy wants ceil(8 / 2) = 4, clamped to 3
"${CLIENT[@]}" bench --images /data --duration 50s --concurrency 8 --timeout 60s --json >"$OUT/autoscale-up.json" 2>"$OUT/autoscale-up.err" &
BENCH_PID=$!
wait_workers 3 60
# the containers it made are real workers: all three register with the broker
for _ in $(seq 1 90); do
  registered=$(curl -fsS "http://127.0.0.1:$BROKER_HTTP_PORT/status" | jq '.workers | length')
  ((registered == 3)) && break
  sleep 1
done
((registered == 3)) || fail "the broker lists $registered workers, expected the 3 the scaler runs"
echo "the broker lists 3 registered workers"
"${DC[@]}" logs --no-color scaler | grep -c 'worker container created' | sed 's/^/scaler: containers created: /'
check_bench autoscale-up
# one client: about 1 ongoing request, the policy wants 1 again: two workers are retired while it runs
bench_in_background autoscale-down 45 1
wait_workers 1 40
check_bench autoscale-down
"${DC[@]}" logs --no-color scaler | grep -c 'worker container stopped' | sed 's/^/scaler: containers stopped: /'
