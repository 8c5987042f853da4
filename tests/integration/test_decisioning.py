"""The send queue on a generated business (models/marts/decisioning/, docs/rules.md
"The send queue"):

- every invariant of the send queue holds on the built warehouse (the singular tests
  in dbt_project/tests/decisioning/ and the models' data tests pass);
- each invariant test catches a violation planted in a copy of the warehouse: the row
  it reports is the planted one;
- building twice for the same as_of gives an identical send_queue, and decision_log
  keeps both runs, with the same idempotency keys;
- decision_log adds a column the model gained and keeps one it dropped;
- every audience model is in chorus_audiences() and the reverse.
"""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestration.dbt import run_dbt
from orchestration.settings import connect

pytestmark = pytest.mark.slow

SIZE = {"customers": 1_500, "days": 45, "seed": 11}
PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def query(db: Path, sql: str) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def execute(db: Path, *statements: str) -> None:
    con = connect(db)
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> SimpleNamespace:
    from orchestration.loader import load_directory
    from orchestration.sample_data import generate

    work = tmp_path_factory.mktemp("decisioning")
    data = work / "data"
    generate(data, **SIZE)
    db = work / "chorus.duckdb"
    load_directory(data, db_path=db)
    (latest,) = query(db, "select max(occurred_at) from raw.email_events")[0]
    as_of = (latest - timedelta(hours=6)).isoformat()
    variables = {"chorus_as_of": as_of}
    for command in (["seed"], ["run", "--select", "+tag:decisioning"]):
        outcome = run_dbt(command, vars=variables, db_path=db, work_dir=work)
        assert outcome.success, outcome.failures or outcome.exception
    tests = run_dbt(
        ["test", "--select", "tag:decisioning", "path:tests/decisioning"],
        vars=variables,
        db_path=db,
        work_dir=work,
    )
    return SimpleNamespace(work=work, db=db, vars=variables, tests=tests)


def test_every_invariant_holds(warehouse):
    outcome = warehouse.tests
    assert outcome.success, outcome.failures
    # the singular tests ran, not just the models' column tests
    assert outcome.counts.get("pass", 0) >= 12
    decisions = dict(
        query(warehouse.db, "select decision, count(*) from marts.send_queue group by 1")
    )
    assert set(decisions) == {"send", "hold", "suppress"}


def test_the_queue_explains_every_row(warehouse):
    rows = query(
        warehouse.db,
        "select decision, reason_code, reason from marts.send_queue"
        " where reason is null or (decision = 'send') <> (reason_code is null)",
    )
    assert rows == []
    codes = {
        code
        for (code,) in query(
            warehouse.db,
            "select distinct reason_code from marts.send_queue where reason_code is not null",
        )
    }
    # the sample business exercises the main rules
    assert {"no_consented_channel", "holdout", "topic_recently_contacted"} <= codes


def _one(db: Path, sql: str) -> tuple:
    rows = query(db, sql)
    assert rows, f"the sample business has no row for a plant: {sql}"
    return rows[0]


