"""Reaching the PostgreSQL target: the connection details of profiles.yml (CHORUS_PG_*),
a psycopg2 connection, and one clear error when the server cannot be reached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from orchestration.engines import profile
from orchestration.warehouse import WarehouseError

VARIABLES = "CHORUS_PG_HOST, CHORUS_PG_PORT, CHORUS_PG_USER, CHORUS_PG_PASSWORD, CHORUS_PG_DBNAME"
CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str
    dbname: str
    schema: str = "public"

    @classmethod
    def from_profile(cls) -> Server:
        out = profile.output("postgres")
        return cls(
            host=str(out["host"]),
            port=int(out["port"]),
            user=str(out["user"]),
            password=str(out.get("password", "")),
            dbname=str(out["dbname"]),
            schema=str(out.get("schema", "public")),
        )

    def describe(self) -> str:
        """'chorus@localhost:5432/chorus', never the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    def sqlalchemy_url(self) -> str:
        return (
            f"postgresql+psycopg2://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(self.dbname, safe='')}"
        )


def connect(server: Server | None = None, autocommit: bool = False, check: bool = True) -> Any:
    """A psycopg2 connection in UTC; an unreachable server or a refused login is a
    WarehouseError naming the host, the port and the variables to set, and so is a
    database whose text rules differ from the other engines' (check_database)."""
    import psycopg2

    server = server or Server.from_profile()
    try:
        con = psycopg2.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            dbname=server.dbname,
            connect_timeout=CONNECT_TIMEOUT_S,
            options="-c TimeZone=UTC",
            application_name="chorus",
        )
    except psycopg2.OperationalError as exc:
        raise unreachable(server, exc) from None
    if check:
        try:
            check_database(con, server)
        except BaseException:
            con.close()
            raise
    con.autocommit = autocommit
    return con


def check_database(con: Any, server: Server) -> None:
    """The database must compare text by bytes (collation C) and know Unicode letters
    (a UTF-8 ctype), or the same models give other answers than on DuckDB and Spark:
    min/max and the anchor order of customer ids follow the collation, and lower('JOSÉ')
    keeps the É under a C ctype, so two spellings of one name count as two."""
    with con.cursor() as cur:
        cur.execute(
            "select pg_encoding_to_char(encoding), datcollate, datctype from pg_database "
            "where datname = current_database()"
        )
        encoding, collate, ctype = cur.fetchone()
    con.rollback()
    utf8 = ctype.lower().replace("-", "").endswith("utf8")
    if encoding == "UTF8" and collate in ("C", "POSIX") and utf8:
        return
    raise WarehouseError(
        f"database {server.dbname} on {server.host}:{server.port} has encoding {encoding}, "
        f"collation {collate} and ctype {ctype}; Chorus needs UTF8, collation C (text in "
        "byte order, as on DuckDB and Spark) and a UTF-8 ctype (lower() of non-ASCII "
        "letters)",
        f"create it so: CREATE DATABASE {server.dbname} TEMPLATE template0 ENCODING 'UTF8' "
        "LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' (make postgres starts a server set up this way)",
    )


def unreachable(server: Server, exc: BaseException) -> WarehouseError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # psycopg2 prefixes 'connection to server at "host" (addr), port N failed: ...'
    if "failed:" in reason:
        reason = reason.split("failed:", 1)[1].strip()
    return WarehouseError(
        f"cannot reach PostgreSQL at {server.host}:{server.port} "
        f"(database {server.dbname}, user {server.user}): {reason}",
        f"start the server, or point Chorus at yours with {VARIABLES}",
    )
