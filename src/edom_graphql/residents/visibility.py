"""Which users a viewer may see at all (for ``node``/``nodes``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, union

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.core.db import Prepared
from edom_graphql.core.loaders import keys_param
from edom_graphql.residents import models


def _occupants(table: Any) -> Any:
    return select(table.user_id).where(
        table.user_id == keys_param("users"),
        table.building_id == keys_param("buildings"),
        table.ended_at.is_(None),
    )


_SEEN_BY_TIER = Prepared(
    union(
        _occupants(models.Ownership),
        _occupants(models.Registration),
        _occupants(models.ResidencyConfirmation),
        select(models.GuestGrant.grantor_id).where(
            models.GuestGrant.grantee_id == keys_param("viewer"),
            models.GuestGrant.grantor_id == keys_param("users"),
        ),
        select(models.GuestGrant.grantee_id).where(
            models.GuestGrant.grantor_id == keys_param("viewer"),
            models.GuestGrant.grantee_id == keys_param("users"),
        ),
        # the parties to grants at premises whose guest access the viewer manages (the
        # viewer sees those grants, so also who gave and got them)
        select(models.GuestGrant.grantor_id).where(
            models.GuestGrant.premise_id == keys_param("managed_premises"),
            models.GuestGrant.grantor_id == keys_param("users"),
        ),
        select(models.GuestGrant.grantee_id).where(
            models.GuestGrant.premise_id == keys_param("managed_premises"),
            models.GuestGrant.grantee_id == keys_param("users"),
        ),
    )
)


async def visible_user_ids(context: Context, pks: Sequence[int]) -> set[int]:
    """Of ``pks``: the viewer; neighbours in buildings where the viewer has the directory;
    the viewer's guests and hosts, and the parties to guest grants of premises where the
    viewer manages guest access; users of buildings the viewer's organisation manages."""
    profile = await context.profile()
    wanted = set(pks)
    if profile.is_admin:
        return wanted
    visible = {profile.user_id} & wanted
    buildings = [
        building
        for building in profile.building_tiers
        if await context.can_in_building(Capability.NEIGHBOURS_DIRECTORY, building)
    ]
    managed_premises = [
        premise
        for premise in profile.premise_tiers
        if await context.can_at_premise(Capability.GUEST_ACCESS_MANAGE, premise)
    ]
    rows = await context.db.fetch(
        _SEEN_BY_TIER,
        users=list(wanted),
        buildings=buildings,
        viewer=[profile.user_id],
        managed_premises=managed_premises,
    )
    visible.update(row[0] for row in rows)
    if profile.staff_roles:
        for user_id, organisations in zip(
            wanted, await context.loaders.organisations_of_user.load_many(list(wanted)), strict=True
        ):
            if organisations & set(profile.staff_roles):
                visible.add(user_id)
    return visible
