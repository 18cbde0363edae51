"""Brands' rule sets: versions, activation, the active rules for deciding, and dry-runs.

A brand's versions are numbered 1, 2, … in creation order; a draft can be edited, activating a
version retires the one active before (and is written to the audit log), and a brand with no
active version is decided by the default rules (version 0).
"""

from __future__ import annotations

import asyncio
import functools
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.bounds import INT32_MAX
from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.logging import get_logger
from beacon_shared.pagination import InvalidCursor
from moderation.audit import service as audit
from moderation.classify import Classification, Classifier
from moderation.comments import service as comments
from moderation.replies import service as replies
from moderation.replies.exceptions import SavedReplyNotFound
from moderation.review import assignees
from moderation.review.exceptions import AssigneeNotAllowed
from moderation.rules import repository
from moderation.rules.cache import RuleSetCache
from moderation.rules.classification import classification_from_json
from moderation.rules.default import DEFAULT_RULE_SET, DEFAULT_RULES, DEFAULT_VERSION
from moderation.rules.engine import BrandScore, RuleSet, Subject
from moderation.rules.exceptions import (
    BuiltinRuleSet,
    RuleSetAlreadyActive,
    RuleSetNotDraft,
    RuleSetNotFound,
    UnknownSavedReply,
)
from moderation.rules.policy import Verdict
from moderation.rules.schemas import (
    ActionCount,
    DryRunChange,
    DryRunReport,
    Outcome,
    Rule,
    RuleList,
    RuleSetCreate,
    RuleSetOut,
    RuleSetQuery,
    RuleSetStatus,
    RuleSetSummary,
    RuleSetUpdate,
)

log = get_logger(__name__)

ACTIVATED = "rules.activated"
EXCERPT_CHARS = 200
MAX_CHANGES = 1_000
# When the default rules (version 0) were written down; shown as their creation time.
DEFAULT_RULES_AT = datetime(2026, 11, 24, tzinfo=UTC)

_rules = TypeAdapter(RuleList)
_cache = RuleSetCache()
_classify_lock = threading.Lock()


# Deciding ------------------------------------------------------------------------------------


async def active_rule_set(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None
) -> RuleSet:
    """The brand's active rules (the default ones when none, or without a brand); cached briefly."""
    if brand_id is None:
        return DEFAULT_RULE_SET
    key = (tenant_id, brand_id)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    rule_set = await _load_active(session, tenant_id=tenant_id, brand_id=brand_id)
    _cache.put(key, rule_set)
    return rule_set


async def decide(
    session: AsyncSession,
    *,
    tenant_id: str,
    comments: Sequence[CommentReceived],
    classifications: Sequence[Classification],
    brand_scores: Sequence[BrandScore | None] | None = None,
) -> list[Verdict]:
    """One verdict per comment of the tenant, in order, each by its brand's active rules."""
    if len(comments) != len(classifications):
        raise ValueError("one classification per comment")
    by_brand: dict[str | None, RuleSet] = {}
    for comment in comments:
        if comment.brand_id not in by_brand:
            by_brand[comment.brand_id] = await active_rule_set(
                session, tenant_id=tenant_id, brand_id=comment.brand_id
            )
    brands = brand_scores or [None] * len(comments)
    return [
        by_brand[comment.brand_id].evaluate(Subject.of(comment, c, brand))
        for comment, c, brand in zip(comments, classifications, brands, strict=True)
    ]


def forget_cached(*, tenant_id: str, brand_id: str) -> None:
    """Drop the brand's cached active rules in this process."""
    _cache.invalidate((tenant_id, brand_id))


# Versions ------------------------------------------------------------------------------------


