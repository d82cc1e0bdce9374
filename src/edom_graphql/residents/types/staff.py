"""What residents adds to management organisations: their engineers, whom the staff
assign repair requests to."""

from __future__ import annotations

import strawberry

from edom_graphql.buildings.types import ManagementOrganisation
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.loaders import PageLoader
from edom_graphql.core.nodes import visible_only
from edom_graphql.core.pagination import After, Connection, First, build_connection, page_request
from edom_graphql.core.permissions import requires, source_organisation
from edom_graphql.residents import reads
from edom_graphql.residents.types.users import User, UserByIdLoader


@strawberry.type(description="A page of users.")
class UserConnection(Connection[User]):
    pass


class EngineersOfOrganisationLoader(PageLoader[User]):
    """A page of each organisation's current engineers, by display name."""

    children = reads.ENGINEERS_OF_ORGANISATION
    convert = User.from_row


def engineer_sort_key(user: User) -> tuple[str, int]:
    return (user.display_name, user.pk)


@strawberry.type
class OrganisationEngineers:
    """``ManagementOrganisation.engineers``."""

    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        source_organisation,
        description="The organisation's current engineers, by display name: whom "
        "`repairRequestAssign` takes as `assigneeId`. Only its staff may list them.",
    )
    async def engineers(
        self: ManagementOrganisation, info: AppInfo, first: First, after: After = None
    ) -> UserConnection | None:
        context = info.context
        page = page_request(first, after, types=(str, int))
        users = await EngineersOfOrganisationLoader.of(context).load((self.pk, page, ()))
        by_id = UserByIdLoader.of(context)
        for user in users:
            by_id.prime(user.pk, user)
        shown = [user for user in await visible_only(context, users) if user is not None]
        connection = build_connection(shown, page, engineer_sort_key)
        return UserConnection(edges=connection.edges, page_info=connection.page_info)
