"""The build summary's grain column: each mart's YAML description starts with its grain
("One row per ..."), and the summary shows that grain, shortened."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.cli import _grain

MARTS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"


def _mart_descriptions() -> dict[str, str]:
    descriptions = {}
    for path in sorted(MARTS.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            descriptions[model["name"]] = model.get("description", "")
    return descriptions


@pytest.mark.parametrize(
    ("description", "grain"),
    [
        (
            "One row per resolved customer as of `as_of`: contact points.",
            "resolved customer as of `as_of`",
        ),
        (
            "One row per (customer, channel, purpose): may Chorus message them.",
            "(customer, channel, purpose)",
        ),
        (
            "One row per message sent (email, SMS) on any channel. More.",
            "message sent on any channel",
        ),
        (None, ""),
    ],
)
def test_grain_is_the_first_sentence_without_the_prefix(description, grain):
    assert _grain(description) == grain


@pytest.mark.parametrize("mart", sorted(_mart_descriptions()))
def test_every_mart_shows_a_grain(mart):
    grain = _grain(_mart_descriptions()[mart])
    assert grain and not grain.lower().startswith("one row per"), grain
