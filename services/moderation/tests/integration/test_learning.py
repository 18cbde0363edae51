"""Labels, training, retraining in the background and scoring, on the migrated database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from moderation.classify import Classifier
from moderation.decisions.service import ReceivedComment
from moderation.learning import jobs, service
from moderation.learning.models import brand_label, brand_model
from moderation.learning.training import MIN_PER_LABEL
from moderation.pipeline.decider import RuleDecider

pytestmark = pytest.mark.integration

BRAND = "brand-1"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


@pytest.fixture
async def sessionmaker(engine):
    """Sessions whose commits are savepoints of one transaction rolled back after the test."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield async_sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        await outer.rollback()


def competitor_csv(removes: int, keeps: int) -> bytes:
    """A brand that removes comments naming its competitor Fizzbolt."""
    lines = ["text,label"]
    lines += [f"Fizzbolt is better than this number {i},remove" for i in range(removes)]
    lines += [f"This is better than last year number {i},keep" for i in range(keeps)]
    return ("\n".join(lines) + "\n").encode()


async def import_csv(session, tenant, data, brand=BRAND):
    return await service.import_labels(
        session, tenant_id=tenant, brand_id=brand, data=data, labelled_by="test"
    )


async def labels_of(session, tenant, brand=BRAND):
    rows = await session.execute(
        select(brand_label).where(
            brand_label.c.tenant_id == tenant, brand_label.c.brand_id == brand
        )
    )
    return rows.all()


async def train_now(session, tenant, classifier, brand=BRAND):
    labels = await service.training_set(session, tenant_id=tenant, brand_id=brand)
    assert labels is not None
    trained = service.fit(labels, classifier)
    assert trained is not None
    return await service.store_model(session, labels=labels, trained=trained)


class TestReviewLabels:
    async def test_a_reviewer_decision_is_recorded_as_a_label(self, db_session, unique):
        tenant, interaction = unique("tenant"), uuid.uuid4()

        await service.record_label(
            db_session,
            tenant_id=tenant,
            brand_id=BRAND,
            text="Fizzbolt is better",
            remove=True,
            interaction_id=interaction,
            labelled_by="user:ann",
        )

        [row] = await labels_of(db_session, tenant)
        assert (row.text, row.label, row.source, row.interaction_id, row.labelled_by) == (
            "Fizzbolt is better",
            "remove",
            "review",
            interaction,
            "user:ann",
        )

    async def test_a_comment_labelled_again_keeps_only_the_latest_label(self, db_session, unique):
        tenant, interaction = unique("tenant"), uuid.uuid4()
        for remove, who in [(True, "user:ann"), (False, "user:bob")]:
            await service.record_label(
                db_session,
                tenant_id=tenant,
                brand_id=BRAND,
                text="Fizzbolt is better",
                remove=remove,
                interaction_id=interaction,
                labelled_by=who,
            )

        [row] = await labels_of(db_session, tenant)
        assert (row.label, row.labelled_by) == ("keep", "user:bob")

    async def test_a_comment_without_a_brand_teaches_nothing(self, db_session, unique):
        tenant = unique("tenant")

        await service.record_label(
            db_session,
            tenant_id=tenant,
            brand_id=None,
            text="hello",
            remove=False,
            interaction_id=uuid.uuid4(),
            labelled_by="user:ann",
        )

        rows = await db_session.execute(
            select(brand_label).where(brand_label.c.tenant_id == tenant)
        )
        assert rows.all() == []


class TestImportedLabels:
    async def test_a_repeated_text_keeps_its_last_row(self, db_session, unique):
        tenant = unique("tenant")

        summary = await import_csv(db_session, tenant, b"text,label\nHello,1\nother,0\nhello ,0\n")

        assert (summary.rows, summary.imported, summary.duplicates) == (3, 2, 1)
        assert sorted((r.text, r.label) for r in await labels_of(db_session, tenant)) == [
            ("hello ", "keep"),
            ("other", "keep"),
        ]

    async def test_importing_a_text_again_replaces_its_label(self, db_session, unique):
        tenant = unique("tenant")
        await import_csv(db_session, tenant, b"text,label\nhello,1\n")

        await import_csv(db_session, tenant, b"text,label\nhello,0\n")

        assert [(r.text, r.label) for r in await labels_of(db_session, tenant)] == [
            ("hello", "keep")
        ]

    async def test_imports_and_reviews_of_the_same_text_are_both_kept(self, db_session, unique):
        tenant = unique("tenant")
        await import_csv(db_session, tenant, b"text,label\nhello,1\n")
        await service.record_label(
            db_session,
            tenant_id=tenant,
            brand_id=BRAND,
            text="hello",
            remove=False,
            interaction_id=uuid.uuid4(),
            labelled_by="user:ann",
        )

        assert sorted(r.source for r in await labels_of(db_session, tenant)) == ["import", "review"]


