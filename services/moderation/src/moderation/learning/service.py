"""Labels from reviewers and imports, each brand's model as the API shows it, training and scoring.

Nothing here commits: the request, the consumer or the retraining job owns the transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.logging import get_logger
from moderation.classify import Classification, Classifier
from moderation.classify.classifier import MODEL_VERSION
from moderation.classify.text import normalise
from moderation.learning import labelfile, repository
from moderation.learning.features import FEATURES_VERSION, FeatureConfig
from moderation.learning.schemas import (
    BrandLearningOut,
    BrandModelOut,
    CrossValidation,
    LabelCounts,
    LabelImport,
)
from moderation.learning.training import (
    MIN_PER_LABEL,
    CrossValidated,
    LinearModel,
    Trained,
    enough_labels,
    train,
)

REVIEW, IMPORT = "review", "import"
REMOVE, KEEP = "remove", "keep"
# A brand's model learns from its newest labels, up to this many: fitting 20,000 took about 9 s
# and 160 MB in the worker on the reference machine, 50,000 took 71 s and 480 MB.
MAX_TRAINING_LABELS = 20_000
KEEP_VERSIONS = 3  # older versions of a brand's model are deleted
log = get_logger(__name__)


def text_digest(text: str) -> bytes:
    """The key of an imported text: the same text (up to case and spacing) is labelled once."""
    return hashlib.sha256(normalise(text).encode()).digest()


async def record_label(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    text: str,
    remove: bool,
    interaction_id: UUID | None,
    labelled_by: str,
) -> None:
    """Keep a reviewer's decision on a comment as a label (approve: keep; hide, delete: remove).

    A comment labelled again keeps only its latest label. A comment without a brand teaches no
    brand's model, so nothing is recorded for it.
    """
    if brand_id is None:
        log.debug("label.skipped_without_brand", tenant_id=tenant_id)
        return
    row = {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "brand_id": brand_id,
        "text": text[: labelfile.MAX_TEXT_CHARS],
        "label": REMOVE if remove else KEEP,
        "source": REVIEW,
        "interaction_id": interaction_id,
        "text_digest": None if interaction_id is not None else text_digest(text),
        "labelled_by": labelled_by,
        "labelled_at": datetime.now(UTC),
    }
    if interaction_id is None:
        await repository.upsert_by_text(session, [row])
    else:
        await repository.upsert_by_interaction(session, row)
    log.info(
        "label.recorded",
        tenant_id=tenant_id,
        brand_id=brand_id,
        label=row["label"],
        interaction_id=str(interaction_id) if interaction_id else None,
    )


async def import_labels(
    session: AsyncSession, *, tenant_id: str, brand_id: str, data: bytes, labelled_by: str
) -> LabelImport:
    """Import a labelled CSV (see `labelfile`) as the brand's labels: every row or none.

    A text already imported for the brand takes its new label; a text repeated in the file keeps
    its last row.
    """
    rows = await asyncio.to_thread(labelfile.parse, data)
    now = datetime.now(UTC)
    latest: dict[bytes, labelfile.LabelRow] = {}
    for row in rows:
        digest = text_digest(row.text)
        latest.pop(digest, None)  # re-inserted: the file's order is kept
        latest[digest] = row
    await repository.upsert_by_text(
        session,
        [
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "brand_id": brand_id,
                "text": row.text,
                "label": REMOVE if row.remove else KEEP,
                "source": IMPORT,
                "interaction_id": None,
                "text_digest": digest,
                "labelled_by": labelled_by,
                "labelled_at": now,
            }
            for digest, row in latest.items()
        ],
    )
    removes = sum(row.remove for row in latest.values())
    log.info(
        "labels.imported",
        tenant_id=tenant_id,
        brand_id=brand_id,
        rows=len(rows),
        imported=len(latest),
    )
    return LabelImport(
        brand_id=brand_id,
        rows=len(rows),
        imported=len(latest),
        duplicates=len(rows) - len(latest),
        labels=LabelCounts(remove=removes, keep=len(latest) - removes),
    )


async def describe(session: AsyncSession, *, tenant_id: str, brand_id: str) -> BrandLearningOut:
    """The brand's label counts and current model."""
    counts = await repository.label_counts(session, tenant_id=tenant_id, brand_id=brand_id)
    row = await repository.latest_model(session, tenant_id=tenant_id, brand_id=brand_id)
    enough = enough_labels(counts.removes, counts.keeps)
    return BrandLearningOut(
        brand_id=brand_id,
        labels=LabelCounts(remove=counts.removes, keep=counts.keeps),
        min_labels_per_kind=MIN_PER_LABEL,
        retrain_pending=enough and (row is None or _stale(row, counts)),
        model=None if row is None else _model_out(row),
    )


