"""Prometheus metrics of GraphQL operations and HTTP requests."""

from __future__ import annotations

import re
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_DISTINCT_NAMES = 500


class Metrics:
    """One registry per app, so that several apps (tests) can live in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.operations = Counter(
            "edom_graphql_operations",
            "GraphQL operations served, by name, type and outcome.",
            ["operation", "type", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "edom_graphql_operation_duration_seconds",
            "Time to serve a GraphQL operation, by name and type.",
            ["operation", "type"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.http_requests = Counter(
            "edom_graphql_http_requests",
            "HTTP requests, by method and status.",
            ["method", "status"],
            registry=self.registry,
        )
        self.query_execution = Counter(
            "edom_graphql_query_execution",
            "Queries and subscription events by how they ran: compiled, gave_way (to"
            " graphql-core, which answered with errors), graphql_core (not compiled),"
            " mismatch and gave_way_needlessly (differential mode).",
            ["path"],
            registry=self.registry,
        )
        self.query_lane = Counter(
            "edom_graphql_query_lane",
            "HTTP operations the query lane answered (a query validated before), and those"
            " it declined to the full path (new documents, mutations, refused requests).",
            ["outcome"],
            registry=self.registry,
        )
        self._names: set[str] = set()
        self._children: dict[tuple[Any, tuple[str, ...]], Any] = {}

    def labelled(self, metric: Any, *values: str) -> Any:
        """``metric.labels(*values)``, looked up once per set of values (every request
        counts several; the label values are bounded)."""
        key = (metric, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def label(self, operation_name: str | None) -> str:
        """A bounded label for a client-chosen operation name."""
        if not operation_name:
            return "anonymous"
        if operation_name in self._names:
            return operation_name
        if not OPERATION_NAME.match(operation_name) or len(self._names) >= MAX_DISTINCT_NAMES:
            return "other"
        self._names.add(operation_name)
        return operation_name

    def observe(self, operation_name: str | None, kind: str, outcome: str, seconds: float) -> None:
        name = self.label(operation_name)
        self.labelled(self.operations, name, kind, outcome).inc()
        self.labelled(self.latency, name, kind).observe(seconds)
