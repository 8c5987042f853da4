"""The engagement and customer models built incrementally give exactly what a full
build gives, after the kinds of change a day brings (models/intermediate/engagement/,
docs/DECISIONS.md "Engagement in batches"):

- events after the previous build's as_of (as_of moves forward a day), so messages
  leave the fatigue windows and lifecycle stages age;
- a late provider event: an open loaded after the previous build, for a message sent
  and opened before its as_of (opens arrive days after the send);
- a send event loaded after the message's delivery was built (providers' webhooks
  arrive out of order), and a second send of an already sent message;
- a login that joins two customers who both have contact histories (a merge): the
  surviving id owns both histories in contacts, customer_engagement and
  customer_fatigue, and the merged id is gone from every engagement mart;
- an order refunded by a re-export (the loader replaces the row).

The per-customer models rewrite only the customers of the batch's scope
(int_engagement_scope), with the fits of the period (int_engagement_priors,
int_fatigue_tiers, int_fatigue_curves) kept; a build in a new fit period refits and
rewrites everyone, and equals a full build as well.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestration.dbt import run_dbt
from orchestration.settings import connect
from tests.fixtures.contract_rows import write_csv
from tests.fixtures.engagement import fit_days_holding

pytestmark = pytest.mark.slow

SIZE = {"customers": 1_500, "days": 45, "seed": 11}
BUILD = ("+tag:engagement", "+tag:customers")
# every engagement and customer table (all their columns but the build watermarks,
# which say when and from what a row was written and differ by design)
COMPARED = [
    "intermediate.int_consent_signals",
    "marts.contacts",
    "intermediate.int_orders_resolved",
    "intermediate.int_customer_profiles",
    "intermediate.int_consent_reachability",
    "marts.customer_consent",
    "intermediate.int_customer_consent_flags",
    "marts.consent_history",
    "intermediate.int_engagement_counts",
    "marts.customer_engagement",
    "intermediate.int_engagement_triggers",
    "intermediate.int_suppression_history",
    "marts.suppressions",
    "intermediate.int_engagement_priors",
    "intermediate.int_fatigue_tiers",
    "marts.fatigue_curve",
    "marts.customer_fatigue",
    "marts.customers",
]
WATERMARKS = {"built_as_of", "built_at", "identity_batch_id", "seeds_checksum"}
# the models that rewrite only the customers of the batch's scope
SCOPED = [
    "int_orders_resolved",
    "int_customer_profiles",
    "int_consent_reachability",
    "customer_consent",
    "int_customer_consent_flags",
    "consent_history",
    "int_engagement_counts",
    "customer_engagement",
    "int_engagement_triggers",
    "int_suppression_history",
    "suppressions",
    "customer_fatigue",
    "customers",
]


def variables(as_of, fit_days: int) -> str:
    # no lookback: every load here is seconds after the one before, so the default
    # window (hours) would re-read every message and hide the incremental path; a
    # fatigue curve over the last 20 of the 45 days, so tiers have days before it
    return (
        f"{{chorus_as_of: '{as_of.isoformat()}', chorus_engagement_lookback_hours: 0,"
        f" chorus_fatigue_curve_days: 20, chorus_engagement_fit_days: {fit_days}}}"
    )


def run(
    db: Path, work: Path, as_of, fit_days: int, *args: str, project: Path | None = None
) -> None:
    outcome = run_dbt(
        ["run", "--select", *BUILD, *args, "--vars", variables(as_of, fit_days)],
        db_path=db,
        work_dir=work,
        project_dir=project,
    )
    assert outcome.success, outcome.failures or outcome.exception


def query(db: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


def load_rows(db: Path, folder: Path, table: str, rows: list[dict]) -> None:
    from orchestration.loader import load_directory

    write_csv(folder, table, rows)
    load_directory(folder, db_path=db, tables=[table])


@pytest.fixture(scope="module")
def engagement(tmp_path_factory) -> SimpleNamespace:
    from orchestration.loader import load_directory
    from orchestration.sample_data import generate

    work = tmp_path_factory.mktemp("engagement")
    data = work / "data"
    generate(data, **SIZE)
    db = work / "incremental.duckdb"
    load_directory(data, db_path=db)
    (latest,) = query(db, "select max(occurred_at) from raw.email_events")[0]
    first_as_of, as_of = latest - timedelta(days=1), latest
    fit_days = fit_days_holding(first_as_of, as_of)
    # a message whose delivery is loaded before its send (the send comes after the
    # first build, dated a minute before the delivery, for another campaign)
    (recipient,) = query(
        db, "select min(email) from raw.email_events where event_type = 'delivered'"
    )[0]
    late_send = {"message_id": "msg-engagement-test-late-send", "email": recipient}
    sent_late_at = first_as_of - timedelta(days=3)
    load_rows(
        db,
        work / "early",
        "email_events",
        [
            {
                **late_send,
                "event_id": "email-engagement-test-delivered-first",
                "campaign_id": "campaign-delivered-first",
                "event_type": "delivered",
                "occurred_at": sent_late_at + timedelta(minutes=1),
            }
        ],
    )
    outcome = run_dbt(["seed"], db_path=db, work_dir=work)
    assert outcome.success, outcome.failures or outcome.exception
    run(db, work, first_as_of, fit_days)
    ((missing_before,),) = query(
        db,
        "select is_send_missing from marts.contacts"
        f" where message_id = '{late_send['message_id']}'",
    )
    assert missing_before

    # two customers, each with an email history, one with an account: a login ties the
    # account to the other's email (dated before the first build's as_of: late evidence)
    def with_history(condition: str) -> str:
        return (
            "select c.customer_id, min(c.identifier_value) from marts.contacts c"
            " where c.channel = 'email' and c.customer_id is not null and c.customer_id in"
            " (select customer_id from marts.customer_identifiers"
            f" where customer_id is not null group by 1 having {condition})"
            " group by 1 order by 1 limit 1"
        )

    account_customer, _ = query(
        db,
        with_history(
            "count(case when identifier_type = 'user_id' then 1 end) = 1"
            " and count(case when identifier_type = 'contact_id' then 1 end) = 0"
        ),
    )[0]
    (user_id,) = query(
        db,
        "select identifier_value from marts.customer_identifiers"
        f" where customer_id = '{account_customer}' and identifier_type = 'user_id'",
    )[0]
    email_customer, email = query(
        db,
        with_history(
            "count(case when identifier_type = 'user_id' then 1 end) = 0"
            " and count(case when identifier_type = 'contact_id' then 1 end) = 0"
        ),
    )[0]
    assert email_customer != account_customer
    histories = {
        contact_id
        for (contact_id,) in query(
            db,
            "select contact_id from marts.contacts where customer_id in"
            f" ('{account_customer}', '{email_customer}')",
        )
    }
    load_rows(
        db,
        work / "web",
        "web_events",
        [
            {
                "event_id": "web-engagement-test-login",
                "anonymous_id": "cookie-engagement-test",
                "user_id": user_id,
                "email": email,
                "event_type": "identify",
                "occurred_at": first_as_of - timedelta(days=2),
            }
        ],
    )

    # a late open: a delivered, unopened email sent before the first as_of
    message_id, recipient, sent_at = query(
        db,
        "select message_id, identifier_value, sent_at from marts.contacts"
        " where channel = 'email' and outcome = 'delivered'"
        f" and sent_at < timestamp '{first_as_of - timedelta(days=3)}'"
        " order by message_id limit 1",
    )[0]
    opened_at = sent_at + timedelta(days=2)
    load_rows(
        db,
        work / "email",
        "email_events",
        [
            {
                "event_id": "email-engagement-test-late-open",
                "message_id": message_id,
                "email": recipient,
                "event_type": "opened",
                "occurred_at": opened_at,
            }
        ],
    )

    # the late send, and a second send event of a message sent before (a provider's
    # retry, a minute after the first, to the same address)
    (resent_id, resent_to, resent_at, resent_campaign) = query(
        db,
        "select message_id, identifier_value, sent_at, campaign_id"
        " from marts.contacts where channel = 'email'"
        f" and not is_send_missing and sent_at < timestamp '{first_as_of - timedelta(days=5)}'"
        " order by message_id limit 1",
    )[0]
    load_rows(
        db,
        work / "sends",
        "email_events",
        [
            {
                **late_send,
                "event_id": "email-engagement-test-late-send",
                "campaign_id": "campaign-of-the-send",
                "event_type": "sent",
                "occurred_at": sent_late_at,
            },
            {
                "event_id": "email-engagement-test-resend",
                "message_id": resent_id,
                "email": resent_to,
                "campaign_id": resent_campaign,
                "event_type": "sent",
                "occurred_at": resent_at + timedelta(minutes=1),
            },
        ],
    )

    # an order refunded since: the shop's re-export replaces the stored row
    order = query(
        db,
        "select * from raw.orders where status = 'completed' and user_id is not null"
        " order by order_id limit 1",
    )[0]
    columns = [c for (c,) in query(db, "select column_name from information_schema.columns"
                                   " where table_schema = 'raw' and table_name = 'orders'"
                                   " order by ordinal_position")]  # fmt: skip
    refunded = {c: v for c, v in zip(columns, order, strict=True) if not c.startswith("_")}
    refunded["status"] = "refunded"
    load_rows(db, work / "refund", "orders", [refunded])

    full = work / "full.duckdb"
    shutil.copy(db, full)
    run(db, work, as_of, fit_days)
    run(full, work, as_of, fit_days, "--full-refresh")
    return SimpleNamespace(
        db=db,
        full=full,
        work=work,
        fit_days=fit_days,
        refunded_order=refunded["order_id"],
        first_as_of=first_as_of,
        as_of=as_of,
        account_customer=account_customer,
        email_customer=email_customer,
        message_id=message_id,
        opened_at=opened_at,
        late_send=late_send["message_id"],
        sent_late_at=sent_late_at,
        resent_id=resent_id,
        resent_at=resent_at,
        histories=histories,
    )


def _columns(con, table: str) -> str:
    """The compared columns (all but the build watermarks), doubles rounded to 9
    decimals: a parallel sum adds in no fixed order, so two builds of the same rows
    may differ in the last bits."""
    schema, name = table.split(".")[-2:]
    typed = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [schema, name],
    ).fetchall()
    names = [n for n, _ in typed if n not in WATERMARKS]
    kinds = dict(typed)
    return ", ".join(f"round({n}, 9) as {n}" if kinds[n] == "DOUBLE" else n for n in names)


@pytest.mark.parametrize("table", COMPARED)
def test_incremental_equals_full(engagement, table):
    con = connect(engagement.db, read_only=True)
    try:
        con.execute(f"attach '{engagement.full}' as full_build (read_only)")
        differences = _differences(con, table, f"full_build.{table}")
        (count,) = con.sql(f"select count(*) from {table}").fetchall()[0]
    finally:
        con.close()
    assert differences == ([], [])
    assert count > 0


def _differences(con, table: str, other: str) -> tuple[list, list]:
    """The rows only `table` has and the rows only `other` has (duplicates counted)."""
    columns = _columns(con, table)
    return (
        con.sql(
            f"select {columns} from {table} except all select {columns} from {other}"
        ).fetchall(),
        con.sql(
            f"select {columns} from {other} except all select {columns} from {table}"
        ).fetchall(),
    )


def test_a_campaign_edited_in_the_seed_reaches_its_stored_contacts(engagement, tmp_path):
    """contacts copies a campaign's fields: after an edit of the campaigns seed, the next
    incremental build rewrites the stored rows of that campaign's messages (and only
    those) as a full build has them."""
    import csv

    from orchestration.settings import DBT_PROJECT_DIR

    ((campaign, messages),) = query(
        engagement.db,
        "select campaign_id, count(*) from marts.contacts where campaign_id is not null"
        " group by 1 order by 2 desc, 1 limit 1",
    )
    project = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    seed = project / "seeds" / "campaigns.csv"
    with seed.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["campaign_id"] == campaign:
            row["topic"] = "edited_topic"
    with seed.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    incremental, full = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    for db, args in ((incremental, []), (full, ["--full-refresh"])):
        shutil.copy(engagement.db, db)
        for command in (
            ["seed", "--select", "campaigns"],
            [
                "run",
                "--select",
                "contacts",
                *args,
                "--vars",
                variables(engagement.as_of, engagement.fit_days),
            ],
        ):
            outcome = run_dbt(command, db_path=db, work_dir=tmp_path, project_dir=project)
            assert outcome.success, outcome.failures or outcome.exception

    con = connect(incremental, read_only=True)
    try:
        con.execute(f"attach '{full}' as full_build (read_only)")
        assert _differences(con, "marts.contacts", "full_build.marts.contacts") == ([], [])
        edited = con.sql(
            "select count(*) filter (where topic = 'edited_topic'),"
            f" count(*) filter (where built_as_of = timestamp '{engagement.as_of}')"
            f" from marts.contacts where campaign_id = '{campaign}'"
        ).fetchall()
        (untouched,) = con.sql(
            "select count(*) from marts.contacts"
            f" where built_as_of = timestamp '{engagement.first_as_of}'"
        ).fetchall()[0]
    finally:
        con.close()
    assert edited == [(messages, messages)]
    assert untouched > 0


@pytest.mark.parametrize("table", ["intermediate.int_consent_signals", "marts.contacts"])
def test_the_second_build_was_incremental(engagement, table):
    """Messages nothing touched keep the first build's as_of: they were not rewritten."""
    built = dict(
        query(
            engagement.db,
            f"select built_as_of = timestamp '{engagement.first_as_of}', count(*)"
            f" from {table} group by 1",
        )
    )
    assert built.get(True, 0) > built.get(False, 0) > 0


