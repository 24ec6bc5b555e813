"""Local telephony completes a callback: browser pages are the operator's and the parent's phones.

Nothing is posted by hand here: «Позвонить» places the call through LocalTelephony, the
page listening as the operator's number rings, answers, hears the whisper, is connected to
the page listening as the parent's number, they talk, and the operator keys the result.
The simulator plays Twilio's part (signed webhooks, status and AMD callbacks, the Dial's
action), so the callback's record is what Twilio would have left.
"""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from sqlalchemy import select

from callbacks import jobs
from callbacks.models import AttemptResult, Callback, CallbackAttempt, CallbackStatus
from core import ui_text as t
from core.extensions import db
from core.models import CallbackMode, Organization
from tests.browser.support import MONDAY_0905, leave_message, login
from tests.conftest import PARENT_NUMBER
from tickets.models import Ticket, TicketStatus

OPERATOR_PHONE = "+79990000101"


@pytest.fixture
def monday(app, client, demo):
    ticket_id = leave_message(app, client)
    with time_machine.travel(MONDAY_0905, tick=True):
        yield ticket_id


def signed_in(app, username):
    client = app.test_client()
    client.token = login(client, username)
    return client


def api(client, path, payload):
    return client.post(path, json=payload, headers={"X-CSRFToken": client.token,
                                                    "Accept": "application/json"})


