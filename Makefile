# Two commands: `make run` serves the demo on SQLite, `make test` runs the whole suite.
# Both create .venv and install the project first. Needs Python 3.11+ and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test fuzz install lint format messages migrate demo clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "visits needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/visits serve

test: $(STAMP)
	$(BIN)/pytest

# schemathesis runs from a virtualenv of its own (it only speaks HTTP to the servers it fuzzes);
# FUZZ_PYTHON picks its interpreter (3.13 or newer is best: see README, Tests).
FUZZ_PYTHON ?= python3
FUZZ_VENV   := .venv-fuzz
FUZZ_STAMP  := $(FUZZ_VENV)/.installed-stamp

$(FUZZ_STAMP):
	$(FUZZ_PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install --quiet "schemathesis>=4.32,<5"
	@touch $(FUZZ_STAMP)

fuzz: $(STAMP) $(FUZZ_STAMP)
	FUZZ_SCHEMATHESIS=$(FUZZ_VENV)/bin/schemathesis $(BIN)/python -m tests.fuzz_api $(FUZZ_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Extract every text marked for translation and update the catalogs (visits/locale); then
# translate what is new (a test fails while German leaves a text untranslated).
messages: $(STAMP)
	$(BIN)/python -m visits.i18n

migrate: $(STAMP)
	$(BIN)/visits db upgrade

demo: $(STAMP)
	$(BIN)/visits demo seed

clean:
	rm -rf $(VENV) $(FUZZ_VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts
