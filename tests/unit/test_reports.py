"""Report figures equal the known counts of a seeded month (November 2026, Moscow time)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from callbacks.models import Callback, CallbackAttempt, CallbackStatus
from core import ui_text as t
from core.extensions import db
from core.models import Organization
from helpline import reports
from tickets.models import Call, Ticket, TicketStatus

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def msk(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK).astimezone(UTC)


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def org_of(slug: str) -> Organization:
    return db.session.scalars(select(Organization).where(Organization.slug == slug)).one()


_sid = iter(range(1, 10_000))


def call(org, at, role=None, topic=None, outcome=None, direction="inbound"):
    db.session.add(Call(organization_id=org.id, call_sid=f"CA{next(_sid):032d}", role=role,
                        topic=topic, outcome=outcome, started_at=at, direction=direction,
                        state={}))


def ticket(org, number, created, due, status=TicketStatus.NEW, closed=None, role="parent",
           topic="grades") -> Ticket:
    row = Ticket(organization_id=org.id, number=number, created_at=created, sla_due_at=due,
                 status=status, closed_at=closed, role=role, topic=topic, suggestions={})
    db.session.add(row)
    db.session.flush()
    return row


def callback(org, for_ticket, status=CallbackStatus.PLANNED, attempts=()):
    row = Callback(organization_id=org.id, ticket_id=for_ticket.id, status=status)
    db.session.add(row)
    db.session.flush()
    for bridged, result in attempts:
        db.session.add(CallbackAttempt(callback_id=row.id, bridged_at=bridged, result=result,
                                       started_at=bridged or for_ticket.created_at))
    return row


@pytest.fixture
def seeded(app_ctx, demo):
    """Seven calls, seven tickets and five callbacks of sosh19 in November, and noise."""
    return seed_november()


def seed_november() -> Organization:
    """The seeded month (needs an app context and the demo schools)."""
    org, other = org_of("sosh19"), org_of("tukalinsk")
    # calls: counted on their Moscow date
    call(org, msk(2, 10), "parent", "grades", "live")
    call(org, msk(2, 23, 30), "parent", "grades", "voicemail")  # 20:30 UTC, still the 2nd
    call(org, msk(3, 0, 30), "staff", "training", "voicemail")  # 21:30 UTC on the 2nd
    call(org, msk(10, 14), "parent", "login", "abandoned")
    call(org, msk(10, 14, 5), "parent", None, "ringing")  # hung up while it rang
    call(org, msk(20, 9), None, None, "info")
    call(org, msk(30, 23, 59), "staff", "grades", "transferred")
    # not counted: before, after, outbound, another school
    call(org, msk(31, 23, 59, month=10), "parent", "grades", "live")
    call(org, msk(1, 0, 0, month=12), "parent", "grades", "live")
    call(org, msk(15, 12), "parent", "grades", "live", direction="outbound")
    call(other, msk(15, 12), "parent", "grades", "live")

    resolved, declined = TicketStatus.RESOLVED, TicketStatus.DECLINED
    t1 = ticket(org, 1, utc(2, 20, 30), utc(5, 20, 59), resolved, utc(3, 9))  # met
    t2 = ticket(org, 2, utc(3, 7), utc(5, 20, 59), resolved, utc(9, 9))  # late
    t3 = ticket(org, 3, utc(10, 11), utc(12, 20, 59))  # open, overdue
    t4 = ticket(org, 4, utc(20, 8), utc(24, 20, 59), declined, utc(21, 9))  # met
    t5 = ticket(org, 5, utc(30, 9), utc(2, 20, 59, month=12), TicketStatus.IN_PROGRESS)  # pending
    ticket(org, 6, utc(3, 8), utc(10, 20, 59), resolved, utc(6, 9), "staff", "training")  # met
    ticket(org, 7, utc(16, 8), utc(23, 20, 59), TicketStatus.NEW, None, "staff", "training")
    ticket(org, 8, utc(31, 20, 0, month=10), utc(4, 20, 59))  # 31 Oct, 23:00 Moscow: not ours
    ticket(org, 9, utc(30, 21, 30), utc(3, 20, 59, month=12))  # 1 Dec, 00:30 Moscow: not ours
    ticket(other, 1, utc(10, 11), utc(12, 20, 59))

    callback(org, t1, CallbackStatus.DONE, [(utc(3, 6), "connected")])
    callback(org, t2, CallbackStatus.DONE, [(utc(3, 10), "no-answer"), (utc(4, 10), "connected")])
    cb3 = callback(org, t3, CallbackStatus.UNREACHABLE, [
        (utc(10, 13), "no-answer"), (utc(10, 14), "busy"), (utc(11, 6), "no-answer")])
    db.session.add(CallbackAttempt(callback_id=cb3.id, result="operator_missed"))  # not a call
    callback(org, t4, CallbackStatus.CANCELLED)  # closed another way before anybody called
    callback(org, t5)  # still planned
    db.session.commit()
    return org


@pytest.fixture
def report(seeded):
    period = reports.Period(date(2026, 11, 1), date(2026, 11, 30), "Europe/Moscow")
    return reports.build(seeded, period, now=NOW)


def test_calls_by_day_use_the_schools_local_date(report):
    days = dict(report.by_day)
    assert len(days) == 30 and report.total_calls == 7
    assert {d.day: n for d, n in days.items() if n} == {2: 2, 3: 1, 10: 2, 20: 1, 30: 1}


def test_calls_by_role_and_topic(report):
    assert report.by_role == [("родитель или законный представитель", 4),
                              ("сотрудник школы", 2), ("не выбрано", 1)]
    assert dict(report.by_topic) == {"оценки": 3, "не выбрано": 2,
                                     "вход в журнал, логин и пароль": 1,
                                     "обучение нового сотрудника": 1}


def test_live_voicemail_and_abandoned(report):
    assert report.outcomes == {"live": 1, "voicemail": 2, "abandoned": 2, "transferred": 1,
                               "info": 1, "other": 0}


def test_callbacks_first_attempt_attempts_and_wait(report):
    cb = report.callbacks
    assert (cb.total, cb.attempted, cb.reached, cb.first_attempt, cb.unreachable) == (
        4, 3, 2, 1, 1)
    assert cb.attempts == 6 and cb.attempts_per_callback == 2.0
    assert cb.attempts_histogram == {"1": 1, "2": 1, "3": 1, "4+": 0}
    assert sorted(cb.waits) == [timedelta(hours=2), timedelta(hours=3),
                                timedelta(hours=9, minutes=30)]
    assert cb.wait_median == timedelta(hours=3)
    assert cb.wait_max == timedelta(hours=9, minutes=30)


def test_share_resolved_within_the_deadline_and_the_overdue_list(report):
    assert (report.sla.met, report.sla.late, report.sla.pending) == (3, 3, 1)
    assert report.sla.share == 0.5 and reports.percent(report.sla.share) == "50 %"
    assert [(r.number, r.state) for r in report.overdue] == [
        (2, "late"), (3, "overdue"), (7, "overdue")]
    assert report.overdue[0].late_by(NOW) == timedelta(days=3, hours=12, minutes=1)


def test_training_requests_against_their_deadline(report):
    assert [(r.number, r.state) for r in report.training] == [(6, "met"), (7, "overdue")]


def test_csv_is_for_excel_bom_semicolons_and_russian_decimals(report):
    text = reports.csv_text(report)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == ["Звонки по дням"] and rows[1] == ["День", "Количество"]
    assert ["02.11.2026", "2"] in rows
    assert ["Доля решённых в срок, %", "50"] in rows  # a number Excel can sum
    assert ["Попыток на один звонок, в среднем", "2,00"] in rows
    assert ["От сообщения до первого звонка, медиана", "3 ч"] in rows
    one = reports.csv_text(report, ("outcomes",))
    assert one.splitlines()[0] == "\ufeffИтог;Количество;Доля, %"
    assert "оставлено сообщение;2;28,6" in one and "%" not in one.split("\r\n", 1)[1]


def test_an_empty_period_reports_zeros(seeded):
    period = reports.Period(date(2026, 1, 1), date(2026, 1, 31), "Europe/Moscow")
    empty = reports.build(seeded, period, now=NOW)
    assert empty.total_calls == 0 and empty.sla.share is None
    assert empty.callbacks.total == 0 and empty.callbacks.wait_median is None
    assert reports.percent(None) == "—" and reports.duration_text(None) == "—"
    assert "\ufeff" in reports.csv_text(empty)


def test_periods():
    november = reports.last_month(date(2026, 12, 3), "Europe/Moscow")
    assert (november.first, november.last) == (date(2026, 11, 1), date(2026, 11, 30))
    december = reports.last_month(date(2027, 1, 10), "Asia/Omsk")
    assert (december.first, december.last) == (date(2026, 12, 1), date(2026, 12, 31))
    assert december.start == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # Omsk is UTC+6
    assert december.end == datetime(2026, 12, 31, 18, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        reports.Period(date(2026, 2, 1), date(2026, 1, 1), "Europe/Moscow")
    with pytest.raises(ValueError):
        reports.Period(date(2025, 1, 1), date(2026, 1, 2), "Europe/Moscow")


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(minutes=45), "45 мин"), (timedelta(hours=3), "3 ч"),
    (timedelta(days=1, hours=2, minutes=5), "1 дн. 2 ч 5 мин"), (timedelta(0), "0 мин"),
])
def test_durations_in_russian(delta, text):
    assert reports.duration_text(delta) == text


def test_attempts_per_callback_count_calls_that_were_never_bridged(app_ctx, demo):
    """A caller who never answered still used an attempt: «Попыток на один звонок» is filled."""
    org = org_of("sosh19")
    t1 = ticket(org, 1, utc(2, 8), utc(5, 20, 59))
    callback(org, t1, CallbackStatus.UNREACHABLE, [(None, "no-answer"), (None, "busy"),
                                                    (None, "no-answer")])
    t2 = ticket(org, 2, utc(3, 8), utc(6, 20, 59))
    callback(org, t2, CallbackStatus.DONE, [(None, "no-answer"), (utc(3, 12), "connected")])
    db.session.commit()
    period = reports.Period(date(2026, 11, 1), date(2026, 11, 30), "Europe/Moscow")
    report = reports.build(org, period, now=NOW)
    assert report.callbacks.attempted == 2 and report.callbacks.attempts == 5
    _header, rows = reports.table(report, "callbacks")
    assert [t.REPORT_CALLBACKS_ATTEMPTS, "2,50"] in rows
    empty = reports.build(org, reports.Period(date(2026, 1, 1), date(2026, 1, 31),
                                              "Europe/Moscow"), now=NOW)
    assert [t.REPORT_CALLBACKS_ATTEMPTS, "—"] in reports.table(empty, "callbacks")[1]
