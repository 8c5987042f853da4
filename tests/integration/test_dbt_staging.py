"""The dbt foundation against a tiny raw warehouse (tests/fixtures/raw_fixture.py): the
build passes, staging normalizes what the contract says arrives messy, `as_of` cuts the
data, docs generate, and the source YAML mirrors orchestration/contract.py.

dbt runs in-process (dbtRunner) with its own target/log paths under tmp, so parallel
runs never share dbt_project/target. Each invocation costs ~6 s: there are five.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.contract import TABLES
from tests.fixtures import raw_fixture as fx

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
STAGING_DIR = DBT_DIR / "models" / "staging"

pytestmark = pytest.mark.slow


def run_dbt(args: list[str], db: Path, work: Path, dbt_vars: dict | None = None):
    """One in-process dbt invocation against `db`; returns the dbtRunnerResult."""
    from orchestration.dbt import run_dbt as invoke

    return invoke(args, vars=dbt_vars, db_path=db, work_dir=work).result


def failures(result) -> list[str]:
    if result.exception is not None:
        return [repr(result.exception)]
    return [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in result.result.results
        if str(r.status) not in ("success", "pass")
    ]


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def by_key(db: Path, model: str, key: str, columns: str) -> dict:
    rows = query(db, f"select {key}, {columns} from staging.{model}")
    return {row[0]: row[1:] if len(row) > 2 else row[1] for row in rows}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture warehouse after `dbt build` (seeds, unit tests, models, data tests)."""
    work = tmp_path_factory.mktemp("dbt_build")
    db = fx.create_raw_fixture(work / "chorus.duckdb")
    result = run_dbt(["build"], db, work)
    return db, work, result


@pytest.fixture(scope="module")
def built_as_of_cut(built, tmp_path_factory):
    """A copy of the built warehouse with staging re-run at chorus_as_of = AS_OF_CUT."""
    db, _, _ = built
    work = tmp_path_factory.mktemp("dbt_as_of")
    copy = work / "chorus.duckdb"
    shutil.copy(db, copy)
    # an offset on purpose: 02:00+02:00 is AS_OF_CUT (midnight UTC)
    as_of = fx.AS_OF_CUT.replace(hour=2).isoformat() + "+02:00"
    result = run_dbt(["run", "--select", "staging"], copy, work, dbt_vars={"chorus_as_of": as_of})
    assert result.success, failures(result)
    return copy


def test_build_passes_every_node(built):
    _, _, result = built
    assert result.success, failures(result)
    # the fixture's provider events name campaigns the seed does not know (sent from
    # the provider's own tool): still contacts, and the relationship test only warns
    unknown_campaigns = [f for f in failures(result) if "contacts_campaign_id" in f]
    assert [f.split(": ")[1].split()[0] for f in unknown_campaigns] == ["warn"]
    assert [f for f in failures(result) if f not in unknown_campaigns] == []
    kinds = [r.node.resource_type for r in result.result.results]
    staging = [
        r
        for r in result.result.results
        if r.node.resource_type == "model" and r.node.fqn[:2] == ["chorus", "staging"]
    ]
    assert len(staging) == len(TABLES), "one staging model per raw table"
    assert kinds.count("seed") >= 3
    assert kinds.count("test") > 50
    assert kinds.count("unit_test") >= 5, "unit tests did not run"


def test_emails_are_trimmed_lowercased(built):
    db, _, _ = built
    contacts = by_key(db, "stg_crm__contacts", "crm_contact_id", "email")
    assert contacts["C-001"] == fx.JANE_EMAIL
    assert contacts["C-002"] == "john.smith@example.co.uk"
    assert contacts["C-003"] is None, "blank email must become null"
    assert contacts["C-004"] is None, "an email without @ must become null"

    normalized = ["stg_crm__contacts", "stg_web__events", "stg_shop__orders"]
    normalized += ["stg_email__events", "stg_chat__events", "stg_support__tickets"]
    normalized += ["stg_consent__events"]
    emails = [e for model in normalized for (e,) in query(db, f"select email from staging.{model}")]
    assert len([e for e in emails if e is not None]) >= 8
    assert all(e == e.strip().lower() for e in emails if e is not None)

    # staging carries no hash of its own (identity hashes distinct emails); only the
    # platforms' hashes, lowercased and trimmed
    columns = query(
        db,
        "select table_name from information_schema.columns "
        "where table_schema = 'staging' and column_name = 'email_sha256'",
    )
    assert columns == [("stg_ads__events",)]
    ads = by_key(db, "stg_ads__events", "ad_event_id", "email_sha256")
    assert ads["AD-1"] == fx.JANE_SHA256, "platform hashes are lowercased and trimmed"


