"""Score identity resolution (marts.customer_identifiers) against the generator's ground
truth (DIR/_truth/identifiers.parquet): pairwise precision and recall of "same customer",
identifiers left without a customer, and customers glued together by a shared value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestration.masking import mask  # shared with the loader; identity modules import it here

IDENTIFIERS_TABLE = "marts.customer_identifiers"


def truth_file(truth_dir: Path | str) -> Path:
    """Accept the data folder or its _truth/ folder."""
    path = Path(truth_dir)
    for candidate in (path / "identifiers.parquet", path / "_truth" / "identifiers.parquet"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no identifiers.parquet in {path} or {path / '_truth'}")


def _pairs(column: str) -> str:
    return f"sum({column} * ({column} - 1) / 2)"


def score(con: Any, truth_dir: Path | str, table: str = IDENTIFIERS_TABLE) -> dict:
    """Pairwise precision/recall of `table` against the truth, on the truth's linkable,
    non-shared, non-junk identifiers (the README's scoring rule).

    Each such identifier is a point; two points are a true pair when the truth gives them
    one person_id, a predicted pair when `table` gives them one customer_id. An
    identifier the warehouse left without a customer (flagged shared or junk, or never
    seen) is a customer of its own, so it costs recall. Also reports clusters, errors
    by identifier type, and how the shared/junk flags agree with the truth.

    con: a DuckDB connection to the warehouse (read-only is enough).
    """
    truth = truth_file(truth_dir)
    con.execute(f"""
        create or replace temp view identity_score_points as
        with truth as (
            select identifier_type, identifier_value, person_id
            from read_parquet('{truth}')
            where is_linkable and not is_shared and not is_junk
        )
        select
            truth.identifier_type,
            truth.identifier_value,
            truth.person_id,
            predicted.customer_id,
            coalesce(
                predicted.customer_id,
                'unresolved:' || truth.identifier_type || ':' || truth.identifier_value
            ) as cluster_id
        from truth
        left join {table} as predicted
            on predicted.identifier_type = truth.identifier_type
            and predicted.identifier_value = truth.identifier_value
    """)

    def one(sql: str) -> tuple:
        return con.sql(sql).fetchall()[0]

    # customers_scored: the customers holding at least one scored identifier (the
    # truth's linkable ones), not every row of marts.customers (quality() counts those)
    (points, unresolved, persons, customers_scored) = one("""
        select count(*), count(*) - count(customer_id), count(distinct person_id),
               count(distinct customer_id)
        from identity_score_points
    """)
    true_pairs, predicted_pairs, true_positive = (
        int(
            one(
                f"select coalesce({_pairs('n')}, 0) from (select count(*) as n"
                f" from identity_score_points group by {key})"
            )[0]
        )
        for key in ("person_id", "cluster_id", "person_id, cluster_id")
    )
    false_positive = predicted_pairs - true_positive
    false_negative = true_pairs - true_positive
    (clusters_spanning_persons,) = one("""
        select count(*) from (select cluster_id from identity_score_points
        group by cluster_id having count(distinct person_id) > 1)
    """)
    (persons_split,) = one("""
        select count(*) from (select person_id from identity_score_points
        group by person_id having count(distinct cluster_id) > 1)
    """)
    # customers holding several persons and a value the truth calls shared or junk (a
    # household email, a shop tablet, a placeholder that was not held back)
    (merged_through_shared,) = one(f"""
        with mixed as (
            select customer_id from identity_score_points where customer_id is not null
            group by customer_id having count(distinct person_id) > 1
        ),
        shared as (
            select distinct identifier_type, identifier_value from read_parquet('{truth}')
            where is_shared or is_junk
        )
        select count(distinct predicted.customer_id)
        from {table} as predicted
        inner join mixed on predicted.customer_id = mixed.customer_id
        inner join shared
            on predicted.identifier_type = shared.identifier_type
            and predicted.identifier_value = shared.identifier_value
    """)
    # per type: identifiers sitting in a cluster with another person, or away from
    # the cluster holding most of their person's identifiers
    by_type = con.sql("""
        with person_main as (
            select person_id, arg_max(cluster_id, n) as main_cluster
            from (select person_id, cluster_id, count(*) as n
                  from identity_score_points group by all)
            group by person_id
        ),
        impure as (
            select cluster_id from identity_score_points
            group by cluster_id having count(distinct person_id) > 1
        )
        select p.identifier_type,
               count(*) as identifiers,
               count(*) filter (where p.customer_id is null) as unresolved,
               count(*) filter (where p.cluster_id <> m.main_cluster) as split_off,
               count(*) filter (where i.cluster_id is not null) as in_mixed_cluster
        from identity_score_points p
        join person_main m using (person_id)
        left join impure i using (cluster_id)
        group by all order by 1
    """).fetchall()
    flags = con.sql(f"""
        with truth as (
            select identifier_type, identifier_value,
                   bool_or(is_shared and not is_junk) as is_shared, bool_or(is_junk) as is_junk
            from read_parquet('{truth}') group by all
        )
        select
            count(*) filter (where w.is_junk and t.is_junk),
            count(*) filter (where w.is_junk and not t.is_junk),
            count(*) filter (where not w.is_junk and t.is_junk),
            count(*) filter (where w.is_shared and t.is_shared),
            count(*) filter (where w.is_shared and not t.is_shared and not t.is_junk),
            count(*) filter (where not w.is_shared and not w.is_junk and t.is_shared)
        from truth t join {table} w using (identifier_type, identifier_value)
    """).fetchall()[0]
    con.execute("drop view identity_score_points")

    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "true_positive_pairs": true_positive,
        "false_positive_pairs": false_positive,
        "false_negative_pairs": false_negative,
        "identifiers_scored": int(points),
        "identifiers_unresolved": int(unresolved),
        "unresolved_share": unresolved / points if points else 0.0,
        "persons": int(persons),
        "customers_scored": int(customers_scored),
        "clusters_spanning_persons": int(clusters_spanning_persons),
        "customers_merged_through_shared": int(merged_through_shared),
        "persons_split": int(persons_split),
        "errors_by_type": {
            row[0]: dict(
                zip(
                    ("identifiers", "unresolved", "split_off", "in_mixed_cluster"),
                    map(int, row[1:]),
                    strict=True,
                )
            )
            for row in by_type
        },
        "flags": dict(
            zip(
                (
                    "junk_agreed",
                    "junk_false",
                    "junk_missed",
                    "shared_agreed",
                    "shared_false",
                    "shared_missed",
                ),
                map(int, flags),
                strict=True,
            )
        ),
    }


def known_customers(con) -> tuple[int, int]:
    """(known, anonymous) customers, by marts.customers.is_known (the rule lives there)."""
    known, anonymous = con.sql(
        "select count(*) filter (where is_known), count(*) filter (where not is_known)"
        " from marts.customers"
    ).fetchall()[0]
    return int(known), int(anonymous)


def quality(con, top: int = 10) -> dict:
    """Cluster-size distribution, the largest clusters and shared identifiers, read from
    marts.customer_identifiers; `oversized` counts clusters above the alarm size and
    `customers` every customer (known and anonymous: see `known_customers`)."""
    from orchestration.settings import identity_max_cluster_size

    limit = identity_max_cluster_size()
    sizes = """
        select customer_id, count(*) as n
        from marts.customer_identifiers where customer_id is not null group by 1
    """
    buckets = con.sql(
        f"""
        select case when n <= 5 then lpad(cast(n as varchar), 2, ' ')
                    when n <= 10 then ' 6-10' when n <= 20 then '11-20'
                    when n <= 50 then '21-50' else '>50' end as bucket,
               count(*)
        from ({sizes}) group by 1 order by 1
        """
    ).fetchall()
    largest = con.sql(
        f"""
        with sizes as ({sizes}),
        by_type as (
            select customer_id, identifier_type, count(*) as n
            from marts.customer_identifiers
            where customer_id in (select customer_id from sizes order by n desc limit {top})
            group by 1, 2
        )
        select s.customer_id, s.n,
               string_agg(b.identifier_type || ' ' || b.n, ', ' order by b.n desc)
        from sizes s join by_type b using (customer_id)
        group by 1, 2 order by 2 desc, 1 limit {top}
        """
    ).fetchall()
    shared = con.sql(
        """
        select identifier_type,
               count(*) filter (where is_shared and not is_junk),
               count(*) filter (where is_junk),
               list(identifier_value order by occurrences desc)
                 filter (where is_shared and not is_junk)[1:3]
        from marts.customer_identifiers
        where is_shared or is_junk
        group by 1 order by 1
        """
    ).fetchall()
    customers, oversized = con.sql(
        f"select count(*), count(*) filter (where n > {limit}) from ({sizes})"
    ).fetchall()[0]
    return {
        "customers": customers,
        "size_buckets": buckets,
        "largest": largest,
        "shared": [
            (t, s, j, ", ".join(mask(v) for v in (examples or []))) for t, s, j, examples in shared
        ],
        "max_cluster_size": limit,
        "oversized": oversized,
    }
