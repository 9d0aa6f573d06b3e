"""The layers import one way: ``geo`` (pure geography) knows nothing of ``grids`` (the unit
grids and demo cities built on it) or ``api``; ``grids`` knows nothing of ``api``; the case
workflow and the domain errors are pure of the web framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str) -> list[str]:
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / package).rglob("*.py")
        if p.name != "__init__.py"
    )


def _loaded_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in out.split()}


@pytest.mark.parametrize(("package", "forbidden"), [("geo", {"grids", "api"}), ("grids", {"api"})])
def test_packages_import_one_way(package: str, forbidden: set[str]) -> None:
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.strip().split()
            if len(words) >= 2 and words[0] in {"from", "import"}:
                top = words[1].split(".")[0]
                if top in forbidden:
                    offenders[str(path.relative_to(ROOT))] = line.strip()
    assert not offenders, offenders


@pytest.mark.parametrize("module", ["api.cases.workflow", "api.errors"])
def test_pure_modules_load_no_web_framework(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert not loaded & {"fastapi", "starlette"}, module


def test_the_layers_are_all_checked() -> None:
    assert _modules("geo") and _modules("grids")
