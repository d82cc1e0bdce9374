"""The layout of the source tree, as the README describes it: every domain has the same
rooms and only those, reads are in ``reads``, nothing imports inside a function, the
error-code enums are static, no domain module grows past about 400 lines, no module
imports itself round a circle at run time, and the
import contracts of pyproject.toml hold (``lint-imports``)."""

from __future__ import annotations

import ast
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

from edom_graphql.models import DOMAINS_WITH_TABLES
from edom_graphql.schema import DOMAINS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "edom_graphql"
NOT_DOMAINS = {"core", "access", "server"}

ROOMS = {
    "__init__.py",
    "models.py",
    "reads",
    "access.py",
    "service",
    "errors.py",
    "types",
    "queries.py",
    "mutations",
    "subscriptions.py",
    "scheduled.py",
    "schema.py",
}
"""A domain's files (``reads``, ``service``, ``types`` and ``mutations`` may be a module or
a package of modules)."""
REQUIRED = {"__init__.py", "models.py", "reads", "access.py", "types", "schema.py"}
NO_SQL = {"types", "queries.py", "mutations", "subscriptions.py"}
"""Rooms that read through ``reads`` and write through ``service``, never with SQL."""
MAX_LINES = 420
SQL_NAMES = {"select", "text", "union", "union_all", "insert", "update", "delete", "exists"}
DATABASE_CALLS = {"fetch", "fetch_one", "execute", "scalar", "scalars"}


def domain_dirs() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.iterdir()
        if path.is_dir() and path.name not in NOT_DOMAINS and (path / "__init__.py").exists()
    )


PACKAGED = {"reads", "service", "types", "mutations"}


def room_of(entry: Path) -> str:
    """The room of an entry of a domain's folder: ``reads`` for ``reads.py`` or ``reads/``."""
    return entry.stem if entry.stem in PACKAGED else entry.name


def files_of(directory: Path) -> Iterator[Path]:
    yield from sorted(directory.rglob("*.py"))


def test_every_domain_is_composed_and_has_its_tables_registered() -> None:
    names = {path.name for path in domain_dirs()}
    assert {domain.name for domain in DOMAINS} == names
    assert set(DOMAINS_WITH_TABLES) == names


@pytest.mark.parametrize("domain", [path.name for path in domain_dirs()])
def test_a_domain_has_the_fixed_rooms_and_only_those(domain: str) -> None:
    directory = PACKAGE / domain
    entries = [entry for entry in directory.iterdir() if entry.name != "__pycache__"]
    rooms = {room_of(entry) for entry in entries}
    assert rooms <= ROOMS, f"{domain}: not a room: {sorted(rooms - ROOMS)}"
    assert rooms >= REQUIRED, f"{domain}: missing {sorted(REQUIRED - rooms)}"
    for package in PACKAGED:
        assert not ((directory / f"{package}.py").exists() and (directory / package).is_dir())


def _sql_uses(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            names = {alias.name for alias in node.names}
            if node.module.startswith("sqlalchemy") and names & SQL_NAMES:
                found.append(f"line {node.lineno}: imports {sorted(names & SQL_NAMES)}")
            if node.module == "edom_graphql.core.db" and "Prepared" in names:
                found.append(f"line {node.lineno}: imports Prepared")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in DATABASE_CALLS
        ):
            found.append(f"line {node.lineno}: calls .{node.func.attr}()")
    return found


def _domain_modules(rooms: set[str] | None = None) -> list[Path]:
    """The modules of every domain (of the given rooms only)."""
    found = []
    for directory in domain_dirs():
        for path in files_of(directory):
            room = room_of(directory / path.relative_to(directory).parts[0])
            if rooms is None or room in rooms:
                found.append(path)
    return found


@pytest.mark.parametrize("path", _domain_modules(NO_SQL), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_types_roots_and_mutations_hold_no_sql(path: Path) -> None:
    uses = _sql_uses(ast.parse(path.read_text(encoding="utf-8")))
    assert not uses, f"{path.relative_to(PACKAGE)} reads or writes itself: {uses}"


def test_nothing_imports_inside_a_function() -> None:
    """Imports are at the top of a module (or under ``TYPE_CHECKING``): an import inside a
    function hides a dependency from the reader and from the import contracts. The CLI
    is the exception: each command imports what it runs, so ``--help`` starts fast."""
    found = []
    for path in files_of(PACKAGE):
        if path == PACKAGE / "server" / "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                        "edom_graphql"
                    ):
                        found.append(f"{path.relative_to(PACKAGE)}:{inner.lineno}")
    assert not found


def test_error_code_enums_are_static() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in files_of(PACKAGE)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore[valid-type]" in line
    ]
    assert not found


@pytest.mark.parametrize("path", _domain_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_domain_module_is_over_about_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines: split it"


def test_the_import_contracts_hold() -> None:
    """pyproject.toml's contracts: the layers (core is the floor), and a domain's face and
    roots imported by the composition only."""
    command = shutil.which("lint-imports")
    assert command is not None, "import-linter is part of the test extras"
    result = subprocess.run(
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The import cycles of ``graph``: its strongly connected parts of more than one module
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[set[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            step = next(imported, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                part = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.add(member)
                    if member == module:
                        break
                if len(part) > 1:
                    cycles.append(part)
    return cycles


def test_no_module_imports_itself_round_a_circle_at_run_time() -> None:
    # Type annotations may refer both ways (a gatekeeper names the type it guards, the
    # type calls its gatekeeper) behind ``if TYPE_CHECKING``; nothing else may.
    graph = grimp.build_graph("edom_graphql", exclude_type_checking_imports=True)
    assert _cycles(graph) == []
    with_annotations = grimp.build_graph("edom_graphql")
    assert _cycles(with_annotations), "the cycle finder finds the annotation rings"
