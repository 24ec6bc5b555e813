"""The admin changes the schedule: the IVR's open/closed answer, the public page and the
planned callbacks follow at once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from callbacks.models import Callback
from core.extensions import db
from core.models import DutySlot, User
from ivr import prompts
from simulator import DialOutcome, Keys, Message, ScriptedCaller
from tests.conftest import PARENT_NUMBER, SCHOOL_NUMBER, make_wav
from tests.flows.test_admin_settings import Admin

MSK = ZoneInfo("Europe/Moscow")
MONDAY_1630 = datetime(2026, 11, 30, 16, 30, tzinfo=MSK)
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=MSK)
CONSULTANT_PHONE = "+79990000102"


def at(moment):
    return time_machine.travel(moment, tick=False)


def call_in(phone):
    """A parent calls about grades and, if put through, the consultant answers."""
    return phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
        [Keys("1"), Keys("2"), DialOutcome("completed"), Message(make_wav(3))]))


def dialled(conversation) -> list[str]:
    return [e.text for e in conversation.events if e.kind == "dial"]


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.username == username)).one()


def monday_slot(app) -> int:
    with app.app_context():
        return db.session.scalars(select(DutySlot.id).where(
            DutySlot.user_id == user_id(app, "consultant"), DutySlot.weekday == 0)).one()


def test_moving_a_slot_opens_the_line_then_a_closed_day_shuts_it(app, phone):
    with at(MONDAY_1630):
        talk = call_in(phone)
        said = " ".join(talk.said())
        assert not dialled(talk) and prompts.CLOSED_HOURS in said
        assert "по будням с 13:00 до 15:00" in said
        public = app.test_client().get("/s/sosh19/").get_data(as_text=True)
        assert "<td>Понедельник</td><td>13:00–15:00</td>" in public

        admin = Admin(app)
        response = admin.post(f"/admin/schedule/slots/{monday_slot(app)}", {
            "user_id": user_id(app, "consultant"), "kind": "consultation", "weekday": "0",
            "start": "16:00", "end": "18:00"})
        assert response.status_code == 302

        talk = call_in(phone)
        assert dialled(talk) == [CONSULTANT_PHONE]
        assert prompts.CONNECTING in " ".join(talk.said())
        public = app.test_client().get("/s/sosh19/").get_data(as_text=True)
        assert "<td>Понедельник</td><td>16:00–18:00</td>" in public
        assert "по будням с 13:00 до 15:00" not in public  # Monday differs now
        assert "по понедельникам с 16:00 до 18:00" in public

        response = admin.post("/admin/exceptions", {"kind": "closed", "first": "2026-11-30",
                                                    "note": "санитарный день"})
        assert response.status_code == 302
        talk = call_in(phone)
        assert not dialled(talk) and prompts.CLOSED_DAY in " ".join(talk.said())
        public = app.test_client().get("/s/sosh19/").get_data(as_text=True)
        assert "30.11.2026 — линия не работает" in public


def test_a_consultant_on_leave_is_not_rung_and_a_deactivated_one_neither(app, phone):
    monday_1330 = datetime(2026, 11, 30, 13, 30, tzinfo=MSK)
    with at(monday_1330):
        assert dialled(call_in(phone)) == [CONSULTANT_PHONE]
        admin = Admin(app)
        admin.post("/admin/exceptions", {"kind": "leave", "user_id": user_id(app, "consultant"),
                                         "first": "2026-11-30"})
        talk = call_in(phone)
        assert not dialled(talk) and prompts.CLOSED_NOBODY in " ".join(talk.said())
        assert admin.post("/admin/exceptions/1/delete").status_code == 302
        assert dialled(call_in(phone)) == [CONSULTANT_PHONE]
        admin.post(f"/admin/users/{user_id(app, 'consultant')}/active", {"active": "0"})
        assert not dialled(call_in(phone))
        public = app.test_client().get("/s/sosh19/").get_data(as_text=True)
        assert "Часы консультаций пока не назначены." in public


def test_a_working_saturday_by_override_opens_the_line(app, phone):
    saturday_1330 = datetime(2026, 11, 28, 13, 30, tzinfo=MSK)
    with at(saturday_1330):
        talk = call_in(phone)
        assert not dialled(talk) and prompts.CLOSED_WEEKEND in " ".join(talk.said())
        admin = Admin(app)
        assert admin.post("/admin/calendar", {"day": "2026-11-28", "working": "1",
                                              "note": "перенос"}).status_code == 302
        assert dialled(call_in(phone)) == [CONSULTANT_PHONE]


def test_the_planned_callback_moves_when_the_operator_takes_leave(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("2"), Message(make_wav(4))]))
        assert "в понедельник, 30 ноября, после 9 часов" in " ".join(talk.said())
        with app.app_context():
            planned = db.session.scalars(select(Callback)).one().planned_at
        assert planned.astimezone(MSK).date().day == 30
        admin = Admin(app)
        response = admin.post("/admin/exceptions", {
            "kind": "leave", "user_id": user_id(app, "operator"), "first": "2026-11-30"})
        assert response.status_code == 302
        with app.app_context():
            moved = db.session.scalars(select(Callback)).one().planned_at.astimezone(MSK)
        assert (moved.day, moved.hour) == (1, 9)  # Tuesday 1 December, the next window
