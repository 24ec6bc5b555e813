"""The retention job deletes exactly the audio past each school's period, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEvent, Organization
from helpline import retention, scheduler
from tickets.models import Recording, Ticket, Transcript, TranscriptionState

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def org_of(slug: str) -> Organization:
    return db.session.scalars(select(Organization).where(Organization.slug == slug)).one()


_n = iter(range(1, 1000))


def recording(app, org, age_days: float, *, state=TranscriptionState.DONE, file=True,
              transcript=True) -> int:
    n = next(_n)
    ticket = Ticket(organization_id=org.id, number=1000 + n, created_at=NOW, suggestions={})
    db.session.add(ticket)
    db.session.flush()
    path = None
    if file:
        path = f"recordings/{org.slug}/RE{n:032d}.wav"
        target = Path(app.config["DATA_DIR"]) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"RIFF----WAVEfmt ")
    row = Recording(organization_id=org.id, ticket_id=ticket.id, call_sid=f"CA{n:032d}",
                    recording_sid=f"RE{n:032d}", remote_url=f"https://api.twilio.test/{n}",
                    state=state, path=path, created_at=NOW - timedelta(days=age_days))
    db.session.add(row)
    db.session.flush()
    if transcript:
        db.session.add(Transcript(recording_id=row.id, ticket_id=ticket.id, text="алло"))
    db.session.commit()
    return row.id


@pytest.fixture
def schools(app_ctx, demo):
    moscow, omsk = org_of("sosh19"), org_of("tukalinsk")
    moscow.retention_days, omsk.retention_days = 30, 90
    omsk.retention_delete_transcripts = True
    db.session.commit()
    return moscow, omsk


def state(recording_id: int) -> tuple:
    row = db.session.get(Recording, recording_id)
    db.session.refresh(row)
    has_transcript = db.session.scalar(select(func.count()).select_from(Transcript).where(
        Transcript.recording_id == recording_id))
    return row.state, row.path, row.deleted_at, row.remote_url, has_transcript


def test_only_audio_older_than_each_schools_period_goes(app, schools):
    moscow, omsk = schools
    old_msk = recording(app, moscow, 31)
    young_msk = recording(app, moscow, 29)
    old_omsk = recording(app, omsk, 91)
    young_omsk = recording(app, omsk, 60)  # older than Moscow's 30 days, younger than 90
    never_downloaded = recording(app, moscow, 40, state=TranscriptionState.FAILED, file=False,
                                 transcript=False)
    files = {i: Path(app.config["DATA_DIR"]) / db.session.get(Recording, i).path
             for i in (old_msk, young_msk, old_omsk, young_omsk)}

    result = retention.purge(data_dir=app.config["DATA_DIR"], now=NOW)

    assert result.recordings == {moscow.id: [old_msk, never_downloaded], omsk.id: [old_omsk]}
    assert result.count == 3 and result.transcripts == 1
    assert not files[old_msk].exists() and not files[old_omsk].exists()
    assert files[young_msk].exists() and files[young_omsk].exists()
    # Moscow keeps transcripts; the Omsk school asked for them to go as well.
    assert state(old_msk) == (TranscriptionState.DELETED, None, NOW, None, 1)
    assert state(old_omsk) == (TranscriptionState.DELETED, None, NOW, None, 0)
    assert state(never_downloaded)[0] == TranscriptionState.DELETED
    assert state(young_msk)[0] == TranscriptionState.DONE
    assert state(young_omsk)[:3] == (TranscriptionState.DONE, db.session.get(
        Recording, young_omsk).path, None)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "retention.audio_deleted")).all()
    assert sorted(e.object_id for e in events) == sorted([old_msk, never_downloaded, old_omsk])


def test_running_twice_changes_nothing_more(app, schools):
    moscow, _ = schools
    old = recording(app, moscow, 45)
    first = retention.purge(data_dir=app.config["DATA_DIR"], now=NOW)
    second = retention.purge(data_dir=app.config["DATA_DIR"], now=NOW + timedelta(days=1))
    assert first.count == 1 and second.count == 0
    assert state(old)[2] == NOW  # the first deletion's time stays
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "retention.audio_deleted")) == 1


def test_a_file_already_gone_is_not_an_error(app, schools):
    moscow, _ = schools
    old = recording(app, moscow, 45)
    (Path(app.config["DATA_DIR"]) / db.session.get(Recording, old).path).unlink()
    assert retention.purge(data_dir=app.config["DATA_DIR"], now=NOW).count == 1
    assert state(old)[0] == TranscriptionState.DELETED


def test_a_path_outside_the_data_directory_is_never_deleted(app, schools, tmp_path):
    moscow, _ = schools
    outside = tmp_path / "precious.wav"
    outside.write_bytes(b"x")
    old = recording(app, moscow, 45, file=False)
    db.session.get(Recording, old).path = "../precious.wav"
    db.session.commit()
    assert retention.purge(data_dir=app.config["DATA_DIR"], now=NOW).count == 0
    assert outside.exists() and state(old)[0] == TranscriptionState.DONE


def test_the_ticket_page_no_longer_plays_a_deleted_recording(app, schools):
    moscow, _ = schools
    old = recording(app, moscow, 45)
    retention.purge(data_dir=app.config["DATA_DIR"], now=NOW)
    row = db.session.get(Recording, old)
    from tickets.views import _playable

    assert not _playable(row)


def test_the_job_is_registered_with_the_schedulers_retention_hook(app, schools):
    assert retention.delete_expired_audio in scheduler.RETENTION_TASKS
    moscow, _ = schools
    recording(app, moscow, 400)
    assert scheduler.run_retention(app) >= 1  # the nightly job runs our task with the app
    assert db.session.scalar(select(func.count()).select_from(Recording).where(
        Recording.deleted_at.is_not(None))) == 1
