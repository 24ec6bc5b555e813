"""Ringing the operator at the planned time, the whisper, the bridge, and status callbacks.

Webhooks are posted signed and form-encoded, as Twilio posts them; TwiML is parsed.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from callbacks import dialer, jobs, prompts, service
from callbacks.models import Callback, CallbackAttempt, CallbackStatus
from core import service as org_service
from core import settings, telephony
from core.extensions import db
from core.models import AuditEvent, User
from tests.conftest import AUTH_TOKEN, BASE_URL, SCHOOL_NUMBER, TwilioCaller, parse, said
from tickets import service as tickets

MSK = ZoneInfo("Europe/Moscow")
OPERATOR = "+79990000101"
PARENT = "+79161234567"
FRIDAY_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=MSK)
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=MSK)
_sids = itertools.count(1)


def at(moment, tick=False):
    return time_machine.travel(moment, tick=tick)


@pytest.fixture
def school(demo, app_ctx):
    return org_service.find_by_number(SCHOOL_NUMBER)


@pytest.fixture
def line(client, demo):
    """Twilio, posting the callbacks' webhooks (signed)."""
    return TwilioCaller(client, from_=SCHOOL_NUMBER, to=OPERATOR)


def message(org, moment=FRIDAY_EVENING, caller=PARENT):
    with at(moment):
        sid = f"CAd{next(_sids):031d}"
        tickets.record_call(sid, org=org, from_number=caller, to_number=None)
        ticket = tickets.open_ticket(org=org, call_sid=sid, caller_number=caller,
                                     role="parent", topic="grades")
        return service.request_callback(ticket, policy=policy())


def placed(app):
    return app.extensions["telephony"].placed


def path(url):
    assert url.startswith(BASE_URL)
    return url[len(BASE_URL):]


def ring(app, moment=MONDAY_9):
    with at(moment):
        return jobs.dial_due_callbacks(app)


def attempt_of(callback) -> CallbackAttempt:
    db.session.expire_all()
    return db.session.scalars(select(CallbackAttempt).where(
        CallbackAttempt.callback_id == callback.id).order_by(CallbackAttempt.id.desc())).first()


def refreshed(callback) -> Callback:
    db.session.expire_all()
    return db.session.get(Callback, callback.id)


@pytest.fixture
def rung(app, school, line):
    """A callback planned for Monday 9:00, its operator rung by the job at 9:00."""
    callback = message(school)
    assert ring(app) == [callback.id]
    return callback


def post(line, url, moment=MONDAY_9, **form):
    # The test's app context is the request's too (Flask reuses it): start the request
    # with nothing cached, as a fresh request in production does.
    db.session.expire_all()
    with at(moment):
        return line.post(path(url) if url.startswith("http") else url, **form)


# --- ringing ---------------------------------------------------------------------------------


def test_the_job_rings_the_operator_at_the_planned_time(app, school):
    callback = message(school)
    assert ring(app, MONDAY_9 - timedelta(minutes=1)) == []
    assert ring(app) == [callback.id]
    [call] = placed(app)
    attempt = attempt_of(callback)
    assert (call.to, call.from_) == (OPERATOR, SCHOOL_NUMBER)
    assert call.url == f"{BASE_URL}/callbacks/whisper?attempt={attempt.id}"
    assert call.status_callback == (
        f"{BASE_URL}/callbacks/status?attempt={attempt.id}&leg=operator")
    assert attempt.call_sid == call.sid and attempt.mode == "auto"
    assert refreshed(callback).status == CallbackStatus.DIALING
    assert ring(app, MONDAY_9 + timedelta(minutes=1)) == []  # rung once
    assert len(placed(app)) == 1


def test_one_ring_at_a_time_for_an_operator(app, school):
    first, second = message(school), message(school)
    assert ring(app, MONDAY_9 + timedelta(minutes=15)) == [first.id]
    assert ring(app, MONDAY_9 + timedelta(minutes=16)) == []  # the operator is on a call
    with at(MONDAY_9 + timedelta(minutes=17)):
        service.record_outcome(first.id, "resolved", user=db.session.get(User, first.operator_id), policy=policy())
    assert ring(app, MONDAY_9 + timedelta(minutes=18)) == [second.id]


