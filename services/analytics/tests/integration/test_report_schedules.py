"""The weekly report job: a due schedule makes its week's report, announces it through the
outbox in the same transaction and moves to its next local weekday and hour."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from analytics.db import outbox
from analytics.reports import jobs, service
from analytics.reports.models import report, report_schedule
from analytics.reports.schemas import ScheduleIn
from analytics.reports.weeks import Weekday
from analytics.worker import spec
from beacon_shared.events import decode

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
async def brand(session, events, consume):
    """brand-a in Europe/Paris with 2 comments on Tuesday 17 November 2026 and 1 on the
    Tuesday before; its schedule (Mondays at 08:00) set on Friday 20 November."""
    await consume(
        session,
        [
            events.brand_configured(timezone="Europe/Paris", configured_at=paris(2026, 9, 1)),
            events.comment(created_at=paris(2026, 11, 17, 10)),
            events.comment(created_at=paris(2026, 11, 17, 11)),
            events.comment(created_at=paris(2026, 11, 10, 10)),
        ],
    )
    await schedule(session, events.tenant_id, now=paris(2026, 11, 20, 12))
    await session.commit()
    return events.tenant_id


async def schedule(session, tenant_id: str, *, now: datetime) -> None:
    await service.put_schedule(
        session,
        tenant_id=tenant_id,
        brand_id="brand-a",
        body=ScheduleIn(weekday=Weekday.monday, hour=8),
        now=now,
    )


async def reports_of(session, tenant_id: str):
    return (
        await session.execute(
            select(report).where(report.c.tenant_id == tenant_id).order_by(report.c.period_start)
        )
    ).all()


async def announced(session, tenant_id: str):
    values = (
        (await session.execute(select(outbox.c.value).where(outbox.c.topic == "report.generated")))
        .scalars()
        .all()
    )
    return [envelope for envelope in map(decode, values) if envelope.tenantid == tenant_id]


async def schedule_of(session, tenant_id: str):
    return (
        await session.execute(
            select(report_schedule).where(report_schedule.c.tenant_id == tenant_id)
        )
    ).one()


class TestDue:
    async def test_a_due_schedule_stores_the_week_s_report_and_announces_it(
        self, sessionmaker, session, brand
    ):
        assert (await schedule_of(session, brand)).next_run_at == paris(2026, 11, 23, 8)

        await jobs.run_due(sessionmaker, now=paris(2026, 11, 23, 8, 0, 30))

        (stored,) = await reports_of(session, brand)
        assert (stored.period_start, stored.period_end) == (
            paris(2026, 11, 16),
            paris(2026, 11, 23),
        )
        assert (stored.origin, stored.timezone) == ("schedule", "Europe/Paris")
        figures = {line["metric"]: line for line in stored.content["summary"]}
        assert (figures["comments"]["current"], figures["comments"]["previous"]) == (2, 1)
        (event,) = await announced(session, brand)
        assert event.type == "analytics.report.generated"
        assert event.subject == "brand-a"
        assert event.data["report_id"] == str(stored.id)
        assert event.data["path"] == f"/v1/reports/{stored.id}"
        assert event.data["formats"] == ["csv", "pdf"]
        assert datetime.fromisoformat(event.data["period_start"]) == paris(2026, 11, 16)
        moved = await schedule_of(session, brand)
        assert moved.next_run_at == paris(2026, 11, 30, 8)
        assert moved.last_report_id == stored.id

    async def test_a_schedule_not_due_yet_makes_nothing(self, sessionmaker, session, brand):
        await jobs.run_due(sessionmaker, now=paris(2026, 11, 23, 7, 59, 59))

        assert await reports_of(session, brand) == []
        assert await announced(session, brand) == []
        assert (await schedule_of(session, brand)).next_run_at == paris(2026, 11, 23, 8)

    async def test_a_run_happens_once(self, sessionmaker, session, brand):
        await jobs.run_due(sessionmaker, now=paris(2026, 11, 23, 9))
        await jobs.run_due(sessionmaker, now=paris(2026, 11, 23, 10))

        assert len(await reports_of(session, brand)) == 1
        assert len(await announced(session, brand)) == 1


class TestDaylightSaving:
    async def test_runs_keep_their_local_hour_across_the_end_of_summer_time(
        self, sessionmaker, session, events, consume
    ):
        await consume(
            session,
            [events.brand_configured(timezone="Europe/Paris", configured_at=paris(2026, 9, 1))],
        )
        await schedule(session, events.tenant_id, now=paris(2026, 10, 14, 12))
        await session.commit()
        first = (await schedule_of(session, events.tenant_id)).next_run_at
        assert first == datetime(2026, 10, 19, 6, tzinfo=UTC)  # 08:00 summer time

        await jobs.run_due(sessionmaker, now=first)
        second = (await schedule_of(session, events.tenant_id)).next_run_at
        assert second == datetime(2026, 10, 26, 7, tzinfo=UTC)  # 08:00 winter time
        assert second - first == timedelta(hours=169)

        await jobs.run_due(sessionmaker, now=second)
        stored = await reports_of(session, events.tenant_id)
        # The week holding the change is 169 hours long, midnight to midnight.
        assert [(r.period_start, r.period_end - r.period_start) for r in stored] == [
            (paris(2026, 10, 12), timedelta(hours=168)),
            (paris(2026, 10, 19), timedelta(hours=169)),
        ]
        assert (await schedule_of(session, events.tenant_id)).next_run_at == paris(2026, 11, 2, 8)

    async def test_each_missed_week_gets_its_report_after_a_stop(
        self, sessionmaker, session, brand
    ):
        await jobs.run_due(sessionmaker, now=paris(2026, 12, 8, 12))

        stored = await reports_of(session, brand)
        assert [r.period_start for r in stored] == [
            paris(2026, 11, 16),
            paris(2026, 11, 23),
            paris(2026, 11, 30),
        ]
        assert len(await announced(session, brand)) == 3
        assert (await schedule_of(session, brand)).next_run_at == paris(2026, 12, 14, 8)


class TestSchedules:
    async def test_replacing_a_schedule_moves_its_next_run(self, session, brand):
        await service.put_schedule(
            session,
            tenant_id=brand,
            brand_id="brand-a",
            body=ScheduleIn(weekday=Weekday.friday, hour=17),
            now=paris(2026, 11, 20, 12),
        )
        replaced = await service.get_schedule(session, tenant_id=brand, brand_id="brand-a")
        assert (replaced.weekday, replaced.hour) == (Weekday.friday, 17)
        assert replaced.next_run_at == paris(2026, 11, 20, 17)
        assert replaced.timezone == "Europe/Paris"

    async def test_a_brand_never_configured_follows_utc(self, session, unique):
        tenant = unique("tenant")
        out = await service.put_schedule(
            session,
            tenant_id=tenant,
            brand_id=f"brand-{uuid.uuid4().hex[:6]}",
            body=ScheduleIn(weekday=Weekday.monday, hour=8),
            now=datetime(2026, 11, 20, tzinfo=UTC),
        )
        assert (out.timezone, out.next_run_at) == ("UTC", datetime(2026, 11, 23, 8, tzinfo=UTC))


def test_the_worker_runs_the_job():
    # Jobs only read the context when they run.
    names = [job.__qualname__ for job in spec().jobs(SimpleNamespace())]
    assert "reports.scheduled" in names
