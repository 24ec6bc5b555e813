"""Tickets: open them (idempotently), attach recordings and transcripts, move them along."""

from __future__ import annotations

import fcntl
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import clock, phones, service, telephony, worktime
from core.extensions import db
from core.models import Organization, OrganizationPhone, User
from tickets import signals
from tickets.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Call,
    Channel,
    Recording,
    Ticket,
    TicketStatus,
    TranscriptionState,
)
from transcription.extract import extract

log = logging.getLogger(__name__)

# Twilio keeps silent recordings; under this many seconds there is no message worth a listen.
MIN_MESSAGE_SECONDS = 2
TRAINING = ("staff", "training")
# A ticket in one of these needs no callback any more: answered, declined, or passed on.
ENDS_CALLBACKS = frozenset({TicketStatus.RESOLVED, TicketStatus.DECLINED, TicketStatus.ESCALATED})


class TicketError(ValueError):
    """A change the ticket's lifecycle does not allow."""


# --- calls -------------------------------------------------------------------------------


def record_call(
    call_sid: str,
    *,
    org: Organization | None,
    from_number: str | None,
    to_number: str | None,
    direction: str = "inbound",
    known_new: bool = False,
) -> Call:
    """Return the Call for this CallSid, creating it on the first webhook (``known_new``:
    the caller has just looked for it and found none)."""
    if not known_new:
        call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
        if call is not None:
            return call
    call = Call(
        call_sid=call_sid,
        organization_id=org.id if org else None,
        from_number=from_number,
        to_number=to_number,
        direction=direction,
        state={},
    )
    db.session.add(call)
    try:
        db.session.commit()
    except IntegrityError:  # the same webhook delivered twice at once
        db.session.rollback()
        call = db.session.scalars(select(Call).where(Call.call_sid == call_sid)).one()
    return call


def call_context(
    call_sid: str,
    *,
    to_number: str | None,
    from_number: str | None,
    direction: str = "inbound",
) -> tuple[Organization | None, Call]:
    """The school reached on ``to_number`` (E.164) and the Call for this CallSid, in one
    query; the Call is created on the first webhook (record_call)."""
    org, call, _ticket = _context(call_sid, to_number=to_number, from_number=from_number,
                                  direction=direction, with_ticket=False)
    return org, call


def call_context_with_ticket(
    call_sid: str,
    *,
    to_number: str | None,
    from_number: str | None,
    direction: str = "inbound",
) -> tuple[Organization | None, Call, Ticket | None]:
    """call_context, and the call's ticket as find_by_call finds it, in the same query (the
    record action needs all three); no ticket when no school owns the number."""
    return _context(call_sid, to_number=to_number, from_number=from_number,
                    direction=direction, with_ticket=True)


def _context(call_sid: str, *, to_number: str | None, from_number: str | None,
             direction: str, with_ticket: bool
             ) -> tuple[Organization | None, Call, Ticket | None]:
    org = call = ticket = None
    if to_number is not None:
        query = (
            select(Organization, Call)
            .join(OrganizationPhone, OrganizationPhone.organization_id == Organization.id)
            .outerjoin(Call, Call.call_sid == call_sid)
            .where(OrganizationPhone.number == to_number)
        )
        if with_ticket:
            # The ticket the call opened, else the one it added a message to: own first.
            query = (query.add_columns(Ticket)
                     .outerjoin(Ticket, or_(Ticket.call_sid == call_sid,
                                            Ticket.id == Call.ticket_id))
                     .order_by(case((Ticket.call_sid == call_sid, 0), else_=1)))
        row = db.session.execute(query.limit(1)).first()
        if row is not None:
            values: tuple[Any, ...] = tuple(row)
            org, call = values[0], values[1]
            ticket = values[2] if with_ticket else None
    if call is None:  # the first webhook of this call
        call = record_call(call_sid, org=org, from_number=from_number, to_number=to_number,
                           direction=direction, known_new=org is not None)
    return org, call, ticket


def get_call(call_sid: str) -> Call | None:
    return db.session.scalar(select(Call).where(Call.call_sid == call_sid))


