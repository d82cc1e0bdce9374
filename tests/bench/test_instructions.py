"""``bench.instructions``: the totals read off ``callgrind_control -e``."""

from __future__ import annotations

import pytest

from bench import instructions

SHOWN = """PID 21620: python -m edom_graphql.server.cli serve --host 127.0.0.1 --port 59025
  Totals:           Ir
   Th 1  2,441,739,921
   Th 2      1,204,000
"""


def test_every_threads_total_is_counted() -> None:
    totals = [int(n.replace(",", "")) for n in instructions.TOTAL.findall(SHOWN)]
    assert totals == [2_441_739_921, 1_204_000]


def test_two_request_counts_are_asked_for_the_smaller_first() -> None:
    with pytest.raises(SystemExit):
        instructions.main(["--requests", "300,100"])
