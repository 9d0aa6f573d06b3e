"""The embedded PostGIS cluster: ``initdb``/``pg_ctl`` into a project-local folder.

The cluster listens on 127.0.0.1 only, on a free port recorded in ``cluster.json`` beside
it, with a generated password. As root the server runs as the Debian ``postgres`` user
(PostgreSQL refuses to run as root). Every wait is bounded: a failed start reports the
server log instead of hanging.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SERVER_USER = "postgres"
DB_USER = "gridwhistle"
START_TIMEOUT_S = 60

MAX_CONNECTIONS = 300  # PostgreSQL's default is 100


class EmbeddedDatabaseError(Exception):
    """The embedded cluster cannot be set up or started; the message says why and what to do."""


@dataclass(frozen=True)
class ClusterInfo:
    """What a client needs to reach the cluster."""

    port: int
    user: str
    password: str
    database: str

    def url(self, database: str | None = None) -> str:
        """SQLAlchemy URL (psycopg 3 driver) for ``database`` (default: the main one)."""
        name = database or self.database
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{name}"


@dataclass(frozen=True)
class ClusterStatus:
    """Whether the cluster exists and runs, and where."""

    initialised: bool
    running: bool
    pid: int | None
    port: int | None
    data_dir: Path


def find_bindir() -> Path:
    """Locate the PostgreSQL server binaries (Debian: /usr/lib/postgresql/N/bin)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise EmbeddedDatabaseError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them with\n"
        "  apt-get install -y postgresql-15 postgresql-15-postgis-3\n"
        "(or run `gridwhistle setup-system` as root), or set DATABASE_URL to an existing "
        "PostGIS database, e.g. postgresql://user:password@host:5432/gridwhistle"
    )