def test_a_callback_found_due_at_night_is_planned_again_not_rung(app, school):
    callback = message(school, datetime(2026, 11, 30, 17, 40, tzinfo=MSK))
    assert callback.planned_at.astimezone(MSK).hour == 17
    # The scheduler was down; it comes back at 19:00.
    assert ring(app, datetime(2026, 11, 30, 19, 0, tzinfo=MSK)) == []
    assert placed(app) == []
    assert refreshed(callback).planned_at.astimezone(MSK) == datetime(2026, 12, 1, 9, 0,
                                                                      tzinfo=MSK)


def test_a_closed_ticket_is_not_called_back(app, school):
    callback = message(school)
    with at(FRIDAY_EVENING + timedelta(hours=1)):
        tickets.transition(callback.ticket, tickets.TicketStatus.RESOLVED)
    assert ring(app) == []
    assert refreshed(callback).status == CallbackStatus.CANCELLED


def test_a_refused_call_is_tried_again_shortly(app, school, monkeypatch):
    callback = message(school)

    def refuse(**_kwargs):
        raise telephony.TelephonyError("Twilio is down")

    monkeypatch.setattr(app.extensions["telephony"], "place_call", refuse)
    assert ring(app) == []
    callback = refreshed(callback)
    assert callback.status == CallbackStatus.PLANNED
    assert callback.planned_at.astimezone(MSK) == MONDAY_9 + timedelta(minutes=5)
    assert attempt_of(callback).result == "not_placed"


# --- the whisper and the operator's keys ----------------------------------------------------------


def test_the_whisper_says_what_the_callback_is_about(app, rung, line):
    url = placed(app)[0].url
    root = parse(post(line, url, AnsweredBy="human", Direction="outbound-api"))
    gather = root.find("Gather")
    text = said(gather)
    assert prompts.WHISPER_INTRO.format(number="1") in text
    assert "Звонил родитель или законный представитель, тема: оценки." in text
    assert prompts.WHISPER_NO_MESSAGE in text
    assert "отложить звонок на 15 минут" in text
    attempt = attempt_of(rung)
    assert gather.get("action") == f"/callbacks/choice?attempt={attempt.id}"
    assert root.find("Redirect").text == f"/callbacks/whisper?attempt={attempt.id}&retry=2"
    assert attempt.answered_at is not None


def test_key_1_bridges_to_the_caller_with_the_schools_number(app, rung, line):
    attempt = attempt_of(rung)
    root = parse(post(line, f"/callbacks/choice?attempt={attempt.id}", Digits="1"))
    dial = root.find("Dial")
    assert dial.get("callerId") == SCHOOL_NUMBER
    assert dial.get("action") == f"/callbacks/dialed?attempt={attempt.id}"
    number = dial.find("Number")
    assert number.text == PARENT
    status = f"/callbacks/status?attempt={attempt.id}&leg=caller"
    assert number.get("statusCallback") == status
    assert number.get("machineDetection") == "Enable"
    assert number.get("amdStatusCallback") == status
    assert attempt_of(rung).bridged_at is not None


def test_key_2_postpones_for_15_minutes(app, rung, line):
    attempt = attempt_of(rung)
    root = parse(post(line, f"/callbacks/choice?attempt={attempt.id}", MONDAY_9 +
                      timedelta(minutes=1), Digits="2"))
    assert said(root) == prompts.POSTPONED.format(postpone="15 минут")
    assert root.find("Hangup") is not None
    callback = refreshed(rung)
    assert callback.status == CallbackStatus.PLANNED and callback.pinned
    assert callback.planned_at.astimezone(MSK) == MONDAY_9 + timedelta(minutes=16)
    assert callback.attempts == 0  # the caller was not called
    assert attempt_of(rung).result == "postponed"


def test_key_3_and_silence_leave_it_in_the_queue(app, school, rung, line):
    attempt = attempt_of(rung)
    root = parse(post(line, f"/callbacks/choice?attempt={attempt.id}", Digits="3"))
    assert said(root) == prompts.QUEUED
    callback = refreshed(rung)
    assert callback.status == CallbackStatus.PLANNED and callback.manual
    with at(MONDAY_9 + timedelta(minutes=5)):
        assert callback.id in [cb.id for cb in service.queue(school, policy=policy()).due_now]
    assert ring(app, MONDAY_9 + timedelta(minutes=30)) == []  # never rung automatically