def test_the_second_batch_rewrote_only_its_scope(engagement):
    """The second batch was incremental: every per-customer model built it so, the fits
    were kept (fitted by the first batch), and the scope held a minority of the
    customers, every one with a reason."""
    batches = query(
        engagement.db,
        "select batch_id, build_mode from intermediate.int_engagement_batches"
        " where model_name = 'int_engagement_batches' order by 1",
    )
    assert batches == [(1, "full"), (2, "incremental")]
    modes = dict(
        query(
            engagement.db,
            "select model_name, build_mode from intermediate.int_engagement_batches"
            " where batch_id = 2 and model_name <> 'int_engagement_batches'",
        )
    )
    assert {model: modes.get(model) for model in SCOPED} == dict.fromkeys(SCOPED, "incremental")
    assert query(
        engagement.db,
        "select count(distinct fit_key), min(fitted_as_of) from intermediate.int_engagement_priors",
    ) == [(1, engagement.first_as_of)]
    ((scope, customers, reasonless),) = query(
        engagement.db,
        "select (select count(*) from intermediate.int_engagement_scope),"
        " (select count(*) from marts.customers),"
        " (select count(*) from intermediate.int_engagement_scope where not ("
        " identifiers or structure or merged_away or contacts or complaints or bounces"
        " or consent or orders or tickets or crm or trigger_events or contact_windows"
        " or trigger_windows or suppression_windows or lifecycle or soft_opt_in))",
    )
    assert 0 < scope < customers / 2
    assert reasonless == 0


