# Chorus: every target installs what it needs (uv bootstrapped with pip if missing, then
# the locked environment), so `make demo` and `make test` work from a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
export CHORUS_DUCKDB_PATH ?= $(CURDIR)/warehouse/chorus.duckdb
export CHORUS_DATA_DIR ?= $(CURDIR)/data/sample
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
DEMO_CUSTOMERS ?= 20000
DEMO_DAYS ?= 90

.PHONY: help install demo test ui dashboards bench lint clean

help:
	@echo "make demo        generate sample data, load, validate, build; print a summary"
	@echo "make test        lint, then the whole test suite (CI calls this)"
	@echo "make ui          Dagster UI on http://localhost:3000"
	@echo "make dashboards  Streamlit dashboards on http://localhost:8501"
	@echo "make bench       benchmarks (writes BENCHMARKS.md figures)"
	@echo "make lint        ruff + sqlfluff"

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen

demo: install
	$(RUN) chorus run --generate --customers $(DEMO_CUSTOMERS) --days $(DEMO_DAYS) --from $(CHORUS_DATA_DIR)

# lint first: CI (.ci/run -> make test) then fails on a ruff or sqlfluff error too
test: install lint
	$(RUN) pytest

ui: install
	@mkdir -p $(DAGSTER_HOME)
	$(RUN) dagster dev -m orchestration.definitions -p 3000

dashboards: install
	@echo "Dashboards are not built yet."

bench: install
	$(RUN) python -m bench.run

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) sqlfluff lint dbt_project/models

clean:
	rm -rf warehouse data .dagster_home dbt_project/target dbt_project/logs
