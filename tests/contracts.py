"""An import-linter contract type for the layering of this project (see pyproject.toml).

``domain_layers`` is the ``layers`` contract, where the layer named ``domains`` stands for
every domain of the container not named in another layer: each of its packages that has
a ``schema`` module (its face). A new domain is checked like the others without being
listed here.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter.contracts.layers import Layer, LayersContract, ModuleTail
from importlinter.domain.contract import ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules

DOMAINS = "domains"


class DomainLayersContract(LayersContract):
    type_name = "domain_layers"

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        layers: list[Layer] = list(self.layers)  # type: ignore[call-overload]
        named = {tail.name for layer in layers for tail in layer.module_tails} - {DOMAINS}
        containers: Any = self.containers
        domains: set[str] = set()
        for container in module_expressions_to_modules(graph, containers):
            for child in graph.find_children(container.name):
                tail = child.rpartition(".")[2]
                if f"{child}.schema" in graph.modules and tail not in named:
                    domains.add(tail)
        self.layers = [  # type: ignore[assignment]
            Layer({ModuleTail(name) for name in sorted(domains)}, is_independent=True)
            if {tail.name for tail in layer.module_tails} == {DOMAINS}
            else layer
            for layer in layers
        ]
        return super().check(graph, verbose)
