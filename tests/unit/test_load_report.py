"""The rejected-row samples `chorus load` prints: real loads into a DuckDB file, then the
printed lines checked for masking, placement and the query that lists every row."""

from __future__ import annotations

from pathlib import Path

from orchestration.commands.load_report import query_for, sample_line
from orchestration.loader import load_directory
from tests.fixtures.contract_rows import write_csv


def contact(contact_id: str, **values: str) -> dict:
    return {
        "contact_id": contact_id,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        **values,
    }


def test_a_duplicate_person_key_and_stray_emails_are_masked(tmp_path: Path):
    src = tmp_path / "src"
    write_csv(
        src,
        "crm_contacts",
        [
            contact("C-000123", email="first@example.com", first_name="Jonathan"),
            # the second export of the contact: its key is an id of a person
            contact("C-000123", email="second@example.com", first_name="Jonathan"),
            # an email where a timestamp belongs (a shifted column)
            contact("C-000777", updated_at="stray@example.com", phone="+33 6 45 84 56 92"),
        ],
    )
    result = load_directory(src, tmp_path / "w.duckdb")["crm_contacts"]
    lines = [sample_line("crm_contacts", s) for s in result.reject_samples]
    text = "\n".join(lines)
    for raw in ("C-000123", "C-000777", "first@example.com", "stray@example.com", "Jonathan"):
        assert raw not in text
    assert "+33 6 45 84 56 92" not in text
    invalid, duplicate = lines  # reasons in REJECT_REASONS order
    assert invalid.startswith(f"invalid_type  {src / 'crm_contacts.csv'} row 3, line 4:")
    assert "column updated_at: 'st***@example.com' is not an ISO-8601 timestamp" in invalid
    assert "contact_id C-0***77" in invalid and "phone +33***92" in invalid
    assert "key contact_id='C-0***23' is superseded by crm_contacts.csv row 2" in duplicate
    assert "email fi***@example.com" in duplicate and "first_name Jon***an" in duplicate


def test_a_malformed_row_shows_the_problem_not_the_line(tmp_path: Path):
    src = tmp_path / "src"
    write_csv(src, "products", [{"product_id": "p1", "price": "1"}])
    with (src / "products.csv").open("a") as f:
        f.write("p2,shoes,Jane Doe jane@example.com,1,surplus\r\n")  # as csv writes it
    (sample,) = load_directory(src, tmp_path / "w.duckdb")["products"].reject_samples
    line = sample_line("products", sample)
    assert line == (
        f"malformed_row  {src / 'products.csv'} row 2, line 3: Expected Number of Columns: 4 "
        "Found: 5 (TOO MANY COLUMNS)"
    )


def test_the_query_names_every_load_holding_the_rejects():
    assert query_for("orders", ["a"]) == (
        "chorus sql \"select * from raw.rejected_rows where load_id = 'a' "
        "and table_name = 'orders'\""
    )
    assert "load_id in ('a', 'b')" in query_for("orders", ["a", "b"])
    assert query_for(None, ["a", "b"]) == (
        "chorus sql \"select * from raw.rejected_rows where load_id in ('a', 'b')\""
    )
