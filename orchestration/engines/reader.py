"""Reading the warehouse of any target.

- `Native`: run a query in the target's own SQL (`chorus sql`), list the built relations
  with their persisted descriptions and count rows (the run summary).
- `local_copy`: the relations a report needs, copied from PostgreSQL or Spark into an
  in-memory DuckDB, so the reports keep one SQL dialect and one code path. At the sizes
  a report reads (two identity marts) the copy costs seconds (see DECISIONS.md,
  "Engines"); a report about one customer copies only that customer's rows (`rows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestration import engines
from orchestration.warehouse import WarehouseError

LAYERS = ("seeds", "staging", "intermediate", "marts")


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    comment: str | None


class Native:
    """A read connection to the postgres or spark target."""

    def __init__(self, target: str | None = None) -> None:
        self.engine = engines.target(target)
        self._built: set[tuple[str, str]] | None = None  # the catalog, once require reads it
        if self.engine == "postgres":
            from orchestration.engines import postgres

            self.con = postgres.connect(autocommit=True)
            with self.con.cursor() as cur:
                cur.execute("SET default_transaction_read_only = on")
        elif self.engine == "spark":
            from orchestration.engines import spark

            self.spark = spark.session()
        else:
            raise ValueError("Native reads postgres or spark; DuckDB has warehouse.open_reader")

    def query(self, sql: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of one statement in the target's SQL. `params` fill its
        `?` markers, as DuckDB's do (the statement then holds no other `?` or `%`)."""
        if self.engine == "postgres":
            import psycopg2

            with self.con.cursor() as cur:
                try:
                    if params:
                        cur.execute(sql.replace("?", "%s"), params)
                    else:
                        cur.execute(sql)
                except psycopg2.Error as exc:
                    raise WarehouseError(
                        f"PostgreSQL rejected the query: {str(exc).strip().splitlines()[0]}",
                        "check the SQL (PostgreSQL's dialect on this target)",
                        code=2,
                    ) from None
                if cur.description is None:
                    return [], []
                return [d.name for d in cur.description], [tuple(r) for r in cur.fetchall()]
        from pyspark.errors import PySparkException

        try:
            frame = self.spark.sql(sql, args=params) if params else self.spark.sql(sql)
            rows = frame.collect()
        except PySparkException as exc:
            raise WarehouseError(
                f"Spark rejected the query: {str(exc).strip().splitlines()[0]}",
                "check the SQL (Spark SQL's dialect on this target)",
                code=2,
            ) from None
        return list(frame.columns), [tuple(r) for r in rows]

    def relations(self, schemas: tuple[str, ...] = LAYERS) -> list[Relation]:
        """The built tables and views of the given schemas, with their descriptions."""
        if self.engine == "postgres":
            _, rows = self.query(
                "select n.nspname, c.relname, obj_description(c.oid, 'pg_class') "
                "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where c.relkind in ('r', 'v', 'm', 'p') and n.nspname in ("
                + ", ".join(f"'{s}'" for s in schemas)
                + ") order by 1, 2"
            )
            return [Relation(*row) for row in rows]
        out = []
        existing = {d.name for d in self.spark.catalog.listDatabases()}
        for schema in schemas:
            if schema not in existing:
                continue
            for table in self.spark.catalog.listTables(schema):
                if table.isTemporary:  # session views (GX's tmp_view) show in every schema
                    continue
                out.append(Relation(schema, table.name, table.description))
        return sorted(out, key=lambda r: (r.schema, r.name))

    def count(self, schema: str, name: str) -> int:
        quote = '"' if self.engine == "postgres" else "`"
        _, rows = self.query(f"select count(*) from {quote}{schema}{quote}.{quote}{name}{quote}")
        return int(rows[0][0])

    def fetch_arrow(self, relation: str, where: str | None = None, params: list | None = None):
        """The relation as a pyarrow Table: whole, or the rows of a where clause whose `?`
        markers `params` fill."""
        import pyarrow as pa

        if self.engine == "spark" and where is None:
            return self.spark.table(relation).toArrow()
        sql = f"select * from {relation}" + (f" where {where}" if where else "")
        if self.engine == "spark":
            return self.spark.sql(sql, args=params).toArrow()
        columns, rows = self.query(sql, params)
        return pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        """The rows of `query`."""
        return self.query(sql, params)[1]

    def require(self, relations: list[str]) -> None:
        """A relation ('schema.name') the target does not have is an error that says to
        build it. The catalog is read once per connection (a report checks before its
        first query, and its copy checks again)."""
        if self._built is None:
            self._built = {(r.schema, r.name) for r in self.relations()}
        for relation in relations:
            if tuple(relation.split(".", 1)) not in self._built:
                raise WarehouseError(
                    f"{relation} is not built on the {self.engine} target",
                    f"build it first: chorus build --target {self.engine}",
                )

    def close(self) -> None:
        if self.engine == "postgres":
            self.con.close()


def local_copy(
    relations: list[str],
    target: str | None = None,
    rows: dict[str, tuple[str, list]] | None = None,
    native: Native | None = None,
) -> Any:
    """An in-memory DuckDB holding `relations` ('schema.name') copied from the target:
    whole, or for a relation in `rows` the rows of its (where clause, parameters). A
    relation the target does not have is an error that says to build it. `native` is an
    open connection to read through (left open), else one is opened and closed here."""
    import duckdb

    reader = native or Native(target)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    try:
        reader.require(relations)
        for relation in relations:
            schema, name = relation.split(".", 1)
            where, params = (rows or {}).get(relation, (None, None))
            frame = reader.fetch_arrow(relation, where, params)  # noqa: F841 (read by name)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(f"CREATE TABLE {schema}.{name} AS SELECT * FROM frame")
    except BaseException:
        con.close()
        raise
    finally:
        if native is None:
            reader.close()
    return con