def _plant(db: Path) -> dict[str, list[dict[str, str]]]:
    """Plant a violation of each invariant; return test name -> the rows it must report,
    each as {column: planted value}."""
    q = "marts.send_queue"
    # the queue is a view of the log's latest run: plants go into the log
    log = "marts.decision_log"
    planted: dict[str, list[dict[str, str]]] = {}

    def plant(test: str, **row: str) -> None:
        planted.setdefault(test, []).append(row)

    # consent: a message sent on a channel the customer does not consent to
    (queue_id,) = _one(
        db,
        f"select queue_id from {q} as s where decision = 'send' and channel = 'email'"
        " and purpose = 'marketing' and exists (select 1 from marts.customer_consent as c"
        " where c.customer_id = s.customer_id and c.channel = 'sms'"
        " and c.purpose = 'marketing' and not c.is_consented) order by queue_id limit 1",
    )
    execute(db, f"update {log} set channel = 'sms' where queue_id = '{queue_id}'")
    plant("assert_send_queue_sends_have_consent", queue_id=queue_id)

    # quiet hours: an email at 23:00 local
    (queue_id,) = _one(
        db,
        f"select queue_id from {q} where decision = 'send' and channel = 'email'"
        f" and queue_id <> '{queue_id}' order by queue_id limit 1",
    )
    execute(
        db,
        f"update {log} set local_send_time = date_trunc('day', local_send_time) + interval 23 hour"
        f" where queue_id = '{queue_id}'",
        f"update {log} set scheduled_at = cast(timezone(timezone, local_send_time) as timestamp)"
        f" where queue_id = '{queue_id}'",
    )
    plant("assert_send_queue_sends_outside_quiet_hours", queue_id=queue_id)

    # weekly cap: a message held over budget sent anyway
    (customer_id,) = _one(
        db,
        f"select customer_id from {q} where reason_code = 'over_budget' order by queue_id limit 1",
    )
    execute(
        db,
        f"update {log} set decision = 'send', reason_code = null where queue_id = ("
        f"select min(queue_id) from {q} where customer_id = '{customer_id}'"
        " and reason_code = 'over_budget')",
    )
    plant("assert_send_queue_sends_within_weekly_cap", customer_id=customer_id)

    # a channel's allowance: a message held by its channel's limit sent anyway, for a
    # customer whose sends on that channel already use the allowance; once where the
    # channel is in int_decision_channel_allowance (messages of the last 7 days), once
    # where it is not (it may carry its daily maximum)
    taken = [customer_id]
    for listed in ("exists", "not exists"):
        (queue_id, limited, channel) = _one(
            db,
            f"select queue_id, customer_id, channel from {q} as held"
            " where reason_code = 'channel_limit'"
            f" and customer_id not in ({', '.join(repr(c) for c in taken)})"
            f" and {listed} (select 1 from intermediate.int_decision_channel_allowance as a"
            " where a.customer_id = held.customer_id and a.channel = held.channel)"
            f" and channel_allowance = (select count(*) from {q} as sent"
            " where sent.customer_id = held.customer_id and sent.channel = held.channel"
            " and sent.decision = 'send' and sent.counts_toward_cap)"
            " order by queue_id limit 1",
        )
        execute(
            db,
            f"update {log} set decision = 'send', reason_code = null where queue_id = '{queue_id}'",
        )
        taken.append(limited)
        plant("assert_send_queue_sends_within_weekly_cap", customer_id=limited, channel=channel)

    # pacing: a message held by the day's limit on the paced channels sent anyway, for a
    # customer whose sends there already use the day's allowance (daily_allowance is
    # set on the paced channels' messages that count toward the caps)
    (queue_id, paced) = _one(
        db,
        f"select queue_id, customer_id from {q} as held where reason_code = 'daily_limit'"
        f" and customer_id not in ({', '.join(repr(c) for c in taken)})"
        f" and daily_allowance = (select count(*) from {q} as sent"
        " where sent.customer_id = held.customer_id and sent.decision = 'send'"
        " and sent.daily_allowance is not null)"
        " order by queue_id limit 1",
    )
    execute(
        db,
        f"update {log} set decision = 'send', reason_code = null where queue_id = '{queue_id}'",
    )
    taken.append(paced)
    plant("assert_send_queue_sends_within_daily_limit", customer_id=paced)

    # a suppressed scope: a sales message to a customer cooling off after a complaint
    (queue_id,) = _one(
        db, f"select queue_id from {q} where reason_code = 'cooling_off' order by queue_id limit 1"
    )
    execute(
        db,
        f"update {log} set decision = 'send', reason_code = null, channel = 'email'"
        f" where queue_id = '{queue_id}'",
    )
    plant("assert_send_queue_sends_avoid_suppressed_scopes", queue_id=queue_id)

    # one topic per window: a topic contacted within the window sent again
    (queue_id,) = _one(
        db,
        f"select queue_id from {q} where reason_code = 'topic_recently_contacted'"
        " and journey_id is null order by queue_id limit 1",
    )
    execute(
        db,
        f"update {log} set decision = 'send', reason_code = null, channel = 'email'"
        f" where queue_id = '{queue_id}'",
    )
    plant("assert_send_queue_one_topic_per_window", queue_id=queue_id)

    # the holdout: a holdout customer sent a message
    (queue_id,) = _one(
        db, f"select queue_id from {q} where reason_code = 'holdout' order by queue_id limit 1"
    )
    execute(
        db, f"update {log} set decision = 'send', reason_code = null where queue_id = '{queue_id}'"
    )
    plant("assert_send_queue_holdout_never_sends", queue_id=queue_id)

    # offers: a second code of a family sent to the same customer
    (queue_id, customer_id) = _one(
        db,
        f"select queue_id, customer_id from {q} where decision = 'send'"
        " and promotion_family is not null and offer_code is not null order by queue_id limit 1",
    )
    execute(
        db,
        f"insert into {log} select * replace (queue_id || '-planted' as queue_id,"
        " 'PLANTED99' as offer_code, idempotency_key || '-planted' as idempotency_key,"
        f" topic || '-planted' as topic) from {log} where queue_id = '{queue_id}'"
        f" and logged_at = (select max(logged_at) from {log})",
    )
    plant("assert_send_queue_offers_are_consistent", customer_id=customer_id)

    # the campaign window: a send after the campaign ends
    (queue_id,) = _one(
        db,
        f"select queue_id from {q} where decision = 'send' and channel = 'push'"
        " order by queue_id limit 1",
    )
    execute(
        db,
        f"update {log} set scheduled_at = (select ends_at + interval 1 hour from seeds.campaigns"
        f" where campaign_id = {log}.campaign_id) where queue_id = '{queue_id}'",
    )
    plant("assert_send_queue_sends_inside_campaign_window", queue_id=queue_id)

    # spacing: a send the queue moved 4 h after the channel's previous message, moved
    # back an hour (local time with it, outside quiet hours)
    (queue_id,) = _one(
        db,
        f"select queue_id from {q} where decision = 'send' and reason like '%(spaced %'"
        " and extract(hour from local_send_time) >= 10 order by queue_id limit 1",
    )
    execute(
        db,
        f"update {log} set scheduled_at = scheduled_at - interval 1 hour,"
        f" local_send_time = local_send_time - interval 1 hour where queue_id = '{queue_id}'",
    )
    plant("assert_send_queue_sends_spaced_on_each_channel", queue_id=queue_id)

    # the seeds: a campaign naming an unknown audience, one with an unknown format
    execute(
        db,
        "update seeds.campaigns set audience = 'everyone_planted'"
        " where campaign_id = 'newsletter_weekly'",
        "update seeds.campaigns set content_format = 'video' where campaign_id = 'loyalty_rewards'",
    )
    plant("assert_campaigns_name_known_audiences", campaign_id="newsletter_weekly")
    plant("assert_campaign_content_formats_are_known", campaign_id="loyalty_rewards")
    return planted


