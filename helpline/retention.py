"""Retention: voice messages are personal data, kept for the organization's period only.

``delete_expired_audio(app)`` is the nightly job (registered with the scheduler's retention
hook in create_app). For every organization it deletes the audio of recordings older than
``Organization.retention_days``: the provider's copy is deleted (Twilio keeps recordings
until told), the file under DATA_DIR is removed, ``Recording.path`` and the Twilio URL are
cleared, ``deleted_at`` is set and the state becomes DELETED. The
transcript stays, unless the organization chose ``retention_delete_transcripts``. Each
deletion is audited. Running it again changes nothing: only rows without ``deleted_at`` are
looked at, and a file already gone is not an error. It also retries deleting the provider's
copy of recordings already stored here, where the deletion after the download failed.

Logs carry counts and ids only, never a phone number or a file's content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import delete, select

from core import clock, service
from core.extensions import db, rowcount
from core.models import Organization
from tickets.jobs import forget_remote_copy
from tickets.models import Recording, Transcript, TranscriptionState

log = logging.getLogger(__name__)


@dataclass
class Purged:
    """What one run deleted, per organization id."""

    recordings: dict[int, list[int]] = field(default_factory=dict)
    transcripts: int = 0
    remote_copies: int = 0  # provider copies deleted on a retry

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.recordings.values())


def delete_expired_audio(app: Flask) -> Purged:
    """The scheduler's retention task: purge every organization's expired audio."""
    with app.app_context():
        return purge(data_dir=app.config["DATA_DIR"], now=clock.now())


def purge(*, data_dir: str, now: datetime | None = None) -> Purged:
    """Delete the audio of recordings past their organization's retention period."""
    now = now or clock.now()
    result = Purged()
    # Provider copies whose deletion failed after the download: try again.
    for recording in db.session.scalars(select(Recording).where(
        Recording.deleted_at.is_(None), Recording.path.is_not(None),
        Recording.remote_url.is_not(None),
    ).order_by(Recording.id)).all():
        result.remote_copies += forget_remote_copy(recording)
    base = Path(data_dir).resolve()
    for org in db.session.scalars(select(Organization).order_by(Organization.id)).all():
        cutoff = now - timedelta(days=max(int(org.retention_days or 0), 1))
        expired = list(db.session.scalars(
            select(Recording).where(
                Recording.organization_id == org.id,
                Recording.deleted_at.is_(None),
                Recording.created_at < cutoff,
            ).order_by(Recording.id)
        ))
        if not expired:
            continue
        done = []
        for recording in expired:
            if recording.remote_url and not forget_remote_copy(recording):
                continue  # the provider still holds it: tried again next night
            if not _remove_file(base, recording.path):
                continue  # tried again next night; the row says the audio is still there
            done.append(recording)
            recording.path = None
            recording.remote_url = None  # nothing may fetch it again
            recording.state = TranscriptionState.DELETED
            recording.deleted_at = now
            recording.lease_owner = recording.lease_until = None
            service.audit("retention.audio_deleted", "recording", recording.id,
                          organization_id=org.id, ticket=recording.ticket_id,
                          retention_days=org.retention_days,
                          transcript_deleted=bool(org.retention_delete_transcripts))
        ids = [r.id for r in done]
        if ids and org.retention_delete_transcripts:
            result.transcripts += rowcount(db.session.execute(
                delete(Transcript).where(Transcript.recording_id.in_(ids))
            )) or 0
        db.session.commit()
        result.recordings[org.id] = ids
        log.info("retention: organization %s, %s recordings' audio deleted", org.id, len(ids))
    return result


def _remove_file(base: Path, relative: str | None) -> bool:
    """Remove the audio file; True when it is gone (or there never was one)."""
    if not relative:
        return True
    path = (base / relative).resolve()
    if not path.is_relative_to(base):  # never delete outside the data directory
        log.warning("retention: a recording path points outside the data directory; skipped")
        return False
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.exception("retention: could not delete a recording file")
        return False
    return True
