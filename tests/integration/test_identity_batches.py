"""Identity resolution in batches: an incremental batch gives exactly what a full build of
the same evidence gives, table by table, for every kind of change the evidence can
bring (macros/identity/chorus_identity_batch.sql):

- events after the previous batch's as_of (as_of moves forward two days);
- a late row: loaded after the previous batch, dated before its as_of;
- a CRM contact replaced by the loader with a new email (its old record disappears);
- an order whose mistyped email the shop corrected (the loader replaces the order): the
  mistyped address is on no record any more and leaves every table;
- a shop tablet seen with new accounts (it becomes shared: its edges go, clusters split);
- a login that joins two customers (a merge: the older id survives);
- a text to the old number of a person who changed number, sent after the new one came
  into use: the two numbers were in use at once, so the email seen with both becomes
  shared, although the text's record holds only the phone (values judged by time);
- the same for numbers that only the cluster holds together (an account with the old
  number, the email with the new one): the cluster becomes suspect and the email a
  bridge, although no edge changed.

And the batch log decides the mode: as_of moving back makes a full batch, and a batched
model cannot be built twice in one batch.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestration.contract import TABLES
from orchestration.dbt import run_dbt
from orchestration.settings import DBT_PROJECT_DIR, connect
from tests.fixtures.contract_rows import order, write_csv

pytestmark = pytest.mark.slow

SIZE = {"customers": 1_500, "days": 45, "seed": 7}
CHANGED = {
    "email": "casey.changed.batchtest@fastmail.com",
    "old_phone": "+12025550123",
    "new_phone": "+12025550188",
}
TYPO = {
    "order_id": "ORD-batch-test-typo",
    "typo": "robin.typo.batchtest@fastmail.con",
    "fixed": "robin.typo.batchtest@fastmail.com",
}
SPREAD = {
    "user_id": "usr_zz_spread_batchtest",
    "email": "sam.spread.batchtest@fastmail.com",
    "old_phone": "+12025550144",
    "new_phone": "+12025550155",
}
IDENTITY = ("+customer_identifiers", "identity_merges")
# every identity table, and the columns a full and an incremental build must agree on
# (batch numbers and convergence rounds differ by design)
COMPARED = {
    "intermediate.int_identity_records": "record_id, source_system, contact_id, user_id,"
    " email, phone, device_id, anonymous_id, email_sha256, first_name, first_seen_at,"
    " last_seen_at, row_count",
    "intermediate.int_identity_record_identifiers": "record_id, identifier_type, node_id",
    "intermediate.int_identity_identifiers": "node_id, identifier_type, identifier_value,"
    " priority, first_seen_at, first_active_at, last_seen_at, first_name, occurrences,"
    " record_count, email_sha256, is_junk, junk_reason, is_shared, shared_reason,"
    " is_judged_by_time",
    "intermediate.int_identity_edges": "node_id_a, node_id_b",
    "intermediate.int_identity_components": "node_id, component_id",
    "intermediate.int_identity_bridge_links": "link_source, link_id, node_id, component_id,"
    " identifier_type, priority, first_name, is_candidate",
    "intermediate.int_identity_bridges": "*",
    "intermediate.int_identity_components_resplit": "*",
    "intermediate.int_identity_customer_ids": "node_id, component_id, customer_id, is_anchor",
    "marts.customer_identifiers": "identifier_type, identifier_value, customer_id,"
    " is_shared, is_junk, flag_reason, first_seen_at, last_seen_at, occurrences",
}


def dbt(db: Path, work: Path, as_of, *args: str):
    outcome = run_dbt(
        [*args, "--vars", f"{{chorus_as_of: '{as_of.isoformat()}'}}"], db_path=db, work_dir=work
    )
    return outcome


def build(db: Path, work: Path, as_of, *args: str) -> None:
    outcome = dbt(db, work, as_of, "run", "--select", *IDENTITY, *args)
    assert outcome.success, outcome.failures or outcome.exception


def query(db: Path, sql: str) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def load_rows(db: Path, folder: Path, table: str, rows: list[dict]) -> None:
    from orchestration.loader import load_directory

    write_csv(folder, table, rows)
    load_directory(folder, db_path=db, tables=[table])


def last_batch(db: Path) -> list[tuple]:
    return query(
        db,
        "select model_name, build_mode from intermediate.int_identity_batches"
        " where batch_id = (select max(batch_id) from intermediate.int_identity_batches)"
        " order by model_name",
    )


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> SimpleNamespace:
    from orchestration.loader import load_directory
    from orchestration.sample_data import generate

    work = tmp_path_factory.mktemp("identity_batches")
    data = work / "data"
    generate(data, **SIZE)
    db = work / "incremental.duckdb"
    load_directory(data, db_path=db)
    (latest,) = query(db, "select max(occurred_at) from raw.web_events")[0]
    first_as_of, as_of = latest - timedelta(days=2), latest
    # a person who changed number: orders with the old one two months ago, the CRM
    # contact edited to the new one three weeks ago
    # (and Sam's old number on an order with the account: below)
    load_rows(
        db,
        work / "orders_changed",
        "orders",
        [
            order(
                "ORD-batch-test-old-number",
                first_as_of - timedelta(days=60),
                email=CHANGED["email"],
                phone=CHANGED["old_phone"],
            ),
            order(
                "ORD-batch-test-spread",
                first_as_of - timedelta(days=60),
                user_id=SPREAD["user_id"],
                phone=SPREAD["old_phone"],
            ),
            order(TYPO["order_id"], first_as_of - timedelta(days=10), email=TYPO["typo"]),
        ],
    )
    load_rows(
        db,
        work / "crm_changed",
        "crm_contacts",
        [
            {
                "contact_id": "003BATCHTEST01",
                "email": CHANGED["email"],
                "phone": CHANGED["new_phone"],
                "first_name": "Casey",
                "created_at": first_as_of - timedelta(days=400),
                "updated_at": first_as_of - timedelta(days=21),
            },
            # Sam: the new number only on the contact, with the email
            {
                "contact_id": "003BATCHTEST02",
                "email": SPREAD["email"],
                "phone": SPREAD["new_phone"],
                "first_name": "Sam",
                "created_at": first_as_of - timedelta(days=400),
                "updated_at": first_as_of - timedelta(days=20),
            },
        ],
    )
    # Sam's old number is texted (the text's record exists before the batch that sees it
    # again); the account logs in with the email
    load_rows(
        db,
        work / "sms_spread",
        "sms_events",
        [
            {
                "event_id": "sms-batch-test-spread-first",
                "message_id": "SM-batch-test-spread-first",
                "phone": SPREAD["old_phone"],
                "event_type": "sent",
                "occurred_at": first_as_of - timedelta(days=55),
            }
        ],
    )
    load_rows(
        db,
        work / "web_spread",
        "web_events",
        [
            {
                "event_id": "web-batch-test-spread",
                "user_id": SPREAD["user_id"],
                "email": SPREAD["email"],
                "event_type": "identify",
                "occurred_at": first_as_of - timedelta(days=30),
            }
        ],
    )
    outcome = dbt(db, work, first_as_of, "seed")
    assert outcome.success, outcome.failures or outcome.exception
    build(db, work, first_as_of)
    assert {mode for _, mode in last_batch(db)} == {"full"}
    before = dict(
        query(
            db,
            "select identifier_type || ':' || identifier_value, customer_id"
            " from marts.customer_identifiers",
        )
    )

    # a CRM contact moves to a new email: the loader replaces the stored row
    contact = query(
        db,
        "select * from raw.crm_contacts where email is not null and updated_at < "
        f"timestamp '{first_as_of}' order by contact_id limit 1",
    )[0]
    names = [column.name for column in TABLES["crm_contacts"].columns]
    moved = dict(zip(names, contact, strict=False))
    moved.update(email="moved.away.batchtest@fastmail.com", updated_at=as_of - timedelta(hours=1))
    load_rows(db, work / "crm", "crm_contacts", [moved])

    # the shop corrects the order's mistyped email: the loader replaces the order
    load_rows(
        db,
        work / "orders_fixed",
        "orders",
        [order(TYPO["order_id"], first_as_of - timedelta(days=10), email=TYPO["fixed"])],
    )

    # a device of one account is used by two more accounts: it becomes shared
    device, owner = query(
        db,
        "select device_id, min(user_id) from raw.app_events where user_id is not null"
        f" and occurred_at < timestamp '{first_as_of}' group by device_id"
        " having count(distinct user_id) = 1 order by device_id limit 1",
    )[0]
    others = [
        user
        for (user,) in query(
            db,
            f"select distinct user_id from raw.app_events where user_id <> '{owner}'"
            " and user_id is not null order by user_id limit 2",
        )
    ]
    load_rows(
        db,
        work / "app",
        "app_events",
        [
            {
                "event_id": f"app-batch-test-{i}",
                "device_id": device,
                "user_id": user,
                "event_type": "app_open",
                "occurred_at": as_of - timedelta(hours=2),
            }
            for i, user in enumerate(others)
        ],
    )

    # two customers joined by a login dated before the first batch's as_of: late evidence
    # (customers without CRM contacts: two contacts' first names would say two people; and
    # the email's without an account: two accounts would)
    def without(identifier_type: str) -> str:
        return (
            "customer_id is not null and customer_id not in (select customer_id from"
            f" marts.customer_identifiers where identifier_type = '{identifier_type}'"
            " and customer_id is not null)"
        )

    unnamed = without("contact_id")
    (email,) = query(
        db,
        "select max(identifier_value) from marts.customer_identifiers"
        f" where identifier_type = 'email' and {unnamed} and {without('user_id')}",
    )[0]
    (user_id,) = query(
        db,
        "select min(identifier_value) from marts.customer_identifiers"
        f" where identifier_type = 'user_id' and {unnamed} and customer_id <> ("
        f"select customer_id from marts.customer_identifiers where identifier_value = '{email}')",
    )[0]
    load_rows(
        db,
        work / "web",
        "web_events",
        [
            {
                "event_id": "web-batch-test-login",
                "anonymous_id": "cookie-batch-test",
                "user_id": user_id,
                "email": email,
                "event_type": "identify",
                "occurred_at": first_as_of - timedelta(days=1),
            }
        ],
    )

    # a person who changed number (their email is judged by time): a text to the old
    # number, long after the new one came into use; the email's own records do not change
    load_rows(
        db,
        work / "sms",
        "sms_events",
        [
            {
                "event_id": "sms-batch-test-old-number",
                "message_id": "SM-batch-test",
                "phone": CHANGED["old_phone"],
                "event_type": "sent",
                "occurred_at": as_of - timedelta(hours=1),
            },
            {
                "event_id": "sms-batch-test-spread-old-number",
                "message_id": "SM-batch-test-spread",
                "phone": SPREAD["old_phone"],
                "event_type": "sent",
                "occurred_at": as_of - timedelta(hours=1),
            },
        ],
    )

    full = work / "full.duckdb"
    shutil.copy(db, full)
    build(db, work, as_of)
    build(full, work, as_of, "--full-refresh")
    return SimpleNamespace(
        db=db,
        full=full,
        work=work,
        as_of=as_of,
        first_as_of=first_as_of,
        before=before,
        device=device,
        email=email,
        user_id=user_id,
    )


def test_the_second_batch_is_incremental(batches):
    modes = dict(last_batch(batches.db))
    assert set(modes.values()) == {"incremental"}
    assert "int_identity_customer_ids" in modes and "customer_identifiers" in modes
    # and it read only the new evidence, not every record
    (changed,) = query(
        batches.db, "select count(*) from intermediate.int_identity_records__region"
    )[0]
    (records,) = query(batches.db, "select count(*) from intermediate.int_identity_records")[0]
    assert 0 < changed < records / 4


def test_an_identifier_left_on_no_record_leaves_the_mart(batches):
    """The mistyped email was on one order only: once the order is corrected it leaves
    int_identity_identifiers, and the mart, which has no node_id, finds its row by
    hashing type and value (a lookup in int_identity_identifiers would miss it)."""
    assert batches.before[f"email:{TYPO['typo']}"] is not None
    node = f"cast(hash('email:{TYPO['typo']}') >> 1 as bigint)"
    assert query(
        batches.db,
        "select count(*) from intermediate.int_identity_identifiers__region"
        f" where node_id = {node}"
        " and node_id not in (select node_id from intermediate.int_identity_identifiers)",
    ) == [(1,)]
    assert query(
        batches.db,
        "select count(*) from marts.customer_identifiers"
        f" where identifier_type = 'email' and identifier_value = '{TYPO['typo']}'",
    ) == [(0,)]
    ((customer,),) = query(
        batches.db,
        "select customer_id from marts.customer_identifiers"
        f" where identifier_type = 'email' and identifier_value = '{TYPO['fixed']}'",
    )
    assert customer is not None


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_incremental_equals_full(batches, table):
    columns = COMPARED[table]
    con = connect(batches.db, read_only=True)
    try:
        con.execute(f"attach '{batches.full}' as full_build (read_only)")
        only_incremental = con.sql(
            f"select {columns} from {table} except all select {columns} from full_build.{table}"
        ).fetchall()
        only_full = con.sql(
            f"select {columns} from full_build.{table} except all select {columns} from {table}"
        ).fetchall()
        (count,) = con.sql(f"select count(*) from {table}").fetchall()[0]
    finally:
        con.close()
    assert (only_incremental, only_full) == ([], [])
    if table != "intermediate.int_identity_components_resplit":
        assert count > 0 or "bridge" in table


def test_the_changes_took_effect(batches):
    after = dict(
        query(
            batches.db,
            "select identifier_type || ':' || identifier_value, customer_id"
            " from marts.customer_identifiers",
        )
    )
    # the moved contact's new email belongs to a customer; the device is shared now
    assert after["email:moved.away.batchtest@fastmail.com"] is not None
    ((is_shared,),) = query(
        batches.db,
        "select is_shared from marts.customer_identifiers"
        f" where identifier_type = 'device_id' and identifier_value = '{batches.device}'",
    )
    assert is_shared
    # the person who changed number was one customer; the old number in use again means
    # their email met two numbers at once: shared now
    assert batches.before[f"email:{CHANGED['email']}"] is not None
    assert (
        batches.before[f"phone:{CHANGED['old_phone']}"]
        == batches.before[f"phone:{CHANGED['new_phone']}"]
    )
    ((is_shared, reason),) = query(
        batches.db,
        "select is_shared, flag_reason from marts.customer_identifiers"
        f" where identifier_type = 'email' and identifier_value = '{CHANGED['email']}'",
    )
    assert is_shared and reason == "seen with 2 phone values at once (limit 1)", reason
    # Sam: one customer before; now the email would join the old number's customer and
    # the new number's, in use at once: a bridge, and two customers
    assert len({batches.before[f"{t}:{SPREAD[k]}"] for t, k in (
        ("user_id", "user_id"), ("email", "email"), ("phone", "old_phone"),
        ("phone", "new_phone"))}) == 1  # fmt: skip
    ((is_shared, reason),) = query(
        batches.db,
        "select is_shared, flag_reason from marts.customer_identifiers"
        f" where identifier_type = 'email' and identifier_value = '{SPREAD['email']}'",
    )
    assert is_shared and reason == "links customers holding 2 phone values at once (limit 1)"
    assert after[f"phone:{SPREAD['old_phone']}"] != after[f"phone:{SPREAD['new_phone']}"]
    # the late login merged two customers into one, and identity_merges says so
    assert after[f"email:{batches.email}"] == after[f"user_id:{batches.user_id}"]
    merged = query(
        batches.db, "select merged_customer_id, surviving_customer_id from marts.identity_merges"
    )
    assert merged
    assert all(survivor in after.values() for _, survivor in merged)
    assert all(gone not in after.values() for gone, _ in merged)


def test_as_of_moving_back_makes_a_full_batch(batches):
    build(batches.db, batches.work, batches.first_as_of)
    assert {mode for _, mode in last_batch(batches.db)} == {"full"}


def test_a_model_cannot_build_one_batch_twice(batches):
    outcome = dbt(
        batches.db, batches.work, batches.first_as_of, "run", "--select", "int_identity_records"
    )
    assert not outcome.success
    assert "already built identity batch" in str(outcome.failures or outcome.exception)


def test_a_change_of_identity_code_makes_a_full_batch(batches, tmp_path):
    """A new version of an identity model must not append its rows to tables the old
    version shaped: the code is part of the batch's settings checksum."""
    db = tmp_path / "code_change.duckdb"
    shutil.copyfile(batches.db, db)
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    edges = project / "models" / "intermediate" / "identity" / "int_identity_edges.sql"
    edges.write_text(edges.read_text() + "\n-- a new version\n")
    for project_dir, mode in ((None, "incremental"), (project, "full")):
        outcome = run_dbt(
            ["run", "--select", *IDENTITY, "--vars", f"{{chorus_as_of: '{batches.as_of}'}}"],
            db_path=db,
            work_dir=tmp_path,
            project_dir=project_dir,
        )
        assert outcome.success, outcome.failures or outcome.exception
        assert {m for _, m in last_batch(db)} == {mode}
