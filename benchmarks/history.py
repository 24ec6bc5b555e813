"""A school's history in bulk: tickets, voice messages, transcripts, callbacks, audit events.

Used by the query-count tests (tests/flows/test_page_queries.py) and benchmarks/pages.py.
Rows are inserted with executemany, so 10,000 tickets take seconds, not minutes.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from callbacks import planner, service
from callbacks.models import Callback, CallbackOutcome, CallbackStatus
from core import settings
from core.extensions import db
from core.models import AuditEvent, Organization, User
from tickets.models import Channel, Recording, Ticket, TicketStatus, Transcript, TranscriptionState

_serial = itertools.count(1)
TEXT = "здравствуйте не могу войти в журнал сын учится в пятом б классе перезвоните пожалуйста"


def seed(org: Organization, count: int, now: datetime) -> list[int]:
    """count tickets of the organization spread over the last 60 days, each in some state of
    its life: new with a callback due, overdue, later today, being called, closed today or
    before. Returns the ticket ids."""
    operator = db.session.scalar(
        select(User.id).where(User.organization_id == org.id).order_by(User.id).limit(1))
    start = max(db.session.scalar(select(Organization.ticket_seq).where(
        Organization.id == org.id)) or 0, db.session.scalar(select(func.max(Ticket.number)).where(
        Ticket.organization_id == org.id)) or 0)
    rows, plans = [], []
    for i in range(count):
        n = next(_serial)
        kind = i % 10
        created = now - timedelta(days=(i * 7) % 60, minutes=i % 600)
        status = (TicketStatus.NEW if kind < 4 else TicketStatus.IN_PROGRESS if kind < 6
                  else TicketStatus.RESOLVED)
        due = now + timedelta(hours=4) if kind != 3 else now - timedelta(hours=2)
        rows.append({
            "organization_id": org.id, "number": start + i + 1, "call_sid": f"CAhist{n:026d}",
            "caller_number": f"+7905{n:07d}", "callback_number": f"+7905{n:07d}",
            "role": "parent", "topic": "grades", "channel": Channel.VOICEMAIL,
            "status": status, "sla_due_at": due, "created_at": created, "updated_at": created,
            "closed_at": now - timedelta(hours=i % 30) if status == TicketStatus.RESOLVED
            else None,
        })
        if kind < 2:  # due now
            plans.append((CallbackStatus.PLANNED, now - timedelta(minutes=i % 10), None))
        elif kind == 2:  # later today
            plans.append((CallbackStatus.PLANNED, now + timedelta(minutes=30 + i % 60), None))
        elif kind == 3:  # overdue
            plans.append((CallbackStatus.PLANNED, now - timedelta(hours=3), None))
        elif kind == 4:  # being called
            plans.append((CallbackStatus.DIALING, now - timedelta(minutes=1), None))
        elif kind == 5:  # waiting for tomorrow
            plans.append((CallbackStatus.PLANNED, now + timedelta(days=1), None))
        else:  # done, today or before
            plans.append((CallbackStatus.DONE, now - timedelta(hours=i % 30),
                          now - timedelta(hours=i % 30)))
    ids = db.session.scalars(
        insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), rows).all()
    db.session.execute(update(Organization).where(Organization.id == org.id)
                       .values(ticket_seq=start + count))
    recordings = db.session.scalars(
        insert(Recording).returning(Recording.id, sort_by_parameter_order=True),
        [{"organization_id": org.id, "ticket_id": tid, "call_sid": row["call_sid"],
          "recording_sid": "RE" + row["call_sid"][2:], "duration": 9,
          "state": TranscriptionState.DONE, "created_at": row["created_at"]}
         for tid, row in zip(ids, rows, strict=True)]).all()
    db.session.execute(insert(Transcript), [
        {"recording_id": rid, "ticket_id": tid, "text": f"{TEXT} {tid}", "words": [],
         "confidence": 0.9, "duration": 9.0, "created_at": now}
        for rid, tid in zip(recordings, ids, strict=True)])
    callbacks = db.session.scalars(
        insert(Callback).returning(Callback.id, sort_by_parameter_order=True),
        [{"organization_id": org.id, "ticket_id": tid, "phone": row["callback_number"],
          "status": status, "planned_at": planned, "operator_id": operator,
          "sla_due_at": row["sla_due_at"],
          "claimed_by_id": operator if status == CallbackStatus.DIALING else None,
          "outcome": str(CallbackOutcome.RESOLVED) if status == CallbackStatus.DONE else None,
          "closed_at": closed, "created_at": row["created_at"], "updated_at": row["created_at"]}
         for tid, row, (status, planned, closed) in zip(ids, rows, plans, strict=True)]).all()
    db.session.execute(insert(AuditEvent), [
        {"organization_id": org.id, "actor": actor, "action": action, "object_type": kind,
         "object_id": oid, "at": row["created_at"], "details": {}}
        for tid, cid, row in zip(ids, callbacks, rows, strict=True)
        for actor, action, kind, oid in (("twilio", "ticket.opened", "ticket", tid),
                                         ("system", "callback.planned", "callback", cid),
                                         ("operator", "ticket.note", "ticket", tid))])
    db.session.commit()
    return ids


def seed_waiting(org: Organization, count: int, now: datetime) -> list[datetime]:
    """count tickets of the organization, each with a planned callback in its own slot
    (older messages, due before any new one); returns the planned instants."""
    taken = db.session.execute(select(Callback.operator_id, Callback.planned_at).where(
        Callback.organization_id == org.id, Callback.planned_at.is_not(None))).all()
    plan = service._planner(org, now, settings.current().callbacks, taken)
    slots, earliest = [], now + timedelta(minutes=5)
    for key in range(count):
        slot = plan.place(planner.Request(key=key, earliest=earliest))
        assert slot is not None, "the horizon holds the seeded queue"
        slots.append(slot)
        earliest = slot.at
    due = now + timedelta(days=1)  # older messages: due before any new one
    ids = db.session.scalars(insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), [
        {"organization_id": org.id, "number": 10_000 + i,
         "call_sid": f"CAseed{i:026d}", "caller_number": f"+7903{i:07d}",
         "callback_number": f"+7903{i:07d}", "role": "parent", "topic": "grades",
         "channel": Channel.VOICEMAIL, "sla_due_at": due, "created_at": now,
         "updated_at": now}
        for i in range(count)
    ]).all()
    db.session.execute(insert(Callback), [
        {"organization_id": org.id, "ticket_id": ids[i], "phone": f"+7903{i:07d}",
         "status": CallbackStatus.PLANNED, "planned_at": s.at, "window_start": s.window_start,
         "window_end": s.window_end, "promised_at": s.at, "operator_id": s.operator_id,
         "sla_due_at": due, "created_at": now - timedelta(hours=1), "updated_at": now}
        for i, s in enumerate(slots)
    ])
    db.session.execute(update(Organization).where(Organization.id == org.id)
                       .values(ticket_seq=20_000))
    db.session.commit()
    return [s.at for s in slots]
