"""The consultant's work on a ticket: inbox, listening, corrections, notes, the answer.

Plain values in, models out; every change is audited and committed here. Nothing here knows
about Flask requests: the views check the form and call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select

from core import clock, phones, service
from core.extensions import db
from core.models import AuditEvent, Organization, User
from tickets import callback_port
from tickets import service as tickets
from tickets.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    DeclineReason,
    Recording,
    Ticket,
    TicketStatus,
    Transcript,
)

INBOX_TABS = ("new", "in_progress", "overdue", "closed")
SUGGESTION_FIELDS = ("phone", "class", "topic")
LOW_CONFIDENCE = 0.6  # as transcription.extract marks words for the consultant


@dataclass(frozen=True)
class Actor:
    """Who does it: a username for the audit log and the user's id."""

    username: str
    user_id: int | None = None

    def audit(self) -> dict:
        return {"actor": self.username, "user_id": self.user_id}


@dataclass(frozen=True)
class Word:
    text: str
    low: bool


# --- the inbox -------------------------------------------------------------------------------


def _tab_query(org_id: int, tab: str, now: datetime, assignee_id: int | None = None) -> Select:
    query = select(Ticket).where(Ticket.organization_id == org_id)
    if assignee_id is not None:
        query = query.where(Ticket.assignee_id == assignee_id)
    if tab == "new":
        return query.where(Ticket.status == TicketStatus.NEW)
    if tab == "in_progress":
        return query.where(Ticket.status.in_((TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED)))
    if tab == "overdue":
        return query.where(Ticket.status.in_(OPEN_STATUSES), Ticket.sla_due_at < now)
    return query.where(Ticket.status.not_in(OPEN_STATUSES))


def inbox(org_id: int, tab: str, *, now: datetime | None = None, limit: int = 50,
          offset: int = 0, assignee_id: int | None = None) -> list[Ticket]:
    """One page of a tab's tickets: open ones by due instant, closed ones latest first.

    With ``assignee_id``, only that person's tickets («мои»)."""
    now = now or clock.now()
    query = _tab_query(org_id, tab, now, assignee_id)
    if tab == "closed":
        query = query.order_by(Ticket.closed_at.desc(), Ticket.id.desc())
    else:
        query = query.order_by(Ticket.sla_due_at.is_(None), Ticket.sla_due_at, Ticket.id)
    return list(db.session.scalars(query.offset(offset).limit(limit)))


def inbox_counts(org_id: int, *, now: datetime | None = None,
                 assignee_id: int | None = None) -> dict[str, int]:
    now = now or clock.now()
    return {
        tab: db.session.scalar(
            select(func.count()).select_from(
                _tab_query(org_id, tab, now, assignee_id).subquery())
        ) or 0
        for tab in INBOX_TABS
    }


def latest_transcript(ticket: Ticket) -> Transcript | None:
    """The transcript of the ticket's latest recording that has one."""
    return db.session.scalar(
        select(Transcript).where(Transcript.ticket_id == ticket.id)
        .order_by(Transcript.id.desc()).limit(1)
    )


def transcripts_for(ticket_ids: list[int]) -> dict[int, Transcript]:
    """The latest transcript of each ticket (for the inbox's «first words» column)."""
    if not ticket_ids:
        return {}
    found: dict[int, Transcript] = {}
    for transcript in db.session.scalars(
        select(Transcript).where(Transcript.ticket_id.in_(ticket_ids)).order_by(Transcript.id)
    ):
        found[transcript.ticket_id] = transcript
    return found


def shown_text(transcript: Transcript | None) -> str:
    """The text a person reads: the correction if there is one, else the recognizer's."""
    if transcript is None:
        return ""
    return transcript.corrected_text or transcript.text or ""


def marked_words(transcript: Transcript, threshold: float = LOW_CONFIDENCE) -> list[Word]:
    """The recognizer's words, each flagged when its confidence is under the threshold."""
    if transcript.words:
        return [
            Word(str(w.get("word", "")), float(w.get("conf", 1.0)) < threshold)
            for w in transcript.words
        ]
    return [Word(word, False) for word in (transcript.text or "").split()]


# --- changes ---------------------------------------------------------------------------------


def take(ticket: Ticket, who: Actor) -> Ticket:
    """The consultant starts working on a new ticket."""
    if ticket.status != TicketStatus.NEW:
        raise tickets.TicketError(f"a {ticket.status} ticket cannot be taken")
    return tickets.transition(ticket, TicketStatus.IN_PROGRESS, assignee_id=who.user_id,
                              **who.audit())


def assign(ticket: Ticket, user: User | None, who: Actor) -> Ticket:
    """Give the ticket to a colleague of the same school (None: nobody's)."""
    if user is not None and (user.organization_id != ticket.organization_id or not user.active):
        raise ValueError("not a colleague at this organization")
    previous = ticket.assignee_id
    ticket.assignee_id = user.id if user is not None else None
    service.audit("ticket.assigned", "ticket", ticket.id, organization_id=ticket.organization_id,
                  assignee_id=ticket.assignee_id, previous=previous, **who.audit())
    _touch(ticket)
    db.session.commit()
    return ticket


