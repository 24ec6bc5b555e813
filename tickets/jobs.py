"""Background work on recordings: download, keep with a checksum, transcribe, understand.

The database is the queue. A worker claims a recording with a lease (an atomic conditional
UPDATE, so two workers never take the same one, on SQLite or PostgreSQL); a worker that dies
mid-way loses nothing: its lease runs out and another worker takes the recording over.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import or_, select, update

from core import clock, telephony
from core.extensions import db, rowcount
from core.settings import Settings
from core.settings import of as settings_of
from tickets import service as tickets
from tickets import signals
from tickets.models import Recording, Ticket, Transcript, TranscriptionState
from transcription import asr, bundled

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # longer than the slowest transcription of a 3-minute message
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)  # then 2, 4, 8 minutes...


@dataclass
class Outcome:
    recording_id: int
    state: TranscriptionState
    error: str | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def speech_settings(config: Settings, *, assemble: bool = True):
    """The configured speech engine with its model, or None when there is no model.

    Without HELPLINE_ASR_MODEL / HELPLINE_VOSK_MODEL an installed model is used (one
    downloaded into <data dir>/models, or the whisper-base PyPI packages) unless
    ASR_AUTODETECT is off. Looked for on every call: a model may be installed at run time.
    """
    settings = asr.settings_from_config(config.speech.as_config())
    if settings.model or not config.speech.autodetect:
        return settings if settings.model else None
    return asr.discover(settings, Path(config.data_dir) / "models", assemble=assemble)


def model_path(config: Settings) -> str | None:
    settings = speech_settings(config, assemble=False)
    return settings.model if settings else None


def claim(owner: str, config: Settings, *, limit: int = 5) -> list[int]:
    """Take up to `limit` recordings that wait for work; return their ids."""
    now = clock.now()
    states = [TranscriptionState.WAITING]
    if model_path(config):  # a model appeared: the messages left «не расшифровано» get their turn
        states.append(TranscriptionState.NO_MODEL)
    candidates = db.session.scalars(
        select(Recording.id)
        .where(
            Recording.state.in_(states),
            or_(Recording.next_attempt_at.is_(None), Recording.next_attempt_at <= now),
            or_(Recording.lease_until.is_(None), Recording.lease_until < now),
        )
        .order_by(Recording.id)
        .limit(limit * 3)
    ).all()
    claimed = []
    for recording_id in candidates:
        # Conditional on the lease still being free: exactly one worker's UPDATE matches.
        result = db.session.execute(
            update(Recording)
            .where(
                Recording.id == recording_id,
                or_(Recording.lease_until.is_(None), Recording.lease_until < now),
            )
            .values(lease_owner=owner, lease_until=now + LEASE)
        )
        db.session.commit()
        if rowcount(result) == 1:
            claimed.append(recording_id)
            if len(claimed) == limit:
                break
    return claimed


def process(recording_id: int, owner: str, config: Settings) -> Outcome:
    """Download (if needed), transcribe and attach; never raises for a bad recording."""
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.lease_owner != owner:
        return Outcome(recording_id, TranscriptionState.WAITING, "lease lost")
    try:
        if recording.path is None:
            _download(recording, config.data_dir)
        _transcribe(recording, config)
    except Exception as exc:  # the recording's own problem: record it, retry later
        db.session.rollback()
        recording = db.session.get_one(Recording, recording_id)
        _failed(recording, exc)
    finally:
        recording = db.session.get_one(Recording, recording_id)
        if recording.lease_owner == owner:
            recording.lease_owner, recording.lease_until = None, None
            db.session.commit()
    return Outcome(recording.id, recording.state, recording.last_error)


def _download(recording: Recording, data_dir: str) -> None:
    if not recording.remote_url:
        raise telephony.TelephonyError("the recording has no URL", retryable=False)
    if not telephony.valid_recording_sid(recording.recording_sid):  # it becomes a file name
        raise telephony.TelephonyError("not a RecordingSid", retryable=False)
    data = telephony.get().download_recording(recording.remote_url)
    if data[:4] != b"RIFF":
        raise telephony.TelephonyError("the downloaded file is not a WAV", retryable=False)
    if len(data) < 8 or int.from_bytes(data[4:8], "little") + 8 > len(data):
        raise telephony.TelephonyError("the downloaded WAV is cut short")  # retried later
    name = f"{recording.recording_sid}.wav"
    relative = Path("recordings") / str(recording.organization_id) / name
    target = Path(data_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".part")
    temporary.write_bytes(data)
    os.replace(temporary, target)  # a crash never leaves half a file under the real name
    recording.path = str(relative)
    recording.sha256 = hashlib.sha256(data).hexdigest()
    recording.size = len(data)
    db.session.commit()
    forget_remote_copy(recording)


def forget_remote_copy(recording: Recording) -> bool:
    """Delete the telephony provider's copy once ours is stored; True when it is gone.

    Twilio keeps every recording until it is deleted, and a voice message is personal data:
    the school's copy under DATA_DIR (with its checksum) is the only one kept, and the
    retention job deletes that in turn. A failure leaves `remote_url` set; the nightly
    retention run tries again.
    """
    try:
        telephony.get().delete_recording(recording.recording_sid)
    except telephony.TelephonyError as exc:
        log.warning("recording %s: the provider's copy is not deleted yet: %s", recording.id, exc)
        return False
    recording.remote_url = None
    db.session.commit()
    return True


def _transcribe(recording: Recording, config: Settings) -> None:
    if recording.path is None:  # _download stores the file or raises
        raise ValueError(f"recording {recording.id} has no audio file")
    try:
        settings = speech_settings(config)
    except bundled.BundleMissing as exc:
        _no_model(recording, str(exc))
        return
    if settings is None:
        _no_model(recording, asr.NO_MODEL_HINT)
        return
    audio = Path(config.data_dir) / recording.path
    try:
        result = asr.transcribe(audio, settings)
    except asr.ModelUnavailable as exc:
        _no_model(recording, str(exc))
        return
    attach_transcript(recording, result.to_dict())


def _no_model(recording: Recording, why: str) -> None:
    """«не расшифровано»: the audio is kept; it is transcribed once a model is configured.

    The caller was promised a callback all the same: it is planned now, not after a
    transcript that may never come.
    """
    recording.state = TranscriptionState.NO_MODEL
    recording.last_error = why
    recording.next_attempt_at = None
    db.session.commit()
    ticket = db.session.get(Ticket, recording.ticket_id)
    if ticket is not None:
        _plan_callback(ticket)


def _failed(recording: Recording, exc: Exception) -> None:
    retryable = getattr(exc, "retryable", True)
    recording.attempts += 1
    recording.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    if retryable and recording.attempts < MAX_ATTEMPTS:
        recording.next_attempt_at = clock.now() + RETRY_BASE * 2 ** (recording.attempts - 1)
    else:
        # Gave up: the ticket keeps Twilio's URL, and the workspace says the audio is missing.
        recording.state = TranscriptionState.FAILED
        recording.next_attempt_at = None
    log.warning("recording %s: attempt %s failed: %s", recording.id, recording.attempts,
                recording.last_error)
    db.session.commit()


def attach_transcript(recording: Recording, data: dict) -> Transcript:
    """Store the transcript, pull suggestions out of it, and hand the ticket to planning."""
    transcript = recording.transcript
    if transcript is None:
        transcript = Transcript(recording_id=recording.id, ticket_id=recording.ticket_id)
        db.session.add(transcript)
    transcript.text = data["text"]
    transcript.words = data["words"]
    transcript.confidence = data["confidence"]
    transcript.duration = data["duration"]
    transcript.engine = data["engine"]
    transcript.model = data["model"]
    transcript.language = str(data.get("language") or "ru")[:16]
    recording.state = TranscriptionState.DONE
    recording.last_error = None
    recording.next_attempt_at = None

    ticket = db.session.get_one(Ticket, recording.ticket_id)
    tickets.suggest(ticket, data["text"], words=data["words"])
    _plan_callback(ticket)
    return transcript


def _plan_callback(ticket: Ticket) -> None:
    if ticket.is_open and ticket.needs_callback:
        signals.callback_needed.send(ticket)


def replay_spool(app: Flask) -> int:
    """Scheduler tick: put what the spool kept into the database; return records imported."""
    with app.app_context():
        result = tickets.import_spool(settings_of(app).data_dir)
        for ticket_id in result.tickets:
            ticket = db.session.get(Ticket, ticket_id)
            if ticket is not None:
                try:
                    _plan_callback(ticket)
                except Exception:
                    db.session.rollback()
                    log.exception("ticket %s from the spool: planning failed", ticket_id)
        return result.imported


def run_pending(app: Flask, *, owner: str | None = None, limit: int = 5) -> list[Outcome]:
    """Scheduler or worker tick: process what is waiting. Safe to run anywhere, any time."""
    owner = owner or worker_name()
    config = settings_of(app)
    with app.app_context():
        return [process(recording_id, owner, config)
                for recording_id in claim(owner, config, limit=limit)]
