"""Who is in a chat: the one gatekeeper every chat path goes through.

Membership is never stored; it is recomputed from the viewer's current tiers and staff
roles, so a guest whose grant is revoked or has expired is out of the building chat at
once:

- the **building chat**: whoever holds BUILDING_CHAT in the building (tiers down to
  basic guests; no staff, no admin: "guaranteed no strangers");
- a **direct chat**: its two participants; a new message also needs them to share a
  building where both hold DIRECT_CHAT (history stays readable to both);
- the **management chat** of a premise: whoever holds MANAGEMENT_CHAT at that premise
  (its occupants down to elevated guests) and the building organisation's staff
  (MANAGEMENT_CHAT_ANSWER).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.chats.models import ChatKind
from edom_graphql.chats.reads import ChatRef, ChatRefLoader, ReportedLoader
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.context import Context
from edom_graphql.core.loaders import settled
from edom_graphql.core.nodes import Verdict, either, remembered
from edom_graphql.core.profile import AccessProfile, allows_at_premise, allows_in_building

if TYPE_CHECKING:
    from edom_graphql.chats.types import ChatMessage


def may_read(profile: AccessProfile, chat: ChatRef, *, organisation_id: int) -> bool:
    """The viewer with this profile is a member of the chat (its building is managed by
    ``organisation_id``)."""
    if chat.kind is ChatKind.DIRECT:
        return chat.participant(profile.user_id)
    if chat.kind is ChatKind.BUILDING:
        return allows_in_building(
            profile,
            Capability.BUILDING_CHAT,
            building_id=chat.building_pk,
            organisation_id=organisation_id,
        )
    assert chat.premise_pk is not None
    return allows_at_premise(
        profile,
        Capability.MANAGEMENT_CHAT,
        premise_id=chat.premise_pk,
        building_id=chat.building_pk,
        organisation_id=organisation_id,
    ) or allows_in_building(
        profile,
        Capability.MANAGEMENT_CHAT_ANSWER,
        building_id=chat.building_pk,
        organisation_id=organisation_id,
    )


def shared_direct_chat_buildings(mine: AccessProfile, theirs: AccessProfile) -> list[int]:
    """Buildings where both users hold DIRECT_CHAT by their tiers."""
    tiers = MATRIX[Capability.DIRECT_CHAT].tiers
    return sorted(
        building_id
        for building_id, tier in mine.building_tiers.items()
        if tier in tiers and theirs.building_tiers.get(building_id) in tiers
    )


async def can_read(context: Context, chat: ChatRef) -> bool:
    if context.viewer_id is None:
        return False
    if chat.kind is ChatKind.DIRECT:
        return chat.participant(context.viewer_id)
    organisation_id = await context.gate.organisation_of(chat.building_pk)
    if organisation_id is None:
        return False
    return may_read(await context.profile(), chat, organisation_id=organisation_id)


async def can_write(context: Context, chat: ChatRef) -> bool:
    """A member may send; in a direct chat only while the two still share a building."""
    if not await can_read(context, chat):
        return False
    if chat.kind is not ChatKind.DIRECT:
        return True
    other = chat.other_participant(context.require_viewer())
    assert other is not None
    theirs = await context.profile_of(other)
    return bool(shared_direct_chat_buildings(await context.profile(), theirs))


# -- the gatekeepers of Chat and ChatMessage ----------------------------------------------


def chat_visible(context: Context, chat_pk: int, ref: ChatRef | None = None) -> Verdict:
    """A chat is visible to its members only (decided once per chat and operation)."""
    return remembered(context, ("Chat", chat_pk), lambda: _chat_visible(context, chat_pk, ref))


async def _chat_visible(context: Context, chat_pk: int, ref: ChatRef | None) -> bool:
    if ref is None:
        ref = await ChatRefLoader.of(context).load(chat_pk)
        if ref is None:
            return False
    return await can_read(context, ref)


def message_visible(context: Context, message_pk: int, chat_pk: int) -> Verdict:
    """A message is visible to the members of its chat; a reported one also to the
    moderators of its building (CHAT_MODERATE), who may remove it without reading the
    rest of the chat."""
    return either(
        lambda: chat_visible(context, chat_pk),
        lambda: _reported_to_viewer(context, message_pk, chat_pk),
    )


async def _reported_to_viewer(context: Context, message_pk: int, chat_pk: int) -> bool:
    chat = await ChatRefLoader.of(context).load(chat_pk)
    if chat is None or chat.kind is not ChatKind.BUILDING:
        return False
    if not await context.can(Capability.CHAT_MODERATE, building_id=chat.building_pk):
        return False
    reported: bool = await ReportedLoader.of(context).load(message_pk)
    return reported


async def may_write_in(context: Context, chat_pk: int) -> bool:
    """The viewer may send to the chat now (a chat they cannot read: no)."""
    chat = await ChatRefLoader.of(context).load(chat_pk)
    return chat is not None and await can_write(context, chat)


async def still_member(
    context: Context, chat: ChatRef, viewer_id: int, message: ChatMessage
) -> bool:
    """Membership of a live subscriber, decided again from the database as it is now,
    with reads shared with the other subscribers woken by the same event; the author's
    standing in the building is read alike, for the gatekeepers of the message and its
    author."""
    if chat.kind is ChatKind.DIRECT:
        member = chat.participant(viewer_id)
    else:
        author = message.author
        other_author = author if author is not None and author.pk != viewer_id else None
        # asked in the same turn, so that one statement reads them for every subscriber
        asked = [context.gate.standing(viewer_id, chat.building_pk)]
        if other_author is not None:
            asked.append(context.gate.standing(other_author.pk, chat.building_pk))
        standings = await settled(asked)
        profile, organisation_id = standings[0]
        member = organisation_id is not None and may_read(
            profile, chat, organisation_id=organisation_id
        )
        context.use_profile(profile)
        if organisation_id is not None:
            context.gate.organisations[chat.building_pk] = organisation_id
        if member and other_author is not None:
            author_profile, _ = standings[1]
            if chat.building_pk in author_profile.building_tiers:
                other_author.member_of = chat.building_pk
    remember_membership(context, chat.pk, member)
    return member


def remember_membership(context: Context, chat_pk: int, member: bool) -> None:
    """Record a membership decided outside the gatekeeper by the same rule (the live
    stream decides it from standings read for all its subscribers at once; a write that
    changes no membership keeps what was decided before it)."""
    context.memo[("Chat", chat_pk)] = member
