"""Organization-level services: find a school by its number, build its schedules, seed data."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time
from typing import Protocol, TypeVar, cast

from cachetools import TTLCache
from sqlalchemy import Table, event, insert, inspect, select
from sqlalchemy.orm import Session, SessionTransaction

from core import catalogue, clock, phones, worktime
from core.extensions import db
from core.models import (
    AuditEvent,
    CalendarOverride,
    CallerRole,
    DutyException,
    DutyKind,
    DutySlot,
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
    return schedule_for(org).calendar


def _calendar_of(org: Organization) -> worktime.ProductionCalendar:
    return _calendar(tuple(sorted((o.day, o.working) for o in org.calendar_overrides)))


@functools.cache
def _calendar(overrides: tuple[tuple[date, bool], ...]) -> worktime.ProductionCalendar:
    # One calendar per distinct set of overrides: building holidays data is not free.
    return worktime.ProductionCalendar(dict(overrides))


# Built schedules and menus per (organization, schedule_version): every webhook asks for
# them, and building them reads several tables. The version lives in the organization's row,
# so each process sees a change on its next request; the TTL only bounds memory and a
# rolled-back change.
SCHEDULE_CACHE_SECONDS = 300
_schedules: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # one cache per database
_schedules_lock = threading.Lock()
T = TypeVar("T")


def _schedule_cache() -> TTLCache:
    engine = db.engine
    cache = _schedules.get(engine)
    if cache is None:
        cache = _schedules[engine] = TTLCache(maxsize=8192, ttl=SCHEDULE_CACHE_SECONDS)
    return cache


def _versioned(org: Organization, what: str, build: Callable[[Organization], T]) -> T:
    """build(org), cached per organization and schedule_version."""
    if org.id is None or org.schedule_version is None:  # not stored yet
        return build(org)
    key = (what, org.id, org.schedule_version, org.timezone)
    with _schedules_lock:
        cache = _schedule_cache()
        found = cache.get(key)
    if found is None:
        found = build(org)
        with _schedules_lock:
            cache[key] = found
    return found


def schedule_for(org: Organization) -> worktime.Schedule:
    """The organization's duty schedule (every kind) as plain values for worktime."""
    return _versioned(org, "schedule", _build_schedule)


@dataclass(frozen=True)
class MenuRole:
    code: str
    name: str
    digit: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class MenuTopic:
    code: str
    name: str
    roles: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Menu:
    """What the phone menu offers: the caller roles and the active topics, in menu order."""

    roles: tuple[MenuRole, ...]
    topics: tuple[MenuTopic, ...]


def menu_for(org: Organization) -> Menu:
    """The organization's phone menu as plain values (cached: no query once built)."""
    return _versioned(org, "menu", _build_menu)


def _build_menu(org: Organization) -> Menu:
    return Menu(
        roles=tuple(MenuRole(r.code, r.name, r.digit, tuple(r.keywords or ())) for r in org.roles),
        topics=tuple(MenuTopic(t.code, t.name, tuple(t.roles or ()), tuple(t.keywords or ()))
                     for t in org.topics if t.active),
    )


# What schedule_for and menu_for read: a change moves the organization's version on.
_SCHEDULE_MODELS = (DutySlot, DutyException, CalendarOverride, CallerRole, Topic)


@event.listens_for(Session, "before_flush")
def _bump_schedule_version(session: Session, _context, _instances) -> None:
    """A change of anything schedule_for reads makes its organization's version move on."""
    orgs: set[int] = set()
    unknown = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _SCHEDULE_MODELS) or (
            isinstance(obj, User) and (obj in session.new or obj in session.deleted
                                       or "active" in _changed(obj))
        ):
            if obj.organization_id is None:
                unknown = True
            else:
                orgs.add(obj.organization_id)
    if unknown:  # appended to a collection, not flushed yet: its parent is dirty
        orgs |= {o.id for o in session.dirty if isinstance(o, Organization) and o.id}
    for org_id in orgs:
        org = session.get(Organization, org_id)
        if org is not None:
            org.schedule_version = Organization.schedule_version + 1


def _changed(obj) -> set[str]:
    state = inspect(obj)
    return {a.key for a in state.attrs if a.history.has_changes()}


def _build_schedule(org: Organization) -> worktime.Schedule:
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
        timezone=org.timezone, slots=slots, exceptions=exceptions, calendar=_calendar_of(org)
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


def topics_for(org: Organization, role: str | None) -> list[MenuTopic]:
    """Active topics offered to callers of this role, in menu order."""
    return [t for t in menu_for(org).topics if role is None or role in t.roles]


def topic_keywords(org: Organization) -> dict[str, list[str]]:
    return {t.code: list(t.keywords or ()) for t in org.topics if t.active}


def get_organization(org_id: int | None) -> Organization | None:
    return db.session.get(Organization, org_id) if org_id is not None else None


def colleagues(org_id: int, roles: Iterable[str]) -> list[User]:
    """Active users of the organization with any of the roles, by name (for «передать»)."""
    wanted = set(roles)
    users = db.session.scalars(
        select(User).where(User.organization_id == org_id, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    return [u for u in users if wanted & set(u.roles or ())]


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


class _HasId(Protocol):
    @property
    def id(self) -> int | None: ...


_PENDING_AUDIT = "helpline_audit_on_commit"


def audit_on_commit(
    action: str,
    object_type: str,
    target: _HasId,
    *,
    organization_id: int | None,
    actor: str = "system",
    user_id: int | None = None,
    **details,
) -> None:
    """audit(), written with the transaction's commit: the events of one transaction in one
    multi-row INSERT, with no ORM object or flush of their own (the webhooks' ticket.opened
    and callback.planned: two events per message, on the path Twilio waits for).

    ``target`` is the audited object; its id is read at the commit, so it may be one that
    gets its id only in the commit's flush. The event's time is the time of this call. Only
    for events nothing reads before the commit (not a ticket's notes, which its search
    document reads); a rollback drops them with the rest of the transaction.
    """
    pending = db.session.info.setdefault(_PENDING_AUDIT, [])
    pending.append((target, {
        "organization_id": organization_id, "user_id": user_id, "actor": actor,
        "action": action, "object_type": object_type, "at": clock.now(), "details": details,
    }))


@event.listens_for(Session, "before_commit")
def _write_pending_audit(session: Session) -> None:
    pending = session.info.pop(_PENDING_AUDIT, None)
    if not pending:
        return
    if any(target.id is None for target, _ in pending):
        session.flush()  # the targets' ids
    rows = [{**row, "object_id": target.id} for target, row in pending]
    session.execute(insert(cast(Table, AuditEvent.__table__)), rows)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending_audit(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without the commit above (rolled back, or its session closed)
    takes its pending events with it; a savepoint's end leaves them to its transaction."""
    if transaction.parent is None:
        session.info.pop(_PENDING_AUDIT, None)


__all__ = [
    "DutyKind",
    "ExceptionKind",
    "audit",
    "audit_on_commit",
    "calendar_for",
    "find_by_number",
    "menu_for",
    "schedule_for",
    "seed_catalogue",
    "topic_keywords",
    "topics_for",
    "vendor_schedule",
]
