"""All SQL of learning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Result, Row, and_, case, delete, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.learning.models import brand_label, brand_model

# Postgres takes at most 32,767 parameters per statement; a label row binds 9.
_CHUNK = 3000
_UPSERTED = ("text", "label", "source", "labelled_by", "labelled_at")


async def upsert_by_interaction(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert a reviewer's label, or replace the earlier label of the same comment."""
    stmt = insert(brand_label).values(row)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "interaction_id"],
            set_={name: stmt.excluded[name] for name in ("brand_id", *_UPSERTED)},
        )
    )


async def upsert_by_text(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert labels keyed by text, replacing the brand's earlier labels of the same texts."""
    for start in range(0, len(rows), _CHUNK):
        stmt = insert(brand_label).values(list(rows[start : start + _CHUNK]))
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "brand_id", "text_digest"],
                set_={name: stmt.excluded[name] for name in _UPSERTED},
            )
        )


def _counts() -> tuple[Any, ...]:
    return (
        func.count().filter(brand_label.c.label == "remove").label("removes"),
        func.count().filter(brand_label.c.label == "keep").label("keeps"),
        func.max(brand_label.c.labelled_at).label("newest"),
    )


async def label_counts(session: AsyncSession, *, tenant_id: str, brand_id: str) -> Row[Any]:
    """`removes`, `keeps` and `newest` (labelled_at, null without labels) of a brand."""
    result = await session.execute(
        select(*_counts()).where(
            brand_label.c.tenant_id == tenant_id, brand_label.c.brand_id == brand_id
        )
    )
    return result.one()


async def newest_labels(
    session: AsyncSession, *, tenant_id: str, brand_id: str, limit: int
) -> Sequence[Row[Any]]:
    """Up to `limit` of the brand's labels (`text`, `label`, `labelled_at`), newest first."""
    stmt = (
        select(brand_label.c.text, brand_label.c.label, brand_label.c.labelled_at)
        .where(brand_label.c.tenant_id == tenant_id, brand_label.c.brand_id == brand_id)
        .order_by(brand_label.c.labelled_at.desc(), brand_label.c.text, brand_label.c.id)
        .limit(limit)
    )
    result: Result[Any] = await session.execute(stmt)
    return result.all()


async def latest_model(session: AsyncSession, *, tenant_id: str, brand_id: str) -> Row[Any] | None:
    """The brand's model of the highest version."""
    result = await session.execute(
        select(brand_model)
        .where(brand_model.c.tenant_id == tenant_id, brand_model.c.brand_id == brand_id)
        .order_by(brand_model.c.version.desc())
        .limit(1)
    )
    return result.first()


async def latest_version(session: AsyncSession, *, tenant_id: str, brand_id: str) -> int | None:
    """The brand's highest model version, without loading the model."""
    result = await session.execute(
        select(func.max(brand_model.c.version)).where(
            brand_model.c.tenant_id == tenant_id, brand_model.c.brand_id == brand_id
        )
    )
    version: int | None = result.scalar_one()
    return version


async def insert_model(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a model version; False when that version exists (another worker trained it)."""
    result = await session.execute(
        insert(brand_model)
        .values(row)
        .on_conflict_do_nothing(index_elements=["tenant_id", "brand_id", "version"])
        .returning(brand_model.c.id)
    )
    return result.first() is not None


async def delete_models_before(
    session: AsyncSession, *, tenant_id: str, brand_id: str, version: int
) -> None:
    """Forget the brand's model versions below `version`."""
    await session.execute(
        delete(brand_model).where(
            brand_model.c.tenant_id == tenant_id,
            brand_model.c.brand_id == brand_id,
            brand_model.c.version < version,
        )
    )


async def due_brands(
    session: AsyncSession,
    *,
    min_per_label: int,
    base_model_version: str,
    features_version: int,
    limit: int,
) -> Sequence[Row[Any]]:
    """Brands (`tenant_id`, `brand_id`) with enough labels whose model is missing or stale.

    Stale: labels were added or changed since it was trained, or it reads another version of
    the shared classifier or of the features. Those without a model come first, then the oldest.
    """
    labels = (
        select(
            brand_label.c.tenant_id,
            brand_label.c.brand_id,
            func.count().label("total"),
            *_counts(),
        )
        .group_by(brand_label.c.tenant_id, brand_label.c.brand_id)
        .subquery()
    )
    current = (
        select(
            brand_model.c.tenant_id,
            brand_model.c.brand_id,
            brand_model.c.labels_seen,
            brand_model.c.labels_until,
            brand_model.c.base_model_version,
            brand_model.c.features["version"].as_integer().label("features_version"),
            brand_model.c.trained_at,
        )
        .ext(distinct_on(brand_model.c.tenant_id, brand_model.c.brand_id))
        .order_by(brand_model.c.tenant_id, brand_model.c.brand_id, brand_model.c.version.desc())
        .subquery()
    )
    stmt = (
        select(labels.c.tenant_id, labels.c.brand_id)
        .select_from(
            labels.outerjoin(
                current,
                and_(
                    current.c.tenant_id == labels.c.tenant_id,
                    current.c.brand_id == labels.c.brand_id,
                ),
            )
        )
        .where(
            labels.c.removes >= min_per_label,
            labels.c.keeps >= min_per_label,
            or_(
                current.c.tenant_id.is_(None),
                labels.c.total != current.c.labels_seen,
                labels.c.newest > current.c.labels_until,
                current.c.base_model_version != base_model_version,
                current.c.features_version != features_version,
            ),
        )
        .order_by(
            case((current.c.tenant_id.is_(None), 0), else_=1),
            current.c.trained_at.nulls_first(),
            labels.c.tenant_id,
            labels.c.brand_id,
        )
        .limit(limit)
    )
    result: Result[Any] = await session.execute(stmt)
    return result.all()