def test_chorus_sha256_matches_hashlib(built):
    """The dispatched macro identity resolution will hash emails with, run on the
    warehouse engine: lowercase hex SHA-256 of the UTF-8 bytes, null for null."""
    db, work, _ = built
    emails = [fx.JANE_EMAIL, "john.smith@example.co.uk", "zoë.müller@example.de", ""]
    values = " union all ".join(f"select {i} as n, '{e}' as email" for i, e in enumerate(emails))
    inline = (
        f"select n, {{{{ chorus_sha256('email') }}}} as digest from ({values}"
        " union all select 99 as n, null as email) as emails order by n"
    )
    result = run_dbt(["show", "--inline", inline, "--limit", "10"], db, work)
    assert result.success, failures(result)
    rows = {int(n): digest for n, digest in result.result.results[0].agate_table.rows}
    expected = {i: hashlib.sha256(e.encode()).hexdigest() for i, e in enumerate(emails)}
    assert rows == {**expected, 99: None}


def test_phones_are_e164(built):
    db, _, _ = built
    contacts = by_key(db, "stg_crm__contacts", "crm_contact_id", "phone")
    assert contacts == {
        "C-001": fx.JANE_PHONE,  # US (415) 555-0134
        "C-002": fx.LONDON_PHONE,  # GB national 020 7946 0018, country ' gb '
        "C-003": None,  # '12'
        "C-004": fx.LONDON_PHONE,  # +44 (0)20 7946 0018 in a US record
    }
    orders = by_key(db, "stg_shop__orders", "order_id", "phone")
    assert orders == {"O-1": fx.JANE_PHONE, "O-2": fx.LONDON_PHONE}
    sms = by_key(db, "stg_sms__events", "sms_event_id", "phone")
    assert sms == {"S-1": fx.JANE_PHONE, "S-2": fx.JANE_PHONE}
    consent = by_key(db, "stg_consent__events", "consent_event_id", "phone")
    assert consent == {"CS-1": fx.LONDON_PHONE, "CS-2": fx.JANE_PHONE}


def test_enums_lowercased_and_purpose_defaulted(built):
    db, _, _ = built
    web = by_key(db, "stg_web__events", "web_event_id", "event_type")
    assert web == {"W-1": "page_view", "W-2": "add_to_cart", "W-3": "identify"}
    consent = by_key(db, "stg_consent__events", "consent_event_id", "channel, status, purpose")
    assert consent["CS-1"] == ("email", "opted_out", "marketing")
    assert consent["CS-2"] == ("sms", "opted_in", "transactional")
    orders = by_key(db, "stg_shop__orders", "order_id", "status, currency")
    assert orders["O-1"] == ("completed", "USD")


def test_timestamps_are_naive_utc(built):
    db, _, _ = built
    types = query(
        db,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'staging' and column_name like '%\\_at' escape '\\'",
    )
    contract_timestamps = [c for t in TABLES.values() for c in t.columns if c.type == "TIMESTAMP"]
    # plus the loader's _loaded_at, which the identity evidence (11 sources) and the
    # engagement scope (order lines too) read
    assert len([c for _, c, _ in types if c != "_loaded_at"]) == len(contract_timestamps)
    assert len([c for _, c, _ in types if c == "_loaded_at"]) == 12
    assert {t for _, _, t in types} == {"TIMESTAMP"}, types
    web = by_key(db, "stg_web__events", "web_event_id", "occurred_at")
    assert web["W-2"] == fx.LATEST_EVENT_AT


def test_default_as_of_is_latest_event_ignoring_clock_skew(built):
    db, _, _ = built
    # the latest event is kept; the 2099 event (clock skew) neither sets as_of nor shows
    assert query(db, "select count(*) from staging.stg_web__events where web_event_id = 'W-2'") == [
        (1,)
    ]
    assert by_key(db, "stg_app__events", "app_event_id", "occurred_at").keys() == {"A-1"}
    sql = query(db, "select sql from duckdb_views() where view_name = 'stg_web__events'")[0][0]
    assert f"'{fx.LATEST_EVENT_AT:%Y-%m-%d %H:%M:%S}.000000'" in sql