def test_a_refund_reaches_the_customer(engagement):
    """The loader replaced a completed order with its refunded version: the order's
    customer was in scope ('orders') and their profile counts it as refunded."""
    ((customer_id, status),) = query(
        engagement.db,
        "select customer_id, status from intermediate.int_orders_resolved"
        f" where order_id = '{engagement.refunded_order}'",
    )
    assert status == "refunded"
    assert query(
        engagement.db,
        f"select orders from intermediate.int_engagement_scope where customer_id = '{customer_id}'",
    ) == [(True,)]
    ((refunded,),) = query(
        engagement.db,
        f"select refunded_order_count from marts.customers where customer_id = '{customer_id}'",
    )
    assert refunded >= 1


def test_a_new_fit_period_refits_and_equals_a_full_build(engagement, tmp_path):
    """A build whose as_of falls in the next fit period (same settings) is a full batch:
    it fits the period's priors, tier limits and curve anew and rewrites every
    customer, as a full build of that as_of does."""
    later = engagement.as_of + timedelta(days=engagement.fit_days)
    incremental, full = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    shutil.copy(engagement.db, incremental)
    shutil.copy(engagement.db, full)
    run(incremental, tmp_path, later, engagement.fit_days)
    run(full, tmp_path, later, engagement.fit_days, "--full-refresh")
    assert query(
        incremental,
        "select build_mode from intermediate.int_engagement_batches"
        " where model_name = 'int_engagement_batches' order by batch_id desc limit 1",
    ) == [("full",)]
    assert query(
        incremental, "select count(distinct fit_key) from intermediate.int_engagement_priors"
    ) == [(2,)]
    con = connect(incremental, read_only=True)
    try:
        con.execute(f"attach '{full}' as full_build (read_only)")
        for table in COMPARED:
            assert _differences(con, table, f"full_build.{table}") == ([], []), table
    finally:
        con.close()


