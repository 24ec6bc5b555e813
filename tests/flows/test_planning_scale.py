"""2,000 waiting callbacks in one school: a new message places only its own callback.

The record action's work (SQL statements, slots the planner examines) does not grow with the
queue, planning runs without the school's planning lock (on SQLite the database's write
lock), and another school's call goes through while it runs. Timing is in
benchmarks/planning.py, not here.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select, update

from benchmarks.history import seed_waiting
from callbacks import planner, service
from callbacks.models import Callback, CallbackStatus
from core import service as org_service
from core.extensions import db
from core.models import Organization
from tests.conftest import OMSK_NUMBER, SCHOOL_NUMBER, TwilioCaller, parse, race, said
from tickets.models import Ticket

MSK = ZoneInfo("Europe/Moscow")
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=MSK)
WAITING = 2000


def leave_message(client, caller_number: str, school: str = SCHOOL_NUMBER):
    """A parent's out-of-hours call, as Twilio posts it, up to the <Record> action."""
    caller = TwilioCaller(client, from_=caller_number, to=school)
    assert parse(caller.post("/ivr/voice")).find("Gather") is not None
    parse(caller.post("/ivr/role", Digits="1"))
    root = parse(caller.post("/ivr/topic?role=parent", Digits="2"))
    assert root.find("Record") is not None
    return caller


def record(caller):
    return caller.post("/ivr/recorded", RecordingUrl="https://api.twilio.com/x/RE" + "7" * 32,
                       RecordingDuration="9", Digits="#")


def lock_is_free(app, org_id: int) -> bool:
    """Whether another connection could take the school's planning lock right now."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the database's write lock
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    import psycopg
    from psycopg import errors

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as other:
        try:
            other.execute("SELECT id FROM organizations WHERE id = %s FOR UPDATE NOWAIT",
                          (org_id,))
            return True
        except errors.LockNotAvailable:
            return False


def test_2000_waiting_callbacks_do_not_slow_the_record_action(app, client, demo, statements,
                                                              monkeypatch):
    with app.app_context():  # a busy school: a callback every 3 minutes
        db.session.execute(update(Organization).where(Organization.id == org_service.find_by_number(
            SCHOOL_NUMBER).id).values(callback_capacity_per_hour=20))
        db.session.commit()
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        # The same message with an empty queue: the statements a record action needs.
        empty = leave_message(client, "+79160000001")
        with statements:
            assert "зарегистрировано" in said(parse(record(empty)))
        baseline = len(statements)

        with app.app_context():
            seeded = seed_waiting(org_service.find_by_number(SCHOOL_NUMBER), WAITING,
                                  datetime.now(UTC))
            school = org_service.find_by_number(SCHOOL_NUMBER)
            school_id = school.id

        def no_full_replan(*args, **kwargs):
            raise AssertionError("a new message must not re-plan the whole queue")

        monkeypatch.setattr(service, "_replan", no_full_replan)
        seen: dict = {}
        insert_slots = planner.Planner.insert

        def watched(self, request, rank, held):
            # While this school plans: nobody holds its lock, another school's call goes on.
            seen["lock_free"] = lock_is_free(app, school_id)
            other = TwilioCaller(client, from_="+79160000003", to=OMSK_NUMBER)
            mark = len(statements.seen)
            # A call of its own, on its own connection, as another gunicorn worker takes it.
            thread = threading.Thread(
                target=lambda: seen.__setitem__("other_school", other.post("/ivr/voice")))
            thread.start()
            thread.join(timeout=60)
            del statements.seen[mark:]  # the other school's statements are not this action's
            moves = insert_slots(self, request, rank, held)
            seen.setdefault("moves", []).append(moves)
            seen["steps"] = self.steps
            return moves

        monkeypatch.setattr(planner.Planner, "insert", watched)
        busy = leave_message(client, "+79160000002")
        with statements:
            root = parse(record(busy))
        assert "зарегистрировано" in said(root)
        assert "перезвоним" in said(root)

    assert seen["lock_free"], "the planning lock is held while planning"
    greeting = parse(seen["other_school"])
    assert greeting.find("Gather") is not None
    assert said(greeting)  # the other school's greeting, not the apology
    # The new message did not displace anyone (the queue's messages are due before it) ...
    assert [len(m) for m in seen["moves"]] == [1]
    # ... and the planner walked the taken slots once, not once per waiting callback.
    assert seen["steps"] <= WAITING + 60
    # No more statements than with an empty queue.
    assert len(statements) <= baseline, statements.report()
    with app.app_context():
        new = db.session.scalars(select(Callback).join(Ticket, Ticket.id == Callback.ticket_id).where(
            Ticket.caller_number == "+79160000002")).one()
        assert new.status == CallbackStatus.PLANNED and new.planned_at > max(seeded)
        untouched = db.session.scalar(select(func.count()).select_from(Callback).where(
            Callback.organization_id == school_id, Callback.phone.like("+7903%"),
            Callback.planned_at.in_(seeded)))
        assert untouched == WAITING


def test_messages_left_at_once_in_one_school_never_share_a_slot(app, demo):
    """Six parents end their messages at the same moment, each request with its own session
    and connection: each places its callback before the school's lock and checks the slot
    under it, placing it again when a neighbour took it first. Every ticket gets one
    callback, each in a slot of its own."""
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        callers = [leave_message(app.test_client(), f"+7916333000{i}") for i in range(6)]
        answers = []

        def finish(caller: TwilioCaller, ready) -> None:
            ready()
            answers.append(said(parse(record(caller))))

        errors = race(finish, callers)
    assert errors == []
    assert len(answers) == 6 and all("перезвоним" in text for text in answers), answers
    with app.app_context():
        rows = db.session.execute(
            select(Ticket.call_sid, Callback.operator_id, Callback.planned_at)
            .join(Callback, Callback.ticket_id == Ticket.id)
            .where(Ticket.call_sid.in_([c.call_sid for c in callers]))).all()
    assert sorted(r.call_sid for r in rows) == sorted(c.call_sid for c in callers)
    slots = [(r.operator_id, r.planned_at) for r in rows]
    assert None not in {at for _, at in slots}
    assert len(set(slots)) == len(slots), slots
