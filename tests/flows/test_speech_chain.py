"""A Russian voice message, end to end, with the real Whisper engine on real audio.

The call goes through the simulator (signed, form-encoded webhooks as Twilio sends them);
the message is a synthetic Russian voicemail from ../shared; the worker transcribes it with
whisper-base and the ticket gets its transcript and suggestions. The caller may key in a
callback number after the message: that number is exact, and the transcript's becomes a
suggestion to confirm.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from core import settings
from core.extensions import db
from ivr import prompts
from simulator import Keys, Message, ScriptedCaller
from tests.conftest import PARENT_NUMBER, SCHOOL_NUMBER, SHARED, need
from tickets import jobs
from tickets.models import Recording, Ticket, TranscriptionState

pytestmark = [pytest.mark.whisper, pytest.mark.shared]

MSK = ZoneInfo("Europe/Moscow")
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=MSK)
VOICEMAILS = SHARED / "audio" / "voicemails"


@pytest.fixture
def whisper_app(app, whisper_model):
    settings.configure(app, ASR_ENGINE="whisper", ASR_MODEL=whisper_model, ASR_CPU_THREADS=2)
    return app


def voicemail(name: str) -> bytes:
    path = VOICEMAILS / f"{name}.wav"
    need(path.is_file(), f"no synthetic voicemails at {VOICEMAILS}")
    return path.read_bytes()


def the_ticket(app) -> Ticket:
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        db.session.expunge(ticket)
        return ticket


def test_a_message_left_by_phone_is_transcribed_in_russian(whisper_app, phone):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("1"), Message(voicemail("dev-050"))]))
        assert not talk.errors, talk.render(verbose=True)
        [outcome] = jobs.run_pending(whisper_app)
    assert outcome.state == TranscriptionState.DONE, outcome.error
    with whisper_app.app_context():
        recording = db.session.scalars(select(Recording)).one()
        transcript = recording.transcript
        assert transcript.engine == "whisper" and transcript.model == "whisper-base"
        assert transcript.language == "ru"
        words = " ".join(w["word"] for w in transcript.words).lower()
        # dev-050 says «алло алло ничего не слышно»: the gist comes through the phone line.
        assert "алло" in words and "слышно" in words, transcript.text
        assert all(0 <= w["conf"] <= 1 and w["start"] <= w["end"] for w in transcript.words)
    ticket = the_ticket(whisper_app)
    assert ticket.suggestions["phone"] is None and ticket.suggestions["abusive"] is False
    # The consultant sees which of Whisper's words it was unsure of.
    from markupsafe import escape

    from tests.browser.support import login

    consultant = whisper_app.test_client()
    login(consultant, "consultant")
    html = consultant.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    with whisper_app.app_context():
        words = db.session.scalars(select(Recording)).one().transcript.words
    unsure = [w["word"] for w in words if w["conf"] < 0.6]
    sure = [w["word"] for w in words if w["conf"] >= 0.6 and w["word"] not in unsure]
    assert sure, words
    for word in unsure:
        assert f"<mark>{escape(word)}</mark>" in html
    for word in sure:
        assert f"<mark>{escape(word)}</mark>" not in html


def test_a_keyed_in_number_is_the_callback_number_and_the_transcripts_a_suggestion(
    whisper_app, phone
):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller([
            Keys("1"), Keys("1"), Message(voicemail("dev-014")), Keys("1"),
            Keys("89031234567"), Keys("1")]))
        assert not talk.errors, talk.render(verbose=True)
        assert prompts.NUMBER_SAVED in " ".join(talk.said())
        assert the_ticket(whisper_app).callback_number == "+79031234567"  # exact, by keypad
        [outcome] = jobs.run_pending(whisper_app)
    assert outcome.state == TranscriptionState.DONE, outcome.error
    ticket = the_ticket(whisper_app)
    # The recognizer never overwrites what the caller keyed in.
    assert ticket.callback_number == "+79031234567" and ticket.caller_number == PARENT_NUMBER
    suggested = ticket.suggestions["phone"]
    assert suggested in (None, "+79372228116")  # the spoken number, or none: never a wrong one
    assert ticket.suggestions["phone_differs"] is (suggested is not None)
