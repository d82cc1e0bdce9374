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


def test_the_graphiql_files_and_their_licences_are_package_data(wheel: zipfile.ZipFile) -> None:
    shipped = set(wheel.namelist())
    folder = ROOT / "src" / "edom_graphql" / "server" / "graphiql"
    names = {path.name for path in folder.iterdir() if path.suffix != ".py"} - {"__pycache__"}
    assert {"graphiql.min.js", "boot.js", "index.html", "LICENSE.graphiql.txt"} <= names
    assert {f"edom_graphql/server/graphiql/{name}" for name in names} <= shipped


def test_the_embedded_postgresql_is_an_extra(wheel: zipfile.ZipFile) -> None:
    """The image installs the wheel without extras: no pgserver there; the README's
    commands (``.[embedded]``, ``.[test]``) get it."""
    (metadata,) = (n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    requires = [
        line.removeprefix("Requires-Dist: ")
        for line in wheel.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist: ")
    ]
    pgserver = [r for r in requires if r.startswith("pgserver")]
    assert pgserver, requires
    assert all("extra ==" in r for r in pgserver), pgserver
    assert {r.split('extra == "')[1].rstrip('"') for r in pgserver} == {"embedded", "test"}


def test_without_pgserver_the_cli_says_what_to_do(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pgserver'] = None\n"
        "from edom_graphql.server.cli import main\n"
        "main(['migrate'])\n"
    )
    env = {"PATH": "/usr/bin:/bin", "EDOM_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done
    assert done.stderr.strip().splitlines() == [
        "edom-graphql: the embedded PostgreSQL is not installed: set EDOM_DATABASE_URL, "
        "or pip install 'edom-graphql[embedded]'"
    ]
