"""What a wheel ships: every package of the source tree, the migrations, and the
dashboard's files (built for real, as ``pip`` builds it)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (built,) = out.glob("edom_graphql-*.whl")
    return zipfile.ZipFile(built)


def test_every_package_of_the_source_tree_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    source = ROOT / "src"
    found = {str(init.relative_to(source)) for init in source.rglob("__init__.py")}
    shipped = set(wheel.namelist())
    assert found <= shipped
    assert "edom_graphql/migrations/env.py" in shipped
    versions = {p.name for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert {f"edom_graphql/migrations/versions/{name}" for name in versions} <= shipped


def test_the_dashboard_files_are_package_data(wheel: zipfile.ZipFile) -> None:
    shipped = set(wheel.namelist())
    for name in ("index.html", "dashboard.css", "dashboard.js"):
        assert f"edom_graphql/server/dashboard/{name}" in shipped