class TestTraining:
    async def test_below_the_minimum_there_is_nothing_to_train(self, db_session, unique):
        tenant = unique("tenant")
        await import_csv(db_session, tenant, competitor_csv(MIN_PER_LABEL - 1, 50))

        assert await service.training_set(db_session, tenant_id=tenant, brand_id=BRAND) is None
        assert (tenant, BRAND) not in await service.due_brands(db_session, limit=10_000)
        described = await service.describe(db_session, tenant_id=tenant, brand_id=BRAND)
        assert (described.labels.remove, described.labels.keep) == (MIN_PER_LABEL - 1, 50)
        assert described.model is None
        assert described.retrain_pending is False

    async def test_above_the_minimum_a_model_is_trained_and_described(
        self, db_session, unique, classifier
    ):
        tenant = unique("tenant")
        await import_csv(db_session, tenant, competitor_csv(30, 40))
        assert (tenant, BRAND) in await service.due_brands(db_session, limit=10_000)

        version = await train_now(db_session, tenant, classifier)

        described = await service.describe(db_session, tenant_id=tenant, brand_id=BRAND)
        assert version == 1
        assert described.model is not None
        assert described.model.version == 1
        assert (described.model.labels.remove, described.model.labels.keep) == (30, 40)
        assert described.model.cross_validation.f1 > 0.9
        assert 0 < described.model.threshold < 1
        assert described.retrain_pending is False
        assert (tenant, BRAND) not in await service.due_brands(db_session, limit=10_000)

    async def test_a_new_label_makes_the_model_due_again(self, db_session, unique, classifier):
        tenant = unique("tenant")
        await import_csv(db_session, tenant, competitor_csv(25, 25))
        await train_now(db_session, tenant, classifier)

        await service.record_label(
            db_session,
            tenant_id=tenant,
            brand_id=BRAND,
            text="Fizzbolt forever",
            remove=True,
            interaction_id=uuid.uuid4(),
            labelled_by="user:ann",
        )

        assert (tenant, BRAND) in await service.due_brands(db_session, limit=10_000)
        described = await service.describe(db_session, tenant_id=tenant, brand_id=BRAND)
        assert described.retrain_pending is True

    async def test_only_the_latest_versions_are_kept(self, db_session, unique, classifier):
        tenant = unique("tenant")
        await import_csv(db_session, tenant, competitor_csv(20, 20))

        versions = [await train_now(db_session, tenant, classifier) for _ in range(5)]

        stored = await db_session.execute(
            select(brand_model.c.version).where(brand_model.c.tenant_id == tenant)
        )
        assert versions == [1, 2, 3, 4, 5]
        assert sorted(stored.scalars()) == [3, 4, 5]


