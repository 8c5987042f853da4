"""Identity through phone and email churn, on a hand-written business where every person
is a named case, built by the real loader and dbt:

- Pat changed number (the CRM contact edited in place; orders before and after);
- Riley changed number, and the CRM got a second contact (the first one went stale);
- the Lees share an email and each use their own phone, both in use at the same time;
- the Kims share an email; their numbers follow one another, but their CRM contacts
  carry different first names;
- Jordan moved to a new email address;
- Morgan's work email reaches the customer through the phone on the CRM contact;
- Quinn checked out as a guest before creating an account;
- a shop tablet used by three shoppers, and a cashier's placeholder email.

Then `chorus identity-explain` on a merged customer and a shared email, and
`chorus identity-diff` after a seed edit, checked against a rebuild with that edit.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.dbt import run_dbt
from orchestration.settings import DBT_PROJECT_DIR, connect
from tests.fixtures.contract_rows import order, write_csv

pytestmark = pytest.mark.slow

PAT_OLD, PAT_NEW = "+12025550100", "+12025550101"
RILEY_OLD, RILEY_NEW = "+12025550110", "+12025550111"
LEE_A, LEE_B = "+12025550120", "+12025550121"
KIM_JIN, KIM_MINA = "+12025550130", "+12025550131"
MORGAN_PHONE = "+12025550140"


def _contact(contact_id: str, created: str, updated: str, **values) -> dict:
    return {"contact_id": contact_id, "created_at": created, "updated_at": updated, **values}


def _sms(event_id: str, phone: str, at: str) -> dict:
    return {"event_id": event_id, "message_id": f"SM{event_id}", "phone": phone,
            "event_type": "sent", "occurred_at": at}  # fmt: skip


ROWS = {
    "crm_contacts": [
        # Pat: the contact edited to the new number in September
        _contact(
            "C-PAT",
            "2024-01-10T09:00:00Z",
            "2026-09-01T09:00:00Z",
            email="Pat@Inbox.test",
            phone="(202) 555-0101",
            first_name="Pat",
        ),
        # Riley: the old contact untouched since last year, a new one in July
        _contact(
            "C-RILEY-1",
            "2023-05-01T09:00:00Z",
            "2025-12-01T09:00:00Z",
            email="riley@inbox.test",
            phone=RILEY_OLD,
            first_name="Riley",
        ),
        _contact(
            "C-RILEY-2",
            "2026-07-01T09:00:00Z",
            "2026-07-01T09:00:00Z",
            email="riley@inbox.test",
            phone=RILEY_NEW,
            first_name="Riley",
        ),
        # the Lees: one household email, two phones, no names typed
        _contact(
            "C-LEE-A",
            "2024-02-01T09:00:00Z",
            "2026-03-01T09:00:00Z",
            email="lees@inbox.test",
            phone=LEE_A,
        ),
        _contact(
            "C-LEE-B",
            "2024-06-01T09:00:00Z",
            "2026-04-01T09:00:00Z",
            email="lees@inbox.test",
            phone=LEE_B,
        ),
        # the Kims: numbers one after the other, two first names
        _contact(
            "C-KIM-1",
            "2023-01-01T09:00:00Z",
            "2025-01-01T09:00:00Z",
            email="kims@inbox.test",
            phone=KIM_JIN,
            first_name="Jin",
        ),
        _contact(
            "C-KIM-2",
            "2026-05-01T09:00:00Z",
            "2026-06-01T09:00:00Z",
            email="kims@inbox.test",
            phone=KIM_MINA,
            first_name="Mina",
        ),
        # Jordan: the contact edited to the new address
        _contact(
            "C-JORDAN",
            "2024-03-01T09:00:00Z",
            "2026-09-10T09:00:00Z",
            email="jordan.new@inbox.test",
            first_name="Jordan",
        ),
        # Morgan: a contact with the work email and the phone
        _contact(
            "C-MORGAN",
            "2025-01-01T09:00:00Z",
            "2025-02-01T09:00:00Z",
            email="morgan@acme-corp.example",
            phone=MORGAN_PHONE,
            first_name="Morgan",
        ),
    ],  # fmt: skip
    "orders": [
        order(
            "O-PAT-1",
            "2026-06-01T12:00:00Z",
            user_id="u-pat",
            email="pat@inbox.test",
            phone=PAT_OLD,
        ),
        order(
            "O-PAT-2",
            "2026-10-01T12:00:00Z",
            user_id="u-pat",
            email="pat@inbox.test",
            phone=PAT_NEW,
        ),
        order("O-RILEY-1", "2026-05-10T12:00:00Z", email="riley@inbox.test", phone=RILEY_OLD),
        order("O-RILEY-2", "2026-08-20T12:00:00Z", email="riley@inbox.test", phone=RILEY_NEW),
        order("O-LEE-A", "2026-07-01T12:00:00Z", email="lee.a@inbox.test", phone=LEE_A),
        order("O-LEE-B", "2026-07-02T12:00:00Z", email="lee.b@inbox.test", phone=LEE_B),
        order(
            "O-JORDAN-1", "2026-05-01T12:00:00Z", user_id="u-jordan", email="jordan.old@inbox.test"
        ),
        order(
            "O-JORDAN-2", "2026-09-15T12:00:00Z", user_id="u-jordan", email="jordan.new@inbox.test"
        ),
        order(
            "O-MORGAN", "2026-08-01T12:00:00Z", email="morgan.home@inbox.test", phone=MORGAN_PHONE
        ),
        order(
            "O-QUINN-1",
            "2026-06-01T12:00:00Z",
            email="quinn@inbox.test",
            anonymous_id="cookie-quinn",
        ),
        order("O-QUINN-2", "2026-09-01T12:00:00Z", user_id="u-quinn", email="quinn@inbox.test"),
        # the shop tablet, three shoppers in one afternoon; the cashier's placeholder
        order("O-STORE-1", "2026-09-05T14:00:00Z", user_id="u-pat", device_id="TABLET-1"),
        order(
            "O-STORE-2",
            "2026-09-05T15:00:00Z",
            user_id="u-jordan",
            device_id="TABLET-1",
            email="noemail@noemail.com",
        ),
        order(
            "O-STORE-3",
            "2026-09-05T16:00:00Z",
            user_id="u-quinn",
            device_id="TABLET-1",
            email="noemail@noemail.com",
        ),
    ],  # fmt: skip
    "sms_events": [
        _sms("E1", PAT_OLD, "2026-06-15T10:00:00Z"),
        _sms("E2", PAT_NEW, "2026-10-05T10:00:00Z"),
        _sms("E3", LEE_A, "2026-06-01T10:00:00Z"),
        _sms("E4", LEE_A, "2026-10-01T10:00:00Z"),
        _sms("E5", LEE_B, "2026-06-05T10:00:00Z"),
        _sms("E6", LEE_B, "2026-10-03T10:00:00Z"),
    ],
    "email_events": [
        {
            "event_id": "M1",
            "message_id": "<m1>",
            "email": "jordan.old@inbox.test",
            "event_type": "sent",
            "occurred_at": "2026-05-20T10:00:00Z",
        },
        {
            "event_id": "M2",
            "message_id": "<m2>",
            "email": "jordan.new@inbox.test",
            "event_type": "sent",
            "occurred_at": "2026-09-20T10:00:00Z",
        },
    ],  # fmt: skip
    "web_events": [
        # Quinn creates an account and logs in on the browser of the guest checkout
        {
            "event_id": "W1",
            "anonymous_id": "cookie-quinn",
            "user_id": "u-quinn",
            "event_type": "identify",
            "occurred_at": "2026-08-01T10:00:00Z",
        },
    ],  # fmt: skip
}

runner = CliRunner()


def write_raw(folder: Path) -> Path:
    for table, rows in ROWS.items():
        write_csv(folder, table, rows)
    return folder


def build(db: Path, work: Path, project_dir: Path | None = None, *args: str) -> None:
    outcome = run_dbt(
        ["build", "--select", "+customer_identifiers", "identity_merges", *args],
        db_path=db,
        work_dir=work,
        project_dir=project_dir,
    )
    assert outcome.success, outcome.failures or outcome.exception


def customers(db: Path) -> dict[str, str | None]:
    con = connect(db, read_only=True)
    try:
        return dict(
            con.sql(
                "select identifier_value, customer_id from marts.customer_identifiers"
            ).fetchall()
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> SimpleNamespace:
    from orchestration.loader import load_directory

    work = tmp_path_factory.mktemp("identity_churn")
    db = work / "chorus.duckdb"
    load_directory(write_raw(work / "raw"), db_path=db)
    build(db, work)
    return SimpleNamespace(db=db, work=work, customer=customers(db))


def test_a_changed_phone_stays_one_customer(warehouse):
    who = warehouse.customer
    # edited in place (Pat, with an account) or a second contact (Riley, a guest)
    assert who[PAT_OLD] == who[PAT_NEW] == who["pat@inbox.test"] == who["u-pat"] == who["C-PAT"]
    assert who[RILEY_OLD] == who[RILEY_NEW] == who["riley@inbox.test"] == who["C-RILEY-1"]
    assert who["C-RILEY-2"] == who["riley@inbox.test"] is not None
    assert who["pat@inbox.test"] != who["riley@inbox.test"]


def test_a_household_email_with_phones_in_use_at_once_stays_two_customers(warehouse):
    who = warehouse.customer
    assert who["lees@inbox.test"] is None  # shared: links nobody
    assert who[LEE_A] == who["lee.a@inbox.test"] == who["C-LEE-A"] is not None
    assert who[LEE_B] == who["lee.b@inbox.test"] == who["C-LEE-B"] is not None
    assert who[LEE_A] != who[LEE_B]
    con = connect(warehouse.db, read_only=True)
    ((reason,),) = con.sql(
        "select flag_reason from marts.customer_identifiers"
        " where identifier_value = 'lees@inbox.test'"
    ).fetchall()
    con.close()
    assert reason == "seen with 2 phone values at once (limit 1)"


def test_two_first_names_on_one_email_are_two_people(warehouse):
    who = warehouse.customer
    assert who["kims@inbox.test"] is None
    assert who[KIM_JIN] != who[KIM_MINA]


def test_a_changed_email_stays_one_customer(warehouse):
    who = warehouse.customer
    assert who["jordan.old@inbox.test"] == who["jordan.new@inbox.test"] == who["u-jordan"]
    assert who["C-JORDAN"] == who["u-jordan"] is not None


def test_a_work_email_is_linked_through_the_phone(warehouse):
    who = warehouse.customer
    assert who["morgan@acme-corp.example"] == who[MORGAN_PHONE] == who["morgan.home@inbox.test"]
    assert who["morgan.home@inbox.test"] is not None


def test_a_guest_checkout_is_linked_later_by_the_account(warehouse):
    who = warehouse.customer
    assert who["quinn@inbox.test"] == who["cookie-quinn"] == who["u-quinn"] is not None


def test_the_shop_tablet_and_the_placeholder_merge_nobody(warehouse):
    who = warehouse.customer
    assert who["TABLET-1"] is None and who["noemail@noemail.com"] is None
    assert len({who["u-pat"], who["u-jordan"], who["u-quinn"]}) == 3


def explain(db: Path, *args: str) -> str:
    result = runner.invoke(
        app, ["identity-explain", *args, "--db", str(db)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_a_merged_customer(warehouse):
    out = explain(warehouse.db, "Pat@inbox.test", "--with", "(202) 555-0100")
    assert f"belongs to customer {warehouse.customer['pat@inbox.test']}" in out
    assert "records that link them" in out and "why they are one customer" in out
    # the chain runs from the email through a record to the old number
    chain = out.split("why they are one customer")[1]
    assert "email pa***@inbox.test" in chain and "phone +12***00" in chain
    assert "shop record" in chain or "crm record" in chain
    # masked: no raw identifier of Pat's appears anywhere
    for raw in ("pat@inbox.test", PAT_OLD, PAT_NEW, "u-pat"):
        assert raw not in out, raw


def test_explain_says_when_two_are_not_one_customer(warehouse):
    out = explain(warehouse.db, LEE_A, "--with", LEE_B)
    assert "they are not one customer" in out


def test_explain_a_shared_email(warehouse):
    out = explain(warehouse.db, "lees@inbox.test")
    assert "belongs to no customer: shared" in out
    assert "seen with 2 phone values at once (limit 1)" in out
    assert "phone values seen with it" in out and "the rule:" in out
    # the two phones it met, each with its own customer
    assert warehouse.customer[LEE_A] in out and warehouse.customer[LEE_B] in out


def test_explain_fails_cleanly_on_an_unknown_value(warehouse):
    result = runner.invoke(app, ["identity-explain", "nobody@nowhere.example", "--db",
                                 str(warehouse.db)])  # fmt: skip
    assert result.exit_code == 1
    assert "no identifier" in result.output and "Traceback" not in result.output


def test_identity_diff_predicts_a_rebuild_with_the_edit(warehouse, tmp_path):
    # the old rule: an email seen with two phones, ever, is shared
    edited = tmp_path / "identity_rules.csv"
    rules = (DBT_PROJECT_DIR / "seeds" / "identity_rules.csv").read_text()
    assert "\nemail,2,phone,1,3,14," in rules
    edited.write_text(rules.replace("\nemail,2,phone,1,3,14,", "\nemail,2,phone,1,1,0,"))
    before = customers(warehouse.db)

    result = runner.invoke(
        app, ["identity-diff", "--seed", str(edited), "--json", "--db", str(warehouse.db)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rule_changes"] == [
        "identity_rules added: email, 2, phone, 1, 1, 0",
        "identity_rules removed: email, 2, phone, 1, 3, 14",
    ]
    # the marts are untouched and the scratch schemas are gone
    assert customers(warehouse.db) == before
    con = connect(warehouse.db, read_only=True)
    schemas = {s for (s,) in con.sql("select schema_name from duckdb_schemas()").fetchall()}
    con.close()
    assert not {s for s in schemas if s.startswith("identity_diff_")}

    # rebuild a copy of the warehouse with the edit, and compare
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copyfile(edited, project / "seeds" / "identity_rules.csv")
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copyfile(warehouse.db, rebuilt)
    build(rebuilt, tmp_path, project)
    after = customers(rebuilt)
    splits = {
        old
        for old in set(before.values()) - {None}
        if len({after[v] for v, c in before.items() if c == old and after[v]}) > 1
    }
    held_back = {v for v, c in before.items() if c is not None and after[v] is None}
    assert report["counts"]["split"] == len(splits) > 0
    assert report["counts"]["held_back"] == len(held_back)
    assert report["counts"]["merge"] == 0
    # both emails are held back; Riley (no account) splits, Pat's account holds the old
    # and the new number together; the cause says which rule did it
    assert {"pat@inbox.test", "riley@inbox.test"} <= held_back
    assert before["riley@inbox.test"] in splits and before["pat@inbox.test"] not in splits
    assert report["causes"]["split"] == {
        "email held back: seen with N phone values (limit 1)": len(splits)
    }
    shown = {c["customers_before"][0] for c in report["changes"] if c["kind"] == "split"}
    assert shown <= splits and shown


def test_identity_diff_without_a_change_changes_nothing(warehouse):
    result = runner.invoke(
        app,
        ["identity-diff", "--vars", "{chorus_identity_bridge_max_cluster_size: 1000}", "--json",
         "--db", str(warehouse.db)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rule_changes"] == []
    assert set(report["counts"].values()) == {0}
