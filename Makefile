# huice: every target sets up .venv first (idempotent), so each works on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test bench data clean

# the ray extra is installed too, so the Ray sweep backend is tested against a local instance
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,ray]"
	touch $(STAMP)

setup: $(STAMP)

## demo: a real backtest on the bundled data (SW Electronics vs CSI 300), writes runs/<name>/report.html
demo: setup
	$(BIN)/python run.py backtest config/examples/drawdown_reversion_801080.yaml

## test: the whole test suite
test: setup
	$(BIN)/python -m pytest -q

## bench: benchmarks, written to bench/RESULTS.md
bench: setup
	$(BIN)/python bench/run_all.py

## data: rebuild data/ from ../shared/data/raw
data: setup
	$(BIN)/python data/build.py

clean:
	rm -rf $(VENV) runs .pytest_cache
