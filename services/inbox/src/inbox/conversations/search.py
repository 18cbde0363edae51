"""Full-text search of messages, ranked among the latest that match.

Each message is indexed in the configuration of its language (`models.SEARCH_VECTOR`), and the
words asked for are read in each configuration and matched against the messages indexed in it
only, so a stem or a negation means what it does in the message's language.

Ranking reads each match's vector, so ranking every match of a common word costs as many reads
as it has matches (hundreds of thousands in a large inbox). A search ranks the CANDIDATES latest
matching messages within the filters instead: where a word is common they are found by reading
the newest messages backwards (`ix_message_recent`) until enough match, where it is rare by the
GIN index, then sorted by time; the planner picks by the words' frequencies. An older message
ranked better than all of those is not found until the search is narrowed (a filter, another
word, a phrase).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, Row, and_, case, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import UserDefinedType

from inbox.conversations.models import conversation, message

# The configurations a query is read in for each detected language, either reading matching;
# any other language word for word. French is read as written and without accents, as it is
# indexed, so "cassées" finds "cassé" and "livree" finds "livrée".
CONFIGS = {"en": ("english",), "fr": ("french", "inbox.french_unaccent")}
OTHER = ("inbox.simple_unaccent",)
# How many of the latest matching messages are ranked.
CANDIDATES = 500


class _TsQuery(UserDefinedType[str]):
    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "tsquery"


def tsquery(configs: tuple[str, ...], words: str) -> ColumnElement[str]:
    """The words in web search syntax, read in each text search configuration, any reading
    matching."""
    first, *others = (
        func.websearch_to_tsquery(literal_column(f"'{c}'::regconfig"), words, type_=_TsQuery())
        for c in configs
    )
    query: ColumnElement[str] = first
    for other in others:
        query = query.op("||", return_type=_TsQuery())(other)
    return query


async def search(
    session: AsyncSession,
    *,
    where: Sequence[ColumnElement[bool]],
    words: str,
    limit: int,
    candidates: int = CANDIDATES,
) -> Sequence[Row[Any]]:
    """The conversations (within `where`) with one of the `candidates` latest messages matching
    `words`, best first: each conversation's row with `rank` and `message_id`, its best
    message's."""
    m, c = message.c, conversation.c
    queries = {code: tsquery(configs, words) for code, configs in CONFIGS.items()}
    other = tsquery(OTHER, words)
    matches = or_(
        *(and_(m.language == code, m.search_vector.op("@@")(q)) for code, q in queries.items()),
        and_(
            or_(m.language.is_(None), m.language.not_in(list(CONFIGS))),
            m.search_vector.op("@@")(other),
        ),
    )
    latest = (
        select(m.id, m.conversation_id, m.language, m.search_vector)
        .join(conversation, c.id == m.conversation_id)
        .where(*where, m.tenant_id == c.tenant_id, matches)
        .order_by(m.created_at.desc())
        .limit(candidates)
        .subquery()
    )
    query = case(*((latest.c.language == code, q) for code, q in queries.items()), else_=other)
    rank = func.ts_rank(latest.c.search_vector, query, type_=Float)
    best = (
        select(latest.c.conversation_id, latest.c.id.label("message_id"), rank.label("rank"))
        .order_by(latest.c.conversation_id, rank.desc(), latest.c.id)
        .ext(distinct_on(latest.c.conversation_id))
        .subquery()
    )
    stmt = (
        select(conversation, best.c.rank, best.c.message_id)
        .join(best, best.c.conversation_id == c.id)
        .order_by(best.c.rank.desc(), c.last_message_at.desc(), c.id.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).all()
