"""Organization-level services: find a school by its number, build its schedules, seed data."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, time

from sqlalchemy import select

from core import catalogue, phones, worktime
from core.extensions import db
from core.models import (
    AuditEvent,
    CallerRole,
    DutyKind,
    ExceptionKind,
    Organization,
    OrganizationPhone,
    Topic,
    User,
)


def find_by_number(number: str | None) -> Organization | None:
    """Return the organization reached on this number (Twilio's `To`), if any."""
    e164 = phones.normalize(number)
    if e164 is None:
        return None
    return db.session.scalar(
        select(Organization).join(OrganizationPhone).where(OrganizationPhone.number == e164)
    )


def seed_catalogue(org: Organization) -> None:
    """Give the organization the default caller roles and topics it lacks."""
    have_roles = {r.code for r in org.roles}
    for position, spec in enumerate(catalogue.ROLES):
        if spec.code not in have_roles:
            org.roles.append(
                CallerRole(
                    code=spec.code,
                    name=spec.name,
                    digit=spec.digit,
                    keywords=list(spec.keywords),
                    position=position,
                )
            )
    have_topics = {t.code for t in org.topics}
    for position, topic in enumerate(catalogue.TOPICS):
        if topic.code not in have_topics:
            org.topics.append(
                Topic(
                    code=topic.code,
                    name=topic.name,
                    roles=list(topic.roles),
                    keywords=list(topic.keywords),
                    position=position,
                )
            )


def calendar_for(org: Organization) -> worktime.ProductionCalendar:
    """The production calendar with this organization's overrides."""
    return _calendar(tuple(sorted((o.day, o.working) for o in org.calendar_overrides)))


@functools.cache
def _calendar(overrides: tuple[tuple[date, bool], ...]) -> worktime.ProductionCalendar:
    # One calendar per distinct set of overrides: building holidays data is not free.
    return worktime.ProductionCalendar(dict(overrides))


def schedule_for(org: Organization) -> worktime.Schedule:
    """The organization's duty schedule (every kind) as plain values for worktime."""
    active = {u.id for u in db.session.scalars(select(User).where(User.active.is_(True)))}
    slots = tuple(
        worktime.Slot(
            weekday=s.weekday,
            start=s.start,
            end=s.end,
            kind=str(s.kind),
            user_id=s.user_id,
            roles=frozenset(s.roles or ()),
            topics=frozenset(s.topics or ()),
        )
        for s in org.slots
        if s.user_id in active
    )
    exceptions = tuple(
        worktime.DateException(
            day=e.day,
            kind=str(e.kind),
            user_id=e.user_id,
            start=e.start,
            end=e.end,
            duty_kind=str(e.duty_kind),
            roles=frozenset(e.roles or ()),
            topics=frozenset(e.topics or ()),
        )
        for e in org.exceptions
    )
    return worktime.Schedule(
        timezone=org.timezone, slots=slots, exceptions=exceptions, calendar=calendar_for(org)
    )


def vendor_schedule(org: Organization) -> worktime.Schedule:
    """The journal vendor's support hours, in the vendor's own time zone."""
    slots = []
    for block in org.vendor_hours or ():
        start, end = _parse_time(block["start"]), _parse_time(block["end"])
        for weekday in block.get("weekdays", range(7)):
            slots.append(worktime.Slot(weekday=int(weekday), start=start, end=end))
    return worktime.Schedule(
        timezone=org.vendor_timezone,
        slots=tuple(slots),
        working_days_only=org.vendor_working_days_only,
    )


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def topics_for(org: Organization, role: str | None) -> list[Topic]:
    """Active topics offered to callers of this role, in menu order."""
    return [t for t in org.topics if t.active and (role is None or role in (t.roles or ()))]


def topic_keywords(org: Organization) -> dict[str, list[str]]:
    return {t.code: list(t.keywords or ()) for t in org.topics if t.active}


def users_by_id(ids: Iterable[int]) -> list[User]:
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


def audit(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    organization_id: int | None,
    actor: str = "system",
    user_id: int | None = None,
    **details,
) -> AuditEvent:
    """Write an audit event (the caller commits with its own change)."""
    event = AuditEvent(
        organization_id=organization_id,
        user_id=user_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    db.session.add(event)
    return event


__all__ = [
    "DutyKind",
    "ExceptionKind",
    "audit",
    "calendar_for",
    "find_by_number",
    "schedule_for",
    "seed_catalogue",
    "topic_keywords",
    "topics_for",
    "vendor_schedule",
]