async def create_draft(
    session: AsyncSession, *, tenant_id: str, brand_id: str, actor: str, data: RuleSetCreate
) -> RuleSetOut:
    """A new draft numbered after the brand's last version."""
    await repository.lock_brand(session, tenant_id=tenant_id, brand_id=brand_id)
    if data.copy_from is not None:
        rules = await _rules_of(
            session, tenant_id=tenant_id, brand_id=brand_id, version=data.copy_from
        )
    else:
        rules = tuple(data.rules or ())
    await _check_replies(session, tenant_id=tenant_id, brand_id=brand_id, rules=rules)
    await _check_assignees(session, tenant_id=tenant_id, brand_id=brand_id, rules=rules)
    version = await repository.last_version(session, tenant_id=tenant_id, brand_id=brand_id) + 1
    now = datetime.now(UTC)
    row = await repository.insert_one(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "brand_id": brand_id,
            "version": version,
            "status": RuleSetStatus.draft.value,
            "rules": _stored(rules),
            "note": data.note,
            "created_by": actor,
            "created_at": now,
            "updated_at": now,
        },
    )
    log.info("rules.draft_created", tenant_id=tenant_id, brand_id=brand_id, version=version)
    return _out(row)


async def get_version(
    session: AsyncSession, *, tenant_id: str, brand_id: str, version: int
) -> RuleSetOut:
    """One version; 0 is the default rules."""
    if version == DEFAULT_VERSION:
        return _default_out(brand_id)
    return _out(await _row(session, tenant_id=tenant_id, brand_id=brand_id, version=version))


async def list_versions(
    session: AsyncSession, *, tenant_id: str, brand_id: str, query: RuleSetQuery
) -> tuple[list[RuleSetSummary], str | None]:
    """A page of the brand's stored versions, newest first, and the cursor of the next one."""
    before = _before(query.cursor)
    rows = await repository.list_page(
        session, tenant_id=tenant_id, brand_id=brand_id, before=before, limit=query.limit + 1
    )
    page = [RuleSetSummary.model_validate(dict(r._mapping)) for r in rows[: query.limit]]
    next_cursor = str(page[-1].version) if len(rows) > query.limit else None
    return page, next_cursor


async def update_draft(
    session: AsyncSession, *, tenant_id: str, brand_id: str, version: int, data: RuleSetUpdate
) -> RuleSetOut:
    """Change a draft's rules and/or note; any other version is a RuleSetNotDraft."""
    if version == DEFAULT_VERSION:
        raise BuiltinRuleSet("Create a draft with copy_from 0 and change that.")
    # An activation running at the same time must not see the draft change under it.
    await repository.lock_brand(session, tenant_id=tenant_id, brand_id=brand_id)
    row = await _row(session, tenant_id=tenant_id, brand_id=brand_id, version=version)
    if row.status != RuleSetStatus.draft.value:
        raise RuleSetNotDraft(
            f"Version {version} is {row.status}; create a new draft (copy_from {version})."
        )
    values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    if data.rules is not None:
        await _check_replies(session, tenant_id=tenant_id, brand_id=brand_id, rules=data.rules)
        await _check_assignees(session, tenant_id=tenant_id, brand_id=brand_id, rules=data.rules)
        values["rules"] = _stored(data.rules)
    if "note" in data.model_fields_set:
        values["note"] = data.note
    return _out(await repository.update_one(session, id_=row.id, values=values))


async def activate(
    session: AsyncSession, *, tenant_id: str, brand_id: str, version: int, actor: str
) -> RuleSetOut:
    """Make a version the brand's active one, retire the previous one, and audit the change."""
    if version == DEFAULT_VERSION:
        raise BuiltinRuleSet(
            "To go back to the default rules, activate a copy of them (copy_from 0)."
        )
    await repository.lock_brand(session, tenant_id=tenant_id, brand_id=brand_id)
    row = await _row(session, tenant_id=tenant_id, brand_id=brand_id, version=version)
    if row.status == RuleSetStatus.active.value:
        raise RuleSetAlreadyActive(f"Version {version} is already active.")
    rules = _rules.validate_python(row.rules)
    await _check_replies(session, tenant_id=tenant_id, brand_id=brand_id, rules=rules)
    await _check_assignees(session, tenant_id=tenant_id, brand_id=brand_id, rules=rules)
    now = datetime.now(UTC)
    previous = await repository.retire_active(
        session, tenant_id=tenant_id, brand_id=brand_id, now=now
    )
    activated = await repository.update_one(
        session,
        id_=row.id,
        values={
            "status": RuleSetStatus.active.value,
            "activated_by": actor,
            "activated_at": now,
            "updated_at": now,
        },
    )
    await audit.record(
        session,
        tenant_id=tenant_id,
        brand_id=brand_id,
        event=ACTIVATED,
        actor=actor,
        rule_set_version=str(version),
        detail={
            "previous_version": previous if previous is not None else DEFAULT_VERSION,
            "rules": len(rules),
            "note": row.note,
        },
    )
    forget_cached(tenant_id=tenant_id, brand_id=brand_id)
    log.info(ACTIVATED, tenant_id=tenant_id, brand_id=brand_id, version=version, previous=previous)
    return _out(activated)


