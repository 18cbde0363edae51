"""Consumer groups whose events of several types are handled a fetch at a time, in the order
they came, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer, Handler
from beacon_shared.events import Envelope


def in_fetch_order(
    group_id: str, topics: Sequence[str], handlers: Mapping[str, Handler]
) -> Consumer:
    """A group whose events are handled a fetch at a time in one transaction, each by its
    type's handler, one after another as they came: a wave of them costs a commit per fetch, not
    one per event (a bad one is found by the runner's halving and dead-lettered alone)."""

    async def in_order(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            await handlers[envelope.type](session, envelope)

    return Consumer(
        group_id=group_id, topics=topics, batch_handlers=dict.fromkeys(handlers, in_order)
    )
