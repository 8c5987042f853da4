"""Great Expectations (GX Core 1.x) quality checks on the raw sources: one suite per raw
table in `expectations/suites`, run against the DuckDB warehouse by `expectations.runner`
(`chorus validate`, and one Dagster asset check per raw table)."""
