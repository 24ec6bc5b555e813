"""Callbacks end to end in local telephony: the message, the plan, the ring, the bridge, the result.

Everything goes through HTTP as Twilio would send it: the simulator plays the caller's call,
the scheduler's job rings the operator through the telephony port, and the simulator then
plays that outbound call (the operator hears the whisper, presses 1, is bridged to the caller).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from callbacks import jobs, prompts, service
from callbacks.models import Callback, CallbackAttempt, CallbackOutcome, CallbackStatus
from core import settings
from core.extensions import db
from core.models import User
from ivr import prompts as ivr_prompts
from simulator import (
    CallSimulator,
    DialOutcome,
    Hangup,
    Keys,
    Message,
    ScriptedCaller,
    flask_transport,
)
from tests.conftest import (
    AUTH_TOKEN,
    BASE_URL,
    PARENT_NUMBER,
    SCHOOL_NUMBER,
    TwilioCaller,
    make_wav,
)
from tickets.models import DeclineReason, Ticket, TicketStatus

MSK = ZoneInfo("Europe/Moscow")
OPERATOR = "+79990000101"
FRIDAY_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=MSK)
MONDAY = datetime(2026, 11, 30, tzinfo=MSK)


def at(moment):
    return time_machine.travel(moment, tick=False)


def leave_message(phone, moment, *, caller=PARENT_NUMBER, keys=("1", "2"), seconds=5):
    with at(moment):
        return phone.call(to=SCHOOL_NUMBER, from_=caller, caller=ScriptedCaller(
            [*(Keys(k) for k in keys), Message(make_wav(seconds))]))


def text_of(conversation) -> str:
    return " ".join(conversation.said())


def play(client, call, actions, *, answer="completed", answered_by="human"):
    """Be Twilio for a call the application placed: the status callback goes where it asked."""
    simulator = CallSimulator(flask_transport(client, BASE_URL), base_url=BASE_URL,
                              auth_token=AUTH_TOKEN, status_path=call.status_callback)
    return simulator.outbound(call.url, to=call.to, from_=call.from_,
                              caller=ScriptedCaller(actions), answer=answer,
                              answered_by=answered_by)


def the(app, model, **filters):
    with app.app_context():
        return db.session.scalars(select(model).filter_by(**filters)).one()


def snapshot(app, callback_id) -> dict:
    """The callback as plain values (no session needed afterwards)."""
    with app.app_context():
        cb = db.session.get(Callback, callback_id)
        return {"number": cb.ticket.number, "status": cb.status, "planned_at": cb.planned_at,
                "label": service.label(cb)}


# --- what the caller is told -----------------------------------------------------------------


def test_a_friday_evening_message_is_promised_monday_in_the_operators_window(app, phone):
    talk = leave_message(phone, FRIDAY_EVENING)
    assert "Ваше обращение номер 1 зарегистрировано." in text_of(talk)
    assert "Мы перезвоним вам в понедельник, 30 ноября, после 9 часов." in text_of(talk)
    callback = the(app, Callback)
    assert callback.planned_at.astimezone(MSK) == MONDAY.replace(hour=9)
    assert callback.window_start.astimezone(MSK) == MONDAY.replace(hour=9)
    assert callback.window_end.astimezone(MSK) == MONDAY.replace(hour=18)


def test_a_message_on_30_december_is_promised_11_january(app, phone):
    talk = leave_message(phone, datetime(2026, 12, 30, 19, 0, tzinfo=MSK))
    assert "Мы перезвоним вам в понедельник, 11 января, после 9 часов." in text_of(talk)
    ticket = the(app, Ticket)
    assert ticket.sla_due_at.astimezone(MSK).date().isoformat() == "2027-01-12"


def test_a_repeat_caller_hears_the_plan(app, phone):
    leave_message(phone, FRIDAY_EVENING)
    with at(FRIDAY_EVENING + timedelta(hours=1)):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller([]))
    assert "Мы перезвоним вам в понедельник, 30 ноября, после 9 часов." in text_of(talk)


# --- the whole chain ---------------------------------------------------------------------------


def test_message_transcript_plan_ring_bridge_status_outcome(app, client, phone, monkeypatch):
    from tickets import jobs as ticket_jobs
    from transcription import engine

    # 1. Friday evening: the parent leaves a message.
    leave_message(phone, FRIDAY_EVENING)

    # 2. The transcription job (our seam: the engine) adds the text; the plan stays.
    def transcribe(_audio, _model, **_kwargs):
        words = "здравствуйте у дочери пятый б не видны оценки за контрольную".split()
        return engine.Transcript(text=" ".join(words), words=(), confidence=0.9,
                                 duration=5.0, engine="vosk", model="test")

    monkeypatch.setattr(engine, "transcribe", transcribe)
    settings.configure(app, VOSK_MODEL="test-model")
    with at(FRIDAY_EVENING + timedelta(minutes=1)):
        ticket_jobs.run_pending(app)
    callback = the(app, Callback)
    assert callback.planned_at.astimezone(MSK) == MONDAY.replace(hour=9)

    # 3. The scheduler's job rings the operator at the planned time, not before.
    with at(MONDAY.replace(hour=8, minute=59)):
        assert jobs.dial_due_callbacks(app) == []
    with at(MONDAY.replace(hour=9)):
        assert jobs.dial_due_callbacks(app) == [callback.id]
    [call] = app.extensions["telephony"].placed
    assert (call.to, call.from_) == (OPERATOR, SCHOOL_NUMBER)

    # 4. The operator answers, hears the whisper, presses 1; the parent answers.
    with at(MONDAY.replace(hour=9, minute=1)):
        talk = play(client, call, [Keys("1"), DialOutcome("completed", duration=240), Keys("1")])
    assert not talk.errors
    whisper = text_of(talk)
    assert "Обратный звонок по обращению номер 1." in whisper
    assert "Звонил родитель или законный представитель, тема: оценки." in whisper
    assert "Начало сообщения: здравствуйте у дочери пятый б не видны оценки" in whisper
    [dial] = talk.of_kind("dial")
    assert dial.text == PARENT_NUMBER and dial.attrs["callerId"] == SCHOOL_NUMBER
    assert prompts.AFTER_CALL_MENU in whisper and prompts.RESULT_SAVED in whisper
    # Each leg's status callback went where the TwiML and the REST call asked.
    statuses = [(e.attrs["url"].rsplit("leg=", 1)[-1], e.attrs["form"]["CallStatus"])
                for e in talk.requests("/callbacks/status")]
    assert statuses == [("caller", "completed"), ("operator", "completed")]
    [amd] = talk.of_kind("amd_callback")
    assert amd.attrs["form"]["AnsweredBy"] == "human"

    # 5. Twilio's status and AMD callbacks for the parent's leg arrive late, and twice.
    attempt = the(app, CallbackAttempt)
    twilio = TwilioCaller(client, from_=SCHOOL_NUMBER, to=PARENT_NUMBER)
    leg = f"/callbacks/status?attempt={attempt.id}&leg=caller"
    with at(MONDAY.replace(hour=9, minute=6)):
        for _ in range(2):
            assert twilio.post(leg, CallStatus="completed", CallDuration="240",
                               AnsweredBy="human").status_code == 200

    # 6. The outcome is recorded; the ticket is resolved.
    callback = the(app, Callback)
    assert (callback.status, callback.outcome) == (CallbackStatus.DONE, "resolved")
    assert callback.attempts == 0
    assert the(app, Ticket).status == TicketStatus.RESOLVED
    attempt = the(app, CallbackAttempt)
    assert (attempt.result, attempt.status, attempt.answered_by) == (
        "connected", "completed", "human")
    assert (attempt.parent_status, attempt.parent_answered_by) == ("completed", "human")


def test_the_operator_postpones_then_connects(app, client, phone):
    leave_message(phone, FRIDAY_EVENING)
    with at(MONDAY.replace(hour=9)):
        jobs.dial_due_callbacks(app)
    first = app.extensions["telephony"].placed[-1]
    with at(MONDAY.replace(hour=9, minute=1)):
        talk = play(client, first, [Keys("2")])
    assert prompts.POSTPONED.format(postpone="15 минут") in text_of(talk)
    with at(MONDAY.replace(hour=9, minute=15)):
        assert jobs.dial_due_callbacks(app) == []
    with at(MONDAY.replace(hour=9, minute=16)):
        assert len(jobs.dial_due_callbacks(app)) == 1
    second = app.extensions["telephony"].placed[-1]
    assert second.url != first.url
    with at(MONDAY.replace(hour=9, minute=17)):
        talk = play(client, second, [Keys("1"), DialOutcome("no-answer")])
    assert prompts.CALLER_NOT_REACHED in text_of(talk)
    assert "Следующая попытка запланирована сегодня после 10 часов." in text_of(talk)
    callback = the(app, Callback)
    assert callback.attempts == 1 and callback.status == CallbackStatus.PLANNED


# --- a simulated day ----------------------------------------------------------------------------


@pytest.fixture
def day_log():
    lines: list[str] = []
    yield lines
    print("\n" + "\n".join(lines))


def test_a_simulated_day_of_callbacks(app, client, phone, day_log):
    """Friday evening's messages, then Monday: the scheduler ticks every 5 minutes."""
    settings.configure(app, CALLBACK_SMS_ENABLED=True)
    messages = [
        (FRIDAY_EVENING, "+79161234567", ("1", "2")),  # parent, grades
        (FRIDAY_EVENING + timedelta(minutes=7), "+79162223344", ("2", "8")),  # staff, training
        (FRIDAY_EVENING + timedelta(hours=2), "+79035556677", ("1", "1")),  # parent, login
        (datetime(2026, 11, 28, 11, 0, tzinfo=MSK), "+79267778899", ("1", "3")),  # attendance
        (MONDAY.replace(hour=10, minute=12), "+74951234567", ("1", "2")),  # Monday, landline
    ]
    # How each person behaves, per ticket number and attempt.
    script = {
        (1, 1): ([Keys("1"), DialOutcome("completed", duration=300), Keys("1")], "human"),
        (2, 1): ([Keys("2")], "human"),  # the operator postpones
        (2, 2): ([Keys("1"), DialOutcome("completed", duration=420), Keys("3")], "human"),
        (3, 1): ([Keys("1"), DialOutcome("no-answer")], "human"),
        (3, 2): ([Keys("1"), DialOutcome("busy")], "human"),
        (3, 3): ([Keys("1"), DialOutcome("no-answer")], "human"),
        (4, 1): (None, "no-answer"),  # the operator is away from the phone
        (4, 2): ([Keys("1"), DialOutcome("completed", duration=20,
                                         answered_by="machine_end_beep"), Hangup()], "human"),
        (4, 3): ([Keys("1"), DialOutcome("completed", duration=180), Keys("1")], "human"),
        (5, 1): ([Keys("3")], "human"),  # left in the queue
    }
    rings: dict[int, int] = {}
    say = day_log.append

    def message_in(moment, number, keys):
        talk = leave_message(phone, moment, caller=number, keys=keys)
        promise = next(s for s in talk.said() if s.startswith("Мы перезвоним"))
        ticket = the(app, Ticket, call_sid=talk.call_sid)
        say(f"{moment:%a %d.%m %H:%M}  message, ticket №{ticket.number} "
            f"({ticket.role}/{ticket.topic}): «{promise}»")

    monday_messages = [m for m in messages if m[0] >= MONDAY]
    for moment, number, keys in messages:
        if moment < MONDAY:
            message_in(moment, number, keys)

    with app.app_context():
        plan = db.session.scalars(select(Callback).order_by(Callback.planned_at)).all()
        for cb in plan:
            say(f"               plan: №{cb.ticket.number} at "
                f"{cb.planned_at.astimezone(MSK):%a %H:%M}, SLA due "
                f"{cb.ticket.sla_due_at.astimezone(MSK):%a %d.%m}")

    moment = MONDAY.replace(hour=8, minute=55)
    while moment <= MONDAY.replace(hour=18, minute=5):
        while monday_messages and monday_messages[0][0] <= moment:
            message_in(*monday_messages.pop(0))
        with at(moment):
            for callback_id in jobs.dial_due_callbacks(app):
                call = app.extensions["telephony"].placed[-1]
                number = snapshot(app, callback_id)["number"]
                rings[number] = rings.get(number, 0) + 1
                actions, answered = script[(number, rings[number])]
                talk = (play(client, call, [], answer="no-answer") if actions is None
                        else play(client, call, actions, answered_by=answered))
                cb = snapshot(app, callback_id)
                keys = [e.text for e in talk.of_kind("keys")]
                dial = [e.text for e in talk.of_kind("dial_result")]
                waiting = cb["status"] == CallbackStatus.PLANNED
                say(f"{moment:%a %H:%M}  ring operator for №{number} (ring {rings[number]}): "
                    f"keys {keys or '-'}, caller leg {dial or '-'} -> {cb['status']}"
                    + (f", next {cb['planned_at'].astimezone(MSK):%H:%M}"
                       if waiting and cb["planned_at"] else "")
                    + (f" ({cb['label']})" if not waiting else ""))
                if number == 4 and rings[number] == 2:
                    # The parent's voicemail answered: the AMD verdict came during the
                    # call; Twilio may post it again later, which changes nothing.
                    attempt = the(app, CallbackAttempt, call_sid=call.sid)
                    TwilioCaller(client).post(
                        f"/callbacks/status?attempt={attempt.id}&leg=caller",
                        AnsweredBy="machine_end_beep", CallSid="CAamd")
                    cb = snapshot(app, callback_id)
                    say(f"{moment:%a %H:%M}  AMD: machine on №4's leg -> attempt counted, "
                        f"next {cb['planned_at'].astimezone(MSK):%H:%M}")
            result = jobs.retries(app)
            if result["recovered"]:
                say(f"{moment:%a %H:%M}  recovery: {result['recovered']} call(s) with no news "
                    "settled (connected, waiting for the operator's result)")
            if result["sms"]:
                say(f"{moment:%a %H:%M}  SMS sent: «{app.extensions['telephony'].sms[-1]['body']}»")
        moment += timedelta(minutes=5)
        if moment == MONDAY.replace(hour=11, minute=0):
            with at(moment), app.app_context():
                # The operator works the queue: №2 was a vendor issue; №5 declined.
                operator = db.session.scalar(select(User).where(User.username == "operator"))
                two, five = (db.session.scalars(select(Callback).join(Ticket).where(
                    Ticket.number == n)).one() for n in (2, 5))
                service.record_outcome(two.id, CallbackOutcome.VENDOR_SUPPORT, user=operator,
                                       vendor_reference="SR-20261130-7", policy=policy())
                service.claim(five.id, operator)
                service.record_outcome(five.id, CallbackOutcome.DECLINED, user=operator,
                                       decline_reason=DeclineReason.INCORRECT_QUESTION,
                                       note="Вопрос не относится к электронному журналу", policy=policy())
                say(f"{moment:%a %H:%M}  workspace: №2 -> передано в службу поддержки; "
                    "№5 claimed, declined (incorrect question)")

    with at(datetime(2026, 12, 1, 7, 5, tzinfo=MSK)):
        reports = {r.school: r for r in jobs.nightly_digest(app)}
    report = reports["МАОУ СОШ № 19 (демо)"]
    say("Tue 01.12 07:05  digest:\n" + report.text())
    with at(datetime(2026, 12, 1, 8, 0, tzinfo=MSK)):
        escalated = [the(app, Ticket, id=i).number for i in jobs.sla_watch(app)]
    say(f"Tue 01.12 08:00  SLA watch: ticket(s) {escalated} due tonight escalated, "
        "consultant and admin told")

    with app.app_context():
        final = {cb.ticket.number: (str(cb.status), cb.outcome, cb.attempts)
                 for cb in db.session.scalars(select(Callback))}
    assert final == {
        1: ("done", "resolved", 0),
        2: ("done", "vendor_support", 0),
        3: ("unreachable", "unreachable", 3),
        4: ("done", "resolved", 1),  # a machine answered once; reached an hour later
        5: ("done", "declined", 0),
    }
    assert rings == {1: 1, 2: 2, 3: 3, 4: 3, 5: 1}
    assert len(app.extensions["telephony"].sms) == 1
    assert (report.done, report.unreachable, report.new) == (4, 1, 1)
    assert escalated == [3]  # not reached: still open, due on Tuesday
    assert ivr_prompts.CALLBACK_PLANNED  # the IVR's sentence comes from the plan


def policy():
    """The application's callback policy, as the views and jobs pass it."""
    from core import settings

    return settings.current().callbacks
