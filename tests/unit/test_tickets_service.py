"""Tickets: numbering, SLA, idempotency on Twilio's keys, lifecycle, the fallback spool."""

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from core import service
from core.extensions import db
from core.models import AuditEvent
from tickets import service as tickets
from tickets.models import Channel, Recording, Ticket, TicketStatus, TranscriptionState

MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def orgs(demo, app_ctx):
    return service.find_by_number("+74950000019"), service.find_by_number("+73817600002")


def open_for(org, sid, role="parent", topic="login", caller="+79161234567"):
    tickets.record_call(sid, org=org, from_number=caller, to_number=None)
    return tickets.open_ticket(org=org, call_sid=sid, caller_number=caller, role=role,
                               topic=topic)


def test_numbers_are_sequential_per_organization(orgs):
    school, gymnasium = orgs
    assert [open_for(school, f"CA{i}").number for i in range(3)] == [1, 2, 3]
    assert open_for(gymnasium, "CAx").number == 1


def test_open_ticket_is_idempotent_on_call_sid(orgs):
    school, _ = orgs
    first = open_for(school, "CAsame")
    again = open_for(school, "CAsame")
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def opened_events() -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "ticket.opened").order_by(AuditEvent.id)))


def test_the_opened_event_is_written_with_the_commit_in_one_statement(orgs, statements):
    school, _ = orgs
    tickets.record_call("CAa1", org=school, from_number="+79161234567", to_number=None)
    tickets.record_call("CAa2", org=school, from_number="+79161234568", to_number=None)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=MSK), tick=False):
        first = tickets.draft_ticket(org=school, call_sid="CAa1", caller_number=None,
                                     role="parent", topic="login")
        tickets.start_ticket(first, org=school)
    with time_machine.travel(datetime(2026, 11, 23, 10, 5, tzinfo=MSK), tick=False):
        second = tickets.draft_ticket(org=school, call_sid="CAa2", caller_number=None,
                                      role="parent", topic="login")
        tickets.start_ticket(second, org=school)
        with db.session.no_autoflush:
            assert opened_events() == []  # nothing written before the commit
        with statements:
            db.session.commit()
    inserts = [s for s in statements.seen if s.startswith("INSERT INTO audit_events")]
    assert len(inserts) == 1  # both events, one statement
    events = opened_events()
    assert [(e.object_type, e.object_id, e.actor) for e in events] == [
        ("ticket", first.id, "twilio"), ("ticket", second.id, "twilio")]
    assert [e.details["number"] for e in events] == [first.number, second.number]
    # Each at the moment it happened, not at the commit.
    assert [e.at.astimezone(MSK).strftime("%H:%M") for e in events] == ["10:00", "10:05"]


def test_a_rolled_back_ticket_leaves_no_event_for_a_later_commit(orgs):
    school, _ = orgs
    tickets.record_call("CAr1", org=school, from_number="+79161234567", to_number=None)
    db.session.commit()
    draft = tickets.draft_ticket(org=school, call_sid="CAr1", caller_number=None,
                                 role="parent", topic="login")
    tickets.start_ticket(draft, org=school)
    db.session.rollback()
    open_for(school, "CAr2")  # commits
    assert [e.details["number"] for e in opened_events()] == [1]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_an_event_waits_for_the_commit_that_gives_its_object_an_id(orgs):
    school, _ = orgs
    ticket = tickets.draft_ticket(org=school, call_sid="CAn1", caller_number=None,
                                  role="parent", topic="login")
    ticket.number = 99
    db.session.add(ticket)
    service.audit_on_commit("ticket.opened", "ticket", ticket, organization_id=school.id)
    assert ticket.id is None
    db.session.commit()
    assert [e.object_id for e in opened_events()] == [ticket.id]


