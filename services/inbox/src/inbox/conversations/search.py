"""Full-text search of messages, ranked, answered by the GIN index on their search vectors.

Each message is indexed in the configuration of its language (`english`, `french`, else
`simple`), and the words asked for are read in each configuration and matched against the
messages indexed in it only, so a stem or a negation means what it does in the message's
language; the three matches are one bitmap OR of the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, Row, and_, case, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import UserDefinedType

from inbox.conversations.models import conversation, message

# The configuration of each detected language; any other is read word for word.
CONFIGS = {"en": "english", "fr": "french"}
OTHER = "simple"


class _TsQuery(UserDefinedType[str]):
    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "tsquery"


def tsquery(config: str, words: str) -> ColumnElement[str]:
    """The words in web search syntax, read in one text search configuration."""
    return func.websearch_to_tsquery(
        literal_column(f"'{config}'::regconfig"), words, type_=_TsQuery()
    )


async def search(
    session: AsyncSession, *, where: Sequence[ColumnElement[bool]], words: str, limit: int
) -> Sequence[Row[Any]]:
    """The conversations (within `where`) with a message matching `words`, best first: each
    conversation's row with `rank` and `message_id`, its best message's."""
    m, c = message.c, conversation.c
    queries = {code: tsquery(config, words) for code, config in CONFIGS.items()}
    other = tsquery(OTHER, words)
    matches = or_(
        *(and_(m.language == code, m.search_vector.op("@@")(q)) for code, q in queries.items()),
        and_(
            or_(m.language.is_(None), m.language.not_in(list(CONFIGS))),
            m.search_vector.op("@@")(other),
        ),
    )
    query = case(*((m.language == code, q) for code, q in queries.items()), else_=other)
    rank = func.ts_rank(m.search_vector, query, type_=Float)
    best = (
        select(m.conversation_id, m.id.label("message_id"), rank.label("rank"))
        .join(conversation, c.id == m.conversation_id)
        .where(*where, m.tenant_id == c.tenant_id, matches)
        .order_by(m.conversation_id, rank.desc(), m.id)
        .ext(distinct_on(m.conversation_id))
        .subquery()
    )
    stmt = (
        select(conversation, best.c.rank, best.c.message_id)
        .join(best, best.c.conversation_id == c.id)
        .order_by(best.c.rank.desc(), c.last_message_at.desc(), c.id.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).all()
