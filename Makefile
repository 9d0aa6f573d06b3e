# gridwhistle — two commands on a fresh Debian machine:
#   make demo   set everything up, load the demo city, serve API + maps on 127.0.0.1:8000
#   make test   set everything up, run lint, types and the test suite on a throwaway PostGIS
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

.PHONY: setup demo serve test test-at lint lock db-start db-stop clean

# Installs take the exact versions of the committed lock; pyproject.toml keeps the lower bounds.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $(STAMP)

# Command-line tools the tests call whose own pins clash with the project's (openapi-python-client
# pins older typer and httpx): each in a venv of its own, at a pinned version.
TOOLS := $(VENV)/tools
OPENAPI_CLIENT := openapi-python-client==0.29.1
$(TOOLS)/.installed: Makefile
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet '$(OPENAPI_CLIENT)'
	@touch $@

# Regenerate the lock from pyproject.toml for Python 3.11 on Linux x86_64: pins already in the
# lock are kept where they still fit; UPGRADE=1 takes the newest releases that fit.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu $(if $(UPGRADE),--upgrade) -o $(LOCK)

# The pages' JavaScript is checked by Biome (lint and format), pinned in package-lock.json.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

setup: $(STAMP)
	$(BIN)/gridwhistle setup-system

demo: setup
	$(BIN)/gridwhistle demo

serve: setup
	$(BIN)/gridwhistle serve

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	node_modules/.bin/biome ci --colors=off

test: $(STAMP) $(TOOLS)/.installed
	$(BIN)/gridwhistle setup-system --browser
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest

# The suite (browser tests aside) with the clock of every process, PostgreSQL's included, moved
# to AT (UTC) by libfaketime, on a cluster of its own:  make test-at AT="2027-02-08 02:00:00"
AT        ?= 2027-02-08 02:00:00
FAKETIME_LIB := /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
test-at: $(STAMP)
	@test -f $(FAKETIME_LIB) || { echo "needs libfaketime: apt-get install faketime"; exit 2; }
	export GRIDWHISTLE_HOME=$(CURDIR)/.gridwhistle/at; \
	FAKETIME="@$(AT)" LD_PRELOAD=$(FAKETIME_LIB) \
		$(BIN)/python -m pytest -m "not browser and not real_clock" -p no:cacheprovider; \
	status=$$?; $(BIN)/gridwhistle db stop; exit $$status

db-start: setup
	$(BIN)/gridwhistle db start

db-stop:
	$(BIN)/gridwhistle db stop

clean:
	-$(BIN)/gridwhistle db stop
	rm -rf $(VENV) node_modules .gridwhistle .pytest_cache .mypy_cache .ruff_cache
