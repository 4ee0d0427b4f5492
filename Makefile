# yolomq: the everyday commands. `make help` lists them.
.PHONY: help install build test lint format bench run clean

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

lint: node_modules ## check formatting and lint rules (biome)
	npm run lint

format: node_modules ## rewrite files to the house format
	npm run format

bench: build ## run the benchmarks
	npm run bench:broker

run: build ## start a local cluster (broker + workers) in the foreground; Ctrl-C stops it
	node scripts/run-local.mjs

clean: ## remove build output
	rm -rf packages/*/dist services/*/dist
