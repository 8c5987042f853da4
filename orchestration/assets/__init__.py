"""Dagster assets: raw loads, the dbt project."""