# Dry-runs ------------------------------------------------------------------------------------


async def dry_run(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    limit: int,
    version: int | None = None,
    rules: Sequence[Rule] | None = None,
) -> DryRunReport:
    """Replay a version (or unsaved `rules`) and the rules in effect over the latest comments."""
    if version is not None:
        proposed = (
            DEFAULT_RULE_SET
            if version == DEFAULT_VERSION
            else _compiled(
                await _row(session, tenant_id=tenant_id, brand_id=brand_id, version=version)
            )
        )
    else:
        proposed = RuleSet(rules or (), version=-1)
    current = await _load_active(session, tenant_id=tenant_id, brand_id=brand_id)
    rows = await comments.latest(session, tenant_id=tenant_id, brand_id=brand_id, limit=limit)
    subjects, reclassified = await _subjects(rows)
    outcomes = await asyncio.to_thread(_replay, current, proposed, subjects)
    counts = {action: ActionCount(current=0, proposed=0) for action in ModerationAction}
    now_counts = Counter(now.action for now, _ in outcomes)
    new_counts = Counter(new.action for _, new in outcomes)
    for action, count in counts.items():
        count.current, count.proposed = now_counts[action], new_counts[action]
    changes = [
        DryRunChange(
            interaction_id=row.interaction_id,
            received_at=row.received_at,
            author_handle=row.author_handle,
            excerpt=row.text[:EXCERPT_CHARS],
            current=now,
            proposed=new,
        )
        for row, (now, new) in zip(rows, outcomes, strict=True)
        if _differs(now, new)
    ]
    log.info(
        "rules.dry_run",
        tenant_id=tenant_id,
        brand_id=brand_id,
        version=version,
        comments=len(rows),
        changed=len(changes),
    )
    return DryRunReport(
        brand_id=brand_id,
        version=version,
        current_version=current.version,
        comments=len(rows),
        reclassified=reclassified,
        counts=counts,
        changed=len(changes),
        changes=changes[:MAX_CHANGES],
    )


def _replay(
    current: RuleSet, proposed: RuleSet, subjects: Sequence[Subject]
) -> list[tuple[Outcome, Outcome]]:
    return [(_outcome(current.evaluate(s)), _outcome(proposed.evaluate(s))) for s in subjects]


def _outcome(verdict: Verdict) -> Outcome:
    return Outcome(
        action=verdict.action,
        rule_id=verdict.rule_id,
        reply_with=verdict.reply_with,
        assign_to=verdict.assign_to,
        labels=list(verdict.labels),
    )


def _differs(now: Outcome, new: Outcome) -> bool:
    """Whether what happens to the comment changes (not merely which rule decides)."""
    return (now.action, now.reply_with, now.assign_to, now.labels) != (
        new.action,
        new.reply_with,
        new.assign_to,
        new.labels,
    )


async def _subjects(rows: Sequence[Row[Any]]) -> tuple[list[Subject], int]:
    """The stored comments as the rules see them, classifying those stored without one."""
    stored = [classification_from_json(row.classification) for row in rows]
    missing = [i for i, c in enumerate(stored) if c is None]
    if missing:
        fresh = await asyncio.to_thread(_classify, [rows[i].text for i in missing])
        for i, c in zip(missing, fresh, strict=True):
            stored[i] = c
    subjects = [
        Subject(
            text=row.text,
            network=row.network,
            kind=row.kind,
            author_id=row.author_id,
            author_handle=row.author_handle,
            followers=row.author_followers,
            classification=c,
        )
        for row, c in zip(rows, stored, strict=True)
        if c is not None
    ]
    return subjects, len(missing)


@functools.cache
def _classifier() -> Classifier:
    return Classifier()


def _classify(texts: Sequence[str]) -> list[Classification]:
    # One classification at a time: the models are not documented as thread-safe.
    with _classify_lock:
        return _classifier().classify_many(texts)