def listen(client, number):
    response = client.get(f"/phone/api/incoming?number={number}",
                          headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def until(check, timeout=15.0):
    """Poll as the page polls, until the line gets there."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, "the line never got there"
        time.sleep(0.05)


def ringing(client, number):
    def check():
        call = listen(client, number)["call"]
        return call if call and (call["waiting"] or {}).get("kind") == "ring" else None
    return until(check)


def state(client, call_id):
    return client.get(f"/phone/api/calls/{call_id}", headers={"Accept": "application/json"}
                      ).get_json()


def waiting_for(client, call_id, kind):
    def check():
        now = state(client, call_id)
        return now if (now["waiting"] or {}).get("kind") == kind else None
    return until(check)


def send(client, call, action, value=""):
    response = api(client, f"/phone/api/calls/{call['id']}/input",
                   {"action": action, "value": value})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def line_said(call) -> str:
    return " ".join(e["text"] for e in call["events"] if e["who"] == "line")


def the_callback(app) -> Callback:
    with app.app_context():
        callback = db.session.scalars(select(Callback)).one()
        db.session.expunge(callback)
        return callback


def the_attempt(app) -> CallbackAttempt:
    with app.app_context():
        attempt = db.session.scalars(select(CallbackAttempt)).one()
        db.session.expunge(attempt)
        return attempt


def test_operator_and_parent_pages_complete_a_manual_callback(app, monday):
    operator, parent = signed_in(app, "operator"), signed_in(app, "operator2")
    assert listen(operator, OPERATOR_PHONE)["call"] is None
    assert listen(parent, PARENT_NUMBER)["call"] is None
    callback_id = the_callback(app).id
    csrf = {"csrf_token": operator.token}
    assert operator.post(f"/operator/callbacks/{callback_id}/call", data=csrf).status_code == 302

    mine = ringing(operator, OPERATOR_PHONE)
    assert mine["waiting"]["from"] == "+7 495 000-00-19"  # the school's number as caller ID
    assert mine["callback"]["url"] == f"/operator/callbacks/{callback_id}"
    assert the_attempt(app).status == "ringing"  # Twilio's progress callbacks arrived
    mine = send(operator, mine, "answer")
    # Manual mode: connected at once, the parent's page rings.
    theirs = ringing(parent, PARENT_NUMBER)
    assert theirs["waiting"]["from"] == "+7 495 000-00-19"
    assert "Соединяю по обращению номер" in line_said(state(operator, mine["id"]))
    theirs = send(parent, theirs, "answer")
    assert theirs["waiting"]["kind"] == "talk"
    talking = waiting_for(operator, mine["id"], "talk")
    assert talking["waiting"]["with"] == "+7 916 123-45-67"
    assert the_callback(app).status == CallbackStatus.CONNECTED  # AMD: a person answered

    send(parent, theirs, "hangup")  # the parent says goodbye first
    menu = waiting_for(operator, mine["id"], "gather")
    assert "Если вопрос решён, нажмите 1" in line_said(menu)
    done = send(operator, menu, "keys", "1")
    until(lambda: state(operator, mine["id"])["ended"])
    assert "итог записан" in line_said(state(operator, mine["id"]))

    callback, attempt = the_callback(app), the_attempt(app)
    assert callback.status == CallbackStatus.DONE and callback.outcome == "resolved"
    assert attempt.result == AttemptResult.CONNECTED and attempt.bridged_at is not None
    assert attempt.parent_status == "completed" and attempt.parent_answered_by == "human"
    assert attempt.parent_duration >= 1 and attempt.status == "completed"
    assert attempt.duration is not None and attempt.ended_at is not None
    with app.app_context():
        assert db.session.get(Ticket, monday).status == TicketStatus.RESOLVED
    assert state(parent, theirs["id"])["ended"] and done


def test_the_automatic_dialer_rings_the_operators_page_and_the_whisper_asks(app, monday):
    with app.app_context():
        for org in db.session.scalars(select(Organization)):
            org.callback_mode = CallbackMode.AUTO
        db.session.commit()
    operator = signed_in(app, "operator")
    listen(operator, OPERATOR_PHONE)
    with time_machine.travel(MONDAY_0905.replace(minute=30), tick=True):
        assert jobs.dial_due_callbacks(app)
        mine = send(operator, ringing(operator, OPERATOR_PHONE), "answer")
        whisper = waiting_for(operator, mine["id"], "gather")
        heard = line_said(whisper)
        assert "Обратный звонок по обращению номер" in heard and "нажмите 1" in heard
        # Nobody is the parent's phone: the page says how the parent answers.
        dial = send(operator, whisper, "keys", "1")
        dial = waiting_for(operator, mine["id"], "dial")
        assert dial["waiting"]["title"] == t.PHONE_DIAL_CALLER_TITLE
        send(operator, dial, "dial", "no-answer")
        until(lambda: state(operator, mine["id"])["ended"])
        assert "Дозвониться не удалось" in line_said(state(operator, mine["id"]))
    callback = the_callback(app)
    assert callback.status == CallbackStatus.PLANNED and callback.attempts == 1
    assert the_attempt(app).result == AttemptResult.NO_ANSWER


def test_an_unanswered_ring_is_reported_as_twilio_would(app, monday):
    operator = signed_in(app, "operator")
    listen(operator, OPERATOR_PHONE)
    callback_id = the_callback(app).id
    operator.post(f"/operator/callbacks/{callback_id}/call", data={"csrf_token": operator.token})
    send(operator, ringing(operator, OPERATOR_PHONE), "decline")
    until(lambda: the_attempt(app).result is not None)
    attempt = the_attempt(app)
    assert attempt.status == "busy" and attempt.result == AttemptResult.OPERATOR_MISSED
    html = operator.get(f"/operator/callbacks/{callback_id}").get_data(as_text=True)
    assert re.search(t.CALLBACK_STATUS["dialing"], html)  # manual: stays with the operator


def test_no_page_is_the_number_the_call_stays_in_the_outbox(app, monday):
    operator = signed_in(app, "operator")
    operator.post(f"/operator/callbacks/{the_callback(app).id}/call",
                  data={"csrf_token": operator.token})
    attempt = the_attempt(app)
    assert attempt.status == "initiated" and attempt.result is None  # nothing rang
    assert listen(operator, OPERATOR_PHONE)["call"] is None


def test_a_bad_number_to_listen_on_is_a_400(app, monday):
    operator = signed_in(app, "operator")
    response = operator.get("/phone/api/incoming?number=абв",
                            headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == t.PHONE_BAD_NUMBER