@time_machine.travel(datetime(2026, 12, 30, 18, 0, tzinfo=MSK), tick=False)
def test_sla_due_is_two_working_days_over_the_new_year(orgs):
    ticket = open_for(orgs[0], "CAny")
    due = ticket.sla_due_at.astimezone(MSK)
    assert due.date().isoformat() == "2027-01-12"


@time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=MSK), tick=False)
def test_training_request_uses_the_training_deadline(orgs):
    school, gymnasium = orgs
    training = open_for(school, "CAt", role="staff", topic="training")
    assert training.sla_due_at.astimezone(MSK).date().isoformat() == "2026-11-30"  # 5 days
    omsk = open_for(gymnasium, "CAo", role="staff", topic="training")
    assert omsk.sla_due_at.astimezone(ZoneInfo("Asia/Omsk")).date().isoformat() == "2026-11-26"
    plain = open_for(school, "CAp", role="staff", topic="grades")
    assert plain.sla_due_at.astimezone(MSK).date().isoformat() == "2026-11-25"


def test_instants_are_stored_and_read_as_utc(orgs):
    ticket = open_for(orgs[0], "CAutc")
    db.session.expire_all()
    again = db.session.get(Ticket, ticket.id)
    assert again.created_at.tzinfo == UTC and again.sla_due_at.tzinfo == UTC


def test_recording_is_attached_once(orgs):
    open_for(orgs[0], "CArec")
    for _ in range(2):  # Twilio retries the status callback
        tickets.attach_recording(call_sid="CArec", recording_sid="RE1", url="https://x/RE1",
                                 status="completed", duration=12)
    recordings = db.session.scalars(select(Recording)).all()
    assert len(recordings) == 1 and recordings[0].state == TranscriptionState.WAITING


@pytest.mark.parametrize(("status", "duration", "state"), [
    ("completed", 1, TranscriptionState.TOO_SHORT),
    ("absent", 0, TranscriptionState.FAILED),
    ("failed", None, TranscriptionState.FAILED),
])
def test_unusable_recordings_leave_a_missed_call(orgs, status, duration, state):
    ticket = open_for(orgs[0], "CAshort")
    recording = tickets.attach_recording(call_sid="CAshort", recording_sid="RE2", url=None,
                                         status=status, duration=duration)
    assert recording.state == state
    assert ticket.channel == Channel.MISSED_CALL and ticket.is_open


def test_recording_for_an_unknown_call_is_ignored(orgs):
    assert tickets.attach_recording(call_sid="CAnone", recording_sid="RE3", url=None,
                                    status="completed", duration=5) is None


def test_lifecycle_allows_and_refuses(orgs):
    ticket = open_for(orgs[0], "CAlife")
    tickets.transition(ticket, TicketStatus.IN_PROGRESS, actor="consultant")
    tickets.transition(ticket, TicketStatus.RESOLVED, resolution="Пароль сброшен")
    assert ticket.closed_at is not None and not ticket.is_open
    with pytest.raises(tickets.TicketError):
        tickets.transition(ticket, TicketStatus.ESCALATED)


def test_fallback_stores_a_minimal_ticket(orgs, app):
    ticket = tickets.store_minimal(
        data_dir=app.config["DATA_DIR"], call_sid="CAfb", to_number="+74950000019",
        from_number="+79161234567", recording_url="https://x/REfb",
    )
    assert ticket.number == 1 and ticket.caller_number == "+79161234567"
    assert ticket.suggestions == {"fallback": True}


def test_fallback_spools_when_the_database_fails(orgs, app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr(tickets.service, "find_by_number", broken)
    assert tickets.store_minimal(
        data_dir=app.config["DATA_DIR"], call_sid="CAsp", to_number="+74950000019",
        from_number="+79161234567", recording_url="https://x/REsp", recording_sid="RE" + "5" * 32,
    ) is None
    spool = Path(app.config["DATA_DIR"]) / "spool.jsonl"
    lines = [json.loads(line) for line in spool.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["call_sid"] == "CAsp" and lines[0]["recording_sid"] == "RE" + "5" * 32
