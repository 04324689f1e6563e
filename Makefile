# ESS assistant — `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of torch, from this machine's local wheel; an unpinned torch is a multi-GB CUDA build.
TORCH := torch==2.13.0

.DEFAULT_GOAL := help
.PHONY: help install run shell build serve test eval eval-answers bench lint format clean eval-pg bench-scale-pg

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[st,dev]'
	@touch $(STAMP)

# axe-core (MPL-2.0), the accessibility checker the browser tests inject, from the npm registry.
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.14.1
$(AXE): $(STAMP)
	@if command -v npm >/dev/null; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/npm axe-core@$(AXE_VERSION); \
	else echo "warning: npm not found (apt-get install npm): the browser tests' accessibility check is skipped"; fi

install: $(STAMP) $(AXE) ## create .venv and install everything to run and test the assistant

build: install ## build (or update) the index from corpus/
	$(BIN)/assistant build

run: install ## build the index if needed, then start the web app on http://127.0.0.1:8501
	$(BIN)/assistant build --if-needed
	$(BIN)/assistant ui

shell: install ## build the index if needed, then search in the terminal
	$(BIN)/assistant build --if-needed
	$(BIN)/assistant shell

test: install ## run the test suite
	$(BIN)/pytest

eval: install ## score retrieval on evals/gold.yaml, write evals/reports/, check the thresholds
	$(BIN)/assistant eval --check

eval-answers: install ## score only the answers on the gold set (evals/reports/answers.md)
	$(BIN)/python evals/answer_quality.py

bench: install ## measure /search and /ask latency over HTTP (evals/reports/service-latency.md)
	$(BIN)/assistant build --if-needed
	$(BIN)/python evals/bench_service.py

.PHONY: bench-load
bench-load: install ## load on localhost: 20 and 50 clients, throughput, p50/p95/p99, errors, shed (evals/reports/load.md)
	$(BIN)/assistant build --if-needed
	$(BIN)/python evals/bench_load.py

eval-pg: install ## gold set on the PostgreSQL store beside the embedded one (evals/reports/store-comparison.md)
	$(BIN)/assistant eval --store postgres

bench-scale-pg: install ## PostgreSQL store at 10k and 100k synthetic units (evals/reports/scale-postgres.md)
	$(BIN)/assistant build --if-needed
	$(BIN)/python evals/bench_scale_pg.py

serve: install ## build the index if needed, then start the HTTP API on ASSISTANT_PORT (8000)
	$(BIN)/assistant build --if-needed
	$(BIN)/assistant serve

lint: install ## ruff and mypy
	$(BIN)/ruff check assistant tests evals app
	$(BIN)/ruff format --check assistant tests evals app
	$(BIN)/mypy

format: install ## format the code with ruff
	$(BIN)/ruff format assistant tests evals app
	$(BIN)/ruff check --fix assistant tests evals app

clean: ## remove the virtual environment, caches and the built index
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache index/builds index/LATEST
