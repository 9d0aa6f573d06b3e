# gridwhistle — two commands on a fresh Debian machine:
#   make demo   set everything up, load the demo city, serve API + maps on 127.0.0.1:8000
#   make test   set everything up, run lint, types and the test suite on a throwaway PostGIS
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo serve test lint db-start db-stop clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)
	$(BIN)/gridwhistle setup-system

demo: setup
	$(BIN)/gridwhistle demo

serve: setup
	$(BIN)/gridwhistle serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP)
	$(BIN)/gridwhistle setup-system --browser
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest

db-start: setup
	$(BIN)/gridwhistle db start

db-stop:
	$(BIN)/gridwhistle db stop

clean:
	-$(BIN)/gridwhistle db stop
	rm -rf $(VENV) .gridwhistle .pytest_cache .mypy_cache .ruff_cache
