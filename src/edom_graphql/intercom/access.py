"""Who may see and do what with the intercom: the gatekeepers of its node types and the
scopes of its fields and mutations.

- **Entrances, panels and applications** are seen by whoever sees the building
  (BUILDING_VIEW). Applying is INTERCOM_APPLY at the applicant's premise; reviewing and
  connecting is INTERCOM_MANAGE (the organisation's engineers and managers).
- **Opening a door** (``intercomDoorOpen``) is INTERCOM_OPEN measured at a premise of
  the viewer's *in that entrance*: every tier and guest level living behind that door;
  a neighbour of the next entrance, staff and strangers are refused.
- **Entrance codes and the entry log** are household records: HOUSEHOLD_RECORDS_VIEW at
  the premise (its occupants down to elevated guests, and the organisation's staff, read
  only); creating and revoking codes is INTERCOM_CODE_CREATE at the premise. An opening
  is also seen by whoever made it while they still live there (a basic guest's own), and
  an entry with no premise (a key fob) by the organisation's staff only.
- **Calls** to an apartment reach its occupants, every tier and guest level (INTERCOM_OPEN
  at the premise); answering one is the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edom_graphql.core.capabilities import Capability, Tier
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import expect_id
from edom_graphql.core.nodes import Verdict, either
from edom_graphql.core.permissions import Target
from edom_graphql.intercom.reads import (
    ApplicationBuildingLoader,
    CallPremiseLoader,
    CodePremiseLoader,
    PremiseEntranceLoader,
)

if TYPE_CHECKING:
    from edom_graphql.intercom.types.nodes import (
        Entrance,
        IntercomApplication,
        IntercomCall,
        IntercomCode,
        IntercomEntry,
        IntercomPanel,
    )

RECORDS = Capability.HOUSEHOLD_RECORDS_VIEW


def building_visible(context: Context, building_pk: int) -> Verdict:
    return context.allows(Capability.BUILDING_VIEW, building_id=building_pk)


def entrance_visible(context: Context, entrance: Entrance) -> Verdict:
    return building_visible(context, entrance.building_pk)


def panel_visible(context: Context, panel: IntercomPanel) -> Verdict:
    return building_visible(context, panel.building_pk)


def application_visible(context: Context, application: IntercomApplication) -> Verdict:
    return building_visible(context, application.building_pk)


def code_visible(context: Context, code: IntercomCode) -> Verdict:
    return context.allows(RECORDS, premise_id=code.premise_pk)


async def _staff_of(context: Context, building_pk: int) -> bool:
    profile = await context.profile()
    organisation = await context.gate.organisation_of(building_pk)
    return organisation is not None and bool(profile.roles_in(organisation))


def entry_visible(context: Context, entry: IntercomEntry) -> Verdict:
    if entry.premise_pk is None:
        return _staff_of(context, entry.building_pk)
    premise_pk = entry.premise_pk
    if entry.user_pk is not None and entry.user_pk == context.viewer_id:
        return either(
            lambda: context.allows(RECORDS, premise_id=premise_pk),
            lambda: context.allows(Capability.INTERCOM_OPEN, premise_id=premise_pk),
        )
    return context.allows(RECORDS, premise_id=premise_pk)


def call_visible(context: Context, call: IntercomCall) -> Verdict:
    return context.allows(Capability.INTERCOM_OPEN, premise_id=call.premise_pk)


def source_premise(source: Any, kwargs: dict[str, Any]) -> Target | None:
    """The premise a field hangs on."""
    return Target(premise_id=source.pk)


async def input_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The scope of a mutation whose input names a premise (``premiseId``)."""
    return Target(premise_id=expect_id(kwargs["input"].premise_id, "Premise", field="premiseId"))


async def input_code_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    code_id = expect_id(kwargs["input"].code_id, "IntercomCode", field="codeId")
    premise_id = await CodePremiseLoader.of(info.context).load(code_id)
    return Target(premise_id=premise_id) if premise_id is not None else None


async def input_call_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    call_id = expect_id(kwargs["input"].call_id, "IntercomCall", field="callId")
    premise_id = await CallPremiseLoader.of(info.context).load(call_id)
    return Target(premise_id=premise_id) if premise_id is not None else None


async def input_application_building(
    source: Any, info: AppInfo, kwargs: dict[str, Any]
) -> Target | None:
    application_id = expect_id(
        kwargs["input"].application_id, "IntercomApplication", field="applicationId"
    )
    building_id = await ApplicationBuildingLoader.of(info.context).load(application_id)
    return Target(building_id=building_id) if building_id is not None else None


async def premise_in_entrance(context: Context, building_pk: int, number: int) -> int | None:
    """The viewer's premise (their highest tier first) in the entrance, if any."""
    profile = await context.profile()
    mine = [
        premise
        for premise, building in profile.premise_buildings.items()
        if building == building_pk and premise in profile.premise_tiers
    ]
    entrances = await PremiseEntranceLoader.of(context).load_many(mine)
    found = [
        (profile.premise_tiers[premise], -premise)
        for premise, entrance in zip(mine, entrances, strict=True)
        if entrance is not None and entrance[1] == number
    ]
    if not found:
        return None
    best: tuple[Tier, int] = max(found)
    return -best[1]


__all__ = [
    "application_visible",
    "call_visible",
    "code_visible",
    "entrance_visible",
    "entry_visible",
    "input_application_building",
    "input_call_premise",
    "input_code_premise",
    "input_premise",
    "panel_visible",
    "premise_in_entrance",
    "source_premise",
]
