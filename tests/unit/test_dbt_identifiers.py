"""Every name dbt turns into a relation fits PostgreSQL's identifiers (63 bytes, longer
names are an error there): a unit test's name is the relation its fixture is built in,
and a model's table is built beside a `__dbt_backup` copy. DuckDB accepts longer names,
so only a PostgreSQL build would find out, minutes into the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.settings import DBT_PROJECT_DIR

POSTGRES_IDENTIFIER_BYTES = 63


def _unit_tests() -> list[tuple[Path, str]]:
    found = []
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            found.append((path.relative_to(DBT_PROJECT_DIR), test["name"]))
    return found


def test_the_project_has_unit_tests():
    assert len(_unit_tests()) > 10


@pytest.mark.parametrize("where,name", _unit_tests(), ids=lambda v: str(v))
def test_a_unit_test_name_fits_a_postgres_identifier(where, name):
    assert len(name.encode()) <= POSTGRES_IDENTIFIER_BYTES, (
        f"{where}: unit test {name} has {len(name)} characters; PostgreSQL allows"
        f" {POSTGRES_IDENTIFIER_BYTES}: shorten it"
    )


def test_model_names_fit_a_postgres_identifier_with_dbt_suffixes():
    longest = POSTGRES_IDENTIFIER_BYTES - len("__dbt_backup")
    too_long = [
        p.relative_to(DBT_PROJECT_DIR)
        for p in (DBT_PROJECT_DIR / "models").rglob("*.sql")
        if len(p.stem.encode()) > longest
    ]
    assert too_long == [], f"model names over {longest} characters: {too_long}"
