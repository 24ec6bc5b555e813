"""Webhooks: only Twilio's signed requests, never a 500, nothing lost, retries harmless."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from core.extensions import db
from ivr import prompts
from simulator import Keys, Message, ScriptedCaller
from tests.conftest import AUTH_TOKEN, BASE_URL, TwilioCaller, make_wav, parse, said
from tickets.models import Call, Recording, Ticket

SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_unsigned_request_is_refused(client, demo):
    response = client.post("/ivr/voice", data={"CallSid": "CA1", "To": "+74950000019"})
    assert response.status_code == 403


def test_forged_signature_is_refused(client, demo):
    forger = TwilioCaller(client, token="not-the-real-token")
    assert forger.post("/ivr/voice").status_code == 403


def test_signature_over_other_fields_is_refused(client, demo):
    from twilio.request_validator import RequestValidator

    form = {"CallSid": "CA1", "To": "+74950000019", "From": "+79161234567"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + "/ivr/voice", form)
    tampered = {**form, "From": "+79990000000"}
    response = client.post("/ivr/voice", data=tampered,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_signature_covers_the_query_string(caller, client):
    from twilio.request_validator import RequestValidator

    form = {"CallSid": "CA1", "To": "+74950000019", "Digits": "1"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        BASE_URL + "/ivr/role?attempt=1", form)
    ok = client.post("/ivr/role?attempt=1", data=form, headers={"X-Twilio-Signature": signature})
    assert ok.status_code == 200
    moved = client.post("/ivr/role?attempt=2", data=form,
                        headers={"X-Twilio-Signature": signature})
    assert moved.status_code == 403


def test_signed_request_is_answered(caller):
    root = parse(caller.post("/ivr/voice"))
    assert root.find("Gather") is not None


def test_check_can_be_switched_off_only_explicitly_in_local_telephony(app_config):
    from helpline.app import create_app

    app = create_app({**app_config, "TWILIO_SIGNATURE_CHECK": False})
    with app.app_context():
        db.create_all()
    response = app.test_client().post("/ivr/voice", data={"CallSid": "CA1", "To": "+7"})
    assert response.status_code == 200  # unknown number: a polite goodbye, no 403
    with app.app_context():
        db.drop_all()
        db.engine.dispose()  # a second app's pool: close it, not leave it to the collector


def test_twilio_retry_of_the_record_action_leaves_one_ticket(app, caller):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        caller.post("/ivr/voice")
        caller.post("/ivr/role?attempt=1", Digits="1")
        caller.post("/ivr/topic?role=parent&attempt=1", Digits="1")
        sid = "RE" + "1" * 32
        fields = {"RecordingUrl": f"https://api.twilio.com/x/{sid}", "RecordingDuration": "7",
                  "RecordingSid": sid, "Digits": "#"}
        first = said(parse(caller.post("/ivr/recorded", **fields)))
        again = said(parse(caller.post("/ivr/recorded", **fields)))
        status = {"RecordingSid": sid, "RecordingUrl": f"https://api.twilio.com/x/{sid}",
                  "RecordingStatus": "completed", "RecordingDuration": "7",
                  "RecordingChannels": "1", "RecordingSource": "RecordVerb"}
        assert caller.post("/ivr/recording-status", **status).status_code == 204
        assert caller.post("/ivr/recording-status", **status).status_code == 204
    assert "номер 1 зарегистрировано" in first and first == again
    assert count(app, Ticket) == 1 and count(app, Recording) == 1


def test_exception_in_the_ticket_service_still_keeps_the_message(app, phone, monkeypatch):
    from tickets import service as tickets_service

    def broken(**kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(tickets_service, "start_ticket", broken)
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        talk = phone.call(to="+74950000019", from_="+79161234567", caller=ScriptedCaller(
            [Keys("1"), Keys("1"), Message(make_wav(4)), Message(make_wav(4))]))
    text = " ".join(talk.said())
    assert prompts.APOLOGY in text and prompts.APOLOGY_SAVED in text
    assert not talk.errors and "application error" not in text.lower()
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert ticket.caller_number == "+79161234567" and ticket.suggestions["fallback"]
        recordings = db.session.scalars(select(Recording)).all()
        assert len(recordings) == 2  # the first message, and the one after the apology
        assert {r.ticket_id for r in recordings} == {ticket.id}


def test_exception_before_any_ticket_apologises_in_twiml(app, caller, monkeypatch):
    from ivr import views

    monkeypatch.setattr(views.service, "schedule_for", lambda org: 1 / 0)
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        root = parse(caller.post("/ivr/topic?role=parent&attempt=1", Digits="1"))
    assert prompts.APOLOGY in said(root)
    assert root.find("Record").get("action") == "/ivr/fallback-recorded"


@pytest.mark.parametrize(("path", "fields"), [
    ("/ivr/role?attempt=1", {"Digits": "99999"}),
    ("/ivr/role?attempt=1", {"SpeechResult": "бла " * 2500, "Confidence": "0.9"}),
    ("/ivr/role?attempt=x", {"Digits": "*"}),
    ("/ivr/topic?role=nobody&attempt=1", {"Digits": "1"}),
    ("/ivr/topic?role=parent&attempt=1", {"Digits": "0"}),
    ("/ivr/role?attempt=1", {"SpeechResult": "родитель", "Confidence": "not-a-number"}),
    ("/ivr/number?then=done&attempt=1", {"Digits": "1" * 30}),
    ("/ivr/number-confirm?then=done", {"Digits": "1"}),
    ("/ivr/recorded", {"RecordingDuration": "abc"}),
    ("/ivr/dialed", {"DialCallStatus": "weird"}),
])
def test_bad_input_gets_a_menu_or_a_safe_path(caller, path, fields):
    root = parse(caller.post(path, **fields))
    verbs = {child.tag for child in root}
    assert verbs & {"Gather", "Record", "Hangup", "Redirect"}
    assert prompts.APOLOGY not in said(root)  # handled, not crashed


def test_unknown_number_gets_a_polite_goodbye(client, demo):
    stranger = TwilioCaller(client, to="+74950000000")
    root = parse(stranger.post("/ivr/voice"))
    assert prompts.UNKNOWN_NUMBER in said(root) and root.find("Hangup") is not None


@pytest.mark.parametrize(("path", "fields"), [
    ("/ivr/menu", {}),
    ("/ivr/role?attempt=1", {"Digits": "1"}),
    ("/ivr/topic?role=parent&attempt=1", {"Digits": "1"}),
    ("/ivr/dialed", {"DialCallStatus": "completed"}),
    ("/ivr/recorded", {"RecordingUrl": "https://api.twilio.com/rec/RE1"}),
    ("/ivr/after-message", {"Digits": "1"}),
    ("/ivr/number?then=done&attempt=1", {"Digits": "89161234567"}),
    ("/ivr/number-confirm?then=done", {"Digits": "1"}),
    ("/ivr/vendor", {"Digits": "1"}),
])
def test_every_step_of_an_unknown_number_says_goodbye(app, client, demo, path, fields):
    stranger = TwilioCaller(client, to="+74950000000")
    root = parse(stranger.post(path, **fields))
    assert prompts.UNKNOWN_NUMBER in said(root) and root.find("Hangup") is not None
    assert [child.tag for child in root] == ["Say", "Hangup"]
    with app.app_context():
        assert db.session.scalars(select(Ticket)).all() == []


def test_missing_from_is_a_withheld_number(app, client, demo):
    from twilio.request_validator import RequestValidator

    form = {"CallSid": "CAnofrom", "To": "+74950000019", "AccountSid": "AC1",
            "CallStatus": "ringing"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + "/ivr/voice", form)
    root = parse(client.post("/ivr/voice", data=form, headers={"X-Twilio-Signature": signature}))
    assert root.find("Gather") is not None
    with app.app_context():
        assert db.session.scalars(select(Call)).one().from_number is None


def test_unknown_call_status_changes_nothing(app, caller):
    caller.post("/ivr/voice")
    assert caller.post("/ivr/status", CallStatus="exploded").status_code == 204
    assert caller.post("/ivr/status", CallStatus="completed", CallDuration="42").status_code == 204
    assert caller.post("/ivr/status", CallStatus="completed", CallDuration="42").status_code == 204
    with app.app_context():
        call = db.session.scalars(select(Call)).one()
        assert (call.status, call.duration, call.outcome) == ("completed", 42, "abandoned")
