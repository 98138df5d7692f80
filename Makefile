# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOME_DIR ?= var
PORT ?= 8501
DEBIAN_PACKAGES := chromium poppler-utils

.PHONY: run test env system-deps demo serve lint bench bench-quick clean

env: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing the project"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Chromium (browser test) and poppler-utils (PDF checks) come from Debian. As root they are
# installed here; otherwise we say what to install and the tests that need them are skipped.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: install$$missing (sudo apt-get install$$missing) for the browser and PDF tests"; \
	  fi; \
	fi

run: env
	$(BIN)/wmin demo --home $(HOME_DIR)
	$(BIN)/wmin serve --home $(HOME_DIR) --port $(PORT)

demo: env
	$(BIN)/wmin demo --home $(HOME_DIR)

serve: env
	$(BIN)/wmin serve --home $(HOME_DIR) --port $(PORT)

test: env system-deps
	$(BIN)/python -m pytest -q

# Benchmarks (issue #9): figures into $(HOME_DIR)/bench/results*.json; the full run also
# rewrites docs/benchmarks.md. The full run is a network year at scale 1.0 (tens of minutes).
bench: env
	$(BIN)/python bench/run.py --home $(HOME_DIR)

bench-quick: env
	$(BIN)/python bench/run.py --home $(HOME_DIR) --quick

lint: env
	$(BIN)/ruff check ingest pipeline exports dashboards tests bench

clean:
	rm -rf $(VENV) $(HOME_DIR) dbt_project/target dbt_project/logs