def _stale(model: Row[Any], counts: Row[Any]) -> bool:
    return bool(
        counts.removes + counts.keeps != model.labels_seen
        or counts.newest > model.labels_until
        or model.base_model_version != MODEL_VERSION
        or model.features.get("version") != FEATURES_VERSION
    )


def _model_out(row: Row[Any]) -> BrandModelOut:
    return BrandModelOut(
        version=row.version,
        trained_at=row.trained_at,
        threshold=round(row.threshold, 4),
        labels=LabelCounts(remove=row.labels_remove, keep=row.labels_keep),
        cross_validation=CrossValidation.model_validate(row.metrics),
        base_model_version=row.base_model_version,
    )


# Training: read the labels in one short transaction, fit outside any, store in another.


@dataclass(frozen=True)
class TrainingSet:
    """A brand's newest labels, and what the brand had when they were read."""

    tenant_id: str
    brand_id: str
    texts: list[str]
    remove: list[bool]
    seen: int
    newest: datetime


async def training_set(
    session: AsyncSession, *, tenant_id: str, brand_id: str, limit: int = MAX_TRAINING_LABELS
) -> TrainingSet | None:
    """The labels to train the brand's model on; None while it has too few of either kind."""
    # Counted before the rows are read: a label arriving in between is then in the rows but
    # not in `seen`, which makes the next run train again rather than miss it.
    counts = await repository.label_counts(session, tenant_id=tenant_id, brand_id=brand_id)
    if not enough_labels(counts.removes, counts.keeps):
        return None
    rows = await repository.newest_labels(
        session, tenant_id=tenant_id, brand_id=brand_id, limit=limit
    )
    return TrainingSet(
        tenant_id=tenant_id,
        brand_id=brand_id,
        texts=[row.text for row in rows],
        remove=[row.label == REMOVE for row in rows],
        seen=counts.removes + counts.keeps,
        newest=counts.newest,
    )


def fit(
    labels: TrainingSet, classifier: Classifier, *, config: FeatureConfig | None = None
) -> Trained | None:
    """Classify the labelled texts and train on them (CPU-bound: run it in a thread)."""
    classifications = classifier.classify_many(labels.texts)
    return train(labels.texts, classifications, labels.remove, config=config)


async def store_model(
    session: AsyncSession, *, labels: TrainingSet, trained: Trained
) -> int | None:
    """Store the model as the brand's next version; None if another worker stored it first."""
    latest = await repository.latest_version(
        session, tenant_id=labels.tenant_id, brand_id=labels.brand_id
    )
    version = (latest or 0) + 1
    model = trained.model
    stored = await repository.insert_model(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": labels.tenant_id,
            "brand_id": labels.brand_id,
            "version": version,
            "trained_at": datetime.now(UTC),
            "features": model.config.model_dump(mode="json"),
            "base_model_version": MODEL_VERSION,
            "coef_index": model.index_bytes(),
            "coef_value": model.value_bytes(),
            "intercept": model.intercept,
            "threshold": model.threshold,
            "labels_remove": trained.removes,
            "labels_keep": trained.keeps,
            "labels_seen": labels.seen,
            "labels_until": labels.newest,
            "metrics": trained.metrics.model_dump(mode="json"),
        },
    )
    if not stored:
        return None
    await repository.delete_models_before(
        session,
        tenant_id=labels.tenant_id,
        brand_id=labels.brand_id,
        version=version - KEEP_VERSIONS + 1,
    )
    log.info(
        "brand_model.trained",
        tenant_id=labels.tenant_id,
        brand_id=labels.brand_id,
        version=version,
        labels=len(labels.texts),
        threshold=round(model.threshold, 4),
        f1=trained.metrics.f1,
        weights=len(model.indices),
    )
    return version


