"""Who may see users, ownership records and guest grants: the gatekeepers of their
node types.

A user is visible to

- themself, and to the platform's admins;
- the members of a building they belong to now (as owner, registered or confirmed
  resident, or guest while the grant runs), for viewers who hold NEIGHBOURS_DIRECTORY
  there, and to the staff of its organisation;
- while a guest grant runs: its grantor and grantee to each other, and both to whoever
  manages guest access to the premise;
- as staff of an organisation: to their colleagues and to the people of the
  organisation's buildings (who see who handles their requests and answers their chats).

Nothing else makes a user visible: not a past grant, not a message or request they
wrote in a building they have left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.core.nodes import Verdict, either
from edom_graphql.residents.reads import VisibleUsersLoader

if TYPE_CHECKING:
    from edom_graphql.residents.types import GuestGrant, GuestInvitation, Ownership, User


def user_visible(context: Context, user: User) -> Verdict:
    viewer_id = context.viewer_id
    if viewer_id is None:
        return False
    if user.pk == viewer_id:
        return True
    profile = context.loaded_profile
    if profile is not None and profile.is_admin:
        return True
    staff_of = user.staff_of
    if (
        staff_of is not None
        and profile is not None
        and (
            staff_of in profile.staff_roles  # a colleague
            or staff_of in profile.building_organisations.values()  # of the viewer's building
        )
    ):
        return True
    member_of = user.member_of
    if member_of is None:
        return VisibleUsersLoader.of(context).load(user.pk)
    directory = context.allows(Capability.NEIGHBOURS_DIRECTORY, building_id=member_of)
    if directory is True:  # the common answer on a page of neighbours or owners
        return True
    return either(
        lambda: directory,
        lambda: context.allows(Capability.PERSONAL_DATA, building_id=member_of),
        lambda: VisibleUsersLoader.of(context).load(user.pk),
    )


def ownership_visible(context: Context, ownership: Ownership) -> Verdict:
    """The register of owners: OWNERS_REGISTER in the building."""
    return context.allows(Capability.OWNERS_REGISTER, building_id=ownership.building_pk)


def guest_grant_visible(context: Context, grant: GuestGrant) -> Verdict:
    """Its grantor and its guest; whoever manages guest access to the premise."""
    if context.viewer_id in (grant.grantor_pk, grant.grantee_pk):
        return True
    return context.allows(Capability.GUEST_ACCESS_MANAGE, premise_id=grant.premise_pk)


def guest_invitation_visible(context: Context, invitation: GuestInvitation) -> Verdict:
    """Its grantor, and whoever manages guest access to the premise; never the guest,
    who holds the code (and, once accepted, the grant)."""
    if context.viewer_id == invitation.grantor_pk:
        return True
    return context.allows(Capability.GUEST_ACCESS_MANAGE, premise_id=invitation.premise_pk)
