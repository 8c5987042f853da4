"""Identity batches stay incremental on PostgreSQL, and an incremental batch equals a full
build of the same evidence there too (the DuckDB scenario in test_identity_batches.py
covers every kind of change; this one brings the two that move customers: a CRM contact
replaced with a new email, and a late login that merges two customers). The engagement
and customer models are built with them (an engagement batch: contacts and the consent
signals incremental on load time, the per-customer models rewriting only their scope)
and equal a full build too (the DuckDB scenarios are in test_engagement.py).

The full build runs on a copy of the database made before the second batch (CREATE
DATABASE ... TEMPLATE), so both builds read exactly the same raw rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from orchestration.contract import TABLES
from orchestration.dbt import run_dbt
from orchestration.engines import local_postgres
from orchestration.loader import load_directory
from tests.fixtures.contract_rows import write_csv
from tests.fixtures.engagement import fit_days_holding
from tests.fixtures.postgres_rows import pg_rows as query
from tests.integration.test_engagement import COMPARED as ENGAGEMENT_TABLES
from tests.integration.test_engagement import SCOPED, WATERMARKS
from tests.integration.test_identity_batches import COMPARED, IDENTITY

pytestmark = pytest.mark.slow

SIZE = {"customers": 1_200, "days": 45, "seed": 5}


# the engagement and customer models; built without a lookback, since every load here is
# seconds after the one before (the default window would re-read everything)
ENGAGEMENT = ("+tag:engagement", "+tag:customers")


def build(db: Path, work: Path, as_of, fit_days: int, *args: str) -> None:
    variables = (
        f"{{chorus_as_of: '{as_of.isoformat()}', chorus_engagement_lookback_hours: 0,"
        f" chorus_engagement_fit_days: {fit_days}}}"
    )
    outcome = run_dbt(
        ["run", "--select", *IDENTITY, *ENGAGEMENT, *args, "--vars", variables],
        db_path=db,
        work_dir=work,
    )
    assert outcome.success, outcome.failures or outcome.exception


def compared() -> dict[str, str]:
    """The identity tables' compared columns, and every column of the engagement and
    customer tables but the build watermarks (when and from what a row was written:
    they differ by design), doubles rounded to 9 decimals (a parallel sum adds in no
    fixed order)."""
    columns = dict(COMPARED)
    for table in ENGAGEMENT_TABLES:
        schema, name = table.split(".")
        typed = query(
            "select column_name, data_type from information_schema.columns where"
            f" table_schema = '{schema}' and table_name = '{name}' order by ordinal_position"
        )
        columns[table] = ", ".join(
            f"round({n}::numeric, 9)" if kind == "double precision" else n
            for n, kind in typed
            if n not in WATERMARKS
        )
    return columns


def last_batch() -> set[str]:
    return {
        mode
        for (mode,) in query(
            "select build_mode from intermediate.int_identity_batches"
            " where batch_id = (select max(batch_id) from intermediate.int_identity_batches)"
        )
    }


def load_rows(db: Path, folder: Path, table: str, rows: list[dict]) -> None:
    write_csv(folder, table, rows)
    load_directory(folder, db_path=db, tables=[table], target="postgres")


def copy_database(server, source: str, copy: str) -> None:
    con = local_postgres.admin(server)
    with con.cursor() as cur:
        cur.execute(f"CREATE DATABASE {copy} TEMPLATE {source}")
    con.close()


def test_incremental_batch_equals_full_build_on_postgres(
    tmp_path, postgres_server, postgres_db, monkeypatch
):
    from orchestration.sample_data import generate

    data, db = tmp_path / "data", tmp_path / "check.duckdb"
    generate(data, **SIZE)
    load_directory(data, db_path=db, target="postgres")
    ((latest,),) = query("select max(occurred_at) from raw.web_events")
    first_as_of, as_of = latest - timedelta(days=2), latest
    fit_days = fit_days_holding(first_as_of, as_of)
    outcome = run_dbt(["seed"], db_path=db, work_dir=tmp_path)
    assert outcome.success, outcome.failures or outcome.exception
    build(db, tmp_path, first_as_of, fit_days)
    assert last_batch() == {"full"}

    # a CRM contact moves to a new email (the loader replaces the stored row)
    names = [c.name for c in TABLES["crm_contacts"].columns]
    contact = query(
        "select " + ", ".join(names) + " from raw.crm_contacts where email is not null"
        f" and updated_at < timestamp '{first_as_of}' order by contact_id limit 1"
    )[0]
    moved = dict(zip(names, contact, strict=True))
    moved.update(email="moved.away.pgbatch@fastmail.com", updated_at=as_of - timedelta(hours=1))
    load_rows(db, tmp_path / "crm", "crm_contacts", [moved])

    # a late login, dated before the first batch, joins two customers that have neither
    # a CRM contact nor (the email's) an account: a merge
    def without(kind: str) -> str:
        return (
            "customer_id is not null and customer_id not in (select customer_id from"
            f" marts.customer_identifiers where identifier_type = '{kind}'"
            " and customer_id is not null)"
        )

    ((email,),) = query(
        "select max(identifier_value) from marts.customer_identifiers where identifier_type ="
        f" 'email' and {without('contact_id')} and {without('user_id')}"
    )
    ((user_id,),) = query(
        "select min(identifier_value) from marts.customer_identifiers where identifier_type ="
        f" 'user_id' and {without('contact_id')} and customer_id <> (select customer_id from"
        f" marts.customer_identifiers where identifier_value = '{email}')"
    )
    load_rows(
        db,
        tmp_path / "web",
        "web_events",
        [
            {
                "event_id": "web-pgbatch-login",
                "anonymous_id": "cookie-pgbatch",
                "user_id": user_id,
                "email": email,
                "event_type": "identify",
                "occurred_at": first_as_of - timedelta(days=1),
            }
        ],
    )

    full = f"{postgres_db}_full"
    copy_database(postgres_server, postgres_db, full)
    build(db, tmp_path, as_of, fit_days)
    assert last_batch() == {"incremental"}
    columns = compared()
    incremental = {t: sorted(query(f"select {c} from {t}"), key=repr) for t, c in columns.items()}
    for table in ("intermediate.int_consent_signals", "marts.contacts"):
        # rows nothing touched were not rewritten
        ((kept, rewritten),) = query(
            f"select count(*) filter (where built_as_of = timestamp '{first_as_of}'),"
            f" count(*) filter (where built_as_of = timestamp '{as_of}') from {table}"
        )
        assert kept > rewritten > 0, table
    # the engagement batch was incremental: every per-customer model rewrote its scope
    modes = dict(
        query(
            "select model_name, build_mode from intermediate.int_engagement_batches"
            " where batch_id = 2"
        )
    )
    assert modes["int_engagement_batches"] == "incremental"
    assert {model: modes.get(model) for model in SCOPED} == dict.fromkeys(SCOPED, "incremental")

    monkeypatch.setenv("CHORUS_PG_DBNAME", full)
    try:
        build(db, tmp_path, as_of, fit_days, "--full-refresh")
        assert last_batch() == {"full"}
        full_rows = {t: sorted(query(f"select {c} from {t}"), key=repr) for t, c in columns.items()}
    finally:
        monkeypatch.setenv("CHORUS_PG_DBNAME", postgres_db)
        con = local_postgres.admin(postgres_server)
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {full} WITH (FORCE)")
        con.close()

    for table in columns:
        assert incremental[table] == full_rows[table], table
    assert incremental["marts.customer_identifiers"]
    # the changes took effect: the login merged the two customers
    after = {(t, v): c for t, v, c, *_ in incremental["marts.customer_identifiers"]}
    assert after[("email", email)] == after[("user_id", user_id)]
    assert after[("email", "moved.away.pgbatch@fastmail.com")] is not None