def update_call(call: Call, *, commit: bool = True, **fields: Any) -> Call:
    """Set fields on the call (role, topic, outcome, state...) and commit.

    ``commit=False`` leaves them to the step's one commit that follows in the same request
    (a webhook step commits once: each commit is a round trip, and reloads what it expired).
    """
    for name, value in fields.items():
        setattr(call, name, value)
    if commit:
        db.session.commit()
    return call


def set_call_state(call: Call, *, commit: bool = True, **values: Any) -> None:
    """Merge values into the call's IVR memory (attempt counters, a number being typed);
    ``commit=False`` as for update_call."""
    call.state = {**(call.state or {}), **values}
    if commit:
        db.session.commit()


def finish_call(call_sid: str, status: str, duration: int | None) -> Call | None:
    """Apply Twilio's call status callback; a repeated or late callback changes nothing."""
    call = get_call(call_sid)
    if call is None:
        return None
    if call.ended_at is None or call.status != status:
        call.status = status
        if duration is not None:
            call.duration = duration
        if status in ("completed", "busy", "failed", "no-answer", "canceled"):
            call.ended_at = call.ended_at or clock.now()
            if call.outcome is None:
                call.outcome = "abandoned"
        db.session.commit()
    return call


# --- calls taken live ----------------------------------------------------------------------


def take_live_call(org: Organization, call: Call, *, user_id: int | None) -> Ticket:
    """A consultant answered the caller: the call gets its ticket, in progress, theirs.

    Idempotent on the caller's CallSid (Twilio retries; several phones may ring). The ticket
    needs no callback: the consultant records its outcome on the ticket page."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is not None and user.organization_id != org.id:
        user = None
    ticket = find_by_call(call.call_sid)
    first = ticket is None
    if ticket is None:
        ticket = open_ticket(org=org, call_sid=call.call_sid, caller_number=call.from_number,
                             role=call.role, topic=call.topic, channel=Channel.PHONE)
    state = call.state or {}
    if user is not None and not state.get("answered_by"):
        call.state = {**state, "answered_by": user.id,
                      "answered_at": clock.now().isoformat(timespec="seconds")}
        if ticket.assignee_id is None:
            ticket.assignee_id = user.id
    call.outcome = "live"
    if first:
        ticket.needs_callback = False
        ticket.status = TicketStatus.IN_PROGRESS
        service.audit("call.answered", "ticket", ticket.id, organization_id=org.id,
                      actor=user.username if user else "twilio",
                      user_id=user.id if user else None)
    db.session.commit()
    return ticket


def finish_live_call(org: Organization, call: Call, *, talk_seconds: int | None) -> Ticket:
    """The consultant and the caller hung up: how long they talked goes on the record."""
    ticket = take_live_call(org, call, user_id=None)
    state = call.state or {}
    if "talk_seconds" not in state:
        call.state = {**state, "talk_seconds": talk_seconds}
        service.audit("call.ended", "ticket", ticket.id, organization_id=org.id,
                      actor="twilio", user_id=state.get("answered_by"), seconds=talk_seconds)
        db.session.commit()
    return ticket


def calls_of(ticket_ids: list[int]) -> dict[int, list[Call]]:
    """The calls of each ticket (oldest first), in one query."""
    found: dict[int, list[Call]] = {i: [] for i in ticket_ids}
    if ticket_ids:
        for call in db.session.scalars(
            select(Call).where(Call.ticket_id.in_(ticket_ids)).order_by(Call.started_at, Call.id)
        ):
            if call.ticket_id is not None:  # always: the query asks for these tickets
                found[call.ticket_id].append(call)
    return found


# --- tickets -----------------------------------------------------------------------------


def _next_number(org_id: int) -> int:
    """Bump the organization's ticket counter atomically (row lock on PostgreSQL)."""
    return db.session.execute(
        update(Organization)
        .where(Organization.id == org_id)
        .values(ticket_seq=Organization.ticket_seq + 1)
        .returning(Organization.ticket_seq)
    ).scalar_one()