def test_silence_twice_leaves_it_in_the_queue(app, rung, line):
    attempt = attempt_of(rung)
    root = parse(post(line, f"/callbacks/whisper?attempt={attempt.id}&retry=3"))
    assert said(root) == prompts.QUEUED
    assert refreshed(rung).manual


def test_a_wrong_key_repeats_the_whisper(app, rung, line):
    attempt = attempt_of(rung)
    root = parse(post(line, f"/callbacks/choice?attempt={attempt.id}", Digits="7"))
    assert said(root).startswith(prompts.WHISPER_NOT_UNDERSTOOD)
    assert root.find("Gather") is not None


def test_the_operators_voicemail_is_not_the_operator(app, rung, line):
    root = parse(post(line, placed(app)[0].url, AnsweredBy="machine_start"))
    assert root.find("Hangup") is not None
    callback = refreshed(rung)
    assert callback.status == CallbackStatus.PLANNED and callback.operator_misses == 1
    assert callback.planned_at.astimezone(MSK) >= MONDAY_9 + timedelta(minutes=15)
    assert attempt_of(rung).result == "operator_missed"


def test_an_operator_who_never_answers_gets_it_in_the_queue(app, rung, line):
    for minutes in (0, 20, 40):
        moment = MONDAY_9 + timedelta(minutes=minutes)
        if minutes:
            assert ring(app, moment) == [rung.id]
        attempt = attempt_of(rung)
        post(line, f"/callbacks/status?attempt={attempt.id}&leg=operator", moment,
             CallStatus="no-answer", CallSid=attempt.call_sid)
    callback = refreshed(rung)
    assert callback.operator_misses == 3 and callback.manual
    assert callback.attempts == 0


# --- the caller's leg: duplicated and out-of-order status callbacks ------------------------------


def bridged(line, callback, moment=MONDAY_9):
    attempt = attempt_of(callback)
    parse(post(line, f"/callbacks/choice?attempt={attempt.id}", moment, Digits="1"))
    return attempt


def test_no_answer_reported_three_times_counts_once(app, rung, line):
    attempt = bridged(line, rung)
    dialed = f"/callbacks/dialed?attempt={attempt.id}"
    status = f"/callbacks/status?attempt={attempt.id}&leg=caller"
    moment = MONDAY_9 + timedelta(minutes=1)
    root = parse(post(line, dialed, moment, DialCallStatus="no-answer", DialCallSid="CAchild",
                      DialCallDuration="0"))
    assert said(root).startswith(prompts.CALLER_NOT_REACHED)
    assert "Следующая попытка запланирована сегодня после 10 часов." in said(root)
    parse(post(line, status, moment, CallStatus="no-answer", CallSid="CAchild"))
    parse(post(line, dialed, moment, DialCallStatus="no-answer", DialCallSid="CAchild"))
    callback = refreshed(rung)
    assert callback.attempts == 1 and callback.status == CallbackStatus.PLANNED
    assert callback.planned_at.astimezone(MSK) == datetime(2026, 11, 30, 10, 0, tzinfo=MSK)
    assert attempt_of(rung).result == "no-answer"


def test_a_machine_after_the_answer_is_not_reaching_the_caller(app, rung, line):
    attempt = bridged(line, rung)
    status = f"/callbacks/status?attempt={attempt.id}&leg=caller"
    dialed = f"/callbacks/dialed?attempt={attempt.id}"
    # The <Dial> action comes first; the machine detection's verdict arrives after it.
    root = parse(post(line, dialed, DialCallStatus="completed", DialCallSid="CAchild",
                      DialCallDuration="25"))
    assert root.find("Gather") is not None  # the operator is asked for the result
    assert attempt_of(rung).result is None  # waiting for AnsweredBy
    parse(post(line, status, AnsweredBy="machine_end_beep", CallSid="CAchild"))
    callback = refreshed(rung)
    assert attempt_of(rung).result == "machine" and callback.attempts == 1
    planned = callback.planned_at
    # Late and repeated news changes nothing.
    for form in ({"AnsweredBy": "machine_end_beep"}, {"CallStatus": "ringing"},
                 {"CallStatus": "completed", "CallDuration": "25"}):
        parse(post(line, status, CallSid="CAchild", **form))
    callback = refreshed(rung)
    assert callback.attempts == 1 and callback.planned_at == planned
    assert attempt_of(rung).parent_status == "completed"


