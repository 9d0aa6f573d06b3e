"""Back up and restore a database with ``pg_dump``/``pg_restore`` (custom format, ``-Fc``).

The tools come from the server's own binaries for the embedded cluster, else from PATH (a
``pg_dump`` older than the server refuses to dump it: install the server's version). The
password goes to the tools in their environment, not on their command line (which other
users of the machine can read).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psycopg
from sqlalchemy import URL, make_url

from api.db.embedded import find_bindir
from api.db.session import libpq_url

# Tables, views and sequences outside the system schemas that no extension owns (PostGIS's
# spatial_ref_sys is its own): a catalogue query, which no ORM expression covers
_OWN_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
"""


class DumpError(Exception):
    """A backup or restore cannot be made; the message says why and what to do."""


def tool(name: str, *, embedded: bool) -> Path:
    """The path of ``pg_dump`` or ``pg_restore``: the embedded server's, else PATH's."""
    if embedded:
        return find_bindir() / name
    found = shutil.which(name)
    if found is None:
        raise DumpError(
            f"{name} is not on PATH; install the PostgreSQL client of the server's version "
            f"(e.g. apt-get install -y postgresql-client-15)"
        )
    return Path(found)


def own_relations(*, url: str) -> int:
    """How many tables, views and sequences of its own the database at ``url`` holds."""
    with psycopg.connect(libpq_url(url), connect_timeout=10) as conn:
        row = conn.execute(_OWN_RELATIONS).fetchone()
    return int(row[0]) if row else 0


def backup(*, url: str, file: Path, embedded: bool) -> None:
    """Write the database at ``url`` to ``file`` (custom format)."""
    dsn, env = _libpq(url)
    _run([str(tool("pg_dump", embedded=embedded)), "-Fc", f"--file={file}", f"--dbname={dsn}"], env)


def restore(*, url: str, file: Path, embedded: bool, force: bool = False) -> None:
    """Restore ``file`` into the database at ``url``, in one transaction. A database that
    holds tables of its own is refused unless ``force`` (then the dump's objects are dropped
    first)."""
    if not file.is_file():
        raise DumpError(f"{file} does not exist")
    found = own_relations(url=url)
    if found and not force:
        name = make_url(url).database
        raise DumpError(
            f"the database {name} is not empty ({found} tables, views and sequences); "
            "restore into an empty database, or give --force to replace what the backup holds"
        )
    dsn, env = _libpq(url)
    cmd = [str(tool("pg_restore", embedded=embedded)), "--no-owner", "--exit-on-error"]
    cmd += ["--single-transaction", f"--dbname={dsn}"]
    if force:
        cmd += ["--clean", "--if-exists"]
    _run([*cmd, str(file)], env)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    parsed = make_url(url)
    dsn = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    ).render_as_string()
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return dsn, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise DumpError(f"{Path(cmd[0]).name} failed:\n{result.stderr.strip()}")