def due_for(org: Organization, role: str | None, topic: str | None, at: datetime) -> datetime:
    """The SLA due instant: N working days, or the training deadline for a new employee."""
    days = org.training_deadline_days if (role, topic) == TRAINING else org.sla_working_days
    return worktime.due_instant(service.calendar_for(org), at, days, org.timezone)


def open_ticket(
    *,
    org: Organization,
    call_sid: str,
    caller_number: str | None,
    role: str | None,
    topic: str | None,
    channel: Channel = Channel.VOICEMAIL,
    callback_number: str | None = None,
) -> Ticket:
    """Create the ticket for this call, or return the one already created (Twilio retries)."""
    draft = draft_ticket(org=org, call_sid=call_sid, caller_number=caller_number, role=role,
                         topic=topic, channel=channel, callback_number=callback_number)
    ticket, created = start_ticket(draft, org=org, call=get_call(call_sid))
    if created:
        db.session.commit()
    return ticket


def draft_ticket(
    *,
    org: Organization,
    call_sid: str,
    caller_number: str | None,
    role: str | None,
    topic: str | None,
    channel: Channel = Channel.VOICEMAIL,
    callback_number: str | None = None,
) -> Ticket:
    """The ticket this call would open, not stored and without its number yet (its callback
    can be placed from it before the ticket takes the organization's lock)."""
    now = clock.now()
    return Ticket(
        organization_id=org.id,
        call_sid=call_sid,
        caller_number=caller_number,
        callback_number=callback_number or caller_number,
        role=role,
        topic=topic,
        channel=channel,
        sla_due_at=due_for(org, role, topic, now),
        created_at=now,
        suggestions={},
    )


def start_ticket(draft: Ticket, *, org: Organization, call: Call | None = None,
                 checked: bool = False) -> tuple[Ticket, bool]:
    """Store a drafted ticket, unless the call has one already: (the ticket, created now).

    A created ticket is flushed (it has its id and number) and left to the caller's commit,
    so that the record action writes the ticket and its planned callback in one transaction.
    Drawing the number locks the organization's row until that commit (on SQLite: the
    database's write lock). ``checked``: the caller has just looked for the call's ticket
    (find_by_call) and found none; ``call``: the Call to link, when the caller has it.
    """
    call_sid = draft.call_sid or ""  # drafts always have one (draft_ticket)
    ticket = None if checked else find_by_call(call_sid)
    if ticket is not None:
        return ticket, False
    draft.number = _next_number(org.id)
    db.session.add(draft)
    try:
        db.session.flush()
    except IntegrityError:  # a concurrent retry created it first
        db.session.rollback()
        existing = find_by_call(call_sid)
        if existing is None:
            raise
        return existing, False
    if call is not None:
        call.ticket_id = draft.id
    service.audit_on_commit(
        "ticket.opened", "ticket", draft, organization_id=org.id, actor="twilio",
        number=draft.number, channel=str(draft.channel),
    )
    log.info("ticket %s/%s opened from call %s", org.id, draft.number, draft.call_sid)
    return draft, True


def find_by_call(call_sid: str) -> Ticket | None:
    """The ticket a call opened, or else the one it added a message to (one query)."""
    linked = select(Call.ticket_id).where(Call.call_sid == call_sid).scalar_subquery()
    return db.session.scalar(
        select(Ticket)
        .where(or_(Ticket.call_sid == call_sid, Ticket.id == linked))
        .order_by(case((Ticket.call_sid == call_sid, 0), else_=1))
        .limit(1)
    )


def find_open_for_caller(org: Organization, caller_number: str | None) -> Ticket | None:
    """The caller's most recent open ticket at this organization, if any."""
    if not caller_number:
        return None
    return db.session.scalar(
        select(Ticket)
        .where(
            Ticket.organization_id == org.id,
            Ticket.caller_number == caller_number,
            Ticket.status.in_(OPEN_STATUSES),
        )
        .order_by(Ticket.created_at.desc())
        .limit(1)
    )


def link_call(call: Call, ticket: Ticket) -> None:
    """Attach a later call (a repeat caller's new message) to an existing ticket."""
    call.ticket_id = ticket.id
    db.session.commit()