def test_as_of_var_excludes_later_rows(built_as_of_cut):
    db = built_as_of_cut
    cut = fx.AS_OF_CUT
    web = by_key(db, "stg_web__events", "web_event_id", "occurred_at")
    assert web.keys() == {"W-1"}
    assert by_key(db, "stg_crm__contacts", "crm_contact_id", "updated_at").keys() == {
        "C-001",
        "C-002",
        "C-003",
    }
    assert by_key(db, "stg_shop__orders", "order_id", "ordered_at").keys() == {"O-1"}
    # the ticket was opened before the cut and resolved after it: open as of the cut
    assert by_key(db, "stg_support__tickets", "ticket_id", "resolved_at") == {"T-1": None}
    for model, column in [
        ("stg_web__events", "occurred_at"),
        ("stg_email__events", "occurred_at"),
        ("stg_consent__events", "occurred_at"),
        ("stg_crm__contacts", "updated_at"),
    ]:
        latest = query(db, f"select max({column}) from staging.{model}")[0][0]
        assert latest is None or latest <= cut, model


def test_docs_generate_writes_catalog(built):
    db, work, _ = built
    result = run_dbt(["docs", "generate"], db, work)
    assert result.success, failures(result)
    catalog = json.loads((work / "target" / "catalog.json").read_text())
    nodes = {key.split(".")[-1] for key in catalog["nodes"]}
    assert {"stg_crm__contacts", "stg_web__events", "country_calling_codes"} <= nodes
    assert len(catalog["sources"]) == len(TABLES)


def test_build_passes_on_empty_raw_tables(tmp_path):
    db = fx.create_raw_fixture(tmp_path / "empty.duckdb", empty=True)
    result = run_dbt(["build"], db, tmp_path)
    assert result.success, failures(result)
    assert query(db, "select count(*) from staging.stg_web__events") == [(0,)]


# --- static checks: no dbt invocation -------------------------------------------------


def load_sources() -> dict[str, dict]:
    """source name -> its YAML block, from every _<system>__sources.yml."""
    out: dict[str, dict] = {}
    for path in sorted(STAGING_DIR.glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            assert path.parent.name == source["name"], f"{path}: folder != source name"
            out[source["name"]] = source
    return out


def test_every_contract_table_and_column_is_a_source():
    sources = load_sources()
    assert set(sources) == {t.system for t in TABLES.values()}
    for table in TABLES.values():
        source = sources[table.system]
        assert "var('chorus_raw_schema', 'raw')" in source["schema"]
        entries = {t["name"]: t for t in source["tables"]}
        assert table.name in entries, f"{table.name} missing from source {table.system}"
        entry = entries[table.name]
        declared = [(c["name"], c["data_type"]) for c in entry["columns"]]
        expected = [(c.name, c.type) for c in table.columns]
        assert declared == expected, f"{table.name}: columns drifted from contract.py"
        assert all(c.get("description") for c in entry["columns"]), table.name
        assert entry.get("description")
        config = entry["config"]
        assert config["meta"]["key"] == list(table.key)
        assert config.get("loaded_at_field") == (table.time_column or None)
    declared_tables = {t["name"] for s in sources.values() for t in s["tables"]}
    assert declared_tables == set(TABLES), "a source table that the contract does not know"


def test_every_source_has_one_staging_model_with_a_grain():
    models: dict[str, dict] = {}
    for path in STAGING_DIR.glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            models[model["name"]] = model
    for table in TABLES.values():
        pattern = re.compile(rf"source\('{table.system}', '{table.name}'\)")
        users = [p.stem for p in STAGING_DIR.glob("*/*.sql") if pattern.search(p.read_text())]
        assert len(users) == 1, f"{table.name} is read by {users}"
        model = users[0]
        assert model.startswith(f"stg_{table.system}__"), model
        assert model in models, f"{model} has no YAML"
        assert models[model]["description"].startswith("One row per"), model
    # source() appears in staging only
    for path in (DBT_DIR / "models").rglob("*.sql"):
        if STAGING_DIR not in path.parents:
            assert "source(" not in path.read_text(), f"{path} reads a source"
