"""Sampling the server with py-spy while one operation runs, and summarising the samples.

py-spy writes collapsed stacks (``frame;frame;… count``, the "raw" format, which
speedscope and flamegraph.pl also read). The summary gives each function's share of the
samples as the innermost frame (self) and anywhere on the stack (inclusive), and the
self share per library.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

OUTER_SHARE = 0.9
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

AREAS = (
    ("edom_graphql", ("edom_graphql/", "/migrations/")),
    ("strawberry", ("/strawberry/",)),
    ("graphql-core", ("/graphql/",)),
    ("sqlalchemy", ("/sqlalchemy/",)),
    ("asyncpg", ("/asyncpg/",)),
    ("aiodataloader", ("aiodataloader",)),
    ("starlette", ("/starlette/",)),
    ("uvicorn", ("/uvicorn/",)),
    ("pyjwt/cryptography", ("/jwt/", "/cryptography/")),
    ("prometheus_client", ("/prometheus_client/",)),
    ("cross_web", ("/cross_web/",)),
    ("pydantic", ("/pydantic",)),
    ("json", ("/json/",)),
    ("asyncio", ("/asyncio/",)),
    ("logging", ("/logging/",)),
)


def area_of(file: str) -> str:
    for area, needles in AREAS:
        if any(needle in file for needle in needles):
            return area
    if "/site-packages/" in file:
        return file.split("/site-packages/", 1)[1].split("/", 1)[0]
    if "/lib/python3" in file:
        return "stdlib (other)"
    return "other"


@dataclass
class ProfileSummary:
    samples: int
    self_share: list[tuple[str, float]]
    inclusive_share: list[tuple[str, float]]
    area_share: list[tuple[str, float]]

    def render(self, top: int = 25) -> str:
        lines = [f"profile: {self.samples} samples (active CPU only)", "", "self time by library:"]
        lines += [f"  {share:6.1%}  {area}" for area, share in self.area_share]
        lines += ["", f"top {top} functions by self time:"]
        lines += [f"  {share:6.1%}  {name}" for name, share in self.self_share[:top]]
        # Entry points (the event loop, uvicorn's main) are on every stack: leave them out.
        inner = [(name, share) for name, share in self.inclusive_share if share < OUTER_SHARE]
        lines += ["", f"top {top} functions by inclusive time (below {OUTER_SHARE:.0%}):"]
        lines += [f"  {share:6.1%}  {name}" for name, share in inner[:top]]
        return "\n".join(lines)

    def as_json(self, top: int = 40) -> dict[str, object]:
        return {
            "samples": self.samples,
            "self": self.self_share[:top],
            "inclusive": self.inclusive_share[:top],
            "areas": self.area_share,
        }


def _short(file: str) -> str:
    for marker in ("/site-packages/", "/src/", "/lib/python3."):
        if marker in file:
            rest = file.split(marker, 1)[1]
            return rest.split("/", 1)[1] if marker == "/lib/python3." else rest
    return file


def summarise(path: Path) -> ProfileSummary:
    """Self, inclusive and per-library shares of the collapsed stacks in ``path``."""
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        names = []
        files = []
        for frame in stack.split(";"):
            if frame.startswith(("process ", "thread ")):
                continue
            match = FRAME.match(frame)
            if match is None:
                names.append(frame)
                files.append("")
                continue
            file = match["file"]
            names.append(f"{match['function']} ({_short(file)}:{match['line'] or '?'})")
            files.append(file)
        if not names:
            continue
        total += count
        self_counts[names[-1]] += count
        areas[area_of(files[-1])] += count
        for name in set(names):
            inclusive[name] += count
    if total == 0:
        return ProfileSummary(0, [], [], [])

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, count / total) for name, count in counter.most_common()]

    return ProfileSummary(total, shares(self_counts), shares(inclusive), shares(areas))


def py_spy() -> str | None:
    return shutil.which("py-spy")


def start_recording(
    pid: int, output: Path, seconds: float, rate: int = 250
) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` for ``seconds`` into ``output`` (collapsed stacks)."""
    executable = py_spy()
    if executable is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    return subprocess.Popen(
        [
            executable,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--function",
            "--full-filenames",
            "--output",
            str(output),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
