"""A caller's history: earlier calls, messages and tickets of the same number, with outcomes.

Read in a fixed number of queries whatever the history's length (the ticket page and the
operator's callback card both show it): tickets of the numbers, their calls and the calls
without a ticket, the latest transcript of each ticket, the people who took the calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from core.extensions import db
from core.models import User
from tickets.models import Call, Ticket, Transcript

LIMIT = 20  # entries shown; older ones are reached through search
SNIPPET_WORDS = 16


@dataclass(frozen=True)
class Entry:
    """One line of the history: a ticket (with its message) or a call without a ticket."""

    at: datetime
    ticket: Ticket | None = None
    call: Call | None = None
    words: str = ""  # the first words of the message
    taken_by: str | None = None  # who answered the call live
    talk_seconds: int | None = None


def numbers_of(ticket: Ticket, *extra: str | None) -> list[str]:
    return sorted({n for n in (ticket.caller_number, ticket.callback_number, *extra) if n})


def caller_history(ticket: Ticket, *extra_numbers: str | None, limit: int = LIMIT
                   ) -> list[Entry]:
    """Everything else the same number(s) brought to this school, newest first."""
    numbers = numbers_of(ticket, *extra_numbers)
    if not numbers:
        return []
    others = list(db.session.scalars(
        select(Ticket).where(
            Ticket.organization_id == ticket.organization_id, Ticket.id != ticket.id,
            or_(Ticket.caller_number.in_(numbers), Ticket.callback_number.in_(numbers)),
        ).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    ))
    ids = [t.id for t in others]
    calls = list(db.session.scalars(
        select(Call).where(
            Call.organization_id == ticket.organization_id,
            or_(Call.from_number.in_(numbers), Call.ticket_id.in_(ids or [-1])),
            or_(Call.ticket_id.is_(None), Call.ticket_id != ticket.id),
        ).order_by(Call.started_at.desc(), Call.id.desc()).limit(limit * 2)
    ))
    texts: dict[int, str] = {}
    if ids:
        for transcript in db.session.scalars(
            select(Transcript).where(Transcript.ticket_id.in_(ids)).order_by(Transcript.id)
        ):
            texts[transcript.ticket_id] = transcript.corrected_text or transcript.text or ""
    takers = {
        (c.state or {}).get("answered_by") for c in calls if (c.state or {}).get("answered_by")
    }
    names = {u.id: u.name for u in db.session.scalars(
        select(User).where(User.id.in_(takers)))} if takers else {}

    calls_by_ticket: dict[int, Call] = {}
    entries: list[Entry] = []
    for call in calls:
        if call.ticket_id is not None:
            calls_by_ticket.setdefault(call.ticket_id, call)
        elif call.outcome != "ringing" or call.ended_at is not None:
            entries.append(_call_entry(call, names))
    for other in others:
        first = calls_by_ticket.get(other.id)
        state = (first.state or {}) if first is not None else {}
        entries.append(Entry(
            at=other.created_at, ticket=other, call=first,
            words=" ".join(texts.get(other.id, "").split()[:SNIPPET_WORDS]),
            taken_by=_taker(names, state),
            talk_seconds=state.get("talk_seconds"),
        ))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _call_entry(call: Call, names: dict[int, str]) -> Entry:
    state = call.state or {}
    return Entry(at=call.started_at, call=call, taken_by=_taker(names, state),
                 talk_seconds=state.get("talk_seconds"))


def _taker(names: dict[int, str], state: dict) -> str | None:
    """The name of the consultant who answered the call, if one did."""
    user_id = state.get("answered_by")
    return names.get(user_id) if isinstance(user_id, int) else None
