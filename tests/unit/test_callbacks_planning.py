"""Planning callbacks: working windows, the production calendar, capacity, SLA order, retries."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from callbacks import jobs, planner, service
from callbacks.models import Callback, CallbackStatus
from core import service as org_service
from core import settings, worktime
from core.extensions import db
from core.models import DutyException, DutyKind, DutySlot, ExceptionKind, Organization, User
from tickets import service as tickets

MSK = ZoneInfo("Europe/Moscow")
OMSK = ZoneInfo("Asia/Omsk")
PARENT = "+79161234567"
_sids = itertools.count(1)


def at(moment: datetime, tick: bool = False):
    return time_machine.travel(moment, tick=tick)


@pytest.fixture
def school(demo, app_ctx):
    return org_service.find_by_number("+74950000019")


@pytest.fixture
def gymnasium(demo, app_ctx):
    return org_service.find_by_number("+73817600002")


def message(org, *, role="parent", topic="grades", caller=PARENT):
    """A voice message as the IVR registers it: a ticket and its planned callback."""
    sid = f"CA{next(_sids):032d}"
    tickets.record_call(sid, org=org, from_number=caller, to_number=None)
    ticket = tickets.open_ticket(org=org, call_sid=sid, caller_number=caller, role=role,
                                 topic=topic)
    return service.request_callback(ticket, policy=policy())


def local(moment: datetime | None, zone=MSK) -> datetime | None:
    return moment.astimezone(zone) if moment else None


def operator(username="operator") -> User:
    return db.session.scalar(select(User).where(User.username == username))


# --- the dates ------------------------------------------------------------------------


def test_friday_evening_message_is_called_back_on_monday_morning(school):
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        callback = message(school)
    assert local(callback.planned_at) == datetime(2026, 11, 30, 9, 0, tzinfo=MSK)
    assert callback.operator_id == operator().id
    assert local(callback.window_start).time() == time(9)
    assert local(callback.window_end).time() == time(18)
    assert not callback.at_risk
    assert service.promise_time(callback, school) == datetime(2026, 11, 30, 9, tzinfo=MSK)
    assert local(callback.promised_at) == datetime(2026, 11, 30, 9, tzinfo=MSK)


def test_new_year_message_is_called_back_after_the_holidays(school):
    with at(datetime(2026, 12, 30, 19, 0, tzinfo=MSK)):
        callback = message(school)
    assert local(callback.planned_at) == datetime(2027, 1, 11, 9, 0, tzinfo=MSK)
    due = local(callback.ticket.sla_due_at)
    assert due.date() == date(2027, 1, 12) and due.time() == time(23, 59, 59)
    assert not callback.at_risk


def test_a_message_in_the_window_is_planned_a_few_minutes_ahead(school):
    with at(datetime(2026, 11, 30, 10, 3, tzinfo=MSK)):
        callback = message(school)
    assert local(callback.planned_at) == datetime(2026, 11, 30, 10, 10, tzinfo=MSK)


def test_the_omsk_school_plans_in_its_own_zone(gymnasium):
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=OMSK)):
        callback = message(gymnasium)
    assert local(callback.planned_at, OMSK) == datetime(2026, 11, 30, 9, 0, tzinfo=OMSK)


def test_never_at_night_in_the_callers_own_zone(gymnasium):
    # A Moscow landline calls the Omsk gymnasium: its 9:00 is 6:00 in Moscow.
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=OMSK)):
        callback = message(gymnasium, caller="+74951234567")
    assert service.caller_zone(callback.phone, gymnasium) == MSK
    assert local(callback.planned_at) == datetime(2026, 11, 30, 9, 0, tzinfo=MSK)
    assert local(callback.planned_at, OMSK).time() == time(12)


def test_a_preferred_time_is_honoured(school):
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        ticket = message(school).ticket
        service.cancel_for_ticket(ticket)
        callback = service.request_callback(
            ticket, preferred_at=datetime(2026, 11, 30, 16, 0, tzinfo=MSK), policy=policy())
    assert local(callback.planned_at) == datetime(2026, 11, 30, 16, 0, tzinfo=MSK)


def test_requesting_twice_returns_the_same_plan(school):
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        first = message(school)
        again = service.request_callback(first.ticket, policy=policy())
    assert again.id == first.id
    assert db.session.query(Callback).count() == 1


# --- capacity and SLA order -------------------------------------------------------------------


def test_a_burst_of_50_is_spread_over_the_next_windows_in_sla_order(school):
    school.callback_capacity_per_hour = 2  # 18 a day for the one operator (9:00-18:00)
    db.session.commit()
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK), tick=True):
        # Training requests (5 working days) come first; parents' (2 days) after them.
        training = [message(school, role="staff", topic="training") for _ in range(5)]
        parents = [message(school) for _ in range(45)]
    callbacks = training + parents
    for cb in callbacks:
        db.session.refresh(cb)
    by_time = sorted(callbacks, key=lambda cb: cb.planned_at)
    # SLA order: every parent before every training request, arrival order within each.
    assert [cb.id for cb in by_time] == [cb.id for cb in parents + training]
    days = [local(cb.planned_at).date() for cb in by_time]
    assert days.count(date(2026, 11, 30)) == 18
    assert days.count(date(2026, 12, 1)) == 18
    assert days.count(date(2026, 12, 2)) == 14
    slots = [(cb.operator_id, cb.planned_at) for cb in callbacks]
    assert len(set(slots)) == 50  # no slot given twice
    for cb in callbacks:
        moment = local(cb.planned_at)
        assert time(9) <= moment.time() < time(18) and moment.minute in (0, 30)
    # Parents' SLA ends on Tuesday: those left for Wednesday are at risk, the training ones not.
    at_risk = [cb for cb in by_time if cb.at_risk]
    assert {local(cb.planned_at).date() for cb in at_risk} == {date(2026, 12, 2)}
    assert len(at_risk) == 9 and not any(cb.at_risk for cb in training)


def test_operators_on_duty_share_the_burst(school):
    second = User(organization_id=school.id, username="operator3", name="Второй оператор",
                  phone="+79990000103", roles=["operator"])
    db.session.add(second)
    db.session.flush()
    for weekday in range(5):
        school.slots.append(DutySlot(user_id=second.id, weekday=weekday, start=time(9),
                                     end=time(18), kind=DutyKind.CALLBACKS))
    db.session.commit()
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK), tick=True):
        callbacks = [message(school) for _ in range(6)]
    for cb in callbacks:
        db.session.refresh(cb)
    plan = sorted((local(cb.planned_at).time(), cb.operator_id) for cb in callbacks)
    assert plan == [(time(9, m), op) for m in (0, 10, 20) for op in sorted(
        (operator().id, second.id))]


def test_no_slot_before_the_due_instant_flags_the_risk(school):
    school.callback_capacity_per_hour = 1
    db.session.commit()
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK), tick=True):
        callbacks = [message(school) for _ in range(19)]  # 9 on Monday, 9 on Tuesday, 1 more
    assert [cb.at_risk for cb in callbacks] == [False] * 18 + [True]
    assert local(callbacks[-1].planned_at) == datetime(2026, 12, 2, 9, 0, tzinfo=MSK)


def test_without_any_window_the_callback_waits_at_risk(school):
    for slot in list(school.slots):
        if slot.kind == DutyKind.CALLBACKS:
            school.slots.remove(slot)
    db.session.commit()
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        callback = message(school)
    assert callback.planned_at is None and callback.at_risk
    assert service.promise_time(callback, school) is None


# --- plans follow the schedule ----------------------------------------------------------------


def test_a_leave_moves_the_plans_to_the_next_window(app, school):
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        callbacks = [message(school) for _ in range(3)]
        jobs.retries(app)  # remembers the schedule planned against
    school.exceptions.append(DutyException(day=date(2026, 11, 30), kind=ExceptionKind.LEAVE,
                                           user_id=operator().id))
    db.session.commit()
    with at(datetime(2026, 11, 28, 12, 0, tzinfo=MSK)):
        assert jobs.retries(app)["replanned"] == 1
        assert jobs.retries(app)["replanned"] == 0  # nothing changed since
    db.session.expire_all()
    assert [local(cb.planned_at).time() for cb in callbacks] == [time(9), time(9, 10),
                                                                  time(9, 20)]
    assert {local(cb.planned_at).date() for cb in callbacks} == {date(2026, 12, 1)}


def test_the_minute_job_looks_only_at_schools_with_callbacks_waiting(app, school, gymnasium,
                                                                      statements):
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        callback = message(school)
        jobs.retries(app)
    # A change in a school with nothing waiting has nothing to move...
    gymnasium.exceptions.append(DutyException(day=date(2026, 11, 30), kind=ExceptionKind.CLOSED))
    school.exceptions.append(DutyException(day=date(2026, 11, 30), kind=ExceptionKind.CLOSED))
    db.session.commit()
    with at(datetime(2026, 11, 28, 12, 0, tzinfo=MSK)):
        assert jobs.retries(app)["replanned"] == 1  # ...the waiting school's plan moves
    db.session.refresh(callback)
    assert local(callback.planned_at) == datetime(2026, 12, 1, 9, 0, tzinfo=MSK)
    with at(datetime(2026, 11, 28, 12, 1, tzinfo=MSK)):
        with statements:
            assert jobs.retries(app)["replanned"] == 0
        quiet = len(statements)
    # Statements of a quiet minute do not grow with the schools that have nothing waiting.
    db.session.add_all(Organization(name=f"Школа № {n}", short_name=f"Школа {n}",
                                    slug=f"school-{n}") for n in range(5))
    db.session.commit()
    with at(datetime(2026, 11, 28, 12, 2, tzinfo=MSK)):
        with statements:
            jobs.retries(app)
    assert len(statements) == quiet


def test_a_closed_day_moves_the_plans_too(school):
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        callback = message(school)
    school.exceptions.append(DutyException(day=date(2026, 11, 30), kind=ExceptionKind.CLOSED))
    db.session.commit()
    with at(datetime(2026, 11, 28, 12, 0, tzinfo=MSK)):
        assert service.replan_if_schedule_changed(school, policy=policy())
    db.session.refresh(callback)
    assert local(callback.planned_at) == datetime(2026, 12, 1, 9, 0, tzinfo=MSK)


def test_replanning_never_moves_a_callback_before_its_promise(school):
    school.callback_capacity_per_hour = 1
    db.session.commit()
    with at(datetime(2026, 11, 30, 15, 0, tzinfo=MSK), tick=True):
        first = message(school)
        second = message(school)
    assert local(first.planned_at).time() == time(16)
    assert local(second.planned_at).time() == time(17)  # the caller heard «после 17 часов»
    with at(datetime(2026, 11, 30, 15, 1, tzinfo=MSK)):
        service.cancel_for_ticket(first.ticket)
        service.replan(school, policy=policy())
    db.session.refresh(second)
    assert local(second.planned_at).time() == time(17)  # 16:00 is free, but was not promised


# --- retries ------------------------------------------------------------------------------------


def _fail(callback, moment):
    """One attempt that did not reach the caller, at this moment."""
    with at(moment):
        callback.status = CallbackStatus.DIALING
        db.session.commit()
        service.caller_not_reached(callback, moment, moment, policy=policy())
        db.session.commit()
    db.session.refresh(callback)
    return callback


def test_retry_is_at_least_an_hour_later_inside_the_window(school):
    with at(datetime(2026, 11, 30, 9, 50, tzinfo=MSK)):
        callback = message(school)
    _fail(callback, datetime(2026, 11, 30, 10, 0, tzinfo=MSK))
    assert callback.status == CallbackStatus.PLANNED and callback.attempts == 1
    assert local(callback.planned_at) == datetime(2026, 11, 30, 11, 0, tzinfo=MSK)


@pytest.mark.parametrize(("failed", "retry"), [
    # Monday evening: not at night, Tuesday morning.
    (datetime(2026, 11, 30, 17, 30), datetime(2026, 12, 1, 9, 0)),
    # Friday afternoon: not at the weekend.
    (datetime(2026, 12, 4, 17, 10), datetime(2026, 12, 7, 9, 0)),
    # A shortened pre-holiday Thursday (till 17:00), then 1 May and the weekend.
    (datetime(2026, 4, 30, 16, 30), datetime(2026, 5, 4, 9, 0)),
    # Victory Day: Saturday 9 May and Monday 11 May (its day off) are skipped.
    (datetime(2026, 5, 8, 16, 30), datetime(2026, 5, 12, 9, 0)),
])
def test_retries_skip_nights_weekends_and_holidays(school, failed, retry):
    with at(failed.replace(tzinfo=MSK) - timedelta(minutes=20)):
        callback = message(school)
    _fail(callback, failed.replace(tzinfo=MSK))
    assert local(callback.planned_at) == retry.replace(tzinfo=MSK)


def test_three_attempts_then_not_reached(app, school):
    settings.configure(app, CALLBACK_SMS_ENABLED=True)
    with at(datetime(2026, 11, 30, 9, 0, tzinfo=MSK)):
        callback = message(school)
    moments = [datetime(2026, 11, 30, h, 0, tzinfo=MSK) for h in (10, 11, 12)]
    for i, moment in enumerate(moments, start=1):
        _fail(callback, moment)
        assert callback.attempts == i
    assert callback.status == CallbackStatus.UNREACHABLE
    assert callback.outcome == "unreachable" and callback.sms_status == "pending"
    assert service.ticket_label(callback.ticket) == "не дозвонились"


# --- the planner alone ---------------------------------------------------------------------------


def test_planner_grid_follows_the_capacity():
    schedule = worktime.Schedule(
        timezone="Europe/Moscow",
        slots=tuple(worktime.Slot(weekday=d, start=time(9), end=time(10), kind="callbacks",
                                  user_id=7) for d in range(5)),
    )
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=MSK)
    plan = planner.Planner(schedule, start=monday, per_hour=4)
    requests = [planner.Request(key=i, earliest=monday) for i in range(5)]
    placed = planner.plan(plan, requests)
    assert [local(placed[i].at).time() for i in range(4)] == [
        time(9), time(9, 15), time(9, 30), time(9, 45)]
    assert local(placed[4].at) == datetime(2026, 12, 1, 9, 0, tzinfo=MSK)
    assert {a.operator_id for a in placed.values()} == {7}


def _two_schedules() -> list[worktime.Schedule]:
    weekdays = tuple(worktime.Slot(weekday=d, start=time(9), end=time(18), kind="callbacks",
                                   user_id=7) for d in range(5))
    evenings = tuple(worktime.Slot(weekday=d, start=time(16), end=time(23, 30),
                                   kind="callbacks", user_id=8) for d in range(7))
    return [worktime.Schedule(timezone="Europe/Moscow", slots=weekdays),
            worktime.Schedule(timezone="Asia/Omsk", slots=weekdays + evenings,
                              working_days_only=False)]


@pytest.mark.parametrize("start", [
    datetime(2026, 11, 30, 8, 0, tzinfo=MSK),      # before Monday's window
    datetime(2026, 11, 30, 12, 7, 30, tzinfo=MSK),  # inside it, off the grid
    datetime(2026, 12, 31, 17, 59, tzinfo=MSK),    # the last minute before the holidays
    datetime(2027, 3, 27, 23, 30, tzinfo=UTC),     # late at night in Omsk
])
@pytest.mark.parametrize("horizon", [timedelta(days=1), timedelta(days=60, hours=5)])
def test_the_planners_cached_windows_are_worktimes_own(start, horizon):
    for schedule in _two_schedules():
        zone = schedule.zone
        today = datetime.combine(start.astimezone(zone).date(), time(0), tzinfo=zone)
        expected = [w for w in worktime.windows(schedule, today, start + horizon,
                                                kind=planner.KIND) if w.end > start]
        first = planner.Planner(schedule, start=start, per_hour=6, horizon=horizon)
        assert first.windows(None, None) == expected
        # A second planner of the same schedule and days takes them from the cache, unchanged.
        again = planner.Planner(schedule, start=start, per_hour=6, horizon=horizon)
        assert again.windows(None, None) == expected
        assert all(start < w.end <= start + horizon for w in expected)
        assert expected or horizon < timedelta(days=2)  # 60 days always hold windows


def test_a_changed_schedule_gets_its_own_windows():
    start = datetime(2026, 11, 30, 8, 0, tzinfo=MSK)
    morning, evening = (worktime.Schedule(timezone="Europe/Moscow", slots=tuple(
        worktime.Slot(weekday=d, start=time(h), end=time(h + 1), kind="callbacks", user_id=7)
        for d in range(5))) for h in (9, 17))
    for schedule, hour in ((morning, 9), (evening, 17), (morning, 9)):
        slot = planner.Planner(schedule, start=start, per_hour=6).place(
            planner.Request(key=1, earliest=start))
        assert local(slot.at) == datetime(2026, 11, 30, hour, 0, tzinfo=MSK)


def test_the_least_loaded_operator_is_counted_per_local_day():
    """Two operators on duty: the one with fewer callbacks that local day gets the next one,
    whatever either has on other days (Omsk's day starts at 18:00 UTC)."""
    slots = tuple(worktime.Slot(weekday=d, start=time(9), end=time(18), kind="callbacks",
                                user_id=u) for d in range(5) for u in (7, 8))
    schedule = worktime.Schedule(timezone="Asia/Omsk", slots=slots)
    start = datetime(2026, 11, 30, 9, 0, tzinfo=OMSK)
    taken = [(7, datetime(2026, 11, 30, 9, 0, tzinfo=OMSK)),
             (7, datetime(2026, 11, 30, 9, 10, tzinfo=OMSK))]
    # Operator 8 is busier, but on Tuesday and Monday night, not on Monday itself.
    taken += [(8, datetime(2026, 12, 1, 9, m, tzinfo=OMSK)) for m in (0, 10, 20, 30, 40)]
    taken += [(8, datetime(2026, 11, 30, 23, 59, tzinfo=OMSK) + timedelta(minutes=2))]
    plan = planner.Planner(schedule, start=start, per_hour=6, taken=taken)
    assert plan.load(7, date(2026, 11, 30)) == 2
    assert plan.load(8, date(2026, 11, 30)) == 0
    assert plan.load(8, date(2026, 12, 1)) == 6
    placed = [plan.place(planner.Request(key=i, earliest=start, caller_zone=OMSK))
              for i in range(4)]
    assert [(local(a.at, OMSK).time(), a.operator_id) for a in placed] == [
        (time(9, 0), 8), (time(9, 10), 8), (time(9, 20), 7), (time(9, 20), 8)]
    assert plan.load(7, date(2026, 11, 30)) == 3 and plan.load(8, date(2026, 11, 30)) == 3
    assert plan.is_taken(7, datetime(2026, 11, 30, 9, 25, tzinfo=OMSK))
    assert not plan.is_taken(7, datetime(2026, 11, 30, 9, 30, tzinfo=OMSK))


@pytest.mark.parametrize("per_hour", [6, 7])  # 7: a spacing of 514.285714 s
def test_the_database_computes_the_planners_grid_indexes(school, per_hour):
    """The queue's taken slots come back from the database as grid indexes: the same ones
    the planner computes, on the grid's edges too (SQLite and PostgreSQL)."""
    spacing = timedelta(hours=1) / per_hour
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK), tick=True):
        callbacks = [message(school, caller=f"+7916123{i:04d}") for i in range(6)]
    edge = planner.grid_index(datetime(2026, 12, 1, 9, 0, tzinfo=MSK), spacing)
    origin = datetime(2000, 1, 3, tzinfo=UTC)
    instants = [origin + spacing * edge,  # exactly on a slot's start
                origin + spacing * edge - timedelta(microseconds=1),  # the slot before
                origin + spacing * (edge + 5) + timedelta(microseconds=1),
                datetime(2026, 12, 1, 9, 7, 59, 999999, tzinfo=MSK),
                datetime(2027, 1, 11, 15, 0, tzinfo=MSK),
                datetime(2026, 12, 1, 9, 0, 0, 500000, tzinfo=MSK)]
    for callback, instant in zip(callbacks, instants, strict=True):
        callback.planned_at = instant
    callbacks[0].operator_id = None
    db.session.commit()
    where = (Callback.organization_id == school.id, Callback.status == CallbackStatus.PLANNED)
    nine = datetime(2026, 12, 1, 9, 0, tzinfo=MSK)
    taken, counted = service._taken_indexes(where, spacing, Callback.planned_at >= nine)
    found = {operator: sorted(indexes) for operator, indexes in taken}
    expected: dict = {}
    for callback in callbacks:
        expected.setdefault(callback.operator_id, []).append(
            planner.grid_index(callback.planned_at, spacing))
    assert found == {operator: sorted(indexes) for operator, indexes in expected.items()}
    assert edge in found[None] and edge - 1 in found[callbacks[1].operator_id]
    # The count rides along: those at 9:00 or later, by the database's comparison.
    assert counted == sum(cb.planned_at >= nine for cb in callbacks)
    assert 0 < counted < len(callbacks)


