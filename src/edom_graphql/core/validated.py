"""Query documents the schema has parsed and validated, by query text and operation name.

Parsing and validating a document depend on the document and the schema alone, so once
an operation has passed both (on its way to execution, :class:`OperationObserver`
records it here) a later request with the same text and operation name may run it
without either step: the HTTP endpoint's query lane
(:mod:`edom_graphql.server.lane`) does. Only queries are recorded.
"""

from __future__ import annotations

from collections import OrderedDict

from graphql import DocumentNode, GraphQLSchema

VALIDATED_KEY = "edom_graphql.validated_queries"
"""Where the schema keeps its :class:`ValidatedQueries` (``GraphQLSchema.extensions``)."""


class ValidatedQueries:
    """Validated query documents, the least recently used dropped beyond ``maxsize``."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._documents: OrderedDict[tuple[str, str | None], DocumentNode] = OrderedDict()

    def add(self, query: str, operation_name: str | None, document: DocumentNode) -> None:
        key = (query, operation_name)
        documents = self._documents
        documents[key] = document
        documents.move_to_end(key)
        if len(documents) > self.maxsize:
            documents.popitem(last=False)

    def get(self, query: str, operation_name: str | None) -> DocumentNode | None:
        return self._documents.get((query, operation_name))

    def __len__(self) -> int:
        return len(self._documents)


def install_validated_queries(schema: GraphQLSchema, maxsize: int = 512) -> ValidatedQueries:
    validated = ValidatedQueries(maxsize)
    schema.extensions = {**(schema.extensions or {}), VALIDATED_KEY: validated}
    return validated


def validated_queries_of(schema: GraphQLSchema) -> ValidatedQueries | None:
    found: ValidatedQueries | None = (schema.extensions or {}).get(VALIDATED_KEY)
    return found