def set_callback_number(ticket: Ticket, number: str) -> Ticket:
    e164 = phones.normalize(number)
    if e164 is None:
        raise TicketError("not a valid phone number")
    ticket.callback_number = e164
    service.audit(
        "ticket.callback_number", "ticket", ticket.id, organization_id=ticket.organization_id,
        actor="twilio",
    )
    db.session.commit()
    return ticket


def get(org_id: int, ticket_id: int) -> Ticket | None:
    """The ticket with this id if it belongs to the organization."""
    ticket = db.session.get(Ticket, ticket_id)
    return ticket if ticket is not None and ticket.organization_id == org_id else None


def transition(
    ticket: Ticket, status: TicketStatus, *, actor: str = "system", user_id: int | None = None,
    **fields: Any,
) -> Ticket:
    """Move the ticket to a new status if the lifecycle allows it."""
    if status != ticket.status and status not in TRANSITIONS[ticket.status]:
        raise TicketError(f"a {ticket.status} ticket cannot become {status}")
    previous = ticket.status
    ticket.status = status
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.closed_at = clock.now() if status not in OPEN_STATUSES else None
    service.audit(
        "ticket.status", "ticket", ticket.id, organization_id=ticket.organization_id,
        actor=actor, user_id=user_id, previous=str(previous), status=str(status),
    )
    db.session.commit()
    if status in ENDS_CALLBACKS:
        signals.ticket_closed.send(ticket, status=status, actor=actor, user_id=user_id)
    return ticket


def suggest(ticket: Ticket, text: str, *, words: list[dict] | None = None) -> dict[str, Any]:
    """Re-compute the ticket's suggestions (number, class, topic) from this text; commit.

    Called with the recognizer's text and word confidences when a transcript arrives, and
    with the consultant's correction (no confidences then) when it is corrected: what the
    text no longer says is no longer suggested. They sit beside the caller's own menu
    choices and never overwrite them.
    """
    org = db.session.get_one(Organization, ticket.organization_id)
    facts = extract(text or "", service.topic_keywords(org), words=words)
    kept = {k: v for k, v in (ticket.suggestions or {}).items()
            if k not in ("phone", "class", "topic", "abusive", "low_confidence", "phone_differs")}
    # The number keyed in during the call (or the caller ID) is exact; a different number in
    # the transcript is only a hint for the consultant to confirm.
    current = ticket.callback_number or ticket.caller_number
    ticket.suggestions = {**kept, **facts.as_dict(), "low_confidence": list(facts.low_confidence),
                          "phone_differs": bool(facts.phone and current and facts.phone != current)}
    db.session.commit()
    return ticket.suggestions


# --- recordings --------------------------------------------------------------------------


def attach_recording(
    *,
    call_sid: str,
    recording_sid: str,
    url: str | None,
    status: str,
    duration: int | None,
    data_dir: str | None = None,
) -> Recording | None:
    """Apply Twilio's recording status callback. Idempotent on RecordingSid.

    A completed recording of at least MIN_MESSAGE_SECONDS waits for transcription. An absent,
    failed or too short one leaves the ticket as a missed call: we call back all the same.
    """
    recording = db.session.scalar(select(Recording).where(Recording.recording_sid == recording_sid))
    if recording is not None:
        return recording
    ticket = find_by_call(call_sid) or _ticket_for_orphan(call_sid, url, recording_sid, data_dir)
    if ticket is None:
        log.warning("recording %s for unknown call %s", recording_sid, call_sid)
        return None
    if status == "completed" and (duration or 0) >= MIN_MESSAGE_SECONDS:
        state = TranscriptionState.WAITING
    elif status == "completed":
        state = TranscriptionState.TOO_SHORT
    else:
        state = TranscriptionState.FAILED
    recording = Recording(
        organization_id=ticket.organization_id,
        ticket_id=ticket.id,
        call_sid=call_sid,
        recording_sid=recording_sid,
        remote_url=url,
        duration=duration,
        state=state,
        next_attempt_at=None,  # due at once
        last_error=None if state != TranscriptionState.FAILED else f"Twilio: {status}",
    )
    db.session.add(recording)
    if state != TranscriptionState.WAITING and not _has_message(ticket):
        ticket.channel = Channel.MISSED_CALL
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(
            select(Recording).where(Recording.recording_sid == recording_sid)
        )
    return recording