def test_a_model_built_on_its_own_rebuilds_whole(engagement, tmp_path):
    """A per-customer model built again without a new batch (its scope may be stale)
    rebuilds whole: the same rows, and the batch's progress records it once."""
    db = tmp_path / "alone.duckdb"
    shutil.copy(engagement.db, db)
    outcome = run_dbt(
        [
            "run",
            "--select",
            "customer_fatigue",
            "--vars",
            variables(engagement.as_of, engagement.fit_days),
        ],
        db_path=db,
        work_dir=tmp_path,
    )
    assert outcome.success, outcome.failures or outcome.exception
    con = connect(db, read_only=True)
    try:
        con.execute(f"attach '{engagement.full}' as full_build (read_only)")
        differences = _differences(
            con, "marts.customer_fatigue", "full_build.marts.customer_fatigue"
        )
        recorded = con.sql(
            "select count(*) from intermediate.int_engagement_batches"
            " where batch_id = 2 and model_name = 'customer_fatigue'"
        ).fetchall()
    finally:
        con.close()
    assert differences == ([], [])
    assert recorded == [(1,)]


def test_a_late_open_updates_its_send(engagement):
    ((opened_at, outcome),) = query(
        engagement.db,
        "select opened_at, outcome from marts.contacts"
        f" where channel = 'email' and message_id = '{engagement.message_id}'",
    )
    assert (opened_at, outcome) == (engagement.opened_at, "opened")


