"""The production decider: the shared classifier, each brand's own model, then its rules (and,
while the brand has a bad-buzz alert open, the heightened adjustment)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from moderation.alerts import service as alerts
from moderation.classify import Classification, Classifier
from moderation.classify.classifier import with_copies
from moderation.comments import service as comments
from moderation.decisions.service import ReceivedComment
from moderation.learning.service import BrandModels
from moderation.rules import BrandScore, Verdict
from moderation.rules import service as rules

# How far back the same text from other authors counts as a campaign.
COPIES_WINDOW = timedelta(hours=24)


class RuleDecider:
    """Classifies the whole batch in one pass (each call has a fixed cost of a few ms), asks
    each brand's own model, then applies each brand's rules."""

    def __init__(
        self, classifier: Classifier | None = None, brand_models: BrandModels | None = None
    ) -> None:
        self.classifier = classifier or Classifier()
        self.brand_models = brand_models or BrandModels()

    async def decide(
        self, session: AsyncSession, received: Sequence[ReceivedComment]
    ) -> list[Verdict]:
        classified = self.classifier.classify_many([item.comment.text for item in received])
        by_tenant: dict[str, list[int]] = {}
        for index, item in enumerate(received):
            by_tenant.setdefault(item.tenant_id, []).append(index)
        verdicts: list[Verdict | None] = [None] * len(received)
        for tenant_id, indexes in by_tenant.items():
            items = [received[i] for i in indexes]
            raw = [classified[i] for i in indexes]
            # Brand models learnt from the classifier's own output, so they read it before the
            # copies clue (which needs the database) is added.
            brand_scores = await self._brand_scores(session, tenant_id, items, raw)
            with_clue = await _with_copies(session, tenant_id, items, raw)
            decided = await rules.decide(
                session,
                tenant_id=tenant_id,
                comments=[item.comment for item in items],
                classifications=with_clue,
                brand_scores=brand_scores,
            )
            for i, verdict in zip(indexes, decided, strict=True):
                verdicts[i] = verdict
        # Brands with a bad-buzz alert open get the heightened adjustment on top of their rules.
        return await alerts.adjust(
            session,
            brands=[(item.tenant_id, item.comment.brand_id) for item in received],
            verdicts=[v for v in verdicts if v is not None],
        )

    async def _brand_scores(
        self,
        session: AsyncSession,
        tenant_id: str,
        received: Sequence[ReceivedComment],
        classified: Sequence[Classification],
    ) -> list[BrandScore | None]:
        by_brand: dict[str | None, list[int]] = {}
        for index, item in enumerate(received):
            by_brand.setdefault(item.comment.brand_id, []).append(index)
        scores: list[BrandScore | None] = [None] * len(received)
        for brand_id, indexes in by_brand.items():
            if brand_id is None:
                continue
            model = await self.brand_models.get(session, tenant_id=tenant_id, brand_id=brand_id)
            if model is None:
                continue
            removes = model.scores(
                [received[i].comment.text for i in indexes], [classified[i] for i in indexes]
            )
            for i, remove in zip(indexes, removes, strict=True):
                scores[i] = BrandScore(remove=remove, threshold=model.threshold)
        return scores


async def _with_copies(
    session: AsyncSession,
    tenant_id: str,
    received: Sequence[ReceivedComment],
    classified: Sequence[Classification],
) -> list[Classification]:
    """Adds the spam clue of a long text that many authors posted, in this batch or before."""
    prints = [c.fingerprint for c in classified]
    authors = await comments.authors_of_copies(
        session,
        tenant_id=tenant_id,
        fingerprints=sorted({p for p in prints if p is not None}),
        since=datetime.now(UTC) - COPIES_WINDOW,
    )
    for item, print_ in zip(received, prints, strict=True):
        if print_ is not None:
            authors.setdefault(print_, set()).add(item.comment.author.network_id)
    return [
        c if print_ is None else with_copies(c, len(authors[print_]))
        for c, print_ in zip(classified, prints, strict=True)
    ]