def _ticket_for_orphan(call_sid: str, url: str | None, recording_sid: str,
                       data_dir: str | None) -> Ticket | None:
    """A recording whose call has no ticket yet: the status callback came first, or the
    <Record> action failed. Open the ticket now so the message is never dropped."""
    call = get_call(call_sid)
    if call is None or call.organization_id is None:
        if data_dir:
            store_minimal(data_dir=data_dir, call_sid=call_sid, to_number=None,
                          from_number=None, recording_url=url, recording_sid=recording_sid)
        return None
    org = db.session.get_one(Organization, call.organization_id)
    try:
        return open_ticket(
            org=org, call_sid=call_sid, caller_number=call.from_number, role=call.role,
            topic=call.topic, callback_number=(call.state or {}).get("callback_number"),
        )
    except Exception:
        log.exception("ticket for recording %s failed; keeping a minimal one", recording_sid)
        return store_minimal(data_dir=data_dir or ".", call_sid=call_sid,
                             to_number=call.to_number, from_number=call.from_number,
                             recording_url=url, recording_sid=recording_sid)


def _has_message(ticket: Ticket) -> bool:
    return any(
        r.state not in (TranscriptionState.TOO_SHORT, TranscriptionState.FAILED)
        for r in ticket.recordings
    )


# --- the last line of defence --------------------------------------------------------------


def store_minimal(
    *, data_dir: str, call_sid: str, to_number: str | None, from_number: str | None,
    recording_url: str | None, recording_sid: str | None = None,
) -> Ticket | None:
    """Keep a message when the normal path failed: a bare ticket, or a line in the spool.

    Called from the IVR's fallback after an exception. It avoids everything the normal path
    does (menus, planning, audit) and if even the database refuses, appends the message to
    a JSON-lines spool file that `import_spool` replays.
    """
    try:
        db.session.rollback()
        org = service.find_by_number(to_number)
        existing = find_by_call(call_sid)
        if existing is not None:
            return existing
        if org is not None:
            caller = phones.normalize(from_number)
            ticket = Ticket(
                organization_id=org.id,
                number=_next_number(org.id),
                call_sid=call_sid,
                caller_number=caller,
                callback_number=caller,
                channel=Channel.VOICEMAIL if recording_url else Channel.MISSED_CALL,
                created_at=clock.now(),
                sla_due_at=clock.now() + timedelta(days=2),
                suggestions={"fallback": True},
            )
            db.session.add(ticket)
            db.session.commit()
            return ticket
    except Exception:
        db.session.rollback()
        log.exception("fallback ticket for call %s could not be stored; spooling it", call_sid)
    _spool_append(data_dir, {
        "kind": "message", "call_sid": call_sid, "to": to_number, "from": from_number,
        "recording_url": recording_url, "recording_sid": recording_sid,
        "at": clock.now().isoformat(),
    })
    return None


# --- the spool: what the database refused, kept on disk until it takes it -----------------

SPOOL = "spool.jsonl"
_SPOOL_LOCK = "spool.lock"
_SPOOL_TAKEN = "spool.importing.jsonl"


