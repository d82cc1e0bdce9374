"""All batch loaders of one operation, created lazily on first use."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from edom_graphql.buildings import loaders as buildings
from edom_graphql.chats import types as chats
from edom_graphql.core.access import AccessProfileLoader
from edom_graphql.core.context import Context
from edom_graphql.core.db import Database
from edom_graphql.core.loaders import RowByKeyLoader, RowsByKeyLoader
from edom_graphql.polls import service as polls
from edom_graphql.repairs import loaders as repairs
from edom_graphql.repairs.types import RepairRequest, RepairRequestPhoto
from edom_graphql.residents import loaders as residents
from edom_graphql.residents.access import VisibleUsersLoader


class Loaders:
    def __init__(self, context: Context, db: Database, *, now: datetime) -> None:
        self._context = context
        self._db = db
        self._now = now

    @cached_property
    def access_profile(self) -> AccessProfileLoader:
        return AccessProfileLoader(self._db, self._now)

    @cached_property
    def building(self) -> buildings.RowByKeyLoader[buildings.Building]:
        return buildings.building_loader(self._db)

    @cached_property
    def premise(self) -> buildings.RowByKeyLoader[buildings.Premise]:
        return buildings.premise_loader(self._db)

    @cached_property
    def organisation(self) -> buildings.RowByKeyLoader[buildings.ManagementOrganisation]:
        return buildings.organisation_loader(self._db)

    @cached_property
    def premises_page(self) -> buildings.PageByParentLoader[buildings.Premise]:
        return buildings.premises_page_loader(self._db)

    @cached_property
    def premise_count(self) -> buildings.PremiseCountLoader:
        return buildings.PremiseCountLoader(self._db)

    @cached_property
    def user(self) -> residents.RowByKeyLoader[residents.User]:
        return residents.user_loader(self._db)

    @cached_property
    def visible_users(self) -> VisibleUsersLoader:
        return VisibleUsersLoader(self._context, self._db, self._now)

    @cached_property
    def ownership(self) -> residents.RowByKeyLoader[residents.Ownership]:
        return residents.ownership_loader(self._db)

    @cached_property
    def ownerships_by_premise(self) -> residents.RowsByKeyLoader[residents.Ownership]:
        return residents.ownerships_by_premise_loader(self._db)

    @cached_property
    def guest_grant(self) -> residents.RowByKeyLoader[residents.GuestGrant]:
        return residents.guest_grant_loader(self._db)

    @cached_property
    def guest_invitation(self) -> residents.RowByKeyLoader[residents.GuestInvitation]:
        return residents.guest_invitation_loader(self._db)

    @cached_property
    def invitations_given(self) -> residents.PageByParentLoader[residents.GuestInvitation]:
        return residents.invitations_given_loader(self._db)

    @cached_property
    def grants_given(self) -> residents.PageByParentLoader[residents.GuestGrant]:
        return residents.grants_given_loader(self._db)

    @cached_property
    def grants_received(self) -> residents.PageByParentLoader[residents.GuestGrant]:
        return residents.grants_received_loader(self._db)

    @cached_property
    def organisations_of_user(self) -> residents.OrganisationsOfUserLoader:
        return residents.OrganisationsOfUserLoader(self._db, self._now)

    @cached_property
    def poll_totals(self) -> polls.TotalsLoader:
        return polls.TotalsLoader(self._db)

    @cached_property
    def chat(self) -> chats.RowByKeyLoader[chats.Chat]:
        return chats.chat_loader(self._db)

    @cached_property
    def chat_message(self) -> chats.RowByKeyLoader[chats.ChatMessage]:
        return chats.chat_message_loader(self._db)

    @cached_property
    def chat_message_reported(self) -> chats.ReportedLoader:
        return chats.ReportedLoader(self._db)

    @cached_property
    def chat_messages_page(self) -> chats.PageByParentLoader[chats.ChatMessage]:
        return chats.chat_messages_page_loader(self._db)

    @cached_property
    def chat_latest_event(self) -> chats.LatestEventLoader:
        return chats.LatestEventLoader(self._db)

    @cached_property
    def chat_unread(self) -> chats.UnreadCountLoader:
        return chats.UnreadCountLoader(self._db)

    @cached_property
    def repair_request(self) -> RowByKeyLoader[RepairRequest]:
        return repairs.repair_request_loader(self._db)

    @cached_property
    def repair_request_photos(self) -> RowsByKeyLoader[RepairRequestPhoto]:
        return repairs.repair_request_photos_loader(self._db)

    @cached_property
    def repair_request_follows(self) -> repairs.FollowsLoader:
        return repairs.FollowsLoader(self._db)