@pytest.mark.parametrize(("earliest", "slots"), [
    (time(9, 0), [time(9, 0), time(9, 10)]),  # whole slots only: 9:20 + 10 min > 9:25
    (time(9, 16), [time(9, 20)]),  # the first one even if cut short
    (time(9, 21), []),  # the next grid point, 9:30, is past the window's end
])
def test_a_window_ending_off_the_grid_gives_whole_slots(earliest, slots):
    schedule = worktime.Schedule(timezone="Europe/Moscow", slots=(worktime.Slot(
        weekday=0, start=time(9), end=time(9, 25), kind="callbacks", user_id=7),))
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=MSK)
    plan = planner.Planner(schedule, start=monday, per_hour=6, horizon=timedelta(days=1))
    request = planner.Request(key=1, earliest=datetime.combine(monday.date(), earliest,
                                                               tzinfo=MSK))
    placed = []
    while (slot := plan.place(request)) is not None:
        placed.append(local(slot.at).time())
    assert placed == slots


# --- placing one callback without re-planning the queue ------------------------------------


def test_a_slot_taken_while_planning_sends_the_message_round_again(school, monkeypatch):
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        first = message(school)
    placements = []
    real = service._placement

    def racing(org, now, callback, ticket, **options):
        placement = real(org, now, callback, ticket, **options)
        placements.append(placement.moves[-1][1].at)
        if len(placements) == 1:  # another message takes the same slot before our lock
            rival = message(school, caller="+79161111111")
            assert rival.planned_at == placement.moves[-1][1].at
        return placement

    monkeypatch.setattr(service, "_placement", racing)
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        second = message(school, caller="+79162222222")
    slots = [local(cb.planned_at).time() for cb in (first, second)]
    assert slots == [time(9), time(9, 20)]  # the rival has 9:10
    # Ours found 9:10, the rival's took it, ours was placed again and got 9:20.
    assert [local(p).time() for p in placements] == [time(9, 10), time(9, 10), time(9, 20)]
    assert db.session.query(Callback).filter(Callback.planned_at.is_not(None)).count() == 3