@contextmanager
def _spool_locked(data_dir: str):
    """An exclusive lock between the processes writing and replaying the spool."""
    directory = Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / _SPOOL_LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield directory
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _spool_append(data_dir: str, record: dict) -> None:
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _spool_locked(data_dir) as directory, (directory / SPOOL).open("a",
                                                                          encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def spool_recording(data_dir: str, *, call_sid: str, recording_sid: str, url: str | None,
                    status: str, duration: int | None) -> None:
    """Keep a recording status callback the database refused; `import_spool` attaches it."""
    _spool_append(data_dir, {
        "kind": "recording", "call_sid": call_sid, "recording_sid": recording_sid,
        "recording_url": url, "status": status, "duration": duration,
        "at": clock.now().isoformat(),
    })
    log.warning("recording %s of call %s spooled", recording_sid, call_sid)


@dataclass
class SpoolResult:
    imported: int = 0  # records now in the database (new or found there already)
    kept: int = 0  # records the database still refused: left in the spool for next time
    dropped: int = 0  # unreadable lines (logged)
    tickets: list[int] = field(default_factory=list)  # tickets the replay made or found


def import_spool(data_dir: str) -> SpoolResult:
    """Replay the spool into the database: fallback messages and recording callbacks.

    The scheduler runs this every minute. Each record is applied idempotently (CallSid,
    RecordingSid), so a record replayed twice, or one Twilio also retried, makes one ticket.
    A record the database still refuses goes back into the spool.
    """
    result = SpoolResult()
    with _spool_locked(data_dir) as directory:
        spool, taken = directory / SPOOL, directory / _SPOOL_TAKEN
        if spool.exists():
            # Records left by an import that died half-way come first.
            with taken.open("a", encoding="utf-8") as out:
                out.write(spool.read_text(encoding="utf-8"))
            spool.unlink()
    if not taken.exists():
        return result
    again: list[str] = []
    for line in taken.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            log.error("spool: unreadable line dropped: %.80r", line)
            result.dropped += 1
            continue
        try:
            ticket = _replay(record, data_dir)
        except Exception:
            db.session.rollback()
            log.exception("spool: call %s not imported yet", record.get("call_sid"))
            again.append(line)
            continue
        if ticket is None and record.get("kind") == "recording":
            again.append(line)  # its call is unknown yet: keep it (bounded by age below)
            continue
        result.imported += 1
        if ticket is not None:
            result.tickets.append(ticket.id)
    again = [line for line in again if not _too_old(line)]
    result.kept = len(again)
    with _spool_locked(data_dir) as directory:
        if again:
            with (directory / SPOOL).open("a", encoding="utf-8") as fh:
                fh.write("".join(line + "\n" for line in again))
        taken.unlink(missing_ok=True)
    if result.imported or result.kept:
        log.info("spool: %s imported, %s kept for later", result.imported, result.kept)
    return result


SPOOL_MAX_AGE = timedelta(days=14)


def _too_old(line: str) -> bool:
    """A recording whose call never became known (not ours) is given up after two weeks."""
    try:
        record = json.loads(line)
        at = datetime.fromisoformat(record["at"])
    except (ValueError, KeyError, TypeError):
        return False
    old = record.get("kind") == "recording" and clock.now() - at > SPOOL_MAX_AGE
    if old:
        log.error("spool: recording %s of an unknown call given up", record.get("recording_sid"))
    return old


def _replay(record: dict, data_dir: str) -> Ticket | None:
    call_sid = str(record.get("call_sid") or "")[:64] or "unknown"
    sid = record.get("recording_sid")
    sid = sid if telephony.valid_recording_sid(sid) else None
    if record.get("kind") == "recording":
        if sid is None:
            return None
        recording = attach_recording(
            call_sid=call_sid, recording_sid=sid, url=record.get("recording_url"),
            status=str(record.get("status") or "completed"),
            duration=record.get("duration") if isinstance(record.get("duration"), int) else None,
            data_dir=None,  # already in the spool: do not spool it again from here
        )
        return db.session.get(Ticket, recording.ticket_id) if recording else None
    ticket = find_by_call(call_sid)
    if ticket is None:
        org = service.find_by_number(record.get("to"))
        if org is None:
            call = get_call(call_sid)
            org = db.session.get(Organization, call.organization_id) if call and \
                call.organization_id else None
        if org is None:
            log.error("spool: message of call %s to an unknown number dropped", call_sid)
            return None
        caller = phones.normalize(record.get("from"))
        ticket = open_ticket(org=org, call_sid=call_sid, caller_number=caller, role=None,
                             topic=None, channel=Channel.VOICEMAIL if record.get(
                                 "recording_url") else Channel.MISSED_CALL)
        ticket.suggestions = {**(ticket.suggestions or {}), "fallback": True}
        db.session.commit()
    if sid is not None and record.get("recording_url"):
        attach_recording(call_sid=call_sid, recording_sid=sid, url=record["recording_url"],
                         status="completed", duration=None, data_dir=None)
    return ticket
