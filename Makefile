# Every target bootstraps .venv from nothing, so a fresh machine needs only `make demo` / `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tracker-bridge demo

# System packages the tests use (Dovecot for the real IMAP tests); installed when missing and root.
system-deps:
	@bash .ci/system-deps

test: $(STAMP) system-deps lint
	$(BIN)/pytest -q -p no:cacheprovider \
		--cov=tracker_bridge.regulation --cov-branch \
		--cov-report=term-missing:skip-covered --cov-fail-under=95

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage .hypothesis
