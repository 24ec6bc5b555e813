"""Faults and abuse around the webhooks, each fixed with a test (issue 13, item 6)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import flask
import pytest
import time_machine
from sqlalchemy import func, select

from callbacks import jobs as callback_jobs
from callbacks.models import Callback
from core import ui_text as t
from core.extensions import db
from ivr import prompts
from simulator import CallSimulator, Keys, Message, ScriptedCaller, flask_transport
from tests.conftest import (
    AUTH_TOKEN,
    BASE_URL,
    PARENT_NUMBER,
    SCHOOL_NUMBER,
    TwilioCaller,
    make_wav,
    parse,
    said,
)
from tickets import jobs
from tickets.models import Recording, Ticket, TranscriptionState

SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("Europe/Moscow"))
SID = "RE" + "0123456789abcdef" * 2


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def tickets_without_callback(app) -> list[int]:
    with app.app_context():
        has = select(Callback.id).where(Callback.ticket_id == Ticket.id).exists()
        return list(db.session.scalars(select(Ticket.id).where(~has)))


# --- menu answers: «²», NUL, integers beyond int4/int64 ------------------------------------


@pytest.mark.parametrize(("path", "fields"), [
    ("/ivr/role?attempt=1", {"Digits": "²"}),
    ("/ivr/role?attempt=1", {"Digits": "\x00"}),
    ("/ivr/role?attempt=1", {"Digits": "1\x00"}),
    ("/ivr/role?attempt=1", {"Digits": "99999999999999999999"}),
    ("/ivr/role?attempt=²", {"Digits": "7"}),
    ("/ivr/role?attempt=99999999999999999999", {"Digits": "7"}),
    ("/ivr/role?attempt=1", {"SpeechResult": "\x00родитель\x00", "Confidence": "0.9"}),
    ("/ivr/topic?role=parent&attempt=1", {"Digits": "²"}),
    ("/ivr/topic?role=par%00ent&attempt=1", {"Digits": "1"}),
    ("/ivr/number?then=done&attempt=1", {"Digits": "8916123456²"}),
    ("/ivr/number?then=done&attempt=1", {"Digits": "\x00" * 12}),
    ("/ivr/recorded", {"RecordingDuration": "99999999999999999999",
                       "RecordingUrl": f"https://api.twilio.com/x/{SID}"}),
    ("/ivr/recorded", {"RecordingDuration": "²", "RecordingSid": "RE\x00",
                       "RecordingUrl": "https://api.twilio.com/x/\x00"}),
    ("/ivr/dialed", {"DialCallStatus": "compl\x00eted"}),
])
def test_odd_menu_answers_get_a_menu_not_the_apology(app, caller, path, fields):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        caller.post("/ivr/voice")
        root = parse(caller.post(path, **fields))
    assert {child.tag for child in root} & {"Gather", "Record", "Hangup", "Redirect", "Say"}
    assert prompts.APOLOGY not in said(root)


@pytest.mark.parametrize("fields", [
    {"CallStatus": "completed", "CallDuration": "99999999999999999999"},
    {"CallStatus": "completed", "CallDuration": "²"},
    {"CallStatus": "comp\x00leted"},
])
def test_odd_call_status_callbacks_are_taken(app, caller, fields):
    caller.post("/ivr/voice")
    assert caller.post("/ivr/status", **fields).status_code == 204


@pytest.mark.parametrize("query", ["attempt=²", "attempt=99999999999999999999", "attempt=%00"])
def test_odd_callback_webhook_queries_answer_twiml(app, caller, query):
    for path in ("/callbacks/whisper", "/callbacks/choice", "/callbacks/result"):
        root = parse(caller.post(f"{path}?{query}&retry=²", Digits="²"))
        assert root.tag == "Response"
    assert caller.post(f"/callbacks/status?{query}", CallStatus="completed",
                       CallDuration="99999999999999999999").status_code == 200


# --- sizes, tokens, ids, hosts -----------------------------------------------------------------


def test_a_huge_body_is_refused_before_the_signature_is_checked(app, client, demo, monkeypatch):
    from twilio.request_validator import RequestValidator

    checked = []
    monkeypatch.setattr(RequestValidator, "validate", lambda *a, **k: checked.append(1))
    body = "CallSid=CA1&SpeechResult=" + "а" * (2 * 1024 * 1024)
    response = client.post("/ivr/voice", data=body, headers={
        "X-Twilio-Signature": "anything", "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and checked == []
    # The pages have a limit too (the browser phone's WAV uploads are the largest).
    response = client.post("/login", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_the_local_simulator_token_is_generated_private_and_shared(app_config, tmp_path):
    from helpline.app import create_app

    config = {**app_config, "TWILIO_AUTH_TOKEN": "", "DATA_DIR": str(tmp_path / "shared-data")}
    first, second = create_app(config), create_app(config)
    token = first.config["WEBHOOK_AUTH_TOKEN"]
    assert token != "local-simulator-token" and len(token) >= 32
    assert second.config["WEBHOOK_AUTH_TOKEN"] == token  # web, CLI and scheduler agree
    path = Path(config["DATA_DIR"]) / "local-simulator.token"
    assert path.stat().st_mode & 0o777 == 0o600
    with first.app_context():
        db.create_all()
    client = first.test_client()
    forged = TwilioCaller(client, token="local-simulator-token")
    assert forged.post("/ivr/voice").status_code == 403
    recordings = Path(config["DATA_DIR"]) / "simulator-recordings"
    recordings.mkdir(parents=True)
    (recordings / f"{SID}.wav").write_bytes(make_wav(1))
    from base64 import b64encode

    def fetch(password):
        auth = b64encode(f"x:{password}".encode()).decode()
        return client.get(f"/ivr/simulator/recordings/{SID}",
                          headers={"Authorization": f"Basic {auth}"})

    assert fetch("local-simulator-token").status_code == 401
    response = fetch(token)
    assert response.status_code == 200
    response.close()
    with first.app_context():
        db.drop_all()


@pytest.mark.parametrize("sid", ["RE../../../etc/passwd", "RE1", "CA" + "a" * 32,
                                 "RE" + "g" * 32, "RE" + "a" * 33])
def test_a_recording_sid_that_is_not_twilios_is_refused(app, caller, sid):
    caller.post("/ivr/voice")
    response = caller.post("/ivr/recording-status", RecordingSid=sid,
                           RecordingUrl=f"https://api.twilio.com/x/{sid}",
                           RecordingStatus="completed", RecordingDuration="7")
    assert response.status_code == 400
    assert count(app, Recording) == 0
    assert caller.client.get(f"/ivr/simulator/recordings/{sid}").status_code in (401, 404)


def test_the_worker_never_turns_a_bad_sid_into_a_path(app, demo):
    with app.app_context():
        org_id = db.session.scalar(select(Ticket.organization_id)) or 1
        ticket = Ticket(organization_id=org_id, number=99, call_sid="CAbad", suggestions={})
        db.session.add(ticket)
        db.session.flush()
        db.session.add(Recording(organization_id=org_id, ticket_id=ticket.id, call_sid="CAbad",
                                 recording_sid="RE../../escape", state=TranscriptionState.WAITING,
                                 remote_url="https://api.twilio.com/x/RE1"))
        db.session.commit()
    [outcome] = jobs.run_pending(app)
    assert outcome.state == TranscriptionState.FAILED and "RecordingSid" in outcome.error
    assert not (Path(app.config["DATA_DIR"]).parent / "escape.wav").exists()


# --- prompts -----------------------------------------------------------------------------------


def test_a_prompt_placeholder_with_a_format_spec_is_refused(app, demo):
    from tests.flows.test_admin_settings import Admin

    admin = Admin(app)
    for text in ("Здравствуйте! Вы позвонили в {school:>20000000}.",
                 "Здравствуйте! Вы позвонили в {school!r}.",
                 "Здравствуйте! Вы позвонили в {school.__class__}."):
        response = admin.post("/admin/prompts/GREETING", data={"text": text})
        assert response.status_code == 400, text
        assert t.ERR_PROMPT_BRACES.format() in response.get_data(as_text=True)
    response = admin.post("/admin/prompts/GREETING", data={"text": "Школа {school} " + "а" * 2000})
    assert response.status_code == 400


def test_a_stored_format_spec_is_never_said_and_twiml_stays_small(app, caller):
    from core.models import Organization

    with app.app_context():
        org = db.session.scalars(select(Organization).where(Organization.slug == "sosh19")).one()
        org.prompt_overrides = {"GREETING": {"text": "Вы позвонили в {school:>20000000}."}}
        db.session.commit()
    response = caller.post("/ivr/voice")
    root = parse(response)
    assert len(response.get_data()) < 64_000
    assert "МАОУ СОШ № 19" in said(root) and prompts.APOLOGY not in said(root)


# --- status callbacks that fail are retried; what they carried is spooled ------------------------


def test_a_failing_recording_status_answers_503_and_spools_the_recording(app, caller,
                                                                        monkeypatch):
    from tickets import service as tickets_service

    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        caller.post("/ivr/voice")
        caller.post("/ivr/role?attempt=1", Digits="1")
        caller.post("/ivr/topic?role=parent&attempt=1", Digits="1")
        real = tickets_service.attach_recording

        def broken(**kwargs):
            raise RuntimeError("database is locked")

        monkeypatch.setattr(tickets_service, "attach_recording", broken)
        response = caller.post("/ivr/recording-status", RecordingSid=SID,
                               RecordingUrl=f"https://api.twilio.com/x/{SID}",
                               RecordingStatus="completed", RecordingDuration="9")
        assert response.status_code == 503
        spool = Path(app.config["DATA_DIR"]) / "spool.jsonl"
        [line] = spool.read_text().splitlines()
        assert json.loads(line)["recording_sid"] == SID
        monkeypatch.setattr(tickets_service, "attach_recording", real)
        assert caller.post("/ivr/status", CallStatus="completed").status_code == 204
        assert jobs.replay_spool(app) == 1
        assert jobs.replay_spool(app) == 0  # replayed once
    with app.app_context():
        recording = db.session.scalars(select(Recording)).one()
        assert recording.recording_sid == SID and recording.duration == 9
        ticket = db.session.get(Ticket, recording.ticket_id)
        assert ticket.role == "parent" and ticket.call_sid == caller.call_sid
    assert tickets_without_callback(app) == []


def test_a_failing_call_status_answers_503(app, caller, monkeypatch):
    from tickets import service as tickets_service

    caller.post("/ivr/voice")
    monkeypatch.setattr(tickets_service, "finish_call", lambda *a: 1 / 0)
    assert caller.post("/ivr/status", CallStatus="completed").status_code == 503


# --- «Мы вам перезвоним»: a callback for every ticket --------------------------------------------


def test_fallback_tickets_get_their_callback_from_the_scheduler(app, phone, monkeypatch):
    from tickets import service as tickets_service

    real = tickets_service.start_ticket

    def broken(**kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(tickets_service, "start_ticket", broken)
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), Message(make_wav(4))]))
        assert prompts.APOLOGY_SAVED in " ".join(talk.said())
        monkeypatch.setattr(tickets_service, "start_ticket", real)
        assert len(tickets_without_callback(app)) == 1
        planned = callback_jobs.plan_missing_callbacks(app)
    assert len(planned) == 1 and tickets_without_callback(app) == []
    assert callback_jobs.plan_missing_callbacks(app) == []  # once


def test_a_ticket_from_the_recording_status_alone_gets_a_callback_with_no_model(app, caller):
    """No <Record> action ever came; the default install has no Vosk model."""
    store = app.extensions["telephony"].recordings_dir
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{SID}.wav").write_bytes(make_wav(4))
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        caller.post("/ivr/voice")
        caller.post("/ivr/role?attempt=1", Digits="1")
        caller.post("/ivr/topic?role=parent&attempt=1", Digits="1")
        assert caller.post("/ivr/recording-status", RecordingSid=SID,
                           RecordingUrl=f"{BASE_URL}/ivr/simulator/recordings/{SID}",
                           RecordingStatus="completed", RecordingDuration="4").status_code == 204
        assert len(tickets_without_callback(app)) == 1
        [outcome] = jobs.run_pending(app)  # what `helpline worker --once` does
    assert outcome.state == TranscriptionState.NO_MODEL
    assert tickets_without_callback(app) == []


# --- the database's own outage ---------------------------------------------------------------------


class DatabaseOutage:
    """Hold the database's write lock (SQLite) or the tables' locks (PostgreSQL)."""

    def __init__(self, app):
        self.url = app.config["SQLALCHEMY_DATABASE_URI"]
        self.connection = None

    def __enter__(self):
        if self.url.startswith("sqlite"):
            self.connection = sqlite3.connect(self.url.removeprefix("sqlite:///"),
                                              isolation_level=None)
            self.connection.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.connection = psycopg.connect(self.url.replace("+psycopg", ""))
            self.connection.execute("LOCK TABLE calls, tickets, organizations, recordings "
                                    "IN ACCESS EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc):
        self.connection.rollback() if hasattr(self.connection, "rollback") else None
        self.connection.close()


def test_a_database_outage_is_answered_in_time_and_the_message_kept(app, client, demo):
    timings = []
    transport = flask_transport(client, BASE_URL)

    def timed(url, form, headers, /, **kw):
        started = time.monotonic()
        try:
            return transport(url, form, headers, **kw)
        finally:
            timings.append((url.rsplit("/", 1)[-1], time.monotonic() - started))

    from simulator import DirectoryRecordingStore

    phone = CallSimulator(timed, base_url=BASE_URL, auth_token=AUTH_TOKEN,
                          recordings=DirectoryRecordingStore(
                              app.extensions["telephony"].recordings_dir,
                              BASE_URL + "/ivr/simulator/recordings"))
    with time_machine.travel(SATURDAY_NIGHT, tick=True), DatabaseOutage(app):
        # The very first webhook fails: the apology takes the message at once.
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER,
                          caller=ScriptedCaller([Message(make_wav(4))]))
    text = " ".join(talk.said())
    assert prompts.APOLOGY in text and prompts.APOLOGY_SAVED in text, text
    assert "application error" not in text.lower()
    # Only status callbacks may fail (503: Twilio retries them; what they carried is spooled).
    assert all(e.attrs.get("callback") in ("recording_callback", "status_callback")
               and "503" in e.text for e in talk.errors), talk.errors
    budget = 3 * app.config["WEBHOOK_DB_TIMEOUT"] + 2
    assert max(seconds for _, seconds in timings) < budget, timings  # Twilio waits 15 s
    assert count(app, Ticket) == 0  # nothing reached the database ...
    spooled = (Path(app.config["DATA_DIR"]) / "spool.jsonl").read_text().splitlines()
    assert len(spooled) >= 2  # ... but kept: the action's message and the recording status
    with time_machine.travel(SATURDAY_NIGHT, tick=True):
        assert jobs.replay_spool(app) >= 1
        callback_jobs.plan_missing_callbacks(app)
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert ticket.caller_number == PARENT_NUMBER and ticket.suggestions.get("fallback")
        [recording] = db.session.scalars(select(Recording)).all()
        assert recording.ticket_id == ticket.id
    assert tickets_without_callback(app) == []
    assert not (Path(app.config["DATA_DIR"]) / "spool.jsonl").exists()


def test_the_spool_keeps_what_a_database_still_down_refuses(app, demo, monkeypatch):
    import helpline.app as helpline_app
    from tickets import service as tickets_service

    monkeypatch.setattr(helpline_app, "BUSY_TIMEOUT_MS", 200)  # a job's wait, shortened
    data_dir = app.config["DATA_DIR"]
    spool = Path(data_dir) / "spool.jsonl"
    with time_machine.travel(SATURDAY_NIGHT, tick=True):
        with DatabaseOutage(app):
            with app.test_request_context("/ivr/fallback-recorded", method="POST"):
                flask.g.twilio_webhook = True  # as inside the fallback webhook: short waits
                tickets_service.store_minimal(
                    data_dir=data_dir, call_sid="CAlater", to_number=SCHOOL_NUMBER,
                    from_number=PARENT_NUMBER, recording_url=f"{BASE_URL}/x/{SID}",
                    recording_sid=SID)
            assert len(spool.read_text().splitlines()) == 1
            if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
                assert jobs.replay_spool(app) == 0  # refused again: kept, not lost
                assert len(spool.read_text().splitlines()) == 1
        assert jobs.replay_spool(app) == 1
    assert not spool.exists()
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert ticket.call_sid == "CAlater" and ticket.recordings[0].recording_sid == SID
    assert tickets_without_callback(app) == []


def test_a_spool_line_that_is_not_json_is_dropped_and_the_rest_imported(app, demo):
    spool = Path(app.config["DATA_DIR"]) / "spool.jsonl"
    spool.parent.mkdir(parents=True, exist_ok=True)
    good = json.dumps({"kind": "message", "call_sid": "CAok", "to": SCHOOL_NUMBER,
                       "from": PARENT_NUMBER, "recording_url": None, "recording_sid": None,
                       "at": SATURDAY_NIGHT.isoformat()})
    spool.write_text("{broken\n" + good + "\n" + good + "\n")
    assert jobs.replay_spool(app) == 2  # the same call twice: one ticket
    assert count(app, Ticket) == 1
