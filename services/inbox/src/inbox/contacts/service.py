"""Contacts: found or made as their messages are filed, read, labelled, noted and merged.

A contact is one author on one brand. Each network identifies its authors apart, so a new author
is a new contact; a person who writes from two networks (or two accounts) is two contacts until
a member merges them by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.common import Author
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from inbox.access import READ, WRITE
from inbox.contacts import repository
from inbox.contacts.exceptions import (
    ContactMerged,
    ContactNotFound,
    MergeAcrossBrands,
    MergeWithItself,
)
from inbox.contacts.models import contact
from inbox.conversations import service as conversations
from inbox.conversations.exceptions import TooManyLabels
from inbox.conversations.schemas import MAX_LABELS

log = get_logger(__name__)
# How far back a profile's sentiment over time reaches.
SENTIMENT_DAYS = 90


@dataclass(frozen=True)
class Profile:
    """A contact with its identities, notes and sentiment by day."""

    contact: Row[Any]
    identities: Sequence[Row[Any]]
    notes: Sequence[Row[Any]]
    sentiment: Sequence[Row[Any]]


@dataclass(frozen=True)
class Authored:
    """A message to count on its author's contact: whose, on which brand and network, written
    when."""

    tenant_id: str
    brand_id: str | None
    network: str
    author: Author
    at: datetime

    @property
    def identity(self) -> repository.Identity:
        return (self.tenant_id, self.brand_id, self.network, self.author.network_id)


async def identify(
    session: AsyncSession, messages: Sequence[Authored], *, now: datetime
) -> list[UUID]:
    """The contact each message's author is (in order), made on their first message, with the
    messages counted: a few statements for all of them."""
    known = await repository.contacts_of(session, {m.identity for m in messages})
    first: dict[repository.Identity, Authored] = {}
    for m in messages:
        if m.identity not in known:
            first.setdefault(m.identity, m)
    if first:
        known |= await _new(session, first, now=now)
    await repository.contacted(session, _counted(messages, known), now=now)
    return [known[m.identity] for m in messages]


async def _new(
    session: AsyncSession, first: Mapping[repository.Identity, Authored], *, now: datetime
) -> dict[repository.Identity, UUID]:
    """Contacts for new authors, from each one's first message; in a fixed order, so two
    transactions making some of the same contacts never wait on each other in a circle."""
    made = {identity: uuid.uuid4() for identity in sorted(first, key=repr)}
    await repository.add(
        session,
        [
            {
                "id": contact_id,
                "tenant_id": first[identity].tenant_id,
                "brand_id": first[identity].brand_id,
                "handle": first[identity].author.handle,
                "display_name": first[identity].author.display_name,
                "first_contact_at": first[identity].at,
                "last_contact_at": first[identity].at,
                "created_at": now,
                "updated_at": now,
            }
            for identity, contact_id in made.items()
        ],
    )
    recorded = await repository.add_identities(
        session,
        [
            {
                "tenant_id": first[identity].tenant_id,
                "brand_id": first[identity].brand_id,
                "network": first[identity].network,
                "network_id": first[identity].author.network_id,
                "contact_id": contact_id,
                "handle": first[identity].author.handle,
                "display_name": first[identity].author.display_name,
                "first_seen_at": first[identity].at,
            }
            for identity, contact_id in made.items()
        ],
    )
    lost = {identity: made[identity] for identity in made if identity not in recorded}
    if lost:
        # Other messages of the same new authors were filed at the same time and made theirs.
        await repository.remove(session, contact_ids=list(lost.values()))
        recorded |= await repository.contacts_of(session, set(lost))
        assert set(recorded) == set(made)  # the conflicts were with committed identities
    return recorded


def _counted(
    messages: Sequence[Authored], contacts: Mapping[repository.Identity, UUID]
) -> list[repository.Contacted]:
    """Each contact's messages in one count. A name is taken from a message written no earlier
    than any counted before it (as when they are counted one by one), the latest that gave it."""
    by_contact: dict[UUID, list[Authored]] = {}
    for m in messages:
        by_contact.setdefault(contacts[m.identity], []).append(m)
    counted = []
    for contact_id, mine in by_contact.items():
        handle: tuple[str | None, datetime | None] = (None, None)
        name: tuple[str | None, datetime | None] = (None, None)
        latest: datetime | None = None
        for m in mine:
            if latest is None or latest <= m.at:
                if m.author.handle is not None:
                    handle = (m.author.handle, m.at)
                if m.author.display_name is not None:
                    name = (m.author.display_name, m.at)
                latest = m.at
        counted.append(
            repository.Contacted(
                contact_id=contact_id,
                count=len(mine),
                first_at=min(m.at for m in mine),
                last_at=max(m.at for m in mine),
                handle=handle[0],
                handle_at=handle[1],
                display_name=name[0],
                display_name_at=name[1],
            )
        )
    return counted


async def get(session: AsyncSession, *, principal: Principal, contact_id: UUID) -> Row[Any]:
    """A contact the caller may read; ContactMerged names the one a merged contact joined."""
    row = await repository.get(session, tenant_id=principal.tenant_id, contact_id=contact_id)
    if row is None or not principal.allows_on(READ, row.brand_id):
        raise ContactNotFound(f"No contact {contact_id}.")
    if row.merged_into is not None:
        raise ContactMerged(f"Contact {contact_id} was merged into {row.merged_into}.")
    return row


async def profile(
    session: AsyncSession, *, principal: Principal, contact_id: UUID, now: datetime | None = None
) -> Profile:
    """A contact with its identities, private notes and the sentiment of its messages by day
    over the last 90 days."""
    row = await get(session, principal=principal, contact_id=contact_id)
    since = (now or datetime.now(UTC)) - timedelta(days=SENTIMENT_DAYS)
    return Profile(
        row,
        await repository.identities_of(session, contact_id=row.id),
        await repository.notes_of(session, contact_id=row.id),
        await conversations.contact_sentiment_by_day(
            session, tenant_id=principal.tenant_id, contact_id=row.id, since=since
        ),
    )


async def list_page(
    session: AsyncSession,
    *,
    principal: Principal,
    brand_ids: frozenset[str] | None,
    label: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of contacts (of `brand_ids` unless None), the latest contact first."""
    c = contact.c
    where: list[ColumnElement[bool]] = [c.tenant_id == principal.tenant_id]
    if brand_ids is not None:
        where.append(c.brand_id.in_(brand_ids))
    if label is not None:
        where.append(c.labels.contains([label]))
    after = Cursor.decode(cursor) if cursor else None
    rows = await repository.page(session, where=where, after=after, limit=limit + 1)
    return split_page(rows, limit, at="last_contact_at")


