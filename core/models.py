"""Organization-level data: schools, their numbers, users, duty schedule, topics, audit."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core import clock
from core.extensions import Base
from core.types import UTCDateTime, str_enum


class UserRole(StrEnum):
    OPERATOR = "operator"
    CONSULTANT = "consultant"
    ADMIN = "admin"


class DutyKind(StrEnum):
    CONSULTATION = "consultation"  # live calls are put through to this person
    CALLBACKS = "callbacks"  # this person calls parents back


class ExceptionKind(StrEnum):
    LEAVE = "leave"
    CLOSED = "closed"
    EXTRA = "extra"


class CallbackMode(StrEnum):
    AUTO = "auto"  # the system rings the operator at the planned time
    MANUAL = "manual"  # the operator starts the call from the queue


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    # The journal system and its vendor's support service (the regulations' «нештатная ситуация»).
    journal_system: Mapped[str] = mapped_column(String(100), default="")
    vendor_name: Mapped[str] = mapped_column(String(200), default="")
    vendor_phones: Mapped[list[str]] = mapped_column(JSON, default=list)  # E.164
    vendor_phone_note: Mapped[str] = mapped_column(String(100), default="")  # «бесплатно»
    vendor_email: Mapped[str | None] = mapped_column(String(200))
    vendor_timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    # [{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}]
    vendor_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    vendor_working_days_only: Mapped[bool] = mapped_column(Boolean, default=True)
    sla_working_days: Mapped[int] = mapped_column(Integer, default=2)
    training_deadline_days: Mapped[int] = mapped_column(Integer, default=5)
    callback_mode: Mapped[CallbackMode] = mapped_column(
        str_enum(CallbackMode), default=CallbackMode.AUTO
    )
    callback_capacity_per_hour: Mapped[int] = mapped_column(Integer, default=6)
    retention_days: Mapped[int] = mapped_column(Integer, default=90)
    # Retention also deletes the transcript of an expired recording (personal data too).
    retention_delete_transcripts: Mapped[bool] = mapped_column(Boolean, default=False)
    # The head who approves the published schedule («УТВЕРЖДАЮ … И. И. Иванов»).
    head_name: Mapped[str] = mapped_column(String(200), default="")
    # Per-prompt replacements of the IVR catalogue: {"GREETING": {"text": ..., "audio_url": ...}}
    prompt_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Last ticket number given out; bumped atomically (UPDATE ... RETURNING).
    ticket_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every change of the duty schedule, leave, closed days, calendar overrides or
    # a user's activity (core.service), so each process can cache the built schedule.
    schedule_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    phones: Mapped[list[OrganizationPhone]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    slots: Mapped[list[DutySlot]] = relationship(cascade="all, delete-orphan")
    exceptions: Mapped[list[DutyException]] = relationship(cascade="all, delete-orphan")
    calendar_overrides: Mapped[list[CalendarOverride]] = relationship(
        cascade="all, delete-orphan"
    )
    roles: Mapped[list[CallerRole]] = relationship(
        cascade="all, delete-orphan", order_by="CallerRole.position"
    )
    topics: Mapped[list[Topic]] = relationship(
        cascade="all, delete-orphan", order_by="Topic.position"
    )


class OrganizationPhone(Base):
    """A phone number that reaches the organization's help line (the IVR finds it by `To`)."""

    __tablename__ = "organization_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # E.164

    organization: Mapped[Organization] = relationship(back_populates="phones")


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a regional admin, who sees every organization.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164: where the line rings them
    email: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A regional admin's chosen school, kept across sign-ins.
    chosen_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout and on a password change: sessions of an older generation are over.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])

    def get_id(self) -> str:  # Flask-Login: what the session cookie remembers
        return f"{self.id}:{self.session_generation or 0}"

    @property
    def is_regional(self) -> bool:
        return self.organization_id is None and UserRole.ADMIN in self.roles

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def set_password(self, password: str) -> None:
        # Tests lower the cost (PASSWORD_HASH_METHOD); production keeps werkzeug's scrypt.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() \
            else "scrypt"
        if self.password_hash:  # a new password ends the sessions signed in with the old one
            self.session_generation = (self.session_generation or 0) + 1
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class DutySlot(Base):
    """A weekly slot: who is on duty, when (org-local time), for which callers."""

    __tablename__ = "duty_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    kind: Mapped[DutyKind] = mapped_column(str_enum(DutyKind), default=DutyKind.CONSULTATION)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty = every role
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty = every topic

    user: Mapped[User] = relationship()


class DutyException(Base):
    """A dated change to the weekly schedule: leave, a closed day, extra hours."""

    __tablename__ = "duty_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[ExceptionKind] = mapped_column(str_enum(ExceptionKind))
    start: Mapped[time | None] = mapped_column(Time)
    end: Mapped[time | None] = mapped_column(Time)
    duty_kind: Mapped[DutyKind] = mapped_column(
        str_enum(DutyKind), default=DutyKind.CONSULTATION
    )
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(200), default="")


class CalendarOverride(Base):
    """A decree the installed `holidays` package does not know yet."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (UniqueConstraint("organization_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")


class CallerRole(Base):
    """Who is calling (parent, staff): a menu item with a DTMF digit and speech keywords."""

    __tablename__ = "caller_roles"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    digit: Mapped[str] = mapped_column(String(1))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Topic(Base):
    """What the call is about; offered to some roles; keywords serve speech and transcripts."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditEvent(Base):
    """Who did what to which object, and when: listens, changes, calls."""

    __tablename__ = "audit_events"
    # A ticket's history and the callbacks' audit look events up by their object.
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(64))  # a username, "twilio", "system"
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
