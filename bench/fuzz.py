"""``python -m bench.fuzz``: a long run of the schema fuzz test (``tests/server/test_fuzz.py``).

The suite runs 150 generated operations; this runs ``--examples`` (30,000 by default) of
them against the same real server and PostgreSQL as the suite (``EDOM_TEST_DATABASE_URL``,
or an embedded one), with a fresh random seed, and prints what the operations got: data,
or which codes refused them. It fails, with the operation hypothesis shrank it to, on the
first answer that is a 5xx, an internal error, an uncoded error, or holds an object its
viewer may not see.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=30_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="edom-fuzz-") as work:
        report = Path(work) / "outcomes.json"
        env = {
            **os.environ,
            "EDOM_FUZZ_EXAMPLES": str(args.examples),
            "EDOM_FUZZ_REPORT": str(report),
        }
        started = time.monotonic()
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/server/test_fuzz.py",
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
        took = time.monotonic() - started
        outcomes = json.loads(report.read_text()) if report.exists() else {}
    total = sum(outcomes.values())
    print(f"\n{total:,} operations in {took:.0f} s ({total / max(took, 1):.0f}/s)")
    for outcome, count in sorted(outcomes.items(), key=lambda item: -item[1]):
        print(f"  {count:>7,}  {outcome}")
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