def test_an_earlier_due_message_moves_only_the_later_due_ones(school):
    school.callback_capacity_per_hour = 1
    db.session.commit()
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK), tick=True):
        training = [message(school, role="staff", topic="training") for _ in range(3)]
        before = {cb.id: cb.planned_at for cb in training}
        parent = message(school)
    for cb in training:
        db.session.refresh(cb)
    assert local(parent.planned_at) == datetime(2026, 11, 30, 9, 0, tzinfo=MSK)
    # Each training request moved one slot on, in arrival order: the chain, not a re-plan.
    assert [local(cb.planned_at).time() for cb in training] == [time(10), time(11), time(12)]
    assert all(cb.planned_at > before[cb.id] for cb in training)


def test_every_callback_carries_its_tickets_due_instant(school):
    """The planner ranks waiting callbacks by callbacks.sla_due_at: set by request_callback,
    and by the model for a callback made any other way (its ticket not even loaded)."""
    with at(datetime(2026, 11, 27, 20, 0, tzinfo=MSK)):
        planned = message(school)
        ticket_id, due, org_id = planned.ticket_id, planned.ticket.sla_due_at, school.id
        assert due is not None and planned.sla_due_at == due
        db.session.expunge_all()
        other = Callback(organization_id=org_id, ticket_id=ticket_id,
                         status=CallbackStatus.DONE)
        db.session.add(other)
        db.session.commit()
        stored = db.session.scalar(select(Callback.sla_due_at).where(Callback.id == other.id))
    assert stored == due


def policy():
    """The application's callback policy, as the views and jobs pass it."""
    from core import settings

    return settings.current().callbacks
