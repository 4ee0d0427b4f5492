# yolomq: the everyday commands. `make help` lists them.
.PHONY: help install build test test-faults lint format bench run demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

install: ## install dependencies exactly as locked
	npm ci

node_modules: package-lock.json
	npm ci
	@touch node_modules

build: node_modules ## compile every package (tsc -b)
	npm run build

test: node_modules ## lint, build and run every test
	npm run lint
	npm test

test-faults: build ## the fault suite: kills, freezes, restarts, fuzzing, bad images, soak (writes RELIABILITY.md)
	npm run test:faults

lint: node_modules ## check formatting and lint rules (biome)
	npm run lint

format: node_modules ## rewrite files to the house format
	npm run format

bench: build ## the whole path against the hardware's ceiling, written to BENCHMARKS.md (~10 min; QUICK=1 for ~3 min)
	npm run bench $(if $(QUICK),-- --quick)

run: build ## start a local cluster in the foreground (WORKERS=2, MODE=threads|processes); Ctrl-C stops it
	node scripts/run-local.mjs

demo: ## annotate the shared sample photos (../shared/images) into out/demo with a running cluster (BROKER=tcp://host:5555)
	node services/client/dist/cli/main.js detect ../shared/images --annotate out/demo $(if $(BROKER),--broker $(BROKER))

clean: ## remove build output
	rm -rf packages/*/dist services/*/dist

# --- deployment: docker compose (v2 `docker compose` where it exists, else v1.29 `docker-compose`) ---
COMPOSE := $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
.PHONY: model up scale logs down test-compose

model: ## download the default model (YOLOv8n ONNX) into ./models, checksum verified
	node scripts/fetch-model.mjs

up: ## build the images, start broker + WORKERS workers (default 2, or YOLOMQ_WORKERS in .env), wait until healthy, say where they listen
	COMPOSE="$(COMPOSE)" scripts/compose.sh up $(WORKERS)

scale: ## run M workers: make scale M=4
	@test -n "$(M)" || { echo "usage: make scale M=<workers>"; exit 2; }
	COMPOSE="$(COMPOSE)" scripts/compose.sh scale $(M)

logs: ## follow the cluster's logs
	COMPOSE="$(COMPOSE)" scripts/compose.sh logs

down: ## stop and remove the cluster's containers
	COMPOSE="$(COMPOSE)" scripts/compose.sh down

test-compose: ## prove the compose deployment on a real Docker engine (starts and stops one; ~10 min)
	bash scripts/test-compose.sh
