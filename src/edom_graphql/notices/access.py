"""Who sees which notices: the building's staff (and admins) all of them, withdrawn ones
flagged; its residents those to the whole building or to an entrance one of their
premises is in. A withdrawn notice leaves the residents' lists, but opened by its id (from
the notification of it) it is still shown to them, flagged as withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.notices.reads import PremiseEntranceLoader

if TYPE_CHECKING:
    from edom_graphql.notices.types import Notice


@dataclass(frozen=True, slots=True)
class Audience:
    """What a viewer sees of a building's notices."""

    everything: bool
    """Staff of the building's organisation, or an admin."""
    entrances: frozenset[int]
    """The entrances of the viewer's premises there."""

    def sees(self, notice: Notice) -> bool:
        """The notice is addressed to the viewer (withdrawn or not)."""
        if self.everything:
            return True
        return not notice.entrances or bool(self.entrances.intersection(notice.entrances))


async def audience(context: Context, building_id: int) -> Audience:
    """The viewer's audience in the building (decided once per operation)."""
    key = ("notices.audience", building_id)
    found = context.memo.get(key)
    if found is not None:
        assert isinstance(found, Audience)
        return found
    profile = await context.profile()
    organisation_id = await context.gate.organisation_of(building_id)
    everything = profile.is_admin or bool(profile.roles_in(organisation_id))
    premises = [
        premise
        for premise, building in profile.premise_buildings.items()
        if building == building_id and premise in profile.premise_tiers
    ]
    entrances = await PremiseEntranceLoader.of(context).load_many(premises)
    result = Audience(everything, frozenset(e for e in entrances if e is not None))
    context.memo[key] = result
    return result


async def notice_visible(context: Context, notice: Notice) -> bool:
    """A notice is visible to whoever may read the building's notices and is addressed by
    it (also once it is withdrawn: the notification of it still leads to it)."""
    if not await context.can(Capability.NOTICES_VIEW, building_id=notice.building_pk):
        return False
    return (await audience(context, notice.building_pk)).sees(notice)
