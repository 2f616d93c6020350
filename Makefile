# huice: every target sets up .venv first (idempotent), so each works on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test check lint bench data clean

RAY_STAMP := $(VENV)/.installed-ray-stamp

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# the tests also cover the Ray sweep backend against a local instance
$(RAY_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,ray]"
	touch $(RAY_STAMP)

setup: $(STAMP)

## demo: a real backtest on the bundled data (SW Electronics vs CSI 300), writes runs/<name>/report.html
demo: setup
	$(BIN)/python run.py backtest config/examples/drawdown_reversion_801080.yaml

## test: every test, in parallel on all cores (installs the ray extra too)
test: $(RAY_STAMP)
	$(BIN)/python -m pytest -q -n auto --dist worksteal

## check: the fast tier for the inner loop (unit and property tests, one golden run per
## strategy; about a minute on 2 cores): everything not marked slow
check: setup
	$(BIN)/python -m pytest -q -n auto --dist worksteal -m "not slow"

## lint: ruff (complexity at most 12 included), and mypy strict on the whole package (both must report nothing)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

## bench: benchmarks, written to bench/RESULTS.md
bench: setup
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run_all.py

## data: rebuild data/ from ../shared/data/raw
data: setup
	$(BIN)/python -m pip install --quiet -e ".[data]"
	$(BIN)/python data/build.py

clean:
	rm -rf $(VENV) runs .pytest_cache