def test_a_person_answering_waits_for_the_operators_result(app, rung, line):
    attempt = bridged(line, rung)
    status = f"/callbacks/status?attempt={attempt.id}&leg=caller"
    parse(post(line, status, AnsweredBy="human", CallSid="CAchild"))
    assert refreshed(rung).status == CallbackStatus.CONNECTED
    # Out of order: the operator leg's "ringing" arrives after its "completed".
    operator = f"/callbacks/status?attempt={attempt.id}&leg=operator"
    parse(post(line, operator, CallStatus="completed", CallDuration="300",
               CallSid=attempt.call_sid))
    parse(post(line, operator, CallStatus="ringing", CallSid=attempt.call_sid))
    parse(post(line, status, CallStatus="no-answer", CallSid="CAchild"))  # nonsense, late
    attempt = attempt_of(rung)
    assert (attempt.status, attempt.result, attempt.duration) == ("completed", "connected", 300)
    callback = refreshed(rung)
    assert callback.status == CallbackStatus.CONNECTED and callback.attempts == 0


def test_the_operator_records_the_result_on_the_phone(app, rung, line):
    attempt = bridged(line, rung)
    root = parse(post(line, f"/callbacks/dialed?attempt={attempt.id}",
                      DialCallStatus="completed", DialCallSid="CAchild", DialCallDuration="95"))
    gather = root.find("Gather")
    assert gather.get("action") == f"/callbacks/result?attempt={attempt.id}"
    root = parse(post(line, f"/callbacks/result?attempt={attempt.id}", Digits="1"))
    assert said(root) == prompts.RESULT_SAVED
    callback = refreshed(rung)
    assert (callback.status, callback.outcome) == (CallbackStatus.DONE, "resolved")
    assert callback.ticket.status == tickets.TicketStatus.RESOLVED
    assert attempt_of(rung).result == "connected"
    # The machine detection's late verdict cannot undo the operator's result.
    parse(post(line, f"/callbacks/status?attempt={attempt.id}&leg=caller",
               AnsweredBy="machine_start"))
    assert refreshed(rung).status == CallbackStatus.DONE


def test_the_third_failure_gives_up_and_sends_one_sms(app, school, line):
    settings.configure(app, CALLBACK_SMS_ENABLED=True)
    callback = message(school)
    moment = MONDAY_9
    for number in (1, 2, 3):
        assert ring(app, moment) == [callback.id]
        attempt = bridged(line, callback, moment)
        root = parse(post(line, f"/callbacks/dialed?attempt={attempt.id}", moment,
                          DialCallStatus="busy", DialCallSid=f"CAbusy{number}"))
        callback = refreshed(callback)
        assert callback.attempts == number
        if number < 3:
            assert callback.planned_at >= moment + timedelta(hours=1)
            moment = callback.planned_at
    assert prompts.ATTEMPTS_EXHAUSTED in said(root)
    assert callback.status == CallbackStatus.UNREACHABLE
    assert service.ticket_label(callback.ticket) == "не дозвонились"
    with at(moment + timedelta(minutes=1)):
        assert jobs.retries(app)["sms"] == 1
        assert jobs.retries(app)["sms"] == 0
    [sms] = app.extensions["telephony"].sms
    assert sms["to"] == PARENT and sms["from"] == SCHOOL_NUMBER
    assert sms["body"] == (
        "Здравствуйте! Линия помощи, школа № 19. Мы не смогли дозвониться до вас по обращению "
        "№ 1. Пожалуйста, перезвоните нам: +7 495 000-00-19, по будням с 13:00 до 15:00.")


# --- recovery -------------------------------------------------------------------------------------


