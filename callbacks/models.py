"""Callbacks promised to callers, each attempt to reach them, and the planner's memory."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship
from sqlalchemy.orm.util import identity_key

from core import clock
from core.extensions import Base
from core.types import UTCDateTime, str_enum
from tickets.models import Ticket


class CallbackStatus(StrEnum):
    PLANNED = "planned"  # waiting for its time; with `manual` set, waiting in the operator's queue
    DIALING = "dialing"  # claimed: the system or an operator is calling now
    CONNECTED = "connected"  # the caller answered: waiting for the operator's result
    DONE = "done"  # an outcome was recorded
    UNREACHABLE = "unreachable"  # attempts exhausted: «не дозвонились»
    CANCELLED = "cancelled"  # the ticket was closed another way


ACTIVE_STATUSES = (CallbackStatus.PLANNED, CallbackStatus.DIALING, CallbackStatus.CONNECTED)
CLOSED_STATUSES = (CallbackStatus.DONE, CallbackStatus.UNREACHABLE, CallbackStatus.CANCELLED)


class CallbackOutcome(StrEnum):
    """What the operator records after a callback (the regulations' ways a request ends)."""

    RESOLVED = "resolved"
    NO_ANSWER = "no_answer"  # counts as a failed attempt: retried, or «не дозвонились»
    WRONG_NUMBER = "wrong_number"
    VENDOR_SUPPORT = "vendor_support"  # a «нештатная ситуация»: passed to the vendor's support
    DECLINED = "declined"  # with one of tickets.models.DeclineReason
    ABUSIVE = "abusive"  # insults or obscenities: help ended, the supervisor is told
    UNREACHABLE = "unreachable"  # set by the system when the attempts are exhausted
    CANCELLED = "cancelled"  # set by the system when the ticket was closed another way


class AttemptResult(StrEnum):
    """How one outbound call ended, as far as the callback is concerned."""

    CONNECTED = "connected"  # the caller answered (a person, or AMD could not tell)
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"
    MACHINE = "machine"  # an answering machine or a fax took the call
    OPERATOR_MISSED = "operator_missed"  # the operator's phone was not answered by a person
    POSTPONED = "postponed"  # the operator pressed 2
    QUEUED = "queued"  # the operator pressed 3, or chose nothing
    NOT_PLACED = "not_placed"  # the telephony refused the call
    STALE = "stale"  # no news from the telephony for too long
    TICKET_CLOSED = "ticket_closed"  # the ticket was answered or closed while the call was on


# Results that used up one of the caller's attempts.
CALLER_FAILURES = frozenset(
    {AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.FAILED, AttemptResult.CANCELED,
     AttemptResult.MACHINE}
)


class Callback(Base):
    __tablename__ = "callbacks"
    # The queue's tabs and the planner read a school's callbacks by status and time.
    __table_args__ = (
        Index("ix_callbacks_queue", "organization_id", "status", "planned_at"),
        Index("ix_callbacks_closed", "organization_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    status: Mapped[CallbackStatus] = mapped_column(
        str_enum(CallbackStatus), default=CallbackStatus.PLANNED, index=True
    )
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    preferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first time told to the caller («после 9 часов»): plans never move before it.
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The next attempt comes no sooner (retry spacing, an operator who missed the ring).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Put at an exact time by an operator (postponed): the planner leaves it there.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Waits in the operator's queue instead of ringing the operator automatically.
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The ticket's SLA due instant (fixed when the ticket opens), copied on insert: the
    # planner ranks waiting callbacks by it without joining their tickets.
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Given to this colleague by hand: the planner keeps them as the callback's operator.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # calls that did not reach the caller
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    operator_misses: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(32))  # a CallbackOutcome
    note: Mapped[str | None] = mapped_column(Text)
    # SMS after the attempts are exhausted: None, pending, sending, sent, failed.
    sms_status: Mapped[str | None] = mapped_column(String(16))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=clock.now, onupdate=clock.now
    )

    ticket: Mapped[Ticket] = relationship()
    attempts_log: Mapped[list[CallbackAttempt]] = relationship(
        back_populates="callback", order_by="CallbackAttempt.id"
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@event.listens_for(Callback, "before_insert")
def _copy_sla(_mapper, connection, callback: Callback) -> None:
    """Every callback carries its ticket's due instant, however it was created."""
    if callback.sla_due_at is not None:
        return
    session = object_session(callback)  # the ticket loaded already, else one SELECT
    ticket = (session.identity_map.get(identity_key(Ticket, callback.ticket_id))
              if session is not None else None)
    if isinstance(ticket, Ticket):
        callback.sla_due_at = ticket.sla_due_at
    else:
        callback.sla_due_at = connection.scalar(
            select(Ticket.sla_due_at).where(Ticket.id == callback.ticket_id))


class CallbackAttempt(Base):
    """One outbound call: the operator's leg (CallSid) and the bridged leg to the caller."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(16), default="auto")  # auto | manual
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="initiated")  # the operator's leg
    answered_by: Mapped[str | None] = mapped_column(String(20))
    duration: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bridged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the caller was dialled
    parent_call_sid: Mapped[str | None] = mapped_column(String(64))
    parent_status: Mapped[str | None] = mapped_column(String(20))
    parent_answered_by: Mapped[str | None] = mapped_column(String(20))
    parent_duration: Mapped[int | None] = mapped_column(Integer)
    # Set once, by a conditional UPDATE: duplicated or late callbacks cannot change it.
    result: Mapped[str | None] = mapped_column(String(20), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    callback: Mapped[Callback] = relationship(back_populates="attempts_log")


class CallbackPlanState(Base):
    """What the planner last planned against, per organization (to notice schedule changes)."""

    __tablename__ = "callback_plan_states"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    replanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
