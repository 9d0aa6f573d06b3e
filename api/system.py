"""Check for, and as root install, the Debian packages the platform needs.

PostgreSQL + PostGIS for the embedded database (skipped when ``DATABASE_URL`` points at an
existing server) and Chromium for the browser tests.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PG_MAJOR = "15"


@dataclass(frozen=True)
class Requirement:
    """A Debian package set and how to tell it is present."""

    name: str
    packages: tuple[str, ...]
    present: bool


def _installed_pg_major() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parts[-3] if found else None


def requirements(*, database: bool, browser: bool) -> list[Requirement]:
    """List what is needed and whether it is already there."""
    reqs: list[Requirement] = []
    if database:
        major = _installed_pg_major() or DEFAULT_PG_MAJOR
        server = _installed_pg_major() is not None
        postgis = Path(f"/usr/share/postgresql/{major}/extension/postgis.control").exists()
        reqs.append(Requirement("PostgreSQL server", (f"postgresql-{major}",), server))
        reqs.append(Requirement("PostGIS", (f"postgresql-{major}-postgis-3",), postgis))
    if browser:
        chromium = shutil.which("chromium") is not None
        reqs.append(Requirement("Chromium (browser tests)", ("chromium",), chromium))
        cjk = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists()
        reqs.append(Requirement("a CJK font (screenshots)", ("fonts-wqy-microhei",), cjk))
    return reqs


def install_command(missing: list[Requirement]) -> list[str]:
    """The apt-get command that installs ``missing``."""
    packages = [pkg for req in missing for pkg in req.packages]
    return ["apt-get", "install", "-y", "--no-install-recommends", *packages]


def ensure(*, database: bool, browser: bool, echo: bool = True) -> tuple[bool, str]:
    """Install what is missing when root; otherwise explain. Return (ok, message)."""
    missing = [req for req in requirements(database=database, browser=browser) if not req.present]
    if not missing:
        return True, "system packages present"
    cmd = install_command(missing)
    names = ", ".join(req.name for req in missing)
    if os.geteuid() != 0:
        hint = (
            f"missing: {names}. Run as root:\n  apt-get update && {' '.join(cmd)}\n"
            "or point DATABASE_URL at an existing PostGIS database, e.g.\n"
            "  export DATABASE_URL=postgresql://user:password@host:5432/gridwhistle"
        )
        return False, hint
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*cmd, "-q"], check=True, env=env)
    return True, f"installed: {names}"
