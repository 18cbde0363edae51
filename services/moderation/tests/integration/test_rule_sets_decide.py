"""Deciding with each brand's active rule set, read through the in-process cache."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from beacon_shared.contracts.moderation import ModerationAction
from moderation.classify import Classification
from moderation.classify.signals import Signals
from moderation.rules import service
from moderation.rules.models import rule_set
from moderation.rules.schemas import RuleSetCreate

pytestmark = pytest.mark.integration

HIDE_ALL = {"id": "hide-all", "name": "Hide everything", "then": {"action": "hide"}}
FLAG_ALL = {"id": "flag-all", "name": "Flag everything", "then": {"action": "flag"}}


def classified(**overrides: object) -> Classification:
    values: dict[str, object] = {
        "language": "en",
        "toxicity": 0.05,
        "spam": 0.05,
        "spam_reasons": (),
        "sentiment": "neutral",
        "sentiment_score": 0.0,
        "intents": (),
        "signals": Signals(links=0, shorteners=0, emails=0, phones=0),
    }
    values.update(overrides)
    return Classification(**values)


async def activate(session, tenant, brand_id, *rules):
    draft = await service.create_draft(
        session,
        tenant_id=tenant,
        brand_id=brand_id,
        actor="key:test",
        data=RuleSetCreate(rules=list(rules)),
    )
    return await service.activate(
        session, tenant_id=tenant, brand_id=brand_id, version=draft.version, actor="key:test"
    )


class TestDecide:
    async def test_a_brand_without_an_active_rule_set_gets_the_default_rules(
        self, db_session, comment, unique
    ):
        spam = classified(spam=0.9, spam_reasons=("smm_panel",))
        (verdict,) = await service.decide(
            db_session, tenant_id=unique("t"), comments=[comment("x")], classifications=[spam]
        )
        assert (verdict.action, verdict.rule_id, verdict.rule_set_version) == (
            ModerationAction.hide,
            "default.spam",
            0,
        )
        assert verdict.classification == spam

    async def test_each_brand_is_decided_by_its_active_rules(self, db_session, comment, unique):
        tenant = unique("t")
        await activate(db_session, tenant, "brand-1", HIDE_ALL)
        await activate(db_session, tenant, "brand-2", FLAG_ALL)
        batch = [
            comment("a", brand_id="brand-1"),
            comment("b", brand_id="brand-2"),
            comment("c", brand_id="brand-3"),
            comment("d", brand_id=None),
            comment("e", brand_id="brand-1"),
        ]

        verdicts = await service.decide(
            db_session, tenant_id=tenant, comments=batch, classifications=[classified()] * 5
        )

        assert [(v.rule_id, v.rule_set_version) for v in verdicts] == [
            ("hide-all", 1),
            ("flag-all", 1),
            ("default.allow", 0),
            ("default.allow", 0),
            ("hide-all", 1),
        ]

    async def test_another_tenant_s_rules_do_not_apply(self, db_session, comment, unique):
        await activate(db_session, unique("t"), "brand-1", HIDE_ALL)
        (verdict,) = await service.decide(
            db_session,
            tenant_id=unique("t"),
            comments=[comment("a")],
            classifications=[classified()],
        )
        assert verdict.rule_set_version == 0

    async def test_an_activation_applies_at_once_in_the_same_process(
        self, db_session, comment, unique
    ):
        tenant = unique("t")
        before = await service.active_rule_set(db_session, tenant_id=tenant, brand_id="brand-1")
        await activate(db_session, tenant, "brand-1", HIDE_ALL)
        after = await service.active_rule_set(db_session, tenant_id=tenant, brand_id="brand-1")
        assert (before.version, after.version) == (0, 1)

    async def test_the_active_rules_are_cached_between_batches(self, db_session, unique):
        tenant = unique("t")
        await activate(db_session, tenant, "brand-1", HIDE_ALL)
        first = await service.active_rule_set(db_session, tenant_id=tenant, brand_id="brand-1")
        # Another process retires it: this one keeps its cached copy until the entry expires.
        await db_session.execute(
            update(rule_set).where(rule_set.c.tenant_id == tenant).values(status="retired")
        )
        cached = await service.active_rule_set(db_session, tenant_id=tenant, brand_id="brand-1")
        service.forget_cached(tenant_id=tenant, brand_id="brand-1")
        fresh = await service.active_rule_set(db_session, tenant_id=tenant, brand_id="brand-1")
        assert (first.version, fresh.version) == (1, 0)
        assert cached is first

    async def test_one_classification_per_comment(self, db_session, comment, unique):
        with pytest.raises(ValueError, match="one classification per comment"):
            await service.decide(
                db_session, tenant_id=unique("t"), comments=[comment("a")], classifications=[]
            )
