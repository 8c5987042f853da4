"""Identity resolution end to end on a small generated business: the SQL connected
components equal networkx's on the same edges, converge in O(log n) rounds on a long
chain, customer ids survive rebuilds and merges keep the older id, and "same customer"
matches the generator's ground truth. On the same build, the marts an analyst reads:
counts are BIGINT (never HUGEINT), node ids stay internal, descriptions are table and
column comments, and `chorus identity-report` says how many customers are known.

dbt runs in-process with its own target/log paths; four invocations (~40 s in all).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pytest
import yaml
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.contract import TABLES
from orchestration.dbt import run_dbt
from orchestration.settings import DBT_PROJECT_DIR, connect

pytestmark = pytest.mark.slow

# big enough for households, shop tablets and junk values; small enough for CI
SIZE = {"customers": 2_000, "days": 60, "seed": 1}
CHAIN_NODES = 2**14
# the identity models and everything they read (staging, seeds), and the customers mart
IDENTITY_BUILD = ("+customers", "identity_merges")
IDENTITY_MODELS = (
    "path:models/intermediate/identity/int_identity_*",
    "customer_identifiers",
    "identity_merges",
)


def dbt(warehouse: SimpleNamespace, *args: str) -> None:
    outcome = run_dbt(list(args), db_path=warehouse.db, work_dir=warehouse.work)
    assert outcome.success, outcome.failures or outcome.exception


def rows(warehouse: SimpleNamespace, sql: str) -> list[tuple]:
    con = connect(warehouse.db, read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> SimpleNamespace:
    from orchestration.loader import load_directory
    from orchestration.sample_data import generate

    work = tmp_path_factory.mktemp("identity")
    data = work / "data"
    generate(data, **SIZE)
    built = SimpleNamespace(data=data, db=work / "chorus.duckdb", work=work)
    load_directory(data, db_path=built.db)
    dbt(built, "build", "--select", *IDENTITY_BUILD)
    return built


def components(warehouse, edges: str, labels: str) -> tuple[set, set]:
    """(networkx components of `edges`, components of `labels`), as sets of frozensets."""
    graph = nx.Graph()
    graph.add_edges_from(rows(warehouse, f"select node_id_a, node_id_b from {edges}"))
    expected = {frozenset(c) for c in nx.connected_components(graph)}
    clusters: dict[int, set] = {}
    for node, component in rows(warehouse, f"select node_id, component_id from {labels}"):
        clusters.setdefault(component, set()).add(node)
    return expected, {frozenset(c) for c in clusters.values()}


def test_components_equal_networkx(warehouse):
    expected, actual = components(
        warehouse, "intermediate.int_identity_edges", "intermediate.int_identity_components"
    )
    assert len(expected) > 100
    assert actual == expected


def test_same_customer_matches_the_ground_truth(warehouse):
    from orchestration.identity.report import score

    con = connect(warehouse.db, read_only=True)
    try:
        result = score(con, warehouse.data)
    finally:
        con.close()
    assert result["precision"] >= 0.99, result
    assert result["recall"] >= 0.99, result
    assert result["flags"]["junk_false"] == 0, result
    assert result["flags"]["junk_missed"] == 0, result


def test_no_count_is_a_hugeint(warehouse):
    """DuckDB sums integers into HUGEINT, which pandas reads as float64: every count in
    the marts (and the intermediate models they copy it from) is cast to BIGINT."""
    wide = rows(
        warehouse,
        "select table_schema || '.' || table_name || '.' || column_name, data_type"
        " from information_schema.columns"
        " where table_schema in ('marts', 'intermediate')"
        " and data_type in ('HUGEINT', 'UHUGEINT', 'INT128')",
    )
    assert wide == []
    counts = {
        "customers": ("identifier_count", "order_count", "refunded_order_count"),
        "customer_identifiers": ("occurrences",),
        "identity_merges": ("identifiers_moved",),
    }
    types = dict(
        rows(
            warehouse,
            "select table_name || '.' || column_name, data_type"
            " from information_schema.columns where table_schema = 'marts'",
        )
    )
    assert {f"{t}.{c}": types[f"{t}.{c}"] for t, cs in counts.items() for c in cs} == {
        f"{t}.{c}": "BIGINT" for t, cs in counts.items() for c in cs
    }
    con = connect(warehouse.db, read_only=True)
    try:
        frame = con.sql("select order_count, identifier_count from marts.customers").df()
    finally:
        con.close()
    assert {str(dtype) for dtype in frame.dtypes} == {"int64"}


def test_customer_identifiers_has_no_node_id(warehouse):
    """The graph's node ids are internal: the mart's columns are the documented ones."""
    documented = [
        column["name"] for column in _model_yaml("identity", "customer_identifiers")["columns"]
    ]
    stored = [
        name
        for (name,) in rows(
            warehouse,
            "select column_name from information_schema.columns where table_schema = 'marts'"
            " and table_name = 'customer_identifiers' order by ordinal_position",
        )
    ]
    assert "node_id" not in stored
    assert stored == documented


def _model_yaml(folder: str, model: str) -> dict:
    for path in (DBT_PROJECT_DIR / "models" / "marts" / folder).glob("*.yml"):
        for node in yaml.safe_load(path.read_text()).get("models", []):
            if node["name"] == model:
                return node
    raise KeyError(model)


def test_descriptions_are_table_and_column_comments(warehouse):
    """persist_docs: a SQL client shows the YAML descriptions of tables and columns."""
    customers = _model_yaml("customers", "customers")
    ((table_comment,),) = rows(
        warehouse,
        "select comment from duckdb_tables()"
        " where schema_name = 'marts' and table_name = 'customers'",
    )
    assert table_comment.strip() == customers["description"].strip()
    assert table_comment.startswith("One row per resolved customer")
    column_comments = dict(
        rows(
            warehouse,
            "select column_name, comment from duckdb_columns()"
            " where schema_name = 'marts' and table_name = 'customers'",
        )
    )
    for column in customers["columns"]:
        assert column_comments[column["name"]].strip() == column["description"].strip()
    assert "anonymous profiles" in column_comments["is_known"]
    # views and incremental models too
    ((view_comment,),) = rows(
        warehouse,
        "select comment from duckdb_views()"
        " where schema_name = 'staging' and view_name = 'stg_shop__orders'",
    )
    assert view_comment.startswith("One row per order")
    ((incremental_comment,),) = rows(
        warehouse,
        "select comment from duckdb_tables()"
        " where schema_name = 'marts' and table_name = 'customer_identifiers'",
    )
    assert incremental_comment.startswith("One row per normalized identifier")


def test_identity_report_explains_its_customer_counts(warehouse):
    """The cluster summary counts every customer, split into known and anonymous as
    marts.customers.is_known does; the truth scoring's count says what it counts."""
    ((customers, known),) = rows(
        warehouse, "select count(*), count(*) filter (where is_known) from marts.customers"
    )
    assert 0 < known < customers
    result = CliRunner().invoke(
        app,
        ["identity-report", "--db", str(warehouse.db), "--truth", str(warehouse.data / "_truth")],
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert (
        f"customers: {customers:,} ({known:,} known: an email, phone or account;"
        f" {customers - known:,} anonymous: cookies, devices)"
    ) in out
    assert "`where is_known` counts the known ones" in out
    assert f"clusters by size ({customers:,} customers)" in out
    assert "customers_scored (holding a scored identifier; all customers above)" in out


def test_long_chain_converges_in_log_rounds(warehouse):
    # a chain of 2^14 nodes and, apart from it, a random graph checked against networkx
    con = connect(warehouse.db)
    try:
        con.execute("create schema if not exists scratch")
        con.execute(f"""
            create or replace table scratch.cc_edges as
            select i as node_id_a, i + 1 as node_id_b from range(1, {CHAIN_NODES}) t(i)
            union all
            select 100000 + hash(i) % 3000, 100000 + hash(i * 7 + 1) % 3000
            from range(2500) t(i)
        """)
    finally:
        con.close()
    dbt(
        warehouse,
        "run-operation",
        "chorus_connected_components_into",
        "--args",
        "{edges: scratch.cc_edges, into: scratch.cc_components}",
    )
    (rounds,) = rows(warehouse, "select max(convergence_rounds) from scratch.cc_components")[0]
    assert rounds <= 2 * math.log2(CHAIN_NODES) + 4
    chain = rows(
        warehouse,
        f"select count(*), count(distinct component_id) from scratch.cc_components"
        f" where node_id <= {CHAIN_NODES}",
    )[0]
    assert chain == (CHAIN_NODES, 1)
    expected, actual = components(
        warehouse,
        "scratch.cc_edges where node_id_a >= 100000",
        "scratch.cc_components where node_id >= 100000",
    )
    assert actual == expected


def assignment(warehouse) -> dict[tuple[str, str], str | None]:
    return {
        (kind, value): customer
        for kind, value, customer in rows(
            warehouse,
            "select identifier_type, identifier_value, customer_id from marts.customer_identifiers",
        )
    }


def add_web_identify(warehouse, anonymous_id: str, user_id: str, email: str) -> None:
    """Load one `identify` event through the loader, at the latest web event time (so
    the default as_of does not move)."""
    from orchestration.loader import load_directory

    (latest,) = rows(warehouse, "select max(occurred_at) from raw.web_events")[0]
    folder = warehouse.work / "late"
    folder.mkdir()
    columns = [column.name for column in TABLES["web_events"].columns]
    values = {
        "event_id": "web_identity_test",
        "anonymous_id": anonymous_id,
        "user_id": user_id,
        "email": email,
        "event_type": "identify",
        "occurred_at": latest.isoformat(sep=" "),
    }
    with Path(folder / "web_events.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerow({name: values.get(name, "") for name in columns})
    load_directory(folder, db_path=warehouse.db, tables=["web_events"])


def test_ids_survive_rebuilds_and_a_merge_keeps_the_older_id(warehouse):
    before = assignment(warehouse)
    assert rows(warehouse, "select count(*) from marts.identity_merges") == [(0,)]

    # a full rebuild of unchanged data changes nothing and records no merge
    dbt(warehouse, "run", "--select", *IDENTITY_MODELS, "--full-refresh")
    assert assignment(warehouse) == before
    assert rows(warehouse, "select count(*) from marts.identity_merges") == [(0,)]

    # two customers: one known only by an email (it will take a login event without
    # breaking any limit), one with an account; a login ties that email to the account
    email_only, email = rows(
        warehouse,
        """
        select customer_id, max(identifier_value) filter (where identifier_type = 'email')
        from marts.customer_identifiers where customer_id is not null
        group by customer_id
        having count(*) filter (where identifier_type not in ('email', 'email_sha256')) = 0
           and count(*) filter (where identifier_type = 'email') = 1
        order by customer_id limit 1
        """,
    )[0]
    with_account, user_id = rows(
        warehouse,
        """
        select customer_id, max(identifier_value) filter (where identifier_type = 'user_id')
        from marts.customer_identifiers where customer_id is not null
        group by customer_id
        having count(*) filter (where identifier_type = 'user_id') = 1
           and count(*) filter (where identifier_type = 'email') <= 2
        order by customer_id limit 1
        """,
    )[0]
    started = dict(
        rows(
            warehouse,
            f"""select customer_id, min(first_seen_at) from marts.customer_identifiers
            where customer_id in ('{email_only}', '{with_account}') group by customer_id""",
        )
    )
    older = min(started, key=lambda customer: (started[customer], customer))
    newer = with_account if older == email_only else email_only
    assert started[older] < started[newer]  # the anchor rule, not a tie-break, decides

    add_web_identify(warehouse, "cookie-identity-test", user_id, email)
    dbt(warehouse, "run", "--select", *IDENTITY_MODELS)
    after = assignment(warehouse)

    merged = {key for key, customer in before.items() if customer in (older, newer)}
    assert {after[key] for key in merged} == {older}
    assert after[("anonymous_id", "cookie-identity-test")] == older
    unchanged = {key: customer for key, customer in before.items() if key not in merged}
    assert {key: after[key] for key in unchanged} == unchanged
    assert rows(
        warehouse,
        "select merged_customer_id, surviving_customer_id, change_type, identifiers_moved"
        " from marts.identity_merges",
    ) == [(newer, older, "merged", sum(1 for key in merged if before[key] == newer))]
