"""Who may see a vehicle: a plate is personal data, so its owner and the staff of the
organisation of a building the owner belongs to (PERSONAL_DATA), nobody else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.core.nodes import Verdict

if TYPE_CHECKING:
    from edom_graphql.vehicles.types import Vehicle


def vehicle_visible(context: Context, vehicle: Vehicle) -> Verdict:
    return context.allows(Capability.PERSONAL_DATA, user_id=vehicle.user_pk)
