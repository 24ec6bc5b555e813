"""The call, end to end through the simulator: what a parent hears and what gets stored."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from callbacks.models import Callback
from core.extensions import db
from ivr import prompts
from simulator import DialOutcome, Keys, Message, ScriptedCaller, Silence, Speech
from tests.conftest import OMSK_NUMBER, PARENT_NUMBER, SCHOOL_NUMBER, make_wav, parse
from tickets.models import Call, Channel, Recording, Ticket, TranscriptionState

MSK = ZoneInfo("Europe/Moscow")
OMSK = ZoneInfo("Asia/Omsk")
MONDAY_1330 = datetime(2026, 11, 30, 13, 30, tzinfo=MSK)
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=MSK)
CONSULTANT = "+79990000102"
VENDOR = "+78043338485"


def at(moment):
    return time_machine.travel(moment, tick=False)


def text_of(conversation) -> str:
    return " ".join(conversation.said())


def dials(conversation):
    return [e for e in conversation.events if e.kind == "dial"]


def tickets_in_db(app):
    with app.app_context():
        return db.session.scalars(select(Ticket).order_by(Ticket.id)).all()


def test_parent_in_hours_is_put_through_to_the_consultant(app, phone):
    with at(MONDAY_1330):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER,
                          caller=ScriptedCaller([Keys("1"), Keys("2"), DialOutcome("completed")]))
    assert not talk.errors
    dial = dials(talk)
    assert len(dial) == 1 and dial[0].text.split(", ") == [CONSULTANT]
    assert dial[0].attrs["callerId"] == SCHOOL_NUMBER
    assert prompts.CONNECTING in text_of(talk) and prompts.THANKS_BYE in text_of(talk)
    with app.app_context():
        call = db.session.scalars(select(Call)).one()
        assert (call.role, call.topic, call.outcome, call.status) == (
            "parent", "grades", "live", "completed")


def test_a_call_answered_live_is_on_record(app, phone):
    """Who took it, when, how long: a ticket in progress, theirs, with no callback."""
    from callbacks.models import Callback
    from core.models import AuditEvent, User

    with at(MONDAY_1330):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("2"), DialOutcome("completed", duration=95)]))
    assert not talk.errors, talk.render(verbose=True)
    # The consultant heard the ticket's number and who calls about what, then was connected.
    heard = " ".join(e.text for e in talk.events if e.kind == "whisper")
    assert "Обращение номер 1." in heard and "звонит родитель" in heard.lower() and "тема: оценки" in heard
    assert "Обращение номер" not in text_of(talk)  # the caller does not hear the whisper
    [ticket] = tickets_in_db(app)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket.id)
        consultant = db.session.scalars(select(User).where(User.phone == CONSULTANT)).one()
        assert ticket.channel == Channel.PHONE and ticket.status == "in_progress"
        assert ticket.assignee_id == consultant.id and not ticket.needs_callback
        assert ticket.caller_number == PARENT_NUMBER and ticket.sla_due_at is not None
        assert db.session.scalars(select(Callback)).all() == []
        call = db.session.scalars(select(Call)).one()
        assert call.ticket_id == ticket.id and call.outcome == "live"
        assert call.state["answered_by"] == consultant.id and call.state["talk_seconds"] == 95
        actions = [e.action for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "ticket",
                                     AuditEvent.object_id == ticket.id))]
        assert "call.answered" in actions and "call.ended" in actions


def test_live_call_webhooks_twice_make_one_ticket(app, caller):
    """Twilio retries: the whisper and the <Dial> action arriving again change nothing."""
    with at(MONDAY_1330):
        caller.post("/ivr/voice")
        caller.post("/ivr/role", Digits="1")
        caller.post("/ivr/topic?role=parent", Digits="2")
        with app.app_context():
            from core.models import User

            user = db.session.scalars(select(User).where(User.phone == CONSULTANT)).one()
        leg = {"ParentCallSid": caller.call_sid, "Direction": "outbound-dial"}
        path = f"/ivr/live-answered?user={user.id}&parent={caller.call_sid}"
        for _ in range(2):
            assert "Обращение номер" in " ".join(
                el.text or "" for el in parse(caller.post(path, **leg)).iter("Say"))
        for _ in range(2):
            parse(caller.post("/ivr/dialed?role=parent&topic=grades",
                              DialCallStatus="completed", DialCallDuration="42"))
    [ticket] = tickets_in_db(app)
    with app.app_context():
        call = db.session.scalars(select(Call)).one()
        assert call.state["talk_seconds"] == 42 and call.ticket_id == ticket.id


def test_parent_on_saturday_night_leaves_a_message(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER,
                          caller=ScriptedCaller([Keys("1"), Keys("2"), Message(make_wav(5))]))
    text = text_of(talk)
    assert prompts.CLOSED_WEEKEND in text
    assert "по будням с 13:00 до 15:00" in text
    assert "Ваше обращение номер 1 зарегистрировано." in text
    assert "Мы перезвоним вам в понедельник, 30 ноября, после 9 часов." in text
    assert not dials(talk)
    [ticket] = tickets_in_db(app)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket.id)
        assert (ticket.role, ticket.topic, ticket.channel) == ("parent", "grades",
                                                              Channel.VOICEMAIL)
        assert ticket.caller_number == ticket.callback_number == PARENT_NUMBER
        [recording] = ticket.recordings
        assert recording.state == TranscriptionState.WAITING
        assert recording.duration == 5 and recording.recording_sid == talk.recording_sids[0]


def test_consultant_not_answering_sends_the_caller_to_voicemail(app, phone):
    with at(MONDAY_1330):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), DialOutcome("no-answer"), Message(make_wav(3))]))
    text = text_of(talk)
    assert len(dials(talk)) == 1
    # One consultant did not answer: not «все консультанты заняты».
    assert prompts.CONSULTANT_BUSY in text and prompts.ALL_BUSY not in text
    assert "Ваше обращение номер 1 зарегистрировано." in text
    # The operator's window is open: a callback today, and never a moment already past.
    hour, minute = map(int, re.search(r"сегодня после (\d+) час\w* (\d+) минут", text).groups())
    assert (hour, minute) > (13, 30)
    assert tickets_in_db(app)[0].topic == "login"


def test_staff_training_request_gets_the_training_deadline(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("2"), Keys("8"), Message(make_wav(3))]))
    assert "Обучение нового сотрудника — нажмите 8." in text_of(talk)
    # Staff are asked for their position, not a child's class.
    assert prompts.RECORD_INSTRUCTIONS_STAFF in text_of(talk)
    assert "класс ребёнка" not in text_of(talk)
    [ticket] = tickets_in_db(app)
    assert (ticket.role, ticket.topic) == ("staff", "training")
    # 5 working days after Saturday 28 Nov: 30 Nov, 1, 2, 3, 4 Dec.
    assert ticket.sla_due_at.astimezone(MSK).date().isoformat() == "2026-12-04"


def test_speech_input_picks_role_and_topic(app, phone):
    with at(SATURDAY_NIGHT):
        phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller([
            Speech("я мама ученицы", 0.92),
            Speech("не могу войти в дневник пишет неверный пароль", 0.8),
            Message(make_wav(3)),
        ]))
    [ticket] = tickets_in_db(app)
    assert (ticket.role, ticket.topic) == ("parent", "login")


def test_low_confidence_speech_asks_again(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller([
            Speech("родитель", 0.1), Keys("1"), Keys("5"), Message(make_wav(3))]))
    assert prompts.NOT_UNDERSTOOD in text_of(talk)
    assert tickets_in_db(app)[0].topic == "other"


def test_silence_repeats_the_menu_twice_then_takes_a_message(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Silence(), Silence(), Silence(), Message(make_wav(3))]))
    text = text_of(talk)
    assert text.count(prompts.ROLE_MENU) == 3 and text.count(prompts.NO_INPUT) == 2
    assert prompts.TO_VOICEMAIL_AFTER_RETRIES in text
    assert talk.ended_by != "error"
    [ticket] = tickets_in_db(app)
    assert ticket.role is None and ticket.channel == Channel.VOICEMAIL


def test_wrong_keys_repeat_the_menu(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("7"), Keys("1"), Keys("9"), Keys("3"), Message(make_wav(3))]))
    text = text_of(talk)
    assert text.count(prompts.NOT_UNDERSTOOD) == 2
    assert tickets_in_db(app)[0].topic == "attendance"


def test_withheld_number_is_asked_for_a_callback_number(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_="anonymous", caller=ScriptedCaller([
            Keys("1"), Keys("1"), Keys("89161112233"), Keys("1"), Message(make_wav(3))]))
    text = text_of(talk)
    assert prompts.ANON_ENTER_NUMBER in text
    assert "Вы ввели номер плюс 7, 916, 111, 22, 33." in text
    [ticket] = tickets_in_db(app)
    assert ticket.caller_number is None and ticket.callback_number == "+79161112233"


def test_invalid_typed_number_is_refused_and_asked_again(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_="anonymous", caller=ScriptedCaller([
            Keys("1"), Keys("1"), Keys("12345"), Keys("84950000019"), Keys("1"),
            Message(make_wav(3))]))
    assert prompts.NUMBER_INVALID in text_of(talk)
    assert tickets_in_db(app)[0].callback_number == "+74950000019"


def test_caller_gives_another_number_after_the_message(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller([
            Keys("1"), Keys("1"), Message(make_wav(3)), Keys("1"), Keys("89031234567"),
            Keys("1")]))
    assert prompts.NUMBER_SAVED in text_of(talk)
    ticket = tickets_in_db(app)[0]
    assert ticket.caller_number == PARENT_NUMBER and ticket.callback_number == "+79031234567"


def test_repeat_caller_hears_the_ticket_and_adds_a_message(app, phone):
    with at(SATURDAY_NIGHT):
        phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("2"), Message(make_wav(3))]))
        second = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("9"), Message(make_wav(4))]))
    text = text_of(second)
    assert "У вас есть открытое обращение номер 1." in text
    assert "Мы перезвоним вам в понедельник, 30 ноября, после 9 часов." in text
    assert "Ваше сообщение добавлено к обращению номер 1." in text
    [ticket] = tickets_in_db(app)
    with app.app_context():
        assert len(db.session.get(Ticket, ticket.id).recordings) == 2


def test_vendor_transfer_in_the_vendors_hours(app, phone):
    with at(datetime(2026, 11, 30, 10, 0, tzinfo=MSK)):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER,
                          caller=ScriptedCaller([Keys("3"), Keys("1")]))
    text = text_of(talk)
    assert "support собака school точка mosreg точка ru" in text
    assert "обратитесь в службу поддержки электронного журнала «Школьный портал»" in text
    assert prompts.INFO_VENDOR_TRANSFER in text
    assert [d.text.split(", ") for d in dials(talk)] == [[VENDOR]]


def test_no_vendor_transfer_outside_the_vendors_hours(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER,
                          caller=ScriptedCaller([Keys("3"), Keys("1"), Keys("1"), Keys("1"),
                                                 Message(make_wav(3))]))
    text = text_of(talk)
    assert prompts.INFO_VENDOR_TRANSFER not in text
    assert "Служба поддержки сейчас не работает. Она работает по будням с 9:00 до 18:00." in text
    assert not dials(talk) and len(tickets_in_db(app)) == 1


def test_omsk_vendor_hours_are_said_in_moscow_time(app, phone):
    with at(datetime(2026, 11, 28, 23, 30, tzinfo=OMSK)):  # 20:30 in Moscow: Дневник.ру works
        talk = phone.call(to=OMSK_NUMBER, from_=PARENT_NUMBER,
                          caller=ScriptedCaller([Keys("3"), Keys("1")]))
    assert "ежедневно с 9:00 до 21:00 по московскому времени" in text_of(talk)
    assert [d.text.split(", ") for d in dials(talk)] == [["+78124907033"]]


@pytest.mark.parametrize(("hour", "rung"), [(15, True), (17, False)])
def test_omsk_school_follows_its_own_clock(app, phone, hour, rung):
    with at(datetime(2026, 11, 30, hour, 0, tzinfo=OMSK)):
        talk = phone.call(to=OMSK_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), DialOutcome("completed"), Message(make_wav(3))]))
    if rung:
        assert [d.text.split(", ") for d in dials(talk)] == [["+79990000202"]]
    else:
        assert not dials(talk)
        assert prompts.CLOSED_HOURS in text_of(talk)
        assert "по будням с 14:00 до 16:00" in text_of(talk)
        assert "завтра после 9 часов" in text_of(talk)


def test_holiday_is_named(app, phone):
    with at(datetime(2026, 11, 4, 11, 0, tzinfo=MSK)):  # День народного единства
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), Message(make_wav(3))]))
    assert prompts.CLOSED_HOLIDAY in text_of(talk)
    assert "завтра после 9 часов" in text_of(talk)


def test_hanging_up_without_a_message_leaves_a_missed_call(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), Message(None)]))
    assert prompts.NO_MESSAGE in text_of(talk)
    [ticket] = tickets_in_db(app)
    assert ticket.channel == Channel.MISSED_CALL and ticket.needs_callback


def test_absent_recording_keeps_the_ticket_as_a_missed_call(app, phone):
    with at(SATURDAY_NIGHT):
        phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), Message(make_wav(3), status="absent")]))
    [ticket] = tickets_in_db(app)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket.id)
        assert ticket.channel == Channel.MISSED_CALL
        assert [r.state for r in ticket.recordings] == [TranscriptionState.FAILED]


def test_recording_is_served_to_the_downloader_in_local_telephony(app, phone, client):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), Message(make_wav(3))]))
    sid = talk.recording_sids[0]
    assert client.get(f"/ivr/simulator/recordings/{sid}").status_code == 401
    from base64 import b64encode

    token = b64encode(f"AC:{app.config['WEBHOOK_AUTH_TOKEN']}".encode()).decode()
    with client.get(f"/ivr/simulator/recordings/{sid}",
                    headers={"Authorization": f"Basic {token}"}) as response:
        assert response.status_code == 200 and response.data[:4] == b"RIFF"
    with app.app_context():
        assert db.session.scalars(select(Recording)).one().remote_url.endswith(sid)


def test_a_caller_who_only_heard_the_information_gets_no_ticket(app, phone):
    with at(SATURDAY_NIGHT):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("3")]))  # then silence, and the caller hangs up
    text = text_of(talk)
    assert "Консультант принимает звонки" in text and prompts.INFO_GOODBYE in text
    assert prompts.NO_MESSAGE not in text and "зарегистрировано" not in text
    assert not talk.of_kind("record")
    assert tickets_in_db(app) == []
    with app.app_context():
        assert db.session.scalars(select(Callback)).all() == []


def test_several_consultants_not_answering_are_all_busy(app, phone):
    from core.models import DutyKind, DutySlot, User

    with app.app_context():
        slot = db.session.scalars(select(DutySlot).where(
            DutySlot.kind == DutyKind.CONSULTATION, DutySlot.weekday == 0)).first()
        other = db.session.scalar(select(User).where(User.username == "operator"))
        db.session.add(DutySlot(organization_id=slot.organization_id, weekday=slot.weekday,
                                start=slot.start, end=slot.end, kind=slot.kind,
                                user_id=other.id, roles=[], topics=[]))
        db.session.commit()
    with at(MONDAY_1330):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), DialOutcome("no-answer"), Message(make_wav(3))]))
    assert len(dials(talk)[0].text.split(",")) == 2
    assert prompts.ALL_BUSY in text_of(talk)
