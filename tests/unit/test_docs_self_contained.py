"""The repository documents itself: docs, comments and messages point at files users
have (docs/), never at documents outside the repository or at an internal tracker's
issue numbers; every relative markdown link resolves; and docs/input-contract.md and
docs/marts.md list what the code declares, so they cannot drift from it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.contract import REJECT_REASONS, SEED_COLUMNS, TABLES
from orchestration.loader.load import RAW_DDL

ROOT = Path(__file__).resolve().parents[2]

# Files users read: docs, comments, docstrings, YAML descriptions, messages, seeds.
SCANNED = (
    "README.md",
    "BENCHMARKS.md",
    "Makefile",
    ".sqlfluff",
    "pyproject.toml",
    "docs/**/*.md",
    "dbt_project/**/*.yml",
    "dbt_project/**/*.yaml",
    "dbt_project/**/*.sql",
    "dbt_project/**/*.md",
    "dbt_project/**/*.csv",
    "orchestration/**/*.py",
    "expectations/**/*.py",
    "activations/**/*.py",
    "bench/**/*.py",
)
# Build output and installed packages are not ours.
SKIPPED_PARTS = {"target", "logs", "dbt_packages", ".venv", "__pycache__"}

# A pointer outside the repository, or at the product spec / style guide that lives there.
# Case-sensitive on purpose: `get_asset_spec`, `RAW_SPECS` and rich's `style=` are code.
OUTSIDE = (
    ("a path outside the repository", re.compile(r"\.\./shared\b")),
    ("a SPEC reference", re.compile(r"\bSPEC\b|SPEC\.md")),
    ("a STYLE reference", re.compile(r"\bSTYLE\b|STYLE\.md")),
)

# Issue numbers of a tracker users cannot see, in the markdown they read.
ISSUE_CITED = (
    "README.md",
    "BENCHMARKS.md",
    "docs/**/*.md",
    "dbt_project/**/*.md",
)
ISSUE_WORD = re.compile(r"\b(?:issues?|pull requests?)[ -]?#?\d+\b", re.IGNORECASE)
ISSUE_HASH = re.compile(r"(?<![\w&/#])#\d+\b")

LINKED = ("README.md", "docs/*.md", "dbt_project/README.md")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def _files(patterns: tuple[str, ...]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        for path in ROOT.glob(pattern):
            rel = path.relative_to(ROOT)
            if path.is_file() and not SKIPPED_PARTS.intersection(rel.parts):
                found.add(path)
    return sorted(found)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    yield from enumerate(text.splitlines(), 1)


def _markdown_lines(path: Path, *, blank_code: bool = True) -> Iterator[tuple[int, str]]:
    """Markdown lines outside fenced code blocks; inline code spans blanked unless asked."""
    fence: str | None = None
    for number, line in _lines(path):
        stripped = line.lstrip()
        marker = re.match(r"(`{3,}|~{3,})", stripped)
        if marker and fence is None:
            fence = marker.group(1)[0] * 3
            continue
        if marker and stripped.startswith(fence or ""):
            fence = None
            continue
        if fence is None:
            yield number, re.sub(r"`[^`]*`", _blank, line) if blank_code else line


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def _where(path: Path, number: int, line: str) -> str:
    return f"{path.relative_to(ROOT)}:{number}: {line.strip()}"


def test_the_scan_sees_the_repository():
    scanned = {p.relative_to(ROOT).as_posix() for p in _files(SCANNED)}
    for expected in (
        "README.md",
        "docs/DECISIONS.md",
        "docs/input-contract.md",
        "orchestration/contract.py",
        "orchestration/cli.py",
        "dbt_project/dbt_project.yml",
        "dbt_project/macros/chorus_as_of.sql",
        "dbt_project/seeds/identity_rules.csv",
    ):
        assert expected in scanned


# a folder beside the repository, spelt in two parts so this file does not name it
SHARED_FOLDER = "../" + "shared"


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ('(SPEC "Time")', True),
        ("the public names in SPEC.md", True),
        ('(STYLE "Layout")', True),
        ("see " + SHARED_FOLDER + "/SPEC.md", True),
        ("spec = super().get_asset_spec(manifest)", False),
        ("RAW_SPECS = [", False),
        ('style="green"', False),
        ("a Segment/Snowplow-style collector", False),
    ],
)
def test_outside_patterns(text: str, hit: bool):
    assert any(regex.search(text) for _, regex in OUTSIDE) is hit


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("## Identity through phone and email churn (issue 8)", True),
        ("Targets (issue 2): generate", True),
        ("as in the issue-3 run", True),
        ("fixed in #4", True),
        ("see issues #12 and #13", True),
        ("arrives with a later release", False),
        ("order_id#line_number", False),
        ("[Time](#time)", False),
        ("&#8212;", False),
    ],
)
def test_issue_patterns(text: str, hit: bool):
    assert bool(ISSUE_WORD.search(text) or ISSUE_HASH.search(text)) is hit


def test_no_references_outside_the_repository():
    hits = [
        f"{_where(path, number, line)}  [{what}]"
        for path in _files(SCANNED)
        for number, line in _lines(path)
        for what, regex in OUTSIDE
        if regex.search(line)
    ]
    assert not hits, (
        "these lines point at documents users do not have; point at docs/ instead:\n"
        + "\n".join(hits)
    )


def test_no_issue_numbers_in_the_docs():
    hits = [
        _where(path, number, line)
        for path in _files(ISSUE_CITED)
        for number, line in _markdown_lines(path)
        if ISSUE_WORD.search(line) or ISSUE_HASH.search(line)
    ]
    assert not hits, (
        "these lines cite issue numbers users cannot look up; say what changed instead:\n"
        + "\n".join(hits)
    )


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _markdown_lines(path, blank_code=False):
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            slug = _slug(match.group(1))
            count = seen.get(slug, 0)
            anchors.add(slug if count == 0 else f"{slug}-{count}")
            seen[slug] = count + 1
    return anchors


def test_relative_links_resolve():
    problems = []
    for path in _files(LINKED):
        for number, line in _lines(path):
            targets = INLINE_LINK.findall(line) + REFERENCE_LINK.findall(line)
            for target in targets:
                if EXTERNAL.match(target):
                    continue
                file_part, _, anchor = target.partition("#")
                resolved = (path.parent / file_part).resolve() if file_part else path
                if not resolved.exists():
                    problems.append(f"{_where(path, number, line)}  [{target}: no such file]")
                    continue
                try:
                    resolved.relative_to(ROOT)
                except ValueError:
                    problems.append(f"{_where(path, number, line)}  [{target}: outside the repo]")
                    continue
                if anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                    problems.append(f"{_where(path, number, line)}  [{target}: no such heading]")
    assert not problems, "broken links:\n" + "\n".join(problems)


# -- docs/input-contract.md and docs/marts.md follow the code ----------------------------

CONTRACT_DOC = ROOT / "docs" / "input-contract.md"
MARTS_DOC = ROOT / "docs" / "marts.md"
COLUMN_ROW = re.compile(
    r"^\| `(?P<name>\w+)` \| (?P<type>[A-Z0-9(),]+) \| (?P<header>required|optional) \| "
    r"(?P<value>[^|]*) \|"
)


def _sections(path: Path, level: str) -> dict[str, str]:
    """Text under each heading `<level> \\`name\\`` (up to the next heading of that level
    or above)."""
    text = path.read_text(encoding="utf-8")
    heading = re.compile(rf"^{level} `(\w+)`\s*$", re.MULTILINE)
    stop = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE)
    sections = {}
    for match in heading.finditer(text):
        end = stop.search(text, match.end())
        sections[match.group(1)] = text[match.end() : end.start() if end else len(text)]
    return sections


def test_input_contract_doc_lists_every_table_and_column():
    sections = _sections(CONTRACT_DOC, "###")
    problems = []
    for table in TABLES.values():
        if table.name not in sections:
            problems.append(f"{table.name}: no '### `{table.name}`' section")
            continue
        rows = [m for line in sections[table.name].splitlines() if (m := COLUMN_ROW.match(line))]
        documented = [m["name"] for m in rows]
        if documented != table.column_names:
            problems.append(f"{table.name}: columns {documented} != contract {table.column_names}")
            continue
        for column, row in zip(table.columns, rows, strict=True):
            where = f"{table.name}.{column.name}"
            if row["type"] != column.type:
                problems.append(f"{where}: type {row['type']} != contract {column.type}")
            if (row["header"] == "required") != column.required:
                problems.append(f"{where}: header {row['header']}, contract {column.required}")
            if row["value"].startswith("**required**") != column.not_null:
                problems.append(f"{where}: value {row['value']!r}, not_null {column.not_null}")
            missing = [v for v in column.enum or () if f"`{v}`" not in row["value"]]
            if missing:
                problems.append(f"{where}: accepted values {missing} not listed")
        key = ", ".join(f"`{k}`" for k in table.key)
        if f"Key: {key}." not in sections[table.name]:
            problems.append(f"{table.name}: key {key} not stated")
    assert not problems, "docs/input-contract.md drifted from the contract:\n" + "\n".join(problems)


def test_input_contract_doc_lists_rejects_and_seeds():
    text = CONTRACT_DOC.read_text(encoding="utf-8")
    ddl = next(s for s in RAW_DDL if "rejected_rows" in s)
    reject_columns = re.findall(r"^\s+(\w+) [A-Z]+", ddl, re.MULTILINE)
    assert reject_columns, ddl
    missing = [c for c in reject_columns if f"| `{c}` |" not in text]
    missing += [r for r in REJECT_REASONS if f"| `{r}` |" not in text]
    missing += [
        f"{seed}.{column}"
        for seed, columns in SEED_COLUMNS.items()
        for column in columns
        if f"`{column}`" not in text
    ]
    assert not missing, f"docs/input-contract.md does not document: {missing}"


def test_marts_doc_has_a_section_per_mart():
    marts = sorted(p.stem for p in (ROOT / "dbt_project" / "models" / "marts").rglob("*.sql"))
    assert marts
    documented = _sections(MARTS_DOC, "##")
    assert not [m for m in marts if m not in documented], (
        f"docs/marts.md has no '## `name`' section for {[m for m in marts if m not in documented]}"
    )


def test_every_var_and_env_var_is_documented():
    """The README's configuration table names every dbt var the project declares and
    every CHORUS_* environment variable the code reads; docs/rules.md every dbt var."""
    import yaml

    project = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text())
    readme = (ROOT / "README.md").read_text()
    rules = (ROOT / "docs" / "rules.md").read_text()
    declared = sorted(project["vars"])
    assert declared
    assert [v for v in declared if f"`{v}`" not in readme] == []
    assert [v for v in declared if f"`{v}`" not in rules] == []

    read = set()
    for path in [*(ROOT / "orchestration").rglob("*.py"), *(ROOT / "expectations").rglob("*.py")]:
        read |= set(re.findall(r"[\"'](CHORUS_[A-Z0-9_]+)[\"']", path.read_text()))
    profiles = (ROOT / "dbt_project" / "profiles.yml").read_text()
    read |= set(re.findall(r"env_var\(\s*'(CHORUS_[A-Z0-9_]+)'", profiles))
    assert read
    assert sorted(v for v in read if f"`{v}`" not in readme) == []
