# Both targets bootstrap .venv themselves, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# llama-cpp-python builds from source; skipping the multimodal part saves most of the build time.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

.PHONY: test run lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,plot,bench,local]'
	touch $@

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -ra

lint: $(VENV)/.installed-test
	$(BIN)/ruff check pat_graph graphs tests benchmarks
	$(BIN)/ruff format --check pat_graph graphs tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
