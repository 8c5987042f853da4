# Chorus: every target installs what it needs (uv bootstrapped with pip if missing, then
# the locked environment), so `make demo` and `make test` work from a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
export CHORUS_DUCKDB_PATH ?= $(CURDIR)/warehouse/chorus.duckdb
export CHORUS_DATA_DIR ?= $(CURDIR)/data/sample
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
DAGSTER_PORT ?= 3000
DEMO_CUSTOMERS ?= 20000
# empty: the generator's default history (SAMPLE_DAYS in orchestration/settings.py)
DEMO_DAYS ?=
# the engine: duckdb (default), postgres or spark (dbt_project/profiles.yml)
CHORUS_DBT_TARGET ?= duckdb
export CHORUS_SPARK_DIR ?= $(CURDIR)/warehouse/spark
# pyspark is large: installed only for the spark target and `make test-spark`
GROUPS := $(if $(filter spark,$(CHORUS_DBT_TARGET)),--group spark,)

.PHONY: help install demo test test-spark test-spark-full postgres postgres-stop ui bench bench-engagement bench-decisioning bench-engines lint clean

help:
	@echo "make demo        generate sample data, load, validate, build; print a summary"
	@echo "make test        lint, then the whole test suite on DuckDB and PostgreSQL (CI)"
	@echo "make test-spark  the Spark tests: loads, builds and the cross-engine equivalence (CI)"
	@echo "make test-spark-full  Spark's unit tests and chorus run on Spark (slow, not in CI)"
	@echo "make postgres    start a local PostgreSQL for the postgres target (postgres-stop)"
	@echo "make ui          Dagster UI on http://localhost:3000 (DAGSTER_PORT=...)"
	@echo "make bench       benchmarks (writes BENCHMARKS.md figures)"
	@echo "make bench-engagement  engagement marts against the sample data's truth"
	@echo "make bench-decisioning  the send queue at 200k and 1M, against the siloed baseline"
	@echo "make bench-engines  build time per engine at 20k and 200k customers"
	@echo "make lint        ruff + sqlfluff"

# --inexact: a group installed by another target (spark) stays; removing it under a
# running Spark session (make test-spark, bench-engines) breaks that session's JVM
install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --inexact $(GROUPS)

demo: install
	$(RUN) chorus run --generate --customers $(DEMO_CUSTOMERS) $(if $(DEMO_DAYS),--days $(DEMO_DAYS)) --from $(CHORUS_DATA_DIR)

# lint first: CI (.ci/run -> make test) then fails on a ruff or sqlfluff error too.
# The tests run on TEST_WORKERS processes (pytest-xdist), each test file on one of them
# (its module fixtures built once); 1 runs them in this process.
TEST_WORKERS ?= 2
test: install lint
	$(RUN) pytest $(if $(filter 1,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

# Spark runs as a local session in the test process; its tests are marked `spark` and
# left out of `make test` (pyproject addopts), so they run here, with the spark group.
test-spark:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --group spark
	$(RUN) --group spark pytest -m spark

# What CI leaves out for time (docs/DECISIONS.md "Spark in CI"): dbt's unit tests on
# Spark (about 8 minutes: the analyser expands the inlined CTEs of the identity tests)
# and `chorus run --generate` on Spark through the console script.
test-spark-full:
	@$(UV) sync --frozen --group spark
	$(RUN) --group spark pytest -m spark_full

# A local server for the postgres target, at the profile's defaults (localhost, port
# CHORUS_PG_PORT or 5432, user/password/database chorus), files in warehouse/postgres.
# Installs the Debian package first when the binaries are missing.
postgres: install
	@$(RUN) python -m orchestration.engines.local_postgres start --port $${CHORUS_PG_PORT:-5432}

postgres-stop:
	@$(RUN) python -m orchestration.engines.local_postgres stop

# The instance config (telemetry off) goes into DAGSTER_HOME once; the code location
# `chorus` comes from workspace.yaml. `dagster dev` warns that it is superseded by `dg dev`
# (dagster-dg-cli, not in the locked environment): that one notice is filtered out.
ui: install
	@mkdir -p "$(DAGSTER_HOME)"
	@test -f "$(DAGSTER_HOME)/dagster.yaml" || cp orchestration/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"
	$(RUN) python -W 'ignore:Function `dev_command` is superseded:FutureWarning' \
		-m dagster dev -w workspace.yaml -p $(DAGSTER_PORT)

bench: install
	$(RUN) python -m bench.run

# the engagement marts against the generator's truth: held-out scores, fatigue curve
bench-engagement: install
	$(RUN) python -m bench.engagement

# the send queue at 200k and 1M customers (on the warehouses `make bench` leaves): build
# time, candidates per second, and the queue against the channel-by-channel baseline
bench-decisioning: install
	$(RUN) python -m bench.decisioning

# build time per engine (DuckDB, PostgreSQL, Spark) at 20k and 200k customers
bench-engines:
	@$(UV) sync --frozen --group spark
	$(RUN) --group spark python -m bench.engines

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	# two processes, one per core: 63 s against 87 s for every model here
	$(RUN) sqlfluff lint dbt_project/models --processes 2

clean:
	rm -rf warehouse data .dagster_home dbt_project/target dbt_project/logs
