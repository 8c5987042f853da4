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


def connect(server: Server | None = None, autocommit: bool = False) -> Any:
    """A psycopg2 connection in UTC; an unreachable server or a refused login is a
    WarehouseError naming the host, the port and the variables to set."""
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
    con.autocommit = autocommit
    return con


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
