"""A SQLAlchemy dialect for Great Expectations on the DuckDB warehouse: duckdb-engine with
three fixes that GX 1.x needs on DuckDB 2 + SQLAlchemy 2.1 (see docs/DECISIONS.md).

1. Column reflection. SQLAlchemy >= 2.0.45 reflects PostgreSQL-style dialects through
   `pg_catalog.pg_collation`, which DuckDB does not have (duckdb_engine issues #1379,
   #1391; duckdb#22069), so GX cannot list a table's columns. This dialect reads them from
   DuckDB's own `duckdb_columns()` instead.
2. Results that outlive their connection. GX's SQL engine runs
   `with engine.connect() as c: result = c.execute(q)` and fetches *after* the block.
   Closing the SQLAlchemy connection rolls back its implicit transaction, and on DuckDB a
   ROLLBACK (even a failed one) discards the pending result set, so every metric came back
   empty. Validation only reads, so this dialect runs in autocommit: BEGIN, COMMIT and
   ROLLBACK are no-ops and the result survives until GX fetches it.
3. One configuration per file. DuckDB refuses a second connection to a file in the same
   process unless its configuration is identical; duckdb-engine adds a custom user agent,
   which made every connection conflict with `orchestration.settings.connect()`. This
   dialect connects through `settings.connect()` itself (same UTC/threads/memory settings).

Use it as `duckdb+chorus:///<absolute path>?schema=raw` (the default schema) with
`connect_args={"read_only": bool}`; `connection_string()` builds the URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper
from duckdb_engine import Dialect as DuckDBEngineDialect
from sqlalchemy.dialects import registry

from orchestration import settings

DRIVERNAME = "duckdb+chorus"

# DuckDB type name (without parameters) -> SQLAlchemy type: enough for GX's column
# metadata; anything else reflects as NullType, which GX tolerates.
_TYPES: dict[str, type[sa.types.TypeEngine]] = {
    "VARCHAR": sa.String,
    "INTEGER": sa.Integer,
    "BIGINT": sa.BigInteger,
    "SMALLINT": sa.SmallInteger,
    "DOUBLE": sa.Float,
    "FLOAT": sa.Float,
    "DECIMAL": sa.Numeric,
    "BOOLEAN": sa.Boolean,
    "TIMESTAMP": sa.DateTime,
    "DATE": sa.Date,
}


def _reflect_type(duckdb_type: str) -> sa.types.TypeEngine:
    name, _, params = duckdb_type.partition("(")
    if name == "DECIMAL" and params:
        precision, scale = (int(p) for p in params.rstrip(")").split(","))
        return sa.Numeric(precision, scale)
    if name == "TIMESTAMP WITH TIME ZONE":
        return sa.DateTime(timezone=True)
    return _TYPES.get(name, sa.types.NullType)()


class ChorusDuckDBDialect(DuckDBEngineDialect):
    """duckdb-engine for read-mostly validation: autocommit, native column reflection,
    connections made by `orchestration.settings.connect()`."""

    driver = "chorus"
    supports_statement_cache = False

    def connect(self, *cargs: Any, **cparams: Any) -> ConnectionWrapper:
        database = cparams.get("database") or (cargs[0] if cargs else None)
        if not database or database == ":memory:":
            raise ValueError(f"{DRIVERNAME} needs a DuckDB file path, got {database!r}")
        read_only = bool(cparams.get("read_only", True))
        con = settings.connect(Path(database), read_only=read_only)
        # `?schema=raw` in the URL: the default schema, which is how GX 1.x wants the
        # schema given ("in the connection configuration"; TableAsset.schema_name is
        # deprecated since 1.14)
        schema = (cparams.get("url_config") or {}).get("schema")
        if schema:
            con.execute("set schema = " + "'" + schema.replace("'", "''") + "'")
        return ConnectionWrapper(con)

    # Autocommit: see the module docstring (2.). Statements are reads; nothing to undo.
    def do_begin(self, dbapi_connection: Any) -> None:
        return None

    def do_commit(self, dbapi_connection: Any) -> None:
        return None

    def do_rollback(self, dbapi_connection: Any) -> None:
        return None

    def get_columns(  # type: ignore[override]
        self,
        connection: sa.Connection,
        table_name: str,
        schema: str | None = None,
        **kw: Any,
    ) -> list[dict[str, Any]]:
        rows = connection.execute(
            sa.text(
                "select column_name, data_type, is_nullable from duckdb_columns() "
                "where database_name = current_database() "
                "and schema_name = coalesce(:schema, current_schema()) "
                "and table_name = :table order by column_index"
            ),
            {"schema": schema, "table": str(table_name)},
        ).fetchall()
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return [
            {
                "name": name,
                "type": _reflect_type(data_type),
                "nullable": bool(nullable),
                "default": None,
                "autoincrement": False,
                "comment": None,
            }
            for name, data_type, nullable in rows
        ]


def register() -> None:
    """Make `duckdb+chorus://` resolvable by `sqlalchemy.create_engine` (idempotent)."""
    registry.register("duckdb.chorus", __name__, "ChorusDuckDBDialect")


def connection_string(path: Path, schema: str | None = None) -> str:
    """`duckdb+chorus:///<absolute path>[?schema=<default schema>]`."""
    query = f"?schema={quote(schema)}" if schema else ""
    return f"{DRIVERNAME}:///{quote(str(path.resolve()))}{query}"


register()
