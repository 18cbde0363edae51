"""Full-text search of messages, ranked among the latest that match.

Each message is indexed in the configuration of its language (`models.SEARCH_VECTOR`), and the
words asked for are read in each configuration and matched against the messages indexed in it
only, so a stem or a negation means what it does in the message's language.

Ranking reads each match's vector, so ranking every match of a common word costs as many reads
as it has matches (hundreds of thousands in a large inbox). A search ranks the CANDIDATES latest
matching messages within the filters instead, found in one of two ways:
- among the WINDOW newest messages of the organization, or of the brands the search is kept to,
  read newest first (`ix_message_recent`, `ix_message_brand_recent`) until CANDIDATES match:
  enough where the words are common, in a bounded time whatever they are;
- when those give less than a page, the words are rare: every match, from the GIN index, then
  the latest CANDIDATES of them.
The planner is not left to choose between the two: its estimate of how many messages hold a word
can be far off (a word no message holds, in a small vocabulary, was estimated at 39,000 of
5 million and read backwards through all of them, 4 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Row,
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
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
# How many of the newest messages the first way reads at most.
WINDOW = 20_000


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
    tenant_id: str,
    brand_ids: frozenset[str] | None,
    where: Sequence[ColumnElement[bool]] | None,
    words: str,
    limit: int,
    candidates: int = CANDIDATES,
    window: int = WINDOW,
) -> Sequence[Row[Any]]:
    """The conversations (of the tenant's brands `brand_ids` unless None, within the conditions
    `where` on conversations unless None) with one of the `candidates` latest messages matching
    `words`, best first: each conversation's row with `rank` and `message_id`, its best
    message's. A message is of its conversation's brand, so without other conditions the
    candidates are found without reading their conversations."""
    if brand_ids is not None and not brand_ids:
        return []
    m = message.c
    queries: dict[str | None, ColumnElement[str]] = {
        code: tsquery(configs, words) for code, configs in CONFIGS.items()
    }
    queries[None] = tsquery(OTHER, words)
    columns = (m.id, m.conversation_id, m.language, m.search_vector, m.created_at)
    newest = _newest(columns, tenant_id, brand_ids, window)
    rows: Sequence[Row[Any]] = (
        await session.execute(_ranked(newest, where, queries, limit, candidates))
    ).all()
    if len(rows) == limit:
        return rows
    # Materialized, so that the planner reads the matches from the GIN index and sorts them
    # rather than walking every message backwards looking for them.
    matched = (
        select(*columns)
        .where(
            m.tenant_id == tenant_id,
            true() if brand_ids is None else m.brand_id.in_(brand_ids),
            _matches(message, queries),
        )
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    rows = (await session.execute(_ranked(matched, where, queries, limit, candidates))).all()
    return rows


def _newest(
    columns: Sequence[ColumnElement[Any]],
    tenant_id: str,
    brand_ids: frozenset[str] | None,
    window: int,
) -> FromClause:
    """The `window` newest messages of the tenant, or of its brands `brand_ids`: each brand's
    newest, merged by time."""
    m = message.c
    if brand_ids is None:
        return (
            select(*columns)
            .where(m.tenant_id == tenant_id)
            .order_by(m.created_at.desc())
            .limit(window)
            .subquery("newest")
        )
    each = [
        select(*columns)
        .where(m.tenant_id == tenant_id, m.brand_id == brand_id)
        .order_by(m.created_at.desc())
        .limit(window)
        for brand_id in sorted(brand_ids)
    ]
    merged = union_all(*each).subquery("of_brands")
    return select(merged).order_by(merged.c.created_at.desc()).limit(window).subquery("newest")


def _matches(
    source: FromClause, queries: dict[str | None, ColumnElement[str]]
) -> ColumnElement[bool]:
    """Whether a message of `source` matches the query of its language."""
    s = source.c
    known = [code for code in queries if code is not None]
    return or_(
        *(and_(s.language == code, s.search_vector.op("@@")(queries[code])) for code in known),
        and_(
            or_(s.language.is_(None), s.language.not_in(known)),
            s.search_vector.op("@@")(queries[None]),
        ),
    )


def _ranked(
    source: FromClause,
    where: Sequence[ColumnElement[bool]] | None,
    queries: dict[str | None, ColumnElement[str]],
    limit: int,
    candidates: int,
) -> Select[Any]:
    """The best `limit` conversations among the `candidates` latest matches of `source` (whose
    conversations meet `where` unless None)."""
    c, s = conversation.c, source.c
    matching = select(s.id, s.conversation_id, s.language, s.search_vector)
    if where is not None:
        matching = matching.join(conversation, c.id == s.conversation_id).where(*where)
    latest = (
        matching.where(_matches(source, queries))
        .order_by(s.created_at.desc())
        .limit(candidates)
        .subquery("latest")
    )
    query = case(
        *((latest.c.language == code, q) for code, q in queries.items() if code is not None),
        else_=queries[None],
    )
    rank = func.ts_rank(latest.c.search_vector, query, type_=Float)
    best = (
        select(latest.c.conversation_id, latest.c.id.label("message_id"), rank.label("rank"))
        .order_by(latest.c.conversation_id, rank.desc(), latest.c.id)
        .ext(distinct_on(latest.c.conversation_id))
        .subquery("best")
    )
    return (
        select(conversation, best.c.rank, best.c.message_id)
        .join(best, best.c.conversation_id == c.id)
        .order_by(best.c.rank.desc(), c.last_message_at.desc(), c.id.desc())
        .limit(limit)
    )
