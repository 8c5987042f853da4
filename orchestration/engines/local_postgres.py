"""A throwaway PostgreSQL server on this machine, for the tests and for trying the
postgres target without one: initdb in a folder, listen on loopback at a free (or given)
port, a role and database `chorus`, stopped and removed when done.

    python -m orchestration.engines.local_postgres start [--dir D] [--port P]
    python -m orchestration.engines.local_postgres stop [--dir D]

`start` prints the CHORUS_PG_* variables to export. When the server binaries are
missing, the Debian package `postgresql` is installed with apt-get (the project's own
set-up: nobody installs it by hand). PostgreSQL refuses to run as root, so as root the
server runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from orchestration import settings

USER = PASSWORD = DBNAME = "chorus"
RUN_AS = "postgres"  # the account the Debian package creates, used when we are root
DEFAULT_DIR = settings.REPO_ROOT / "warehouse" / "postgres"


class SetupError(RuntimeError):
    """The server could not be installed or started; the message says why."""


def bin_dir() -> Path | None:
    """The folder of initdb/pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent

    def version(pg_ctl: str) -> int:
        name = Path(pg_ctl).parent.parent.name
        return int(name) if name.isdigit() else 0

    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version)
    return Path(versions[-1]).parent if versions else None


def ensure_installed() -> Path:
    """The server binaries, installing the Debian package when they are missing."""
    found = bin_dir()
    if found:
        return found
    apt = shutil.which("apt-get")
    if not apt:
        raise SetupError(
            "PostgreSQL's server binaries (initdb, pg_ctl) are not installed and this "
            "machine has no apt-get: install PostgreSQL 15 or later with your package manager"
        )
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("installing the Debian package postgresql (apt-get) ...", file=sys.stderr)
    for command in (
        [*sudo, apt, "-qq", "update"],
        [*sudo, apt, "-qq", "install", "-y", "--no-install-recommends", "postgresql"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SetupError(
                f"`{' '.join(command)}` failed: {(done.stderr or done.stdout).strip()[-400:]}"
            )
    found = bin_dir()
    if not found:
        raise SetupError("apt-get installed postgresql but no pg_ctl was found")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LocalServer:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"

    def env(self) -> dict[str, str]:
        """The variables that point Chorus (profiles.yml) at this server."""
        return {
            "CHORUS_PG_HOST": self.host,
            "CHORUS_PG_PORT": str(self.port),
            "CHORUS_PG_USER": USER,
            "CHORUS_PG_PASSWORD": PASSWORD,
            "CHORUS_PG_DBNAME": DBNAME,
        }


def _as_server_user(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        command = ["runuser", "-u", RUN_AS, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(RUN_AS)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _server_home(data_dir: Path) -> Path:
    """Where the server's own files live. Normally data_dir itself; as root, the server
    runs as `postgres`, which cannot enter a private folder (a mktemp clone, pytest's
    temp dirs), so its files go to a folder of its own under /var/tmp, named after
    data_dir."""
    if os.geteuid() != 0:
        return data_dir
    import hashlib

    home = Path("/var/tmp/chorus-postgres") / hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]
    home.mkdir(parents=True, exist_ok=True)
    home.parent.chmod(0o755)
    _chown(home)
    return home


def _run(command: list[str], what: str) -> None:
    done = _as_server_user(command)
    if done.returncode != 0:
        raise SetupError(f"{what} failed: {(done.stderr or done.stdout).strip()[-600:]}")


def start(data_dir: Path = DEFAULT_DIR, port: int | None = None) -> LocalServer:
    """Start (initialising on first use) a server in data_dir; returns where it listens.
    A server already running there is reused."""
    binaries = ensure_installed()
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    home = _server_home(data_dir)
    pgdata = home / "data"
    port_file = data_dir / "port"
    if (pgdata / "postmaster.pid").exists() and port_file.exists():
        server = LocalServer(data_dir, int(port_file.read_text()))
        if _accepts(server):
            return server
    port = port or free_port()
    if not (pgdata / "PG_VERSION").exists():
        pwfile = home / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        _chown(pwfile)
        _run(
            [
                str(binaries / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                USER,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                # byte order for text, as DuckDB and Spark sort; Unicode case rules for
                # lower() (postgres.check_database says why both matter)
                "--lc-collate=C",
                "--lc-ctype=C.UTF-8",
            ],
            "initdb",
        )
        pwfile.unlink()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={home} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC "
        "-c max_connections=50 -c shared_buffers=256MB"
    )
    _run(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(pgdata),
            "-o",
            options,
            "-l",
            str(home / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        "pg_ctl start",
    )
    port_file.write_text(str(port))
    server = LocalServer(data_dir, port)
    _create_database(server)
    return server


def admin(server: LocalServer, host: str | None = None, port: int | None = None):
    """An autocommit connection to the maintenance database `postgres`, for creating and
    dropping databases (tests, benchmarks)."""
    import psycopg2

    con = psycopg2.connect(
        host=host or server.host,
        port=port or server.port,
        user=USER,
        password=PASSWORD,
        dbname="postgres",
    )
    con.autocommit = True
    return con


def _accepts(server: LocalServer) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((server.host, server.port), 1):
        return True
    return False


def _create_database(server: LocalServer) -> None:
    import psycopg2

    deadline = time.monotonic() + 30
    while True:
        try:
            con = psycopg2.connect(
                host=server.host, port=server.port, user=USER, password=PASSWORD, dbname="postgres"
            )
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DBNAME,))
        if not cur.fetchone():
            cur.execute(f"CREATE DATABASE {DBNAME}")
    con.close()


def stop(data_dir: Path = DEFAULT_DIR, remove: bool = False) -> None:
    """Stop the server in data_dir (fast shutdown); remove its files when asked."""
    data_dir = Path(data_dir).resolve()
    home = _server_home(data_dir)
    pgdata = home / "data"
    binaries = bin_dir()
    if binaries and (pgdata / "postmaster.pid").exists():
        _as_server_user([str(binaries / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"])
    if remove:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="local_postgres", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="server folder")
    parser.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            server = start(args.dir, args.port)
            for key, value in server.env().items():
                print(f"export {key}={value}")
        else:
            stop(args.dir)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
