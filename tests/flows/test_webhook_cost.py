"""What a webhook step costs in SQL: the schedule is built once per change, not per step.

Throughput under gunicorn is measured in benchmarks/webhooks.py; here the work is counted.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import time_machine

from core import service as org_service
from core.extensions import db
from core.models import DutyKind, DutySlot
from tests.conftest import SCHOOL_NUMBER, TwilioCaller, parse, said

MSK = ZoneInfo("Europe/Moscow")
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=MSK)
SCHEDULE_TABLES = ("FROM duty_slots", "FROM duty_exceptions", "FROM calendar_overrides")


def topic_step(client, caller_number: str):
    caller = TwilioCaller(client, from_=caller_number)
    parse(caller.post("/ivr/voice"))
    parse(caller.post("/ivr/role", Digits="1"))
    return caller


def test_the_topic_step_reads_no_schedule_tables_once_built(client, demo, statements):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        first = topic_step(client, "+79160000011")
        parse(first.post("/ivr/topic?role=parent", Digits="2"))
        second = topic_step(client, "+79160000012")
        with statements:
            root = parse(second.post("/ivr/topic?role=parent", Digits="2"))
    assert root.find("Record") is not None and said(root)
    assert not [s for s in statements.seen if any(t in s for t in SCHEDULE_TABLES)]
    # Queries and writes; PostgreSQL adds each transaction's timeouts (webhooks).
    work = [s for s in statements.seen
            if not s.startswith(("SELECT set_config(", "SELECT current_setting("))]
    assert len(work) <= 14, statements.report()


def test_a_schedule_change_is_seen_by_the_next_call(app, client, demo):
    # Saturday 22:00: closed. A consultation slot on Saturdays until 23:00 opens the line.
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        caller = topic_step(client, "+79160000013")
        assert parse(caller.post("/ivr/topic?role=parent", Digits="2")).find("Record") \
            is not None
        with app.app_context():
            school = org_service.find_by_number(SCHOOL_NUMBER)
            before = school.schedule_version
            consultant = next(s.user_id for s in school.slots
                              if s.kind == DutyKind.CONSULTATION)
            school.slots.append(DutySlot(user_id=consultant, weekday=5, start=time(21),
                                         end=time(23), kind=DutyKind.CONSULTATION))
            db.session.commit()
            assert school.schedule_version == before + 1
        caller = topic_step(client, "+79160000014")
        root = parse(caller.post("/ivr/topic?role=parent", Digits="2"))
    assert root.find("Dial") is not None, said(root)
