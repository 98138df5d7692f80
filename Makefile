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

# The `spark` extra (dbt-spark, pyspark) is installed too, so that `make test` runs the Spark proof
# (tests/spark); it needs Java only to run, so an environment without Java still installs.
# The versions installed are the ones in uv.lock (pyproject.toml keeps the ranges for people who
# install the package into an environment of their own). uv itself comes from PyPI, pinned, in
# its own small venv beside the project's so that `uv sync` never removes it.
UV_VERSION := 0.13.10
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv

$(UV):
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet uv==$(UV_VERSION)

# --compile-bytecode: uv leaves the packages uncompiled, and with PYTHONDONTWRITEBYTECODE set (as
# on our machines) every process then compiled pandas, dbt and Great Expectations from source.
$(STAMP): pyproject.toml uv.lock Makefile | $(UV)
	@echo "==> installing the locked versions (uv.lock) into $(VENV)"
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --compile-bytecode --extra test --extra spark --python $(PYTHON)
	@touch $(STAMP)

# Chromium (browser test), poppler-utils (PDF checks) and Java (the Spark proof: pyspark needs a
# JVM, 17 or 21) come from Debian. As root they are installed here; otherwise we say what to
# install and the tests that need them are skipped.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	{ command -v java >/dev/null || [ -n "$$JAVA_HOME" ]; } || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: install$$missing (sudo apt-get install$$missing) for the browser, PDF and Spark tests"; \
	  fi; \
	fi

# The app opens on the demo's first months while the rest of its window loads in the background
# (pipeline/demo.py); `make demo` loads the whole window at once, without the app.
run: env
	$(BIN)/wmin demo --home $(HOME_DIR) --serve --port $(PORT)

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

# Python: ruff's rules are in pyproject.toml; the formatter's check fails on any file `ruff
# format` would change. SQL: sqlfluff's rules in dbt_project/.sqlfluff (the dbt templater
# compiles each model) and the project's conventions in dbt_project/dbt-bouncer.yml (checked on
# the manifest of a `dbt parse`). Both keep dbt's files in dbt_project/target/lint and give the
# profile a scratch database there: nothing is built and no warehouse is read.
PY_DIRS := ingest pipeline exports dashboards reporting offers tests bench
DBT_LINT_ENV := DBT_PARTIAL_PARSE=false DBT_TARGET_PATH=target/lint DBT_LOG_PATH=target/lint/logs \
	WMIN_RESTRICTED_DB=target/lint/lint.duckdb
lint: env
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	mkdir -p dbt_project/target/lint
	cd dbt_project && $(DBT_LINT_ENV) ../$(BIN)/sqlfluff lint models tests --processes 2
	cd dbt_project && $(DBT_LINT_ENV) ../$(BIN)/dbt parse --profiles-dir . --quiet
	cd dbt_project && ../$(BIN)/dbt-bouncer --config-file dbt-bouncer.yml

clean:
	rm -rf $(VENV) $(UV_VENV) $(HOME_DIR) dbt_project/target dbt_project/logs