def test_each_invariant_catches_a_planted_violation(warehouse, tmp_path):
    db = tmp_path / "planted.duckdb"
    shutil.copy(warehouse.db, db)
    planted = _plant(db)
    outcome = run_dbt(
        ["test", "--select", *planted, "--store-failures"],
        vars=warehouse.vars,
        db_path=db,
        work_dir=tmp_path,
    )
    assert not outcome.success
    failed = {failure.split(":")[0].split(".")[2] for failure in outcome.failures}
    assert failed == set(planted)
    schemas = {
        s for (s,) in query(db, "select distinct schema_name from information_schema.schemata")
    }
    (audit,) = [s for s in schemas if s.endswith("dbt_test__audit")]
    for test, rows in planted.items():
        for row in rows:
            where = " and ".join(f"{column} = '{value}'" for column, value in row.items())
            (count,) = query(db, f'select count(*) from {audit}."{test}" where {where}')[0]
            assert count >= 1, f"{test} did not report the planted row ({where})"


def _decide_again(warehouse, db: Path, work: Path) -> None:
    """Another run of the queue on `db` (a copy of the warehouse), for the same as_of:
    decision_log appends it and send_queue shows it."""
    outcome = run_dbt(
        ["run", "--select", "decision_log", "send_queue"],
        vars=warehouse.vars,
        db_path=db,
        work_dir=work,
    )
    assert outcome.success, outcome.failures or outcome.exception


