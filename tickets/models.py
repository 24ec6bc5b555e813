"""Calls, tickets, recordings and transcripts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import Base
from core.types import UTCDateTime, str_enum


class TicketStatus(StrEnum):
    NEW = "new"  # registered, nobody has worked on it yet
    IN_PROGRESS = "in_progress"  # an operator or consultant is on it
    ESCALATED = "escalated"  # passed to the journal vendor's support service
    RESOLVED = "resolved"
    DECLINED = "declined"  # one of the regulations' reasons


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED)

# The lifecycle: which status may follow which.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED, TicketStatus.RESOLVED,
         TicketStatus.DECLINED}
    ),
    TicketStatus.IN_PROGRESS: frozenset(
        {TicketStatus.ESCALATED, TicketStatus.RESOLVED, TicketStatus.DECLINED}
    ),
    TicketStatus.ESCALATED: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.DECLINED}
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.IN_PROGRESS}),  # reopened
    TicketStatus.DECLINED: frozenset({TicketStatus.IN_PROGRESS}),
}


class Channel(StrEnum):
    VOICEMAIL = "voicemail"
    MISSED_CALL = "missed_call"  # the caller hung up or left silence: call them back anyway
    PHONE = "phone"  # taken live by a consultant
    EMAIL = "email"
    IN_PERSON = "in_person"


class DeclineReason(StrEnum):
    """The regulations' grounds for declining a request."""

    NOT_ENOUGH_INFORMATION = "not_enough_information"
    INCORRECT_QUESTION = "incorrect_question"
    ETHICS_VIOLATION = "ethics_violation"


class TranscriptionState(StrEnum):
    WAITING = "waiting"  # recording completed at Twilio, waiting for download + transcription
    DONE = "done"
    NO_MODEL = "no_model"  # «не расшифровано»: retried once a model is configured
    FAILED = "failed"  # gave up (the download or the audio is broken); the Twilio URL stays
    TOO_SHORT = "too_short"  # under ~2 s: kept, flagged, not transcribed
    DELETED = "deleted"  # audio removed by retention


class Call(Base):
    """One phone call, inbound or outbound, keyed by Twilio's CallSid."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(20), default="inbound")
    from_number: Mapped[str | None] = mapped_column(String(20))  # E.164; None if withheld
    to_number: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    role: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(32))
    # live | voicemail | abandoned | info (heard the schedule) | transferred
    outcome: Mapped[str | None] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    duration: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Per-call IVR memory: menu attempts, a typed callback number waiting to be confirmed.
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Ticket(Base):
    """A request for help: what the caller asked and what became of it."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("organization_id", "number"),
        # The inbox's tabs (status, due instant) and the reports (received in a period).
        Index("ix_tickets_inbox", "organization_id", "status", "sla_due_at"),
        Index("ix_tickets_received", "organization_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # per organization, said to the caller
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)  # the call that opened it
    caller_number: Mapped[str | None] = mapped_column(String(20), index=True)
    callback_number: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.VOICEMAIL)
    status: Mapped[TicketStatus] = mapped_column(
        str_enum(TicketStatus), default=TicketStatus.NEW, index=True
    )
    needs_callback: Mapped[bool] = mapped_column(Boolean, default=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    sla_escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Transcript understanding: suggestions shown beside the caller's own choices.
    suggestions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    student_class: Mapped[str | None] = mapped_column(String(8))
    resolution: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(str_enum(DeclineReason))
    vendor_reference: Mapped[str | None] = mapped_column(String(100))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The SMS to the caller with the number and the promised time: None (not to be sent),
    # pending, sending, sent, failed.
    confirmation_sms: Mapped[str | None] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=clock.now, onupdate=clock.now
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recordings: Mapped[list[Recording]] = relationship(
        back_populates="ticket", order_by="Recording.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Recording(Base):
    """A voice message. The audio is personal data: kept for the retention period only."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    remote_url: Mapped[str | None] = mapped_column(String(500))  # Twilio's RecordingUrl
    duration: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[TranscriptionState] = mapped_column(
        str_enum(TranscriptionState), default=TranscriptionState.WAITING, index=True
    )
    path: Mapped[str | None] = mapped_column(String(500))  # relative to the data directory
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # A worker's claim: who holds it and until when (expired leases are taken over).
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    ticket: Mapped[Ticket] = relationship(back_populates="recordings")
    transcript: Mapped[Transcript | None] = relationship(back_populates="recording")


class Transcript(Base):
    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None] = mapped_column(Float)
    duration: Mapped[float | None] = mapped_column(Float)
    engine: Mapped[str] = mapped_column(String(32), default="vosk")
    model: Mapped[str] = mapped_column(String(100), default="")
    # The language the engine decoded in (ISO 639-1; Whisper may detect another one).
    language: Mapped[str] = mapped_column(String(16), default="ru", server_default="ru")
    # A consultant's correction is kept beside the recognizer's text, never over it.
    corrected_text: Mapped[str | None] = mapped_column(Text)
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    recording: Mapped[Recording] = relationship(back_populates="transcript")


class SearchDocument(Base):
    """What search reads for one ticket: its transcripts, notes and answer, in one text.

    Kept by tickets.search on every commit that changes them. PostgreSQL searches ``body``
    with a GIN index on ``to_tsvector('russian', body)``; SQLite searches ``lemmas`` (the
    words' dictionary forms, pymorphy3) through an FTS5 table kept in sync by triggers.
    """

    __tablename__ = "ticket_search"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    lemmas: Mapped[str] = mapped_column(Text, default="")
