"""Names the code location and the CLI's recording (orchestration/dagster_events.py) share:
raw asset keys, the GX check name and the metadata of raw.rejected_rows. No import side
effects (unlike orchestration/resources.py), so the CLI can use them cheaply."""

import dagster as dg

REJECTED_ROWS_KEY = dg.AssetKey(["raw", "rejected_rows"])
GX_CHECK_NAME = "gx_suite"


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def rejected_rows_metadata(summary) -> dict[str, int]:
    """What one load (a LoadSummary) put in raw.rejected_rows, per table and reason."""
    by_reason = summary.rejects_by_reason()
    return {
        "rejected_this_load": sum(by_reason.values()),
        **{f"{t}.{r}": n for (t, r), n in sorted(by_reason.items())},
    }
