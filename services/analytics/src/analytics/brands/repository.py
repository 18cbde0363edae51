"""All SQL of brands."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.brands.models import brand

_PAIRS = (
    func.unnest(
        bindparam("tenant_ids", type_=ARRAY(Text())), bindparam("brand_ids", type_=ARRAY(Text()))
    )
    .table_valued("tenant_id", "brand_id")
    .render_derived(name="pair")
)
_REGISTER = (
    insert(brand)
    .from_select(["tenant_id", "brand_id"], select(_PAIRS.c.tenant_id, _PAIRS.c.brand_id))
    .on_conflict_do_nothing()
)
_ZONES = select(brand.c.tenant_id, brand.c.brand_id, brand.c.timezone).join(
    _PAIRS,
    (brand.c.tenant_id == _PAIRS.c.tenant_id) & (brand.c.brand_id == _PAIRS.c.brand_id),
)


def _pair_params(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    ordered = sorted(pairs)  # one lock order for concurrent registrations
    return {"tenant_ids": [t for t, _ in ordered], "brand_ids": [b for _, b in ordered]}


async def register(session: AsyncSession, pairs: Iterable[tuple[str, str]]) -> None:
    """Add the brands not known yet (without a zone)."""
    params = _pair_params(pairs)
    if params["tenant_ids"]:
        await session.execute(_REGISTER, params)


async def zones(
    session: AsyncSession, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str | None]:
    """The zone name of each known brand among `pairs` (None: not configured)."""
    params = _pair_params(pairs)
    if not params["tenant_ids"]:
        return {}
    rows = await session.execute(_ZONES, params)
    return {(row.tenant_id, row.brand_id): row.timezone for row in rows}


async def configure(
    session: AsyncSession, rows: Sequence[dict[str, object]]
) -> list[tuple[str, str]]:
    """Set brands' zones unless a later configuration was recorded; the (tenant, brand) changed."""
    statement = insert(brand)
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[brand.c.tenant_id, brand.c.brand_id],
            set_={
                "timezone": statement.excluded.timezone,
                "configured_at": statement.excluded.configured_at,
            },
            where=brand.c.configured_at.is_(None)
            | (brand.c.configured_at < statement.excluded.configured_at),
        ).returning(brand.c.tenant_id, brand.c.brand_id),
        list(rows),
    )
    return [(row.tenant_id, row.brand_id) for row in result]


async def of_tenant(session: AsyncSession, tenant_id: str) -> dict[str, str | None]:
    """Every brand of the tenant and its zone name."""
    rows = await session.execute(
        select(brand.c.brand_id, brand.c.timezone).where(brand.c.tenant_id == tenant_id)
    )
    return {row.brand_id: row.timezone for row in rows}


async def zone_of(session: AsyncSession, tenant_id: str, brand_id: str) -> str | None:
    """The brand's zone name (None: unknown or not configured)."""
    found: str | None = await session.scalar(
        select(brand.c.timezone).where(brand.c.tenant_id == tenant_id, brand.c.brand_id == brand_id)
    )
    return found
