"""Helpers shared by the workspace's Flask-client tests and its browser tests."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from core.extensions import db
from simulator import Keys, Message, ScriptedCaller
from tests.conftest import PARENT_NUMBER, SCHOOL_NUMBER, make_wav

PASSWORD = "demo-password"
MSK = ZoneInfo("Europe/Moscow")
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=MSK)  # a message out of hours
MONDAY_0905 = datetime(2026, 11, 30, 9, 5, tzinfo=MSK)  # the callbacks are due
# What the recognizer heard: a class, a number to call back, and two unsure words.
WORDS = [
    ("здравствуйте", 0.98), ("не", 0.95), ("могу", 0.97), ("войти", 0.93), ("в", 0.99),
    ("журнал", 0.9), ("сын", 0.96), ("учится", 0.94), ("в", 0.99), ("пятом", 0.52),
    ("б", 0.41), ("классе", 0.92), ("перезвоните", 0.95), ("восемь", 0.9), ("девятьсот", 0.9),
    ("шестнадцать", 0.9), ("сто", 0.9), ("двадцать", 0.9), ("три", 0.9), ("сорок", 0.9),
    ("пять", 0.9), ("шестьдесят", 0.9), ("семь", 0.9),
]


def csrf_token(html: str) -> str:
    """The CSRF token of a page (the <meta> every page carries, or a form's hidden input)."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; return a CSRF token for the next POSTs."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token(client.get("/tickets/").get_data(as_text=True))


def leave_message(app, client, *, from_: str = PARENT_NUMBER, to: str = SCHOOL_NUMBER,
                  keys=("1", "1"), seconds: float = 4.0, transcript: bool = True,
                  when: datetime | None = SATURDAY_NIGHT) -> int:
    """A parent leaves a voice message; it is downloaded and (optionally) transcribed.

    Returns the ticket's id. The transcript is attached as the worker would attach Vosk's.
    ``when=None`` leaves it now, on the real clock (the browser tests' server runs on it).
    """
    from contextlib import nullcontext

    from simulator import CallSimulator, DirectoryRecordingStore, flask_transport
    from tests.conftest import AUTH_TOKEN, BASE_URL
    from tickets import jobs
    from tickets.models import Recording, Ticket

    store = DirectoryRecordingStore(
        Path(app.config["DATA_DIR"]) / "simulator-recordings",
        app.config["PUBLIC_URL"] + "/ivr/simulator/recordings",
    )
    base = app.config["PUBLIC_URL"] or BASE_URL
    token = app.config["WEBHOOK_AUTH_TOKEN"] or AUTH_TOKEN
    sim = CallSimulator(flask_transport(client, base), base_url=base, auth_token=token,
                        recordings=store)
    with time_machine.travel(when, tick=False) if when else nullcontext():
        talk = sim.call(to=to, from_=from_, caller=ScriptedCaller(
            [Keys(k) for k in keys] + [Message(make_wav(seconds))]))
        assert not talk.errors, talk.render(verbose=True)
        jobs.run_pending(app)  # downloads; without a model the audio waits untranscribed
        with app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.call_sid == talk.call_sid))
            recording = db.session.scalars(
                select(Recording).where(Recording.ticket_id == ticket.id)).one()
            if transcript:
                words = [{"word": w, "conf": c, "start": i * 0.4, "end": i * 0.4 + 0.35}
                         for i, (w, c) in enumerate(WORDS)]
                jobs.attach_transcript(recording, {
                    "text": " ".join(w for w, _ in WORDS), "words": words,
                    "confidence": 0.87, "duration": seconds, "engine": "vosk",
                    "model": "test",
                })
            return ticket.id
