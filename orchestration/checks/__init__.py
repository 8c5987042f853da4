"""Dagster asset checks: Great Expectations suites on the raw sources."""