async def messages(
    session: AsyncSession, *, principal: Principal, contact_id: UUID, cursor: str | None, limit: int
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of a readable contact's comments and messages, the newest first."""
    row = await get(session, principal=principal, contact_id=contact_id)
    return await conversations.messages_of_contact(
        session, tenant_id=principal.tenant_id, contact_id=row.id, cursor=cursor, limit=limit
    )


async def _changeable(session: AsyncSession, principal: Principal, contact_id: UUID) -> Row[Any]:
    row = await get(session, principal=principal, contact_id=contact_id)
    require_on(principal, WRITE, row.brand_id)
    return row


async def label(
    session: AsyncSession, *, principal: Principal, contact_id: UUID, labels: Sequence[str]
) -> Row[Any]:
    """Replace a contact's labels."""
    row = await _changeable(session, principal, contact_id)
    return await repository.change(
        session,
        contact_id=row.id,
        values={"labels": sorted(set(labels)), "updated_at": datetime.now(UTC)},
    )


async def add_note(
    session: AsyncSession, *, principal: Principal, contact_id: UUID, text: str
) -> Row[Any]:
    """A private note on a contact the caller may change, signed by them."""
    row = await _changeable(session, principal, contact_id)
    return await repository.add_note(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": principal.tenant_id,
            "contact_id": row.id,
            "author": principal.actor,
            "text": text,
            "created_at": datetime.now(UTC),
        },
    )


async def merge(
    session: AsyncSession, *, principal: Principal, contact_id: UUID, other_id: UUID
) -> Row[Any]:
    """Merge `other_id` into `contact_id`: its identities, messages, conversations, labels and
    notes join the first, which it points to from then on."""
    if other_id == contact_id:
        raise MergeWithItself(f"Contact {contact_id} cannot merge with itself.")
    for each in (contact_id, other_id):
        await _changeable(session, principal, each)
    # Locked in id order, so two merges of the same pair never wait on each other in a circle.
    locked = {
        r.id: r
        for r in await repository.lock_pair(
            session, tenant_id=principal.tenant_id, contact_ids=[contact_id, other_id]
        )
    }
    into, other = locked[contact_id], locked[other_id]
    for row in (into, other):
        if row.merged_into is not None:
            raise ContactMerged(f"Contact {row.id} was merged into {row.merged_into}.")
    if into.brand_id != other.brand_id:
        raise MergeAcrossBrands(
            f"Contact {into.id} is of brand {into.brand_id!r} and {other.id} of "
            f"{other.brand_id!r}: a contact is one author on one brand."
        )
    if len(set(into.labels) | set(other.labels)) > MAX_LABELS:
        raise TooManyLabels(f"Merged, the contact would have more than {MAX_LABELS} labels.")
    await conversations.move_contact(
        session, tenant_id=principal.tenant_id, from_id=other.id, to_id=into.id
    )
    merged = await repository.absorb(session, into=into, other=other, now=datetime.now(UTC))
    log.info(
        "contact.merged",
        tenant_id=principal.tenant_id,
        contact_id=str(into.id),
        merged_id=str(other.id),
        actor=principal.actor,
    )
    return merged
