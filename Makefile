# Both targets bootstrap .venv themselves, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# llama-cpp-python builds from source; skipping the multimodal part saves most of the build time.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

.PHONY: test check run lint clean

# `make run`: the embedded model (Gemma 3 270M via llama.cpp's server) runs PaT and the standard
# baseline on the first K HumanEval problems, offline. Budgets are cut down so it ends in minutes
# on 2 cores; a real evaluation uses the defaults (see docs/benchmarks.md).
K            ?= 8
OUT          ?= out
DEMO_DB      := $(OUT)/runs.sqlite
DEMO_BUDGETS := --budget n_samples=2 --budget plan_rounds=1 --budget max_depth=1 \
                --budget n_generated_tests=3

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,plot,bench,local]'
	touch $@

# The test extras hold the run's, so after `make test` `make run` installs nothing again.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	if [ $(VENV)/.installed-test -nt pyproject.toml ]; then :; \
	else $(BIN)/pip install -q -e '.[local,plot]'; fi
	touch $@

run: $(VENV)/.installed-run
	mkdir -p $(OUT)
	$(BIN)/pat-graph run --benchmark humaneval --limit $(K) --policy pat --generator local \
		--planner local --run demo-pat --db $(DEMO_DB) $(DEMO_BUDGETS)
	$(BIN)/pat-graph run --benchmark humaneval --limit $(K) --policy standard --generator local \
		--run demo-standard --db $(DEMO_DB)
	$(BIN)/pat-graph report --db $(DEMO_DB) --baseline demo-standard --plot $(OUT)/pareto.png
	$(BIN)/pat-graph explore --db $(DEMO_DB) --out $(OUT)/explore
	$(BIN)/pat-graph export --run demo-pat --db $(DEMO_DB) --out $(OUT)/demo-pat.samples.jsonl
	$(BIN)/pat-graph export --run demo-standard --db $(DEMO_DB) --out $(OUT)/demo-standard.samples.jsonl
	@echo
	@echo "database: $(DEMO_DB)   (run 'make run' again: finished problems are skipped)"
	@echo "samples:  $(OUT)/demo-pat.samples.jsonl, $(OUT)/demo-standard.samples.jsonl"
	@echo "plot:     $(OUT)/pareto.png"
	@echo "explorer: $(OUT)/explore/index.html   (open it in a browser; no server needed)"

# The whole suite in parallel workers (pytest-xdist): most tests wait on subprocesses, sandboxes
# and servers, so four workers keep two cores busy. A test that hangs fails after 15 minutes
# instead of holding the suite. TEST_WORKERS=0 runs it in one process.
# The suite starts hundreds of Python processes from this tree: with $$PYTHONDONTWRITEBYTECODE
# set (some CI images set it), each would compile pat_graph again and every xdist worker would
# rewrite the tests' asserts again, so the test targets let Python keep its bytecode caches.
TEST_WORKERS ?= 4
test: $(VENV)/.installed-test
	$(BIN)/ruff check pat_graph graphs tests benchmarks
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -ra -n $(TEST_WORKERS) --dist load --maxschedchunk 1 --timeout 900 --durations 15

# The quick tier for everyday work: lint, format and the unit tests (no real sandbox, no server).
check: $(VENV)/.installed-test
	$(BIN)/ruff check pat_graph graphs tests benchmarks
	$(BIN)/ruff format --check pat_graph graphs tests benchmarks
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n 2 --timeout 300 tests/unit

lint: $(VENV)/.installed-test
	$(BIN)/ruff check pat_graph graphs tests benchmarks
	$(BIN)/ruff format --check pat_graph graphs tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