def test_the_same_as_of_builds_the_same_queue(warehouse, tmp_path):
    db = tmp_path / "again.duckdb"
    shutil.copy(warehouse.db, db)
    before = sorted(query(db, "select * exclude (as_of, run_id, logged_at) from marts.send_queue"))
    _decide_again(warehouse, db, tmp_path)
    after = sorted(query(db, "select * exclude (as_of, run_id, logged_at) from marts.send_queue"))
    assert after == before
    runs = query(
        db,
        "select run_id, count(*), count(distinct idempotency_key)"
        " from marts.decision_log group by 1",
    )
    assert len(runs) == 2 and runs[0][1:] == runs[1][1:] == (len(before), len(before))
    (differ,) = query(
        db,
        "select count(*) from (select idempotency_key, decision, reason from marts.decision_log"
        " group by 1, 2, 3 having count(distinct run_id) <> 2)",
    )[0]
    assert differ == 0


def test_the_ledger_adds_new_columns_and_keeps_old_ones(warehouse, tmp_path):
    """decision_log (materialized 'ledger', macros/chorus_ledger.sql) on a log written by
    an older version: a column the model gained is added to the table (null in the old
    rows), a column the model no longer writes stays (null in the new rows), and the
    new run's rows go in by name whatever the table's column order."""
    db = tmp_path / "ledger.duckdb"
    shutil.copy(warehouse.db, db)
    q = "marts.send_queue"
    before = sorted(query(db, f"select queue_id, decision, reason, weekly_cap from {q}"))
    execute(
        db,
        "alter table marts.decision_log drop column weekly_cap",
        "alter table marts.decision_log add column legacy_note varchar",
        "update marts.decision_log set legacy_note = 'old'",
    )
    _decide_again(warehouse, db, tmp_path)
    after = sorted(query(db, f"select queue_id, decision, reason, weekly_cap from {q}"))
    assert after == before
    runs = query(
        db,
        "select count(weekly_cap), count(legacy_note), count(*) from marts.decision_log"
        " group by run_id order by min(logged_at)",
    )
    rows = len(before)
    assert runs == [(0, rows, rows), (rows, 0, rows)]
    (last,) = query(db, "select column_name from (describe marts.decision_log)")[-1]
    assert last == "weekly_cap"


def test_every_audience_model_is_listed():
    listed = re.search(
        r"macro chorus_audiences\(\).*?return\(\[(.*?)\]\)",
        (PROJECT / "macros/decisioning/chorus_decisioning.sql").read_text(),
        re.S,
    ).group(1)
    names = set(re.findall(r"'([a-z0-9_]+)'", listed))
    files = {
        p.stem.removeprefix("audience_")
        for p in (PROJECT / "models/marts/audiences").glob("audience_*.sql")
    }
    assert names == files, (
        "each models/marts/audiences/audience_<name>.sql needs its name in chorus_audiences()"
        " (macros/decisioning/chorus_decisioning.sql), and each name there a file"
    )


