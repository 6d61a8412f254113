# Every target bootstraps .venv from nothing, so a fresh machine needs only `make demo` / `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-corpus lint bench clean system-deps lock

# The tested versions (constraints.txt) of the daemon, every extra and the tools.
EXTRAS := dev,report,demo,testing

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tracker-bridge demo

# System packages the tests use (Dovecot for the real IMAP tests); installed when missing and root.
system-deps:
	@bash .ci/system-deps

# Workers for the suite (pytest-xdist): most of its time is waiting on real servers, subprocesses
# and kill -9 runs, which workers overlap; each has its own ports, temp dirs and servers.
TEST_WORKERS ?= 3

test: $(STAMP) system-deps lint
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) \
		--cov=tracker_bridge.regulation --cov-branch \
		--cov-report=term-missing:skip-covered --cov-fail-under=95

# Only the shared corpus's conformance tests (`make test` runs them too when the corpus is there).
SHARED ?= $(or $(TRACKER_BRIDGE_SHARED),../shared)
test-corpus: $(STAMP)
	@test -d "$(SHARED)/corpus" || { echo "test-corpus: no shared corpus at $(SHARED)/corpus;" \
		"set TRACKER_BRIDGE_SHARED=/path/to/shared or put shared/ beside the checkout" >&2; exit 1; }
	TRACKER_BRIDGE_SHARED=$(abspath $(SHARED)) $(BIN)/pytest -q -p no:cacheprovider -m shared_corpus

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Re-resolve the newest allowed versions in a scratch venv and pin them in constraints.txt.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet '.[$(EXTRAS)]'
	{ sed -n '/^#/p' constraints.txt; .lock-venv/bin/pip freeze --exclude-editable \
		| grep -iv '^tracker-bridge'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage .hypothesis