async def due_brands(session: AsyncSession, *, limit: int) -> list[tuple[str, str]]:
    """(tenant_id, brand_id) of brands whose model is missing or older than their labels."""
    rows = await repository.due_brands(
        session,
        min_per_label=MIN_PER_LABEL,
        base_model_version=MODEL_VERSION,
        features_version=FEATURES_VERSION,
        limit=limit,
    )
    return [(row.tenant_id, row.brand_id) for row in rows]


# Scoring on the hot path.


@dataclass(frozen=True)
class BrandModel:
    """A brand's model as loaded for scoring."""

    tenant_id: str
    brand_id: str
    version: int
    trained_at: datetime
    model: LinearModel
    metrics: CrossValidated

    @property
    def threshold(self) -> float:
        """Scores at or above it are comments the brand would remove."""
        return self.model.threshold

    def scores(
        self, texts: Sequence[str], classifications: Sequence[Classification]
    ) -> list[float]:
        """The probability that the brand removes each text, given its shared classification."""
        return self.model.scores(texts, classifications)

    @classmethod
    def from_row(cls, row: Row[Any]) -> BrandModel:
        """From a `brand_model` row."""
        return cls(
            tenant_id=row.tenant_id,
            brand_id=row.brand_id,
            version=row.version,
            trained_at=row.trained_at,
            model=LinearModel.from_bytes(
                config=FeatureConfig.model_validate(row.features),
                index=row.coef_index,
                value=row.coef_value,
                intercept=row.intercept,
                threshold=row.threshold,
            ),
            metrics=CrossValidated.model_validate(row.metrics),
        )


@dataclass
class _Cached:
    checked_at: float
    model: BrandModel | None


class BrandModels:
    """Brands' current models, cached per process.

    A cached model (or the absence of one) is used for `refresh_seconds`; then one query for the
    brand's latest version number says whether to keep it or load the new one. At most
    `max_brands` are kept, the least recently used leaving first (a model is at most about
    1 MB: the features' hash spaces bound its weights).
    """

    def __init__(
        self,
        *,
        refresh_seconds: float = 30.0,
        max_brands: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.max_brands = max_brands
        self._clock = clock
        self._cache: OrderedDict[tuple[str, str], _Cached] = OrderedDict()

    async def get(
        self, session: AsyncSession, *, tenant_id: str, brand_id: str
    ) -> BrandModel | None:
        """The brand's current model, or None while it has none."""
        key = (tenant_id, brand_id)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            if now - cached.checked_at < self.refresh_seconds:
                return cached.model
            version = await repository.latest_version(
                session, tenant_id=tenant_id, brand_id=brand_id
            )
            if version == (cached.model.version if cached.model else None):
                cached.checked_at = now
                return cached.model
        row = await repository.latest_model(session, tenant_id=tenant_id, brand_id=brand_id)
        model = None if row is None else BrandModel.from_row(row)
        self._cache[key] = _Cached(now, model)
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_brands:
            self._cache.popitem(last=False)
        return model

    async def score_many(
        self,
        session: AsyncSession,
        *,
        tenant_id: str,
        brand_id: str | None,
        texts: Sequence[str],
        classifications: Sequence[Classification],
    ) -> list[float] | None:
        """Each text's score under the brand's model (compare with `get(...).threshold`), or
        None when the brand has no model (or the comment no brand)."""
        if brand_id is None:
            return None
        model = await self.get(session, tenant_id=tenant_id, brand_id=brand_id)
        return None if model is None else model.scores(texts, classifications)

    def forget(self, *, tenant_id: str, brand_id: str) -> None:
        """Drop a brand's cached model, so the next call loads the current one."""
        self._cache.pop((tenant_id, brand_id), None)