def _explain(db: Path, monkeypatch, *args: str):
    from typer.testing import CliRunner

    from orchestration.cli import app

    monkeypatch.setenv("CHORUS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("COLUMNS", "240")
    return CliRunner().invoke(app, ["explain", *args])


def test_explain_prints_every_decision_of_a_customer(warehouse, monkeypatch):
    (customer_id, email, candidates) = query(
        warehouse.db,
        "select q.customer_id, c.primary_email, count(*) from marts.send_queue as q"
        " inner join marts.customers as c on q.customer_id = c.customer_id"
        " where c.primary_email is not null"
        " group by 1, 2 having count(distinct q.decision) = 3 order by 1 limit 1",
    )[0]
    result = _explain(warehouse.db, monkeypatch, customer_id)
    assert result.exit_code == 0, result.output
    for heading in (
        "identifiers (masked)",
        "consent",
        "fatigue",
        f"candidate messages ({candidates})",
    ):
        assert heading in result.output
    for decision in ("send", "hold", "suppress"):
        assert f" {decision} " in result.output
    assert email not in result.output  # identifiers are masked
    # an email finds the same customer
    by_email = _explain(warehouse.db, monkeypatch, email.upper())
    assert by_email.exit_code == 0, by_email.output
    assert f"customer {customer_id} (found by" in by_email.output
    # the decisions of a run by its as_of, from decision_log
    (as_of,) = query(warehouse.db, "select max(as_of) from marts.decision_log")[0]
    logged = _explain(warehouse.db, monkeypatch, customer_id, "--as-of", as_of.isoformat())
    assert logged.exit_code == 0, logged.output
    assert f"candidate messages ({candidates})" in logged.output
    # the queue is the log's latest run: the same candidates, local send times included
    section = f"candidate messages ({candidates})"
    assert logged.output.split(section)[1] == result.output.split(section)[1]


def test_explain_names_the_zone_of_a_customer_without_one(warehouse, monkeypatch):
    (customer_id, zone) = query(
        warehouse.db,
        "select q.customer_id, min(q.timezone) from marts.send_queue as q"
        " inner join marts.customers as c on q.customer_id = c.customer_id"
        " where c.timezone is null and q.timezone is not null group by 1 order by 1 limit 1",
    )[0]
    result = _explain(warehouse.db, monkeypatch, customer_id)
    assert result.exit_code == 0, result.output
    assert f"time zone unknown (send times in {zone}, the default)" in result.output


def test_explain_says_what_to_do_when_nothing_matches(warehouse, monkeypatch):
    unknown = _explain(warehouse.db, monkeypatch, "cus_0000000000000000")
    assert unknown.exit_code == 1
    assert "no customer cus_0000000000000000" in unknown.output
    assert "Traceback" not in unknown.output
    nobody = _explain(warehouse.db, monkeypatch, "nobody@example.org")
    assert nobody.exit_code == 1 and "no customer with the identifier no***@example.org" in (
        nobody.output
    )
    # a household email is held back by identity: it says so, and where to look next
    (shared,) = query(
        warehouse.db,
        "select min(identifier_value) from marts.customer_identifiers"
        " where identifier_type = 'email' and is_shared",
    )[0]
    assert shared is not None, "the sample data has household emails"
    held = _explain(warehouse.db, monkeypatch, shared.upper())
    assert held.exit_code == 1 and "Traceback" not in held.output
    assert "belongs to no customer: identity holds it back as shared" in held.output
    assert "chorus identity-explain" in held.output and shared not in held.output
    (customer_id,) = query(warehouse.db, "select min(customer_id) from marts.send_queue")[0]
    never = _explain(warehouse.db, monkeypatch, customer_id, "--as-of", "2020-01-01")
    assert never.exit_code == 1
    assert "no send queue was built for as_of 2020-01-01 00:00:00" in never.output


def test_explain_on_a_warehouse_not_built_says_to_build(tmp_path, monkeypatch):
    from orchestration.settings import connect as open_db

    empty = tmp_path / "empty.duckdb"
    open_db(empty).close()
    result = _explain(empty, monkeypatch, "cus_0000000000000000")
    assert result.exit_code == 1
    assert "cannot read the decisioning marts" in result.output
    assert "build them first" in result.output and "Traceback" not in result.output