def pg_major(bindir: Path) -> str:
    """The PostgreSQL major version of ``bindir`` (e.g. "15")."""
    out = subprocess.run(
        [str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return out.split()[-1].split(".")[0]


def postgis_available(bindir: Path) -> bool:
    """True when the PostGIS extension is installed for this server version."""
    return Path(f"/usr/share/postgresql/{pg_major(bindir)}/extension/postgis.control").exists()


def port_in_use(port: int) -> bool:
    """True when something listens on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    """Ask the kernel for a free loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_root() -> bool:
    return os.geteuid() == 0


def _pid_is_postgres(pid: int) -> bool:
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
    return Path(argv0.decode(errors="replace")).name in {"postgres", "postmaster"}


class EmbeddedCluster:
    """A PostGIS cluster living in ``home/pg``."""

    def __init__(self, home: Path, database: str = "gridwhistle") -> None:
        self.database = database
        self.root = self._usable_root(Path(home).resolve() / "pg")
        self.data_dir = self.root / "data"
        self.run_dir = self.root / "run"
        self.log_file = self.root / "postgres.log"
        self.info_file = self.root / "cluster.json"

    # -- paths and ownership -------------------------------------------------------------
    @staticmethod
    def _usable_root(root: Path) -> Path:
        """Use ``root`` unless, as root, the postgres user cannot reach it (then /var/tmp)."""
        if not _is_root() or root.exists():
            return root
        probe = root.parent
        while not probe.exists():
            probe = probe.parent
        ok = subprocess.run(
            ["runuser", "-u", SERVER_USER, "--", "test", "-x", str(probe)], capture_output=True
        )
        if ok.returncode == 0:
            return root
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:10]
        return Path("/var/tmp") / f"gridwhistle-{digest}" / "pg"

    def _as_owner(self, cmd: list[str]) -> list[str]:
        return ["runuser", "-u", SERVER_USER, "--", *cmd] if _is_root() else cmd

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(exist_ok=True)
        os.chmod(self.run_dir, 0o700)
        if _is_root():
            shutil.chown(self.root, SERVER_USER, SERVER_USER)
            shutil.chown(self.run_dir, SERVER_USER, SERVER_USER)

    # -- info ----------------------------------------------------------------------------
    def info(self) -> ClusterInfo | None:
        """The recorded connection info, or None before ``initdb``."""
        if not self.info_file.exists():
            return None
        return ClusterInfo(**json.loads(self.info_file.read_text()))

    def _write_info(self, info: ClusterInfo) -> None:
        self.info_file.write_text(json.dumps(asdict(info), indent=2))
        os.chmod(self.info_file, 0o600)

    def status(self) -> ClusterStatus:
        """Report whether the cluster is initialised and running."""
        info = self.info()
        pid = self._running_pid()
        return ClusterStatus(
            initialised=(self.data_dir / "PG_VERSION").exists(),
            running=pid is not None,
            pid=pid,
            port=info.port if info else None,
            data_dir=self.data_dir,
        )

    def _pid_file(self) -> Path:
        return self.data_dir / "postmaster.pid"

    def _running_pid(self) -> int | None:
        pid_file = self._pid_file()
        try:
            first = pid_file.read_text().splitlines()[0]
        except (OSError, IndexError):
            return None
        pid = int(first.strip())
        return pid if _pid_is_postgres(pid) else None

    # -- lifecycle -----------------------------------------------------------------------
    def initdb(self) -> ClusterInfo:
        """Create the cluster (once) with a generated password."""
        bindir = find_bindir()
        if not postgis_available(bindir):
            raise EmbeddedDatabaseError(
                f"PostGIS is not installed for PostgreSQL {pg_major(bindir)}. Install it with\n"
                f"  apt-get install -y postgresql-{pg_major(bindir)}-postgis-3\n"
                "or set DATABASE_URL to an existing PostGIS database."
            )
        self._prepare_dirs()
        password = secrets.token_urlsafe(24)
        pwfile = self.root / ".pwfile"
        pwfile.write_text(password + "\n")
        os.chmod(pwfile, 0o600)
        if _is_root():
            shutil.chown(pwfile, SERVER_USER, SERVER_USER)
        try:
            cmd = [
                str(bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                DB_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
            ]
            result = subprocess.run(self._as_owner(cmd), capture_output=True, text=True)
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise EmbeddedDatabaseError(f"initdb failed:\n{result.stderr.strip()}")
        info = ClusterInfo(
            port=free_port(), user=DB_USER, password=password, database=self.database
        )
        self._write_info(info)
        return info

    def _clear_stale_pid(self) -> str | None:
        pid_file = self._pid_file()
        if not pid_file.exists() or self._running_pid() is not None:
            return None
        pid_file.unlink()
        return f"removed a stale pid file ({pid_file}): its process is not running"

    def _choose_port(self, info: ClusterInfo, requested: int | None) -> tuple[ClusterInfo, str]:
        if requested is not None:
            if port_in_use(requested):
                raise EmbeddedDatabaseError(
                    f"port {requested} on 127.0.0.1 is already in use by another program; "
                    "choose another with --port or stop that program"
                )
            return ClusterInfo(**{**asdict(info), "port": requested}), ""
        if not port_in_use(info.port):
            return info, ""
        new = ClusterInfo(**{**asdict(info), "port": free_port()})
        return new, f"port {info.port} is in use by another program; using {new.port} instead"

    def start(self, port: int | None = None) -> list[str]:
        """Start the server (initdb first if needed); return notes on what was done."""
        notes: list[str] = []
        info = self.info()
        if info is None or not (self.data_dir / "PG_VERSION").exists():
            info = self.initdb()
            notes.append(f"initialised a new cluster in {self.data_dir}")
        if self._running_pid() is not None:
            if port is not None and port != info.port:
                raise EmbeddedDatabaseError(
                    f"the cluster already runs on port {info.port}; stop it first to change port"
                )
            self.ensure_database()
            return [*notes, f"already running on 127.0.0.1:{info.port}"]
        stale = self._clear_stale_pid()
        if stale:
            notes.append(stale)
        info, note = self._choose_port(info, port)
        if note:
            notes.append(note)
        self._write_info(info)
        self._pg_ctl_start(info.port)
        self.ensure_database()
        return [*notes, f"started on 127.0.0.1:{info.port}"]

    def _pg_ctl_start(self, port: int) -> None:
        self._prepare_dirs()
        # room for several served processes, each with its pools and listeners
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {self.run_dir} "
            f"-c max_connections={MAX_CONNECTIONS}"
        )
        cmd = [
            str(find_bindir() / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-o",
            options,
            "start",
        ]
        if _is_root() and not self.log_file.exists():
            self.log_file.touch()
            shutil.chown(self.log_file, SERVER_USER, SERVER_USER)
        result = subprocess.run(
            self._as_owner(cmd), capture_output=True, text=True, timeout=START_TIMEOUT_S + 15
        )
        if result.returncode != 0:
            raise EmbeddedDatabaseError(
                f"the embedded PostgreSQL did not start:\n{result.stderr.strip()}\n"
                f"last lines of {self.log_file}:\n{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> str:
        """Stop the server if it runs."""
        if self._running_pid() is None:
            stale = self._clear_stale_pid()
            return stale or "not running"
        cmd = [
            str(find_bindir() / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "stop",
        ]
        result = subprocess.run(self._as_owner(cmd), capture_output=True, text=True, timeout=75)
        if result.returncode != 0:
            raise EmbeddedDatabaseError(f"pg_ctl stop failed:\n{result.stderr.strip()}")
        return "stopped"

    def ensure_running(self) -> ClusterInfo:
        """Start the cluster when needed and return its connection info."""
        if self._running_pid() is None:
            self.start()
        info = self.info()
        assert info is not None
        return info

    def ensure_database(self, name: str | None = None) -> None:
        """Create database ``name`` (default: the main one) with PostGIS if it is missing."""
        info = self.info()
        assert info is not None
        create_database(info.url("postgres"), name or info.database)


def libpq_url(url: str) -> str:
    """Turn a SQLAlchemy URL into a libpq connection string psycopg accepts."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_database(admin_url: str, name: str) -> None:
    """Create database ``name`` through ``admin_url`` (if missing) and enable PostGIS in it."""
    with psycopg.connect(libpq_url(admin_url), autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = libpq_url(admin_url).rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(target, autocommit=True, connect_timeout=10) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` (terminating its sessions)."""
    with (
        contextlib.suppress(psycopg.OperationalError),
        psycopg.connect(libpq_url(admin_url), autocommit=True, connect_timeout=10) as conn,
    ):
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
