"""From a recording to a transcript on the ticket: download, checksum, Vosk, suggestions."""

import hashlib
import multiprocessing
import os
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from callbacks.models import Callback
from core import settings, telephony
from core.extensions import db
from simulator import Keys, Message, ScriptedCaller
from tests.conftest import PARENT_NUMBER, SCHOOL_NUMBER, make_wav
from tickets import jobs
from tickets.models import Recording, Ticket, TranscriptionState

SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.fixture(autouse=True)
def saturday_night():
    """Every test runs on one clock: messages left on Saturday night, processed after."""
    with time_machine.travel(SATURDAY_NIGHT, tick=True) as traveller:
        yield traveller


def leave_message(phone, wav: bytes):
    phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER,
               caller=ScriptedCaller([Keys("1"), Keys("1"), Message(wav)]))


def recording(app) -> Recording:
    with app.app_context():
        rec = db.session.scalars(select(Recording)).one()
        db.session.expunge(rec)
        return rec


@pytest.mark.vosk
def test_message_becomes_a_transcript_with_suggestions(app, phone, vosk_model, shared_dir):
    wav = (shared_dir / "audio/ru-speech/8k/voxforge_ru_0022.wav").read_bytes()
    leave_message(phone, wav)
    settings.configure(app, VOSK_MODEL=vosk_model)
    [outcome] = jobs.run_pending(app)
    assert outcome.state == TranscriptionState.DONE, outcome.error
    rec = recording(app)
    assert rec.sha256 == hashlib.sha256(wav).hexdigest() and rec.size == len(wav)
    stored = Path(app.config["DATA_DIR"]) / rec.path
    assert stored.read_bytes() == wav
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        transcript = db.session.get(Recording, rec.id).transcript
        assert transcript.words and transcript.model.endswith(Path(vosk_model).name)
        assert 0 < transcript.duration < 30
        assert all(w["start"] <= w["end"] for w in transcript.words)
        assert {"phone", "class", "topic", "abusive"} <= set(ticket.suggestions)
        assert ticket.topic == "login"  # the caller's choice stays
        assert db.session.scalars(select(Callback)).one().ticket_id == ticket.id
    assert jobs.run_pending(app) == []  # nothing left: done once


def test_without_a_model_the_message_waits_and_is_kept(app, phone, vosk_model):
    leave_message(phone, make_wav(3))
    settings.configure(app, VOSK_MODEL="")
    [outcome] = jobs.run_pending(app)
    assert outcome.state == TranscriptionState.NO_MODEL
    rec = recording(app)
    assert rec.path and "HELPLINE_VOSK_MODEL" in rec.last_error
    # One copy only: the simulator's (Twilio's stand-in) is deleted once ours is stored.
    simulator_copy = app.extensions["telephony"].recordings_dir / f"{rec.recording_sid}.wav"
    assert not simulator_copy.exists() and rec.remote_url is None
    assert (Path(app.config["DATA_DIR"]) / rec.path).read_bytes()[:4] == b"RIFF"
    assert jobs.run_pending(app) == []  # not retried in a loop while there is no model
    settings.configure(app, VOSK_MODEL=vosk_model)
    [outcome] = jobs.run_pending(app)
    assert outcome.state == TranscriptionState.DONE


def test_a_broken_model_is_a_clear_state_not_a_crash(app, phone, tmp_path):
    leave_message(phone, make_wav(3))
    broken = tmp_path / "not-a-model"
    broken.mkdir()
    settings.configure(app, VOSK_MODEL=str(broken))
    [outcome] = jobs.run_pending(app)
    assert outcome.state == TranscriptionState.NO_MODEL
    assert "not-a-model" in recording(app).last_error


class FlakyRecordings(BaseHTTPRequestHandler):
    """Twilio: the recording URL (Basic auth, fails `failures` times with a 503 first) and the
    REST API's DELETE of a recording (answers `delete_status`)."""

    failures = 2
    wav = b""
    seen: ClassVar[list] = []
    deleted: ClassVar[list] = []
    delete_status = 204

    def do_DELETE(self):
        self.deleted.append((self.path, self.headers.get("Authorization")))
        self.send_response(self.delete_status)
        body = b"" if self.delete_status == 204 else b'{"code": 20500, "message": "down"}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.seen.append((self.path, self.headers.get("Authorization")))
        if len(self.seen) <= self.failures:
            self.send_response(503)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/x-wav")
        self.send_header("Content-Length", str(len(self.wav)))
        self.end_headers()
        self.wfile.write(self.wav)

    def log_message(self, *args):
        pass


@pytest.fixture
def recordings_server():
    FlakyRecordings.seen, FlakyRecordings.deleted = [], []
    FlakyRecordings.delete_status = 204
    FlakyRecordings.wav = make_wav(3)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyRecordings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def twilio_port(app, api: str):
    """The real Twilio port, its REST client pointed at the fake server instead of Twilio."""
    cfg = app.config
    port = telephony.TwilioTelephony(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"],
                                     attempts=4, backoff=0.01, media_hosts=(api,))
    port.client.api.base_url = api
    app.extensions["telephony"] = port
    return port


def point_recording_at(app, url):
    with app.app_context():
        rec = db.session.scalars(select(Recording)).one()
        rec.remote_url = url
        db.session.commit()


