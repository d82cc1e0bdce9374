"""Instructions per request: the bench's server run under valgrind's callgrind.

CPU time per request moves by a third between identical runs on a shared machine;
callgrind counts the instructions the server process executes, the same for the same
code, data and requests whatever else the machine does. Each operation is run twice
by ``python -m bench`` (no warm-up, after the runner's priming), with two request
counts; the difference of the two totals over the difference of the counts is the
instructions of one request, start-up and priming cancelling out. The server starts
with instrumentation off (importing the application under it would take minutes) and
it is switched on once the server answers.

```sh
python -m bench.instructions --operations building_premises_owners_users,repair_request_desk
python -m bench.instructions --database-url postgresql://postgres@127.0.0.1:5432/edom_bench_… \\
    --requests 200,600 --concurrency 16
```

Needs valgrind (``apt-get install valgrind``); a server under it runs 30-50× slower,
so a pair of runs of 100 and 300 requests takes about a minute.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import runner
from bench.server import Server

TOTAL = re.compile(r"^\s*Th\s+\d+\s+([\d,]+)", re.MULTILINE)


def _instrumented(out_dir: Path, totals: list[int]) -> None:
    def on_ready(server: Server) -> None:
        subprocess.run(
            ["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True
        )

    def on_stop(server: Server) -> None:
        shown = subprocess.run(
            ["callgrind_control", "-e", str(server.pid)], check=True, capture_output=True, text=True
        ).stdout
        totals.append(sum(int(count.replace(",", "")) for count in TOTAL.findall(shown)))

    Server.command_prefix = (
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out_dir}/callgrind.%p",
    )
    Server.ready_timeout = 1200.0
    Server.on_ready = staticmethod(on_ready)
    Server.on_stop = staticmethod(on_stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--operations", default="building_premises_owners_users")
    parser.add_argument("--requests", default="100,300", help="two request counts")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument(
        "--database-url", help="an existing bench database (else a fresh one each run)"
    )
    args = parser.parse_args(argv)
    try:
        first, second = (int(n) for n in args.requests.split(","))
    except ValueError:
        parser.error("--requests takes two counts, e.g. 100,300")
    if not 0 < first < second:
        parser.error("--requests takes two counts, the smaller first")
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="edom-callgrind-") as out:
        for operation in args.operations.split(","):
            totals: list[int] = []
            _instrumented(Path(out), totals)
            for requests in (first, second):
                bench_args = [
                    "--operations",
                    operation,
                    "--requests",
                    str(requests),
                    "--warmup",
                    "0",
                    "--concurrency",
                    str(args.concurrency),
                    "--no-count",
                ]
                if args.database_url:
                    bench_args += ["--database-url", args.database_url]
                if runner.main(bench_args) != 0:
                    return 1
            if len(totals) != 2:
                print(f"{operation}: no instruction count was read", file=sys.stderr)
                return 1
            per_request = (totals[1] - totals[0]) / (second - first)
            results.append((operation, per_request))
    print(
        f"\ninstructions per request (callgrind, server process, c={args.concurrency}, "
        f"{first} and {second} requests):"
    )
    for operation, per_request in results:
        print(f"  {operation:<34} {per_request / 1e6:8.3f} M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