def record_listen(recording: Recording, who: Actor, *, range_header: str | None) -> AuditEvent:
    """Write a listen of a recording to the audit log (personal data: every access counts)."""
    event = service.audit(
        "recording.listen", "ticket", recording.ticket_id,
        organization_id=recording.organization_id, recording_id=recording.id,
        range=range_header, **who.audit(),
    )
    db.session.commit()
    return event


def correct_transcript(transcript: Transcript, text: str, who: Actor) -> Transcript:
    """Keep the consultant's correction beside the recognizer's text; suggest from it anew."""
    previous = transcript.corrected_text
    transcript.corrected_text = text
    transcript.corrected_by_id = who.user_id
    transcript.corrected_at = clock.now()
    ticket = db.session.get(Ticket, transcript.ticket_id)
    service.audit(
        "transcript.corrected", "ticket", transcript.ticket_id,
        organization_id=ticket.organization_id if ticket else None,
        transcript_id=transcript.id, had_correction=previous is not None, **who.audit(),
    )
    _touch(ticket)
    db.session.commit()
    if ticket is not None and transcript.id == _latest_transcript_id(ticket):
        tickets.suggest(ticket, text)  # the person's text: no word confidences any more
    return transcript


def _latest_transcript_id(ticket: Ticket) -> int | None:
    latest = latest_transcript(ticket)
    return latest.id if latest is not None else None


def accept_suggestion(ticket: Ticket, field: str, who: Actor) -> str:
    """Take the transcript's suggestion for a field (number, class, topic); return the value."""
    value = (ticket.suggestions or {}).get(field)
    if field not in SUGGESTION_FIELDS or not value:
        raise ValueError(f"no suggestion for {field!r}")
    value = str(value)
    if field == "phone":
        e164 = phones.normalize(value)
        if e164 is None:
            raise ValueError("the suggested number is not valid")
        previous, ticket.callback_number, value = ticket.callback_number, e164, e164
    elif field == "class":
        previous, ticket.student_class = ticket.student_class, value[:8]
    else:
        org = db.session.get_one(Organization, ticket.organization_id)
        if value not in {t.code for t in org.topics}:
            raise ValueError(f"unknown topic {value!r}")
        previous, ticket.topic = ticket.topic, value
    service.audit(
        "ticket.suggestion_accepted", "ticket", ticket.id,
        organization_id=ticket.organization_id, field=field, value=value, previous=previous,
        **who.audit(),
    )
    _touch(ticket)
    db.session.commit()
    return value


def add_note(ticket: Ticket, text: str, who: Actor) -> AuditEvent:
    """A note for colleagues; notes live in the ticket's history, never edited."""
    event = service.audit("ticket.note", "ticket", ticket.id,
                          organization_id=ticket.organization_id, **who.audit())
    event.note = text
    _touch(ticket)
    db.session.commit()
    return event


def notes(ticket: Ticket) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "ticket", AuditEvent.object_id == ticket.id,
            AuditEvent.action == "ticket.note",
        ).order_by(AuditEvent.at, AuditEvent.id)
    ))


def resolve(ticket: Ticket, reply: str, who: Actor) -> Ticket:
    """The consultant answered: the reply is kept and the ticket is resolved."""
    _must_be_open(ticket)
    return tickets.transition(ticket, TicketStatus.RESOLVED, resolution=reply,
                              decline_reason=None, **who.audit())


def escalate(ticket: Ticket, reference: str, told: str, who: Actor) -> Ticket:
    """A non-standard situation: passed to the vendor's support, with their reference."""
    if ticket.status == TicketStatus.ESCALATED or (
        TicketStatus.ESCALATED not in TRANSITIONS[ticket.status]
    ):
        raise tickets.TicketError(f"a {ticket.status} ticket cannot be escalated")
    event = service.audit("ticket.escalated", "ticket", ticket.id,
                          organization_id=ticket.organization_id, reference=reference,
                          **who.audit())
    event.note = told
    return tickets.transition(ticket, TicketStatus.ESCALATED, vendor_reference=reference,
                              **who.audit())


def decline(ticket: Ticket, reason: DeclineReason, comment: str, who: Actor) -> Ticket:
    """Decline on one of the regulations' grounds."""
    _must_be_open(ticket)
    return tickets.transition(ticket, TicketStatus.DECLINED, decline_reason=reason,
                              resolution=comment or None, **who.audit())


def reopen(ticket: Ticket, who: Actor) -> Ticket:
    """A closed ticket is worked on again."""
    if ticket.is_open:
        raise tickets.TicketError(f"a {ticket.status} ticket is open already")
    return tickets.transition(ticket, TicketStatus.IN_PROGRESS, **who.audit())


def history(ticket: Ticket) -> list[AuditEvent]:
    """Everything that happened to the ticket, oldest first (sign-in events excluded)."""
    return list(db.session.scalars(
        select(AuditEvent).where(
            or_(
                and_(AuditEvent.object_type == "ticket", AuditEvent.object_id == ticket.id),
                and_(AuditEvent.object_type == "callback",
                     AuditEvent.object_id.in_(callback_port.reader().ids(ticket.id))),
            )
        ).order_by(AuditEvent.at, AuditEvent.id)
    ))


def _must_be_open(ticket: Ticket) -> None:
    if not ticket.is_open:
        raise tickets.TicketError(f"a {ticket.status} ticket is closed")


def _touch(ticket: Ticket | None) -> None:
    if ticket is not None:
        ticket.updated_at = clock.now()
