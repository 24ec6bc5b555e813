"""A ticket answered, declined or escalated ends its callbacks, in every state, for good.

The issue's story: the operator presses «Позвонить»; while it shows «идёт звонок» the
consultant answers and closes the ticket; after the stale-attempt recovery the callback must
not come back as «Просрочены», «запланирован», with «Позвонить» active.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from callbacks import jobs
from callbacks.models import AttemptResult, Callback, CallbackAttempt, CallbackStatus
from core import clock, telephony
from core import ui_text as t
from core.extensions import db
from tests.browser.support import MONDAY_0905, leave_message, login
from tests.conftest import AUTH_TOKEN, SCHOOL_NUMBER, TwilioCaller, parse, said
from tickets import casework
from tickets.models import DeclineReason, Ticket, TicketStatus

OPERATOR_PHONE = "+79990000101"
CLOSE = {
    "resolve": {"reply": "Пароль сброшен, новый пришёл по СМС."},
    "decline": {"reason": "incorrect_question", "comment": "Вопрос не о журнале."},
    "escalate": {"reference": "SP-2026-7781", "told": "Ответ придёт от поддержки портала."},
}
QUEUE_TABS = ("due", "later", "overdue", "active")


@pytest.fixture
def monday(app, client, demo):
    ticket_id = leave_message(app, client)
    with time_machine.travel(MONDAY_0905, tick=True):
        yield ticket_id


def signed_in(app, username):
    client = app.test_client()
    client.token = login(client, username)
    return client


def post(client, path, **data):
    return client.post(path, data={"csrf_token": client.token, **data})


def the_callback(app) -> Callback:
    with app.app_context():
        callback = db.session.scalars(select(Callback)).one()
        db.session.expunge(callback)
        return callback


def attempts(app) -> list[CallbackAttempt]:
    with app.app_context():
        found = list(db.session.scalars(select(CallbackAttempt).order_by(CallbackAttempt.id)))
        for attempt in found:
            db.session.expunge(attempt)
        return found


def counts(operator) -> dict[str, int]:
    html = operator.get("/operator/").get_data(as_text=True)
    return {tab: int(re.search(rf'data-count="{tab}">(\d+)<', html).group(1))
            for tab in QUEUE_TABS}


def answer_whisper_and_connect(app, client) -> int:
    """Play Twilio: the operator's phone answers, presses 1, the parent picks up."""
    with app.app_context():
        placed = telephony.get().placed[-1]
    attempt = parse_qs(urlsplit(placed.url).query)["attempt"][0]
    line = TwilioCaller(client, call_sid=placed.sid, from_=SCHOOL_NUMBER, to=OPERATOR_PHONE,
                        token=AUTH_TOKEN)
    whisper = parse(line.post(f"/callbacks/whisper?attempt={attempt}", AnsweredBy="human",
                              Direction="outbound-api"))
    assert "Обращение" in said(whisper) or "обращени" in said(whisper)
    parse(line.post(f"/callbacks/choice?attempt={attempt}", Digits="1"))
    parse(line.post(f"/callbacks/status?attempt={attempt}&leg=caller", CallSid="CA" + "7" * 32,
                    CallStatus="in-progress", AnsweredBy="human",
                    Direction="outbound-dial"))
    return int(attempt)


@pytest.mark.parametrize("action", list(CLOSE))
def test_closing_while_the_call_is_on_ends_the_callback_for_good(app, monday, action):
    operator, consultant = signed_in(app, "operator"), signed_in(app, "consultant")
    callback_id = the_callback(app).id
    assert post(operator, f"/operator/callbacks/{callback_id}/call").status_code == 302
    assert the_callback(app).status == CallbackStatus.DIALING  # «идёт звонок»

    assert post(consultant, f"/tickets/{monday}/{action}", **CLOSE[action]).status_code == 302

    callback = the_callback(app)
    assert callback.status == CallbackStatus.CANCELLED and callback.closed_at is not None
    assert [a.result for a in attempts(app)] == [AttemptResult.TICKET_CLOSED]
    # The stale-attempt recovery runs after 30 minutes and again after the claim expires.
    for minutes in (31, 121):
        with time_machine.travel(clock.now() + timedelta(minutes=minutes), tick=False):
            jobs.retries(app)
            assert the_callback(app).status == CallbackStatus.CANCELLED
            assert counts(operator) == dict.fromkeys(QUEUE_TABS, 0)
            card = operator.get(f"/operator/callbacks/{callback_id}").get_data(as_text=True)
            assert t.CALLBACK_STATUS["cancelled"] in card
            assert f'action="/operator/callbacks/{callback_id}/call"' not in card


def test_closing_after_the_parent_answered_ends_the_connected_callback(app, client, monday):
    operator, consultant = signed_in(app, "operator"), signed_in(app, "consultant")
    callback_id = the_callback(app).id
    post(operator, f"/operator/callbacks/{callback_id}/call")
    attempt = answer_whisper_and_connect(app, client)
    assert the_callback(app).status == CallbackStatus.CONNECTED

    post(consultant, f"/tickets/{monday}/resolve", **CLOSE["resolve"])
    assert the_callback(app).status == CallbackStatus.CANCELLED
    # Twilio's late news of the bridged call changes nothing.
    line = TwilioCaller(client, from_=SCHOOL_NUMBER, to=OPERATOR_PHONE)
    parse(line.post(f"/callbacks/dialed?attempt={attempt}", DialCallStatus="completed",
                    DialCallDuration="95", DialCallSid="CA" + "7" * 32))
    parse(line.post(f"/callbacks/status?attempt={attempt}&leg=operator", CallStatus="completed",
                    CallDuration="120"))
    with time_machine.travel(clock.now() + timedelta(minutes=31), tick=False):
        jobs.retries(app)
    assert the_callback(app).status == CallbackStatus.CANCELLED
    assert counts(operator) == dict.fromkeys(QUEUE_TABS, 0)


@pytest.mark.parametrize("close", [
    lambda ticket, who: casework.resolve(ticket, "Ответили по телефону.", who),
    lambda ticket, who: casework.decline(ticket, DeclineReason.NOT_ENOUGH_INFORMATION, "", who),
    lambda ticket, who: casework.escalate(ticket, "SP-1", "Передано в поддержку.", who),
], ids=["resolve", "decline", "escalate"])
def test_the_domain_ends_a_waiting_callback_without_any_view(app, monday, close):
    with app.app_context():
        ticket = db.session.get(Ticket, monday)
        close(ticket, casework.Actor("consultant"))
        callback = db.session.scalars(select(Callback)).one()
        assert ticket.status in (TicketStatus.RESOLVED, TicketStatus.DECLINED,
                                 TicketStatus.ESCALATED)
        assert callback.status == CallbackStatus.CANCELLED


def test_recovery_never_revives_a_callback_of_a_closed_ticket(app, monday):
    """Data left by the old code: a callback still «dialing» on a resolved ticket."""
    operator = signed_in(app, "operator")
    post(operator, f"/operator/callbacks/{the_callback(app).id}/call")
    with app.app_context():
        ticket = db.session.get(Ticket, monday)
        # Closed behind the domain's back (as before the signal existed).
        ticket.status, ticket.closed_at = TicketStatus.RESOLVED, clock.now()
        db.session.commit()
    with time_machine.travel(clock.now() + timedelta(minutes=31), tick=False):
        jobs.retries(app)
        assert the_callback(app).status == CallbackStatus.CANCELLED
        assert counts(operator) == dict.fromkeys(QUEUE_TABS, 0)