def test_download_that_fails_twice_then_succeeds(app, phone, recordings_server):
    leave_message(phone, make_wav(3))
    twilio_port(app, recordings_server)
    point_recording_at(app, f"{recordings_server}/2010-04-01/Accounts/AC/Recordings/RE1")
    [outcome] = jobs.run_pending(app)
    assert outcome.state == TranscriptionState.NO_MODEL  # downloaded; no model configured
    assert len(FlakyRecordings.seen) == 3
    path, auth = FlakyRecordings.seen[-1]
    assert path.endswith("RE1.wav") and auth.startswith("Basic ")
    rec = recording(app)
    assert rec.sha256 == hashlib.sha256(FlakyRecordings.wav).hexdigest()
    # Stored and checked here: Twilio's copy is deleted through its REST API.
    [(path, auth)] = FlakyRecordings.deleted
    account = app.config["TWILIO_ACCOUNT_SID"]
    assert path == f"/2010-04-01/Accounts/{account}/Recordings/{rec.recording_sid}.json"
    assert auth.startswith("Basic ")
    assert rec.remote_url is None and rec.path is not None


def test_when_twilio_cannot_delete_its_copy_the_retention_run_tries_again(app, phone,
                                                                         recordings_server):
    from helpline import retention

    leave_message(phone, make_wav(3))
    twilio_port(app, recordings_server)
    FlakyRecordings.failures, FlakyRecordings.delete_status = 0, 500
    try:
        url = f"{recordings_server}/2010-04-01/Accounts/AC/Recordings/RE1"
        point_recording_at(app, url)
        [outcome] = jobs.run_pending(app)
        assert outcome.state == TranscriptionState.NO_MODEL  # the message itself is fine
        assert recording(app).remote_url == url  # still at Twilio: remembered
        FlakyRecordings.delete_status = 204
        with app.app_context():
            result = retention.purge(data_dir=app.config["DATA_DIR"])
        assert result.remote_copies == 1 and result.count == 0  # our copy is young: kept
        assert len(FlakyRecordings.deleted) == 2
        rec = recording(app)
        assert rec.remote_url is None and rec.path is not None and rec.deleted_at is None
    finally:
        FlakyRecordings.failures = 2


def test_download_that_keeps_failing_is_retried_later_then_given_up(app, phone,
                                                                    recordings_server,
                                                                    saturday_night):
    FlakyRecordings.failures = 10**6
    try:
        leave_message(phone, make_wav(3))
        twilio_port(app, recordings_server)
        url = f"{recordings_server}/Recordings/RE2"
        point_recording_at(app, url)
        states = []
        for _ in range(jobs.MAX_ATTEMPTS):
            [outcome] = jobs.run_pending(app)
            states.append(outcome.state)
            assert jobs.run_pending(app) == []  # backing off: not claimed again at once
            saturday_night.shift(timedelta(hours=1))
        assert states[:-1] == [TranscriptionState.WAITING] * (jobs.MAX_ATTEMPTS - 1)
        assert states[-1] == TranscriptionState.FAILED
        rec = recording(app)
        assert rec.remote_url == url and rec.path is None and "503" in rec.last_error
        with app.app_context():
            assert db.session.scalars(select(Ticket)).one().is_open
    finally:
        FlakyRecordings.failures = 2


def test_two_workers_never_take_the_same_recording(app, phone):
    for _ in range(4):
        leave_message(phone, make_wav(3))
    with app.app_context():
        first = jobs.claim("worker-a", settings.current(), limit=3)
        second = jobs.claim("worker-b", settings.current(), limit=3)
    assert len(first) == 3 and len(second) == 1 and not set(first) & set(second)


def test_workers_claiming_at_the_same_moment_split_the_work(app, phone):
    """Four workers (threads, each with its own session and connection) race for the queue."""
    for _ in range(8):
        leave_message(phone, make_wav(3))
    start = threading.Barrier(4)
    taken: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with app.app_context():
                start.wait(10)
                mine: list[int] = []
                while batch := jobs.claim(name, settings.current(), limit=1):
                    mine += batch
                taken[name] = mine
                db.session.remove()
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    claimed = [rid for ids in taken.values() for rid in ids]
    with app.app_context():
        everything = set(db.session.scalars(select(Recording.id)).all())
        owners = {r.id: r.lease_owner for r in db.session.scalars(select(Recording))}
    assert len(everything) == 8
    assert sorted(claimed) == sorted(everything)  # each recording exactly once
    assert all(owners[rid] == name for name, ids in taken.items() for rid in ids)


def _crash_after_claim(config, moment):
    """A worker that claims its work and dies before finishing (a killed process)."""
    from helpline.app import create_app

    time_machine.travel(moment, tick=True).start()
    app = create_app(config)
    with app.app_context():
        jobs.claim("doomed-worker", settings.current(), limit=5)
    os._exit(1)


def test_worker_killed_mid_way_loses_nothing(app, app_config, phone, vosk_model,
                                             saturday_night):
    leave_message(phone, make_wav(3))
    child = multiprocessing.get_context("spawn").Process(
        target=_crash_after_claim, args=(app_config, datetime.now(ZoneInfo("UTC"))))
    child.start()
    child.join(60)
    assert child.exitcode == 1
    assert recording(app).lease_owner == "doomed-worker"
    settings.configure(app, VOSK_MODEL=vosk_model)
    assert jobs.run_pending(app) == []  # the dead worker's lease still holds
    saturday_night.shift(jobs.LEASE + timedelta(minutes=1))
    [outcome] = jobs.run_pending(app)
    assert outcome.state == TranscriptionState.DONE