# Helpers -------------------------------------------------------------------------------------


async def _load_active(session: AsyncSession, *, tenant_id: str, brand_id: str) -> RuleSet:
    row = await repository.get_active(session, tenant_id=tenant_id, brand_id=brand_id)
    return DEFAULT_RULE_SET if row is None else _compiled(row)


def _compiled(row: Row[Any]) -> RuleSet:
    return RuleSet(_rules.validate_python(row.rules), version=row.version)


async def _row(session: AsyncSession, *, tenant_id: str, brand_id: str, version: int) -> Row[Any]:
    row = await repository.get(session, tenant_id=tenant_id, brand_id=brand_id, version=version)
    if row is None:
        raise RuleSetNotFound(f"Brand {brand_id!r} has no rule set version {version}.")
    return row


async def _rules_of(
    session: AsyncSession, *, tenant_id: str, brand_id: str, version: int
) -> Sequence[Rule]:
    if version == DEFAULT_VERSION:
        return DEFAULT_RULES
    row = await _row(session, tenant_id=tenant_id, brand_id=brand_id, version=version)
    return _rules.validate_python(row.rules)


async def _check_replies(
    session: AsyncSession, *, tenant_id: str, brand_id: str, rules: Iterable[Rule]
) -> None:
    """Every saved reply a rule names exists and belongs to the brand or the whole tenant."""
    errors: list[dict[str, object]] = []
    for index, rule in enumerate(rules):
        reply_id = rule.then.reply_with
        if reply_id is None:
            continue
        try:
            reply = await replies.get(session, tenant_id=tenant_id, reply_id=reply_id)
        except SavedReplyNotFound:
            reply = None
        if reply is None or reply.brand_id not in (None, brand_id):
            errors.append(
                {
                    "pointer": f"/rules/{index}/then/reply_with",
                    "location": "body",
                    "type": "unknown_saved_reply",
                    "message": f"no saved reply {reply_id} for this brand",
                }
            )
    if errors:
        raise UnknownSavedReply(f"{len(errors)} rule(s) name a missing saved reply", errors=errors)


async def _check_assignees(
    session: AsyncSession, *, tenant_id: str, brand_id: str, rules: Iterable[Rule]
) -> None:
    """Every `assign_to` is the user id of a member who may moderate the brand (checked again on
    activation: roles change)."""
    errors: list[dict[str, object]] = []
    for index, rule in enumerate(rules):
        assign_to = rule.then.assign_to
        if assign_to is None:
            continue
        try:
            user_id: UUID | None = UUID(assign_to)
        except ValueError:
            user_id = None
        if user_id is None or not await assignees.may_moderate(
            session, tenant_id=tenant_id, brand_id=brand_id, user_id=user_id
        ):
            errors.append(
                {
                    "pointer": f"/rules/{index}/then/assign_to",
                    "location": "body",
                    "type": "assignee_not_allowed",
                    "message": f"{assign_to!r} is no member's user id who may moderate this brand",
                }
            )
    if errors:
        raise AssigneeNotAllowed(
            f"{len(errors)} rule(s) assign comments to someone who may not moderate this brand",
            errors=errors,
        )


def _stored(rules: Iterable[Rule]) -> list[Any]:
    return [rule.model_dump(mode="json") for rule in rules]


def _before(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    # ASCII digits only: str.isdigit() also accepts superscripts, which int() refuses.
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 10:
        raise InvalidCursor
    before = int(cursor)
    if before > INT32_MAX:  # versions are int4
        raise InvalidCursor
    return before


def _out(row: Row[Any]) -> RuleSetOut:
    values = dict(row._mapping)
    values["rules"] = _rules.validate_python(values["rules"])
    return RuleSetOut.model_validate(values)


def _default_out(brand_id: str) -> RuleSetOut:
    return RuleSetOut(
        brand_id=brand_id,
        version=DEFAULT_VERSION,
        status=RuleSetStatus.builtin,
        note="The default rules, used while the brand has no active rule set.",
        rules=list(DEFAULT_RULES),
        created_by="system",
        created_at=DEFAULT_RULES_AT,
        updated_at=DEFAULT_RULES_AT,
        activated_by=None,
        activated_at=None,
    )
