"""What a wheel ships: every package of the source tree, and the dashboard's files."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]


def test_every_package_of_the_source_tree_is_in_the_wheel() -> None:
    source = ROOT / "src"
    found = {
        ".".join(init.parent.relative_to(source).parts) for init in source.rglob("__init__.py")
    }
    listed = {
        name for name in SETUPTOOLS["packages"] if not name.startswith("edom_graphql.migrations")
    }
    assert listed == found


def test_the_dashboard_files_are_package_data() -> None:
    patterns = SETUPTOOLS["package-data"]["edom_graphql.dashboard"]
    directory = ROOT / "src" / "edom_graphql" / "dashboard"
    shipped = {path.name for pattern in patterns for path in directory.glob(pattern)}
    assert shipped == {"index.html", "dashboard.css", "dashboard.js"}