class TestRetrainJob:
    async def test_brands_with_new_labels_are_retrained_once(
        self, sessionmaker, unique, classifier
    ):
        tenant = unique("tenant")
        async with sessionmaker() as session, session.begin():
            await import_csv(session, tenant, competitor_csv(20, 20))

        await jobs.retrain_due(sessionmaker, classifier=classifier, max_brands=10_000)
        await jobs.retrain_due(sessionmaker, classifier=classifier, max_brands=10_000)

        async with sessionmaker() as session:
            described = await service.describe(session, tenant_id=tenant, brand_id=BRAND)
        assert described.model is not None
        assert described.model.version == 1

    async def test_a_brand_below_the_minimum_is_not_trained(self, sessionmaker, unique, classifier):
        tenant = unique("tenant")
        async with sessionmaker() as session, session.begin():
            await import_csv(session, tenant, competitor_csv(5, 5))

        version = await jobs.retrain_brand(
            sessionmaker, tenant_id=tenant, brand_id=BRAND, classifier=classifier
        )

        assert version is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestScoring:
    async def test_a_brand_without_a_model_scores_none(self, db_session, unique, classifier):
        models = service.BrandModels()
        texts = ["Fizzbolt is better"]

        scores = await models.score_many(
            db_session,
            tenant_id=unique("tenant"),
            brand_id=BRAND,
            texts=texts,
            classifications=classifier.classify_many(texts),
        )

        assert scores is None

    async def test_a_comment_without_a_brand_scores_none(self, db_session, unique):
        models = service.BrandModels()

        assert (
            await models.score_many(
                db_session, tenant_id=unique("tenant"), brand_id=None, texts=[], classifications=[]
            )
            is None
        )

    async def test_a_trained_brand_scores_its_pattern_above_its_threshold(
        self, db_session, unique, classifier
    ):
        tenant = unique("tenant")
        await import_csv(db_session, tenant, competitor_csv(30, 30))
        await train_now(db_session, tenant, classifier)
        models = service.BrandModels()
        texts = ["Fizzbolt is better than this", "This is better than last year"]

        scores = await models.score_many(
            db_session,
            tenant_id=tenant,
            brand_id=BRAND,
            texts=texts,
            classifications=classifier.classify_many(texts),
        )
        model = await models.get(db_session, tenant_id=tenant, brand_id=BRAND)

        assert model is not None
        assert scores is not None
        assert scores[0] >= model.threshold > scores[1]

    async def test_a_new_model_is_picked_up_after_the_refresh_period(
        self, db_session, unique, classifier
    ):
        tenant, clock = unique("tenant"), Clock()
        models = service.BrandModels(refresh_seconds=30, clock=clock)
        assert await models.get(db_session, tenant_id=tenant, brand_id=BRAND) is None
        await import_csv(db_session, tenant, competitor_csv(20, 20))
        await train_now(db_session, tenant, classifier)

        clock.now = 29.0
        cached = await models.get(db_session, tenant_id=tenant, brand_id=BRAND)
        clock.now = 31.0
        refreshed = await models.get(db_session, tenant_id=tenant, brand_id=BRAND)

        assert cached is None
        assert refreshed is not None
        assert refreshed.version == 1

    async def test_the_cache_keeps_at_most_its_number_of_brands(self, db_session, unique):
        models = service.BrandModels(max_brands=2)
        tenant = unique("tenant")

        for brand in ["a", "b", "c"]:
            await models.get(db_session, tenant_id=tenant, brand_id=brand)

        assert list(models._cache) == [(tenant, "b"), (tenant, "c")]


class TestTenantIsolation:
    async def test_another_tenant_sees_neither_the_labels_nor_the_model(
        self, db_session, unique, classifier
    ):
        owner, other = unique("tenant"), unique("tenant")
        await import_csv(db_session, owner, competitor_csv(20, 20))
        await train_now(db_session, owner, classifier)
        texts = ["Fizzbolt is better than this"]

        described = await service.describe(db_session, tenant_id=other, brand_id=BRAND)
        scores = await service.BrandModels().score_many(
            db_session,
            tenant_id=other,
            brand_id=BRAND,
            texts=texts,
            classifications=classifier.classify_many(texts),
        )

        assert (described.labels.remove, described.labels.keep, described.model) == (0, 0, None)
        assert scores is None
        assert await service.training_set(db_session, tenant_id=other, brand_id=BRAND) is None


class TestDeciding:
    async def test_the_default_rules_flag_what_the_brand_s_model_would_remove(
        self, db_session, unique, classifier, comment, envelope_of
    ):
        tenant = unique("tenant")
        await import_csv(db_session, tenant, competitor_csv(40, 40))
        await train_now(db_session, tenant, classifier)
        decider = RuleDecider(classifier)
        texts = [
            "Fizzbolt is better than this number 99",
            "This is better than last year number 99",
        ]
        received = [
            ReceivedComment(envelope_of(c, tenant_id=tenant), c)
            for c in (comment(text, brand_id=BRAND) for text in texts)
        ]

        rival, ordinary = await decider.decide(db_session, received)

        assert (rival.action.value, rival.rule_id) == ("flag", "default.brand_model")
        assert "brand_model:remove" in rival.reasons
        assert rival.scores["brand_model"] > ordinary.scores["brand_model"]
        assert (ordinary.action.value, ordinary.rule_id) == ("allow", "default.allow")

    async def test_without_a_model_nothing_changes(
        self, db_session, unique, classifier, comment, envelope_of
    ):
        tenant = unique("tenant")
        received = comment("Fizzbolt is better than this one, honestly", brand_id=BRAND)
        (verdict,) = await RuleDecider(classifier).decide(
            db_session, [ReceivedComment(envelope_of(received, tenant_id=tenant), received)]
        )
        assert verdict.rule_id == "default.allow"
        assert "brand_model" not in verdict.scores
