"""Retraining in the background: brands with labels newer than their model are trained again.

The worker runs `retrain_job(ctx)`; each brand is read in one short transaction, classified and
fitted in a thread (outside any transaction) and stored in another.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, WorkerContext, every
from moderation.classify import Classifier
from moderation.learning import service

RETRAIN_SECONDS = 300.0
MAX_BRANDS_PER_RUN = 20
log = get_logger(__name__)


async def retrain_brand(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    tenant_id: str,
    brand_id: str,
    classifier: Classifier,
) -> int | None:
    """Train the brand's model on its labels now; the new version, or None with too few labels."""
    started = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        labels = await service.training_set(session, tenant_id=tenant_id, brand_id=brand_id)
    if labels is None:
        return None
    trained = await asyncio.to_thread(service.fit, labels, classifier)
    if trained is None:
        return None
    async with sessionmaker() as session, session.begin():
        version = await service.store_model(session, labels=labels, trained=trained)
    log.info(
        "brand_model.retrained",
        tenant_id=tenant_id,
        brand_id=brand_id,
        version=version,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )
    return version


async def retrain_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    classifier: Classifier,
    max_brands: int = MAX_BRANDS_PER_RUN,
) -> int:
    """Retrain up to `max_brands` brands whose labels changed since their model; returns how many
    were trained. One brand failing is logged and does not stop the others."""
    async with sessionmaker() as session, session.begin():
        due = await service.due_brands(session, limit=max_brands)
    trained = 0
    for tenant_id, brand_id in due:
        try:
            version = await retrain_brand(
                sessionmaker, tenant_id=tenant_id, brand_id=brand_id, classifier=classifier
            )
        except Exception as exc:
            log.warning(
                "brand_model.training_failed",
                tenant_id=tenant_id,
                brand_id=brand_id,
                error=repr(exc),
            )
            continue
        trained += version is not None
    return trained


def retrain_job(
    ctx: WorkerContext, *, classifier: Classifier | None = None, seconds: float = RETRAIN_SECONDS
) -> Job:
    """The worker job: `retrain_due` every `seconds`.

    Pass the worker's classifier to share its loaded models; without one the job loads its own
    on its first run.
    """
    loaded: list[Classifier] = [classifier] if classifier is not None else []

    async def run() -> int:
        if not loaded:
            loaded.append(await asyncio.to_thread(Classifier))
        return await retrain_due(ctx.sessionmaker, classifier=loaded[0])

    return every(seconds, run, name="retrain_brand_models")
