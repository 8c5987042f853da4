"""The pipeline against the generator's ground truth (DIR/_truth/): the loader rejects
exactly the rows the generator broke on purpose, and dbt staging normalizes every
email and phone to the value an independent implementation (Python's `phonenumbers`,
which wrote the truth) gives for that person."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from orchestration.settings import connect

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tiny_data, tmp_path_factory):
    from orchestration.dbt import run_dbt
    from orchestration.loader import load_directory

    work = tmp_path_factory.mktemp("pipeline")
    db = work / "chorus.duckdb"
    load_directory(tiny_data, db_path=db)
    # +staging: the country_calling_codes seed that phone normalization joins comes too
    outcome = run_dbt(["build", "--select", "+staging"], db_path=db, work_dir=work)
    assert outcome.success, outcome.failures or outcome.exception
    return db


def test_rejects_are_exactly_the_injected_bad_rows(tiny_data, warehouse):
    expected = json.loads((tiny_data / "_truth" / "expected_rejects.json").read_text())
    con = connect(warehouse, read_only=True)
    try:
        rows = con.sql(
            "select table_name, reason, count(*) from raw.rejected_rows group by all"
        ).fetchall()
    finally:
        con.close()
    actual = {(t, r): n for t, r, n in rows}
    wanted = {(t, r): n for t, reasons in expected.items() for r, n in reasons.items() if n}
    assert actual == wanted


def _truth_by_person(con, tiny_data, identifier_type: str) -> dict[str, set[str]]:
    rows = con.sql(
        f"""
        select person_id, identifier_value
        from read_parquet('{tiny_data / "_truth" / "identifiers.parquet"}')
        where identifier_type = '{identifier_type}' and not is_junk
        """
    ).fetchall()
    out: dict[str, set[str]] = {}
    for person, value in rows:
        out.setdefault(person, set()).add(value)
    return out


@pytest.mark.parametrize("column", ["email", "phone"])
def test_crm_identifiers_normalize_to_the_truth(tiny_data, warehouse, column):
    con = connect(warehouse, read_only=True)
    try:
        truth = _truth_by_person(con, tiny_data, column)
        junk = {
            value
            for (value,) in con.sql(
                f"""select identifier_value
                from read_parquet('{tiny_data / "_truth" / "identifiers.parquet"}')
                where is_junk"""
            ).fetchall()
        }
        rows = con.sql(
            f"""
            select stg.crm_contact_id, raw.{column}, stg.{column}, rec.person_id
            from staging.stg_crm__contacts stg
            join raw.crm_contacts raw on raw.contact_id = stg.crm_contact_id
            join read_parquet('{tiny_data / "_truth" / "records.parquet"}') rec
              on rec."table" = 'crm_contacts' and rec.record_id = stg.crm_contact_id
            where raw.{column} is not null
            """
        ).fetchall()
    finally:
        con.close()

    outcomes: Counter[str] = Counter()
    wrong = []
    for contact_id, raw_value, normalized, person in rows:
        if raw_value.strip().lower() in junk or (normalized in junk):
            outcomes["junk"] += 1
        elif normalized in truth.get(person, set()):
            outcomes["match"] += 1
        else:
            outcomes["wrong"] += 1
            wrong.append((contact_id, raw_value, normalized, sorted(truth.get(person, set()))))
    assert outcomes["match"] > 100, outcomes
    # every real (non-junk) identifier normalizes to exactly the person's true value
    assert wrong == [], wrong[:10]
