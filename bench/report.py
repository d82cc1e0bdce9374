"""The results: a table on stdout, a JSON document, and the budget of the budgeted query."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.client import JobResult
from bench.statements import StatementCount

BUDGET_CPU_MS = 3.0
BUDGET_STATEMENTS = 5.0
"""Depth 4 (building → premises → owners → user) plus the viewer's access profile."""


@dataclass
class OperationResult:
    name: str
    description: str
    load: JobResult | None
    statements: StatementCount | None

    @property
    def requests_per_second(self) -> float | None:
        if self.load is None or self.load.seconds <= 0:
            return None
        return self.load.requests / self.load.seconds

    def _per_request_ms(self, seconds: float | None) -> float | None:
        if self.load is None or seconds is None or not self.load.requests:
            return None
        return seconds * 1000 / self.load.requests

    @property
    def server_cpu_ms(self) -> float | None:
        return self._per_request_ms(self.load.server_cpu_seconds if self.load else None)

    @property
    def client_cpu_ms(self) -> float | None:
        return self._per_request_ms(self.load.client_cpu_seconds if self.load else None)

    @property
    def db_cpu_ms(self) -> float | None:
        return self._per_request_ms(self.load.db_cpu_seconds if self.load else None)

    @property
    def server_cpu_utilisation(self) -> float | None:
        if self.load is None or self.load.server_cpu_seconds is None or self.load.seconds <= 0:
            return None
        return self.load.server_cpu_seconds / self.load.seconds

    @property
    def statements_per_request(self) -> float | None:
        return self.statements.per_request if self.statements else None

    def as_json(self) -> dict[str, Any]:
        load = self.load
        return {
            "name": self.name,
            "description": self.description,
            "requests": load.requests if load else None,
            "errors": load.errors if load else None,
            "seconds": load.seconds if load else None,
            "requests_per_second": self.requests_per_second,
            "latency_ms": load.latencies_ms if load else None,
            "server_cpu_ms_per_request": self.server_cpu_ms,
            "server_cpu_utilisation": self.server_cpu_utilisation,
            "worker_cpu_shares": load.worker_cpu_shares if load else None,
            "sql_statements_per_request": self.statements_per_request,
            "response_leaf_values": self.statements.values if self.statements else None,
            "server_rss_peak_mb": load.server_rss_peak_mb if load else None,
            "client_cpu_ms_per_request": self.client_cpu_ms,
            "postgres_cpu_ms_per_request": self.db_cpu_ms,
            "first_error": (load.first_error if load else None)
            or (self.statements.first_error if self.statements else None),
            "statement_count_errors": self.statements.errors if self.statements else None,
            "sample_statements": self.statements.sample if self.statements else None,
        }


def _fmt(value: float | int | None, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format(value, spec)


COLUMNS = (
    ("operation", "<", 30),
    ("requests", ">", 8),
    ("errors", ">", 6),
    ("req/s", ">", 8),
    ("p50 ms", ">", 7),
    ("p90 ms", ">", 7),
    ("p99 ms", ">", 7),
    ("srv CPU ms/req", ">", 14),
    ("srv CPU %", ">", 9),
    ("SQL/req", ">", 7),
    ("values/resp", ">", 11),
    ("peak RSS MB", ">", 11),
    ("client CPU ms/req", ">", 17),
    ("pg CPU ms/req", ">", 13),
)


def table(results: list[OperationResult]) -> str:
    header = "  ".join(f"{title:{align}{width}}" for title, align, width in COLUMNS)
    lines = [header, "-" * len(header)]
    for result in results:
        load = result.load
        latency = load.latencies_ms if load else {}
        cells = (
            result.name,
            _fmt(load.requests if load else None, ","),
            _fmt(load.errors if load else None, ","),
            _fmt(result.requests_per_second, ".1f"),
            _fmt(latency.get("p50"), ".2f"),
            _fmt(latency.get("p90"), ".2f"),
            _fmt(latency.get("p99"), ".2f"),
            _fmt(result.server_cpu_ms, ".2f"),
            _fmt(
                result.server_cpu_utilisation * 100
                if result.server_cpu_utilisation is not None
                else None,
                ".0f",
            ),
            _fmt(result.statements_per_request, ".1f"),
            _fmt(result.statements.values if result.statements else None, ","),
            _fmt(load.server_rss_peak_mb if load else None, ".0f"),
            _fmt(result.client_cpu_ms, ".3f"),
            _fmt(result.db_cpu_ms, ".2f"),
        )
        lines.append(
            "  ".join(
                f"{cell:{align}{width}}"
                for cell, (_, align, width) in zip(cells, COLUMNS, strict=True)
            )
        )
    return "\n".join(lines)


@dataclass
class Budget:
    operation: str
    cpu_ms: float | None
    statements: float | None
    errors: int | None

    @property
    def cpu_ok(self) -> bool:
        return self.cpu_ms is not None and self.cpu_ms <= BUDGET_CPU_MS

    @property
    def statements_ok(self) -> bool:
        return self.statements is not None and self.statements <= BUDGET_STATEMENTS

    @property
    def passed(self) -> bool:
        return self.cpu_ok and self.statements_ok and not self.errors

    def line(self) -> str:
        def verdict(ok: bool) -> str:
            return "PASS" if ok else "FAIL"

        errors = f", {self.errors} errors" if self.errors else ""
        return (
            f"budget {self.operation}: server CPU/request {_fmt(self.cpu_ms, '.2f')} ms "
            f"(≤ {BUDGET_CPU_MS:g} ms) {verdict(self.cpu_ok)}; SQL statements/request "
            f"{_fmt(self.statements, '.1f')} (≤ {BUDGET_STATEMENTS:g}) "
            f"{verdict(self.statements_ok)}{errors} → {verdict(self.passed)}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "server_cpu_ms_per_request": self.cpu_ms,
            "server_cpu_ms_limit": BUDGET_CPU_MS,
            "sql_statements_per_request": self.statements,
            "sql_statements_limit": BUDGET_STATEMENTS,
            "errors": self.errors,
            "passed": self.passed,
        }


def budget(result: OperationResult) -> Budget:
    errors = (result.load.errors if result.load else 0) + (
        result.statements.errors if result.statements else 0
    )
    return Budget(result.name, result.server_cpu_ms, result.statements_per_request, errors)