def test_a_call_the_telephony_went_quiet_about_is_settled(app, rung, line):
    attempt = bridged(line, rung)
    with at(MONDAY_9 + timedelta(minutes=10)):
        assert jobs.retries(app)["recovered"] == 0
    with at(MONDAY_9 + timedelta(minutes=31)):
        assert jobs.retries(app)["recovered"] == 1
    callback = refreshed(rung)
    assert attempt_of(rung).id == attempt.id and attempt_of(rung).result == "stale"
    assert callback.status == CallbackStatus.PLANNED and callback.manual  # ask the operator


def test_a_ring_never_answered_nor_reported_is_rung_again(app, rung):
    with at(MONDAY_9 + timedelta(minutes=31)):
        assert jobs.retries(app)["recovered"] == 1
    callback = refreshed(rung)
    assert callback.status == CallbackStatus.PLANNED and not callback.manual
    assert callback.operator_misses == 1


# --- manual mode: the workspace starts the bridged call -------------------------------------------


def test_the_workspace_starts_the_bridged_call(app, school, line):
    school.callback_mode = "manual"
    db.session.commit()
    callback = message(school)
    assert ring(app) == []
    operator = db.session.scalar(select(User).where(User.username == "operator"))
    with at(MONDAY_9):
        attempt = dialer.start_call(callback.id, operator, **webhooks())
        with pytest.raises(service.CallbackError):
            dialer.start_call(callback.id, operator, **webhooks())  # one call at a time
    [call] = placed(app)
    assert call.to == OPERATOR and attempt.mode == "manual"
    root = parse(post(line, call.url, AnsweredBy="human"))
    assert "Соединяю по обращению номер 1." in said(root)
    assert root.find("Dial/Number").text == PARENT


# --- the webhooks' contract ----------------------------------------------------------------------


def test_unsigned_and_forged_webhooks_are_refused(client, rung):
    assert client.post("/callbacks/whisper?attempt=1", data={"CallSid": "CA1"}).status_code == 403
    forged = TwilioCaller(client, token="not-" + AUTH_TOKEN)
    assert forged.post("/callbacks/status?attempt=1&leg=caller",
                       CallStatus="completed").status_code == 403


def test_a_broken_webhook_still_answers_twiml(app, rung, line, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dialer, "operator_chose", broken)
    root = parse(post(line, f"/callbacks/choice?attempt={attempt_of(rung).id}", Digits="1"))
    assert said(root) == prompts.APOLOGY


def test_an_unknown_attempt_is_not_current(school, line):
    root = parse(post(line, "/callbacks/whisper?attempt=999", AnsweredBy="human"))
    assert said(root) == prompts.NOT_CURRENT
    assert parse(post(line, "/callbacks/status?attempt=999&leg=caller",
                      CallStatus="completed")).tag == "Response"


def test_ring_is_audited_without_phone_numbers(app, rung):
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "callback.ring"))
    [event] = events.all()
    assert OPERATOR not in str(event.details) and PARENT not in str(event.details)


def test_nobody_on_duty_with_a_phone_leaves_it_in_the_queue(app, school):
    callback = message(school)
    operator = db.session.scalar(select(User).where(User.username == "operator"))
    operator.phone = None
    db.session.commit()
    assert ring(app) == []
    callback = refreshed(callback)
    assert callback.status == CallbackStatus.PLANNED and callback.manual


def webhooks() -> dict:
    """What a view passes the dialer: the public base URL and the callback policy."""
    config = settings.current()
    return {"base_url": config.public_url, "policy": config.callbacks}


def test_webhook_urls_are_built_from_the_public_base_url(app):
    from flask import url_for

    assert dialer.webhook_url("https://help.example/", "status", attempt=7, leg="operator") == (
        "https://help.example/callbacks/status?attempt=7&leg=operator")
    with app.test_request_context():  # the same paths as the routes
        for name, params in (("whisper", {"attempt": 3}),
                             ("status", {"attempt": 3, "leg": "operator"})):
            assert dialer.webhook_url(BASE_URL, name, **params) == (
                BASE_URL + url_for(f"callbacks.{name}", **params))


def policy():
    """The application's callback policy, as the views and jobs pass it."""
    from core import settings

    return settings.current().callbacks