def test_a_late_send_gives_the_message_its_campaign_and_time(engagement):
    """The send decides the message's campaign and sent_at, even loaded after the
    delivery; a provider's second send leaves the first send's time."""
    rows = dict(
        (message_id, rest)
        for message_id, *rest in query(
            engagement.db,
            "select message_id, is_send_missing, campaign_id, sent_at"
            " from marts.contacts where message_id in"
            f" ('{engagement.late_send}', '{engagement.resent_id}')",
        )
    )
    assert rows[engagement.late_send] == [False, "campaign-of-the-send", engagement.sent_late_at]
    assert rows[engagement.resent_id][0] is False
    assert rows[engagement.resent_id][2] == engagement.resent_at


def test_a_merge_moves_every_history_to_the_surviving_id(engagement):
    survivors = {
        customer_id
        for (customer_id,) in query(
            engagement.db,
            "select distinct customer_id from marts.customer_identifiers where customer_id"
            f" in ('{engagement.account_customer}', '{engagement.email_customer}')",
        )
    }
    assert len(survivors) == 1, "the login should have merged the two customers"
    (survivor,) = survivors
    (merged,) = {engagement.account_customer, engagement.email_customer} - survivors
    for table in COMPARED:
        columns = {
            name
            for (name,) in query(
                engagement.db,
                "select column_name from information_schema.columns"
                " where table_schema || '.' || table_name = ?",
                [table],
            )
        }
        if "customer_id" in columns:
            assert query(
                engagement.db, f"select count(*) from {table} where customer_id = '{merged}'"
            ) == [(0,)], table
    # the survivor holds both histories, and its engagement counts them all
    after = {
        contact_id
        for (contact_id,) in query(
            engagement.db, f"select contact_id from marts.contacts where customer_id = '{survivor}'"
        )
    }
    assert engagement.histories <= after
    ((sent,),) = query(
        engagement.db,
        f"select sum(sent) from marts.customer_engagement where customer_id = '{survivor}'",
    )
    ((marketing,),) = query(
        engagement.db,
        "select count(*) from marts.contacts"
        f" where customer_id = '{survivor}' and purpose = 'marketing'",
    )
    assert sent == marketing > 0
