"""Contacts: found or made as their messages are filed, read, labelled, noted and merged.

A contact is one author on one brand. Each network identifies its authors apart, so a new author
is a new contact; a person who writes from two networks (or two accounts) is two contacts until
a member merges them by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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


async def identify(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    network: str,
    author: Author,
    at: datetime,
    now: datetime,
) -> UUID:
    """The contact the author of a message written at `at` is, made on their first message, with
    the message counted."""
    known = await repository.identity_of(
        session,
        tenant_id=tenant_id,
        brand_id=brand_id,
        network=network,
        network_id=author.network_id,
    )
    if known is None:
        known = await _new(
            session,
            tenant_id=tenant_id,
            brand_id=brand_id,
            network=network,
            author=author,
            at=at,
            now=now,
        )
    await repository.contacted(
        session,
        contact_id=known,
        at=at,
        handle=author.handle,
        display_name=author.display_name,
        now=now,
    )
    return known


async def _new(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    network: str,
    author: Author,
    at: datetime,
    now: datetime,
) -> UUID:
    contact_id = uuid.uuid4()
    await repository.add(
        session,
        {
            "id": contact_id,
            "tenant_id": tenant_id,
            "brand_id": brand_id,
            "handle": author.handle,
            "display_name": author.display_name,
            "first_contact_at": at,
            "last_contact_at": at,
            "created_at": now,
            "updated_at": now,
        },
    )
    recorded = await repository.add_identity(
        session,
        {
            "tenant_id": tenant_id,
            "brand_id": brand_id,
            "network": network,
            "network_id": author.network_id,
            "contact_id": contact_id,
            "handle": author.handle,
            "display_name": author.display_name,
            "first_seen_at": at,
        },
    )
    if recorded is not None:
        return recorded
    # Another message of the same new author was filed at the same time and made theirs.
    await repository.remove(session, contact_id=contact_id)
    found = await repository.identity_of(
        session,
        tenant_id=tenant_id,
        brand_id=brand_id,
        network=network,
        network_id=author.network_id,
    )
    assert found is not None  # the conflict was with a committed identity
    return found


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
