"""Callbacks: plan them in the operators' windows; the operator's queue, claims and outcomes.

Planning happens per organization, in SLA order (see callbacks.planner). Every change that
two people or processes could make at once is a conditional UPDATE (``... WHERE status =``)
whose row count says who won, so two operators never call the same parent and a duplicated
webhook never counts twice.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezones
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from callbacks import planner, prompts
from callbacks.models import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    AttemptResult,
    Callback,
    CallbackAttempt,
    CallbackOutcome,
    CallbackPlanState,
    CallbackStatus,
)
from callbacks.ticket_reads import TicketCallbacks
from core import clock, service
from core import settings as core_settings
from core.extensions import db, rowcount
from core.models import Organization, User, UserRole
from core.settings import CallbackSettings
from tickets import callback_port
from tickets import service as tickets
from tickets import signals as ticket_signals
from tickets.models import DeclineReason, Recording, Ticket, TicketStatus, Transcript

log = logging.getLogger(__name__)

HORIZON = timedelta(days=60)  # how far ahead the planner looks before flagging the risk
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class CallbackError(ValueError):
    """A change the callback's state does not allow (already closed, claimed by another...)."""


# --- planning ------------------------------------------------------------------------------


def active_for(ticket: Ticket) -> Callback | None:
    """The ticket's callback that is still to be made (or being made), if any."""
    return db.session.scalar(
        select(Callback)
        .where(Callback.ticket_id == ticket.id, Callback.status.in_(ACTIVE_STATUSES))
        .order_by(Callback.id.desc())
        .limit(1)
    )


def caller_zone(phone: str | None, org: Organization) -> ZoneInfo:
    """The caller's time zone: a landline's own zone, else the school's (mobiles span Russia)."""
    return _zone(phone, org.timezone)


@dataclass
class Ahead:
    """A new ticket's callback, placed before the ticket was stored (plan_ahead)."""

    callback: Callback
    placement: Placement


def plan_ahead(draft: Ticket, *, policy: CallbackSettings,
               preferred_at: datetime | None = None) -> Ahead:
    """Place the callback of a ticket not stored yet (tickets.draft_ticket), reading only:
    no lock is held while planning. request_callback(ahead=...) then writes it under the
    lock that storing the ticket takes, after checking that its slot is still free."""
    org = db.session.get_one(Organization, draft.organization_id)
    now = clock.now()
    callback = _new_callback(draft, org, policy=policy, preferred_at=preferred_at, now=now)
    return Ahead(callback, _placement(org, now, callback, draft, policy=policy))


def request_callback(ticket: Ticket, *, policy: CallbackSettings,
                     preferred_at: datetime | None = None, ahead: Ahead | None = None
                     ) -> Callback:
    """Plan the ticket's callback (once: a second request returns the same plan).

    Only this callback is placed (see planner.Planner.insert): the waiting ones keep their
    slots unless it outranks them. The slot is found before the organization's planning lock
    is taken, then checked and written under it, so the lock (on SQLite the database's write
    lock) is held for a few statements, never across planning; a concurrent change of the
    same slots sends the request round again, and the last try plans under the lock.

    ``ahead``: the ticket was opened in this very transaction (not committed yet) and its
    callback placed beforehand by plan_ahead: the record action writes the ticket and its
    callback in one commit. Storing the ticket took the organization's row (the planning
    lock); no other callback of the ticket can exist yet.
    """
    org = db.session.get_one(Organization, ticket.organization_id)
    if ahead is not None:
        return _write_ahead(ticket, org, ahead, policy=policy)
    existing = active_for(ticket)
    if existing is not None:
        return existing
    for attempt in range(PLACEMENT_TRIES + 1):
        locked = attempt >= PLACEMENT_TRIES - 1
        if locked:
            _lock(org.id)
        now = clock.now()
        callback = Callback(
            organization_id=org.id,
            ticket_id=ticket.id,
            sla_due_at=ticket.sla_due_at,
            phone=ticket.callback_number,
            preferred_at=preferred_at,
            max_attempts=policy.max_attempts,
            status=CallbackStatus.PLANNED,
            created_at=now,
        )
        # The very last try, under the lock, displaces nobody and takes its slot even if a
        # writer that takes no planning lock (a postponement) put a callback there meanwhile:
        # a slot shared by two is better than a message without a callback.
        placement = _placement(org, now, callback, ticket, policy=policy,
                               displace=attempt < PLACEMENT_TRIES)
        if not locked:
            _lock(org.id)  # one writer per organization; also closes the double-request race
        existing = active_for(ticket)
        if existing is not None:
            db.session.commit()
            return existing
        db.session.add(callback)
        db.session.flush()
        if _apply_placement(placement, callback, check=attempt < PLACEMENT_TRIES):
            break
        db.session.rollback()  # another message took one of these slots first: plan again
        log.info("organization %s: a slot was taken meanwhile; placing again", org.id)
    return _planned(callback, ticket, org)


def _new_callback(ticket: Ticket, org: Organization, *, policy: CallbackSettings,
                  preferred_at: datetime | None, now: datetime) -> Callback:
    return Callback(
        organization_id=org.id,
        sla_due_at=ticket.sla_due_at,
        phone=ticket.callback_number,
        preferred_at=preferred_at,
        max_attempts=policy.max_attempts,
        status=CallbackStatus.PLANNED,
        created_at=now,
    )


def _write_ahead(ticket: Ticket, org: Organization, ahead: Ahead, *,
                 policy: CallbackSettings) -> Callback:
    """request_callback for a ticket stored in this transaction, under its lock."""
    callback = ahead.callback
    callback.ticket_id = ticket.id
    with db.session.no_autoflush:  # the pending ticket rows go with the callback's INSERT
        free = _apply_placement(ahead.placement, callback)
    if not free:
        # Another message took the slot between planning and the lock: place it again, now
        # under the lock (rare; nothing was written yet).
        log.info("organization %s: a slot was taken meanwhile; placing again", org.id)
        placement = _placement(org, clock.now(), callback, ticket, policy=policy)
        _apply_placement(placement, callback, check=False)
    _promise(callback, org)  # before the INSERT: written with the row
    db.session.add(callback)  # inserted by the commit's flush, with the call's link
    return _planned(callback, ticket, org)


def _promise(callback: Callback, org: Organization) -> None:
    promised = promise_time(callback, org)
    callback.promised_at = promised.astimezone(UTC) if promised else None


def _planned(callback: Callback, ticket: Ticket, org: Organization) -> Callback:
    """Promise, audit and commit a callback just placed."""
    _promise(callback, org)
    service.audit_on_commit(
        "callback.planned", "callback", callback, organization_id=org.id,
        ticket=ticket.id, planned_at=iso(callback.planned_at), at_risk=callback.at_risk,
    )
    db.session.commit()
    log.info("callback %s for ticket %s planned at %s%s", callback.id, ticket.id,
             iso(callback.planned_at), " (at risk)" if callback.at_risk else "")
    return callback


PLACEMENT_TRIES = 3  # optimistic placements before planning under the lock
NEW = -1  # the planner's key of a callback not inserted yet
LAST = 2**62  # the rank's id of a callback not inserted yet: after every existing one


@dataclass
class Placement:
    """Where one callback goes, and the waiting ones it displaces (planned before any write)."""

    spacing: timedelta
    moves: list[tuple[int, planner.Assignment | None]]
    before: dict[int, datetime | None]  # each displaced callback's slot when it was planned

    @property
    def work(self) -> int:
        return len(self.moves)


def _rank(sla_due: datetime | None, created_at: datetime, key: int) -> tuple:
    return (sla_due or FAR_FUTURE, created_at, key)


def _placement(org: Organization, now: datetime, callback: Callback, ticket: Ticket, *,
               policy: CallbackSettings, displace: bool = True) -> Placement:
    """Place one callback among the organization's waiting ones, reading only."""
    key = callback.id if callback.id is not None else NEW
    rank = _rank(ticket.sla_due_at, callback.created_at or now, key if key != NEW else LAST)
    imminent = now + timedelta(minutes=policy.lead_minutes)
    waiting = (Callback.organization_id == org.id, Callback.status == CallbackStatus.PLANNED,
               Callback.planned_at >= now, Callback.id != key)
    # Those ranked after this one may give way (usually none: a new message is due last).
    sla, created, ident = rank
    later: ColumnElement[bool]
    if sla == FAR_FUTURE:
        later, same = false(), Callback.sla_due_at.is_(None)
    else:
        later = or_(Callback.sla_due_at.is_(None), Callback.sla_due_at > sla)
        same = Callback.sla_due_at == sla
    after = Callback.created_at > created
    if ident != LAST:  # LAST is beyond int4 on PostgreSQL: no id compares after it anyway
        after = or_(after, and_(Callback.created_at == created, Callback.id > ident))
    lower = (or_(later, and_(same, after)), Callback.pinned.is_(False),
             Callback.manual.is_(False), Callback.planned_at > imminent)
    plan = _planner(org, now, policy)
    # Every waiting callback's slot is taken: its grid index, one row per operator; and how
    # many of them may give way, counted in the same query.
    taken, movable = _taken_indexes(waiting, plan.spacing, and_(*lower) if displace else None)
    for operator, indexes in taken:
        plan.take_indexes(operator, indexes)
    held: dict = {}
    before: dict[int, datetime | None] = {}
    if movable:
        rows = db.session.execute(
            select(Callback.id, Callback.operator_id, Callback.planned_at,
                   Callback.preferred_at, Callback.not_before, Callback.promised_at,
                   Callback.phone, Callback.created_at, Callback.sla_due_at, Ticket.role,
                   Ticket.topic)
            .join(Ticket, Ticket.id == Callback.ticket_id)
            .where(*waiting, *lower)
        )
        for row in rows:
            other = _rank(row.sla_due_at, row.created_at, row.id)
            if other < rank:
                continue  # ahead of this one after all (equal instants): never displaced
            bounds = [imminent, row.preferred_at, row.not_before, row.promised_at]
            held[(row.operator_id, plan.grid(row.planned_at))] = (other, planner.Request(
                key=row.id, earliest=max(b for b in bounds if b is not None), role=row.role,
                topic=row.topic, sla_due=row.sla_due_at,
                caller_zone=_zone(row.phone, org.timezone)))
            before[row.id] = row.planned_at
    request = planner.Request(
        key=key, earliest=_earliest(callback, now, policy), role=ticket.role, topic=ticket.topic,
        sla_due=ticket.sla_due_at, caller_zone=_zone(callback.phone, org.timezone))
    moves = plan.insert(request, rank, held)
    return Placement(spacing=plan.spacing, moves=moves, before=before)


def _taken_indexes(where: tuple, spacing: timedelta, counted: ColumnElement[bool] | None = None
                   ) -> tuple[list[tuple[int | None, list[int]]], int]:
    """(operator, grid indexes of the slots taken) of the callbacks matching where, and how
    many of them match ``counted`` as well (0 without it).

    The database computes the indexes (planner.Planner.index: whole microseconds since the
    grid's origin, divided by the spacing) and groups them per operator, so that a queue of
    thousands comes back as a few rows of integers. Other databases send their rows.
    """
    dialect = db.session.get_bind().dialect.name
    micros = spacing // timedelta(microseconds=1)
    at = Callback.planned_at
    count = (func.sum(case((counted, 1), else_=0)) if counted is not None
             else literal(0, Integer))
    if dialect == "postgresql":
        # EXTRACT(EPOCH ...) is an exact numeric (PostgreSQL 14+); div() truncates, which is
        # the floor for instants after the origin.
        since = (func.extract("epoch", at) - planner.EPOCH_SECONDS) * 1_000_000
        index = cast(func.div(since, micros), BigInteger)
        arrays = db.session.execute(
            select(Callback.operator_id, func.array_agg(index), count)
            .where(*where, at.is_not(None)).group_by(Callback.operator_id)).all()
        return ([(operator, list(indexes)) for operator, indexes, _ in arrays],
                sum(n or 0 for *_, n in arrays))
    if dialect == "sqlite":
        # Stored as text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds from julianday,
        # rounded (exact at this scale), then the microseconds from the text.
        text_at = cast(at, String)
        seconds = cast(func.round((func.julianday(func.substr(text_at, 1, 19)) - 2440587.5)
                                  * 86400), Integer)
        since = ((seconds - planner.EPOCH_SECONDS) * 1_000_000
                 + cast(func.substr(text_at, 21, 6), Integer))
        lists = db.session.execute(
            select(Callback.operator_id, func.group_concat(since // micros, type_=String), count)
            .where(*where, at.is_not(None)).group_by(Callback.operator_id)).all()
        return ([(operator, [int(i) for i in indexes.split(",")])
                 for operator, indexes, _ in lists], sum(n or 0 for *_, n in lists))
    found: dict[int | None, list[int]] = {}
    flag = case((counted, 1), else_=0) if counted is not None else literal(0, Integer)
    total = 0
    for operator, planned, hit in db.session.execute(
            select(Callback.operator_id, at, flag).where(*where, at.is_not(None))):
        if planned is not None:
            found.setdefault(operator, []).append(planner.grid_index(planned, spacing))
            total += hit or 0
    return list(found.items()), total


def _apply_placement(placement: Placement, callback: Callback, *, check: bool = True) -> bool:
    """Write a placement under the planning lock; False if its free slot was taken meanwhile.

    A displaced callback that is no longer where it was planned (claimed for a call, or
    moved) ends the chain: the slot it left is taken, and it needs no other.
    """
    last = placement.moves[-1][1]
    if check and last is not None:  # the one slot that was free must still be free
        operator = (Callback.operator_id.is_(None) if last.operator_id is None
                    else Callback.operator_id == last.operator_id)
        taken = db.session.scalar(
            select(Callback.id).where(
                Callback.organization_id == callback.organization_id,
                Callback.status == CallbackStatus.PLANNED, operator,
                Callback.planned_at >= last.at, Callback.planned_at < last.at + placement.spacing,
                Callback.id != callback.id,
            ).limit(1)
        )
        if taken is not None:
            return False
    for key, slot in placement.moves:
        if key in (NEW, callback.id):
            _apply(callback, slot)
            continue
        values = ({"planned_at": None, "window_start": None, "window_end": None,
                   "at_risk": True} if slot is None else
                  {"planned_at": slot.at, "window_start": slot.window_start,
                   "window_end": slot.window_end, "operator_id": slot.operator_id,
                   "at_risk": slot.at_risk})
        moved = rowcount(db.session.execute(
            update(Callback)
            .where(Callback.id == key, Callback.status == CallbackStatus.PLANNED,
                   Callback.planned_at == placement.before[key])
            .values(updated_at=clock.now(), **values)
            .execution_options(synchronize_session=False)
        ))
        if moved != 1:
            break
    return True


def place(callback: Callback, now: datetime, *, policy: CallbackSettings) -> None:
    """Give a waiting callback (a retry, a ring the operator missed) a slot again.

    Planned under the organization's lock, but only this callback and those it displaces.
    """
    org = db.session.get_one(Organization, callback.organization_id)
    _lock(org.id)
    callback.planned_at = None
    db.session.flush()
    placement = _placement(org, now, callback, callback.ticket, policy=policy)
    if not _apply_placement(placement, callback):
        # A postponement (no planning lock) took the free slot meanwhile: plan again.
        placement = _placement(org, now, callback, callback.ticket, policy=policy,
                               displace=False)
        _apply_placement(placement, callback, check=False)


@functools.lru_cache(maxsize=65536)
def _zone(phone: str | None, default: str) -> ZoneInfo:
    """caller_zone over plain values, cached: the planner asks it for every waiting callback."""
    if phone:
        try:
            zones = phone_timezones.time_zones_for_number(phonenumbers.parse(phone, "RU"))
        except phonenumbers.NumberParseException:
            zones = ()
        if len(zones) == 1:
            try:
                return ZoneInfo(zones[0])
            except (KeyError, ValueError):
                pass
    return ZoneInfo(default)


def replan(org: Organization, *, policy: CallbackSettings, now: datetime | None = None) -> int:
    """Plan the organization's waiting callbacks again, in SLA order; return how many moved."""
    _lock(org.id)
    moved = _replan(org, now or clock.now(), policy)
    db.session.commit()
    return moved


def _lock(org_id: int) -> None:
    """Serialize planning per organization: a row lock on PostgreSQL, the write lock on SQLite."""
    db.session.execute(
        update(Organization)
        .where(Organization.id == org_id)
        .values(ticket_seq=Organization.ticket_seq)
        .execution_options(synchronize_session=False)
    )


def _planner(org: Organization, now: datetime, policy: CallbackSettings,
             taken=()) -> planner.Planner:
    return planner.Planner(
        service.schedule_for(org),
        start=now,
        per_hour=max(int(org.callback_capacity_per_hour or 1), 1),
        horizon=HORIZON,
        caller_hours=policy.caller_window(),
        taken=taken,
    )


def _request(callback: Callback, org: Organization, earliest: datetime) -> planner.Request:
    ticket = callback.ticket
    return planner.Request(
        key=callback.id,
        earliest=earliest,
        role=ticket.role,
        topic=ticket.topic,
        sla_due=ticket.sla_due_at,
        caller_zone=_zone(callback.phone, org.timezone),
    )


def _earliest(callback: Callback, now: datetime, policy: CallbackSettings) -> datetime:
    bounds = [now + timedelta(minutes=policy.lead_minutes), callback.preferred_at,
              callback.not_before, callback.promised_at]
    return max(b for b in bounds if b is not None)


def _replan(org: Organization, now: datetime, policy: CallbackSettings) -> int:
    waiting = list(db.session.scalars(
        select(Callback).where(
            Callback.organization_id == org.id, Callback.status == CallbackStatus.PLANNED
        )
    ))
    imminent = now + timedelta(minutes=policy.lead_minutes)

    def movable(cb: Callback) -> bool:
        fixed = cb.pinned or cb.manual
        return not fixed and (cb.planned_at is None or cb.planned_at > imminent)

    taken = [(cb.operator_id, cb.planned_at) for cb in waiting
             if not movable(cb) and cb.planned_at is not None and cb.planned_at >= now]
    plan = _planner(org, now, policy, taken)
    order = sorted(
        (cb for cb in waiting if movable(cb)),
        key=lambda cb: (cb.ticket.sla_due_at or FAR_FUTURE, cb.created_at, cb.id),
    )
    moved = 0
    for callback in order:
        slot = plan.place(_request(callback, org, _earliest(callback, now, policy)))
        moved += _apply(callback, slot)
    return moved


def _apply(callback: Callback, slot: planner.Assignment | None) -> int:
    before = callback.planned_at
    if slot is None:
        callback.planned_at = callback.window_start = callback.window_end = None
        callback.at_risk = True
    else:
        callback.planned_at = slot.at
        callback.window_start, callback.window_end = slot.window_start, slot.window_end
        callback.operator_id = callback.assignee_id or slot.operator_id
        callback.at_risk = slot.at_risk
    return int(before != callback.planned_at)


def schedule_fingerprint(org: Organization, policy: CallbackSettings) -> str:
    """A digest of everything planning depends on: slots, leave, closed days, capacity."""
    schedule = service.schedule_for(org)
    data = [
        org.timezone,
        org.callback_capacity_per_hour,
        policy.caller_hours,
        sorted([s.weekday, str(s.start), str(s.end), s.kind, s.user_id or 0, sorted(s.roles),
                sorted(s.topics)] for s in schedule.slots),
        sorted([str(e.day), e.kind, e.user_id or 0, str(e.start), str(e.end), e.duty_kind,
                sorted(e.roles), sorted(e.topics)] for e in schedule.exceptions),
        sorted([str(o.day), o.working] for o in org.calendar_overrides),
    ]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def schedule_changed(org: Organization, *, policy: CallbackSettings,
                     now: datetime | None = None) -> int:
    """Re-plan after a change of the duty schedule (the admin pages call this on save)."""
    _lock(org.id)
    moved = _replan(org, now or clock.now(), policy)
    _remember(org, policy)
    db.session.commit()
    return moved


def replan_if_schedule_changed(org: Organization, *, policy: CallbackSettings,
                               now: datetime | None = None) -> bool:
    """Re-plan when the schedule differs from the one last planned against (a job calls this)."""
    state = db.session.get(CallbackPlanState, org.id)
    if state is not None and state.fingerprint == schedule_fingerprint(org, policy):
        return False
    try:
        moved = schedule_changed(org, policy=policy, now=now)
    except IntegrityError:  # another process recorded the same change first
        db.session.rollback()
        return False
    log.info("organization %s: schedule changed, %s callbacks re-planned", org.id, moved)
    return True


def _remember(org: Organization, policy: CallbackSettings) -> None:
    fingerprint = schedule_fingerprint(org, policy)
    state = db.session.get(CallbackPlanState, org.id)
    if state is None:
        state = CallbackPlanState(organization_id=org.id, fingerprint=fingerprint)
        db.session.add(state)
    state.fingerprint = fingerprint
    state.replanned_at = clock.now()


def promise_time(callback: Callback | None, org: Organization, *,
                 now: datetime | None = None) -> datetime | None:
    """The moment to promise the caller, in the organization's zone: the planned hour.

    «после 9 часов» for a call planned at 9:20, but never before the window opens, and never
    a moment already past: at 13:30, a call planned at 13:40 is «после 13 часов 40 минут»,
    not «после 13 часов».
    """
    if callback is None or callback.planned_at is None:
        return None
    zone = ZoneInfo(org.timezone)
    now = now or clock.now()
    planned = callback.planned_at.astimezone(zone)
    promised = planned.replace(minute=0, second=0, microsecond=0)
    if callback.window_start is not None:
        promised = max(promised, callback.window_start.astimezone(zone))
    if promised <= now:
        promised = planned.replace(minute=planned.minute - planned.minute % 5, second=0,
                                   microsecond=0)
    if promised <= now:
        promised = planned.replace(second=0, microsecond=0)
    return promised


def change_phone(callback: Callback, phone: str) -> Callback:
    """The caller gave another number: call that one."""
    callback.phone = phone
    db.session.commit()
    return callback


# --- the operator's queue ------------------------------------------------------------------


@dataclass
class Queue:
    """The operator's view of the callbacks of one organization, each list in working order."""

    due_now: list[Callback] = field(default_factory=list)
    later_today: list[Callback] = field(default_factory=list)
    tomorrow: list[Callback] = field(default_factory=list)  # planned for the next calendar day
    planned: list[Callback] = field(default_factory=list)  # every waiting one, whatever the day
    overdue: list[Callback] = field(default_factory=list)
    in_progress: list[Callback] = field(default_factory=list)  # being called, or awaiting a result
    done: list[Callback] = field(default_factory=list)  # closed today


def queue(org: Organization, *, policy: CallbackSettings, now: datetime | None = None) -> Queue:
    """Sort the organization's callbacks: due now, later today, tomorrow, every planned one,
    overdue, in progress, done today."""
    now = now or clock.now()
    zone = ZoneInfo(org.timezone)
    today = now.astimezone(zone).date()
    midnight = datetime.combine(today, time(0), tzinfo=zone)
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    day_after = datetime.combine(today + timedelta(days=2), time(0), tzinfo=zone)
    late = now - timedelta(minutes=policy.overdue_minutes)
    result = Queue()
    active = db.session.scalars(
        select(Callback).where(
            Callback.organization_id == org.id, Callback.status.in_(ACTIVE_STATUSES)
        ).options(selectinload(Callback.ticket))
    )
    for callback in active:
        due = callback.ticket.sla_due_at
        if callback.status != CallbackStatus.PLANNED:
            result.in_progress.append(callback)
            continue
        result.planned.append(callback)
        if (due is not None and due <= now) or (
            callback.planned_at is not None and callback.planned_at < late
        ):
            result.overdue.append(callback)
        elif callback.planned_at is None or callback.planned_at <= now:
            result.due_now.append(callback)
        elif callback.planned_at < tomorrow:
            result.later_today.append(callback)
        elif callback.planned_at < day_after:
            result.tomorrow.append(callback)
    result.done = list(db.session.scalars(
        select(Callback)
        .where(
            Callback.organization_id == org.id,
            Callback.status.in_(CLOSED_STATUSES),
            Callback.closed_at >= midnight,
        )
        .order_by(Callback.closed_at)
    ))

    def order(cb: Callback):
        return (cb.ticket.sla_due_at or FAR_FUTURE, cb.planned_at or FAR_FUTURE, cb.id)

    for items in (result.due_now, result.later_today, result.tomorrow, result.overdue,
                  result.in_progress):
        items.sort(key=order)
    # Every planned callback in the order they come up (the unplanned, at risk, first).
    result.planned.sort(key=lambda cb: (cb.planned_at is not None, cb.planned_at or FAR_FUTURE,
                                        cb.id))
    return result


QUEUE_TABS = ("due", "later", "tomorrow", "planned", "overdue", "active", "done")


def _queue_bounds(org: Organization, now: datetime, policy: CallbackSettings
                  ) -> tuple[datetime, datetime, datetime, datetime]:
    zone = ZoneInfo(org.timezone)
    today = now.astimezone(zone).date()
    midnight = datetime.combine(today, time(0), tzinfo=zone)
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    day_after = datetime.combine(today + timedelta(days=2), time(0), tzinfo=zone)
    return midnight, tomorrow, day_after, now - timedelta(minutes=policy.overdue_minutes)


def _tab_filters(org: Organization, now: datetime,
                 policy: CallbackSettings) -> dict[str, ColumnElement[bool]]:
    """Each tab of the queue as a SQL condition over callbacks joined to their tickets
    (the same sorting as ``queue``)."""
    midnight, tomorrow, day_after, late = _queue_bounds(org, now, policy)
    planned = Callback.status == CallbackStatus.PLANNED
    overdue = and_(planned, or_(Ticket.sla_due_at <= now, Callback.planned_at < late))
    not_overdue = and_(planned, or_(Ticket.sla_due_at.is_(None), Ticket.sla_due_at > now),
                       or_(Callback.planned_at.is_(None), Callback.planned_at >= late))
    return {
        "due": and_(not_overdue, or_(Callback.planned_at.is_(None), Callback.planned_at <= now)),
        "later": and_(not_overdue, Callback.planned_at > now, Callback.planned_at < tomorrow),
        "tomorrow": and_(not_overdue, Callback.planned_at >= tomorrow,
                         Callback.planned_at < day_after),
        "planned": planned,
        "overdue": overdue,
        "active": Callback.status.in_((CallbackStatus.DIALING, CallbackStatus.CONNECTED)),
        "done": and_(Callback.status.in_(CLOSED_STATUSES), Callback.closed_at >= midnight),
    }


def _queue_select(org: Organization, role: str | None, topic: str | None, *columns,
                  assignee: int | None = None):
    query = (select(*columns).select_from(Callback)
             .join(Ticket, Ticket.id == Callback.ticket_id)
             .where(Callback.organization_id == org.id))
    if assignee is not None:  # «мои»: given to them, or planned for them
        query = query.where(func.coalesce(Callback.assignee_id, Callback.operator_id) == assignee)
    if role:
        query = query.where(Ticket.role == role)
    if topic:
        query = query.where(Ticket.topic == topic)
    return query


def queue_counts(org: Organization, *, policy: CallbackSettings, now: datetime | None = None,
                 role: str | None = None, topic: str | None = None,
                 assignee: int | None = None) -> dict[str, int]:
    """How many callbacks each tab of the queue holds: one aggregate query."""
    filters = _tab_filters(org, now or clock.now(), policy)
    row = db.session.execute(_queue_select(
        org, role, topic,
        *(func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(tab)
          for tab, condition in filters.items()), assignee=assignee,
    ).where(or_(Callback.status.in_(ACTIVE_STATUSES), Callback.closed_at >= _queue_bounds(
        org, now or clock.now(), policy)[0]))).one()
    return {tab: int(getattr(row, tab)) for tab in filters}


def queue_rows(org: Organization, tab: str, *, policy: CallbackSettings,
               now: datetime | None = None,
               role: str | None = None, topic: str | None = None, offset: int = 0,
               limit: int = 50, assignee: int | None = None) -> list[Callback]:
    """One page of a tab of the queue, in working order, with the tickets loaded."""
    filters = _tab_filters(org, now or clock.now(), policy)
    query = _queue_select(org, role, topic, Callback, assignee=assignee).where(
        filters[tab]).options(contains_eager(Callback.ticket))
    if tab == "done":
        query = query.order_by(Callback.closed_at, Callback.id)
    elif tab == "planned":  # in the order they come up, the unplanned (at risk) first
        query = query.order_by(Callback.planned_at.is_not(None), Callback.planned_at,
                               Callback.id)
    else:
        query = query.order_by(Ticket.sla_due_at.is_(None), Ticket.sla_due_at,
                               Callback.planned_at.is_(None), Callback.planned_at, Callback.id)
    return list(db.session.scalars(query.offset(offset).limit(limit)))


def words_for(ticket_ids: list[int], limit: int = 12) -> dict[int, str]:
    """``message_words`` of many tickets in one query (for a page of the queue)."""
    found: dict[int, str] = {}
    if not ticket_ids:
        return found
    rows = db.session.execute(
        select(Recording.ticket_id, Transcript.corrected_text, Transcript.text)
        .join(Transcript, Transcript.recording_id == Recording.id)
        .where(Recording.ticket_id.in_(ticket_ids))
        .order_by(Recording.ticket_id, Recording.id)
    )
    for ticket_id, corrected, text in rows:
        words = (corrected or text or "").split()
        if words and ticket_id not in found:
            found[ticket_id] = " ".join(words[:limit]) + ("…" if len(words) > limit else "")
    return found


def next_due(org: Organization, user: User, *, policy: CallbackSettings,
             after: int | None = None,
             now: datetime | None = None) -> Callback | None:
    """The callback to make next: overdue first, then due now; not one a colleague holds.

    ``after`` skips the one the operator is leaving (and those before it in the order)."""
    found = queue(org, policy=policy, now=now)
    order = [cb for cb in found.overdue + found.due_now
             if cb.claimed_by_id in (None, user.id)
             and (cb.assignee_id is None or cb.assignee_id == user.id)]
    if after is not None:
        ids = [cb.id for cb in order]
        if after in ids:
            order = order[ids.index(after) + 1:] + order[:ids.index(after)]
    return order[0] if order else None


def get(org_id: int, callback_id: int) -> Callback | None:
    """The callback with this id if it belongs to the organization."""
    callback = db.session.get(Callback, callback_id)
    return callback if callback is not None and callback.organization_id == org_id else None


def _same_org(callback: Callback, user: User | None) -> None:
    if user is not None and user.organization_id not in (None, callback.organization_id):
        raise CallbackError("this callback belongs to another organization")


def _may_act(callback: Callback, user: User | None) -> None:
    if user is None:
        return
    _same_org(callback, user)
    if (callback.claimed_by_id not in (None, user.id) and callback.status == CallbackStatus.DIALING
            and not user.has_role(UserRole.ADMIN)):
        raise CallbackError("another operator is calling this parent")


def claim(callback_id: int, user: User) -> Callback | None:
    """Take a waiting callback to call it now; None if someone else took it first."""
    callback = db.session.get(Callback, callback_id)
    if callback is None:
        return None
    _same_org(callback, user)
    now = clock.now()
    won = rowcount(db.session.execute(
        update(Callback)
        .where(Callback.id == callback_id, Callback.status == CallbackStatus.PLANNED)
        .values(status=CallbackStatus.DIALING, claimed_by_id=user.id, claimed_at=now,
                updated_at=now)
        .execution_options(synchronize_session=False)
    )) == 1
    if won:
        service.audit("callback.claimed", "callback", callback_id,
                      organization_id=callback.organization_id, actor=user.username,
                      user_id=user.id)
    db.session.commit()
    if not won:
        return None
    db.session.refresh(callback)
    return callback


def release(callback_id: int, user: User | None = None) -> Callback:
    """Give a claimed callback back to the queue, due now."""
    callback = _get(callback_id)
    _may_act(callback, user)
    if callback.status != CallbackStatus.DIALING:
        return callback
    close_open_attempts(callback, AttemptResult.QUEUED)
    to_queue(callback)
    db.session.commit()
    return callback


def _get(callback_id: int) -> Callback:
    callback = db.session.get(Callback, callback_id)
    if callback is None:
        raise CallbackError(f"no callback {callback_id}")
    return callback


def needs_call(callback: Callback, outcome: CallbackOutcome | str) -> bool:
    """Whether the operator must call before recording this outcome (the workspace asks).

    «Решено» and the like are what a conversation ended with: with no call under way or
    connected there was none. «Не дозвонились» may come from the operator's own phone.
    """
    return (CallbackOutcome(outcome) != CallbackOutcome.NO_ANSWER
            and callback.status == CallbackStatus.PLANNED)


def record_outcome(
    callback_id: int,
    outcome: CallbackOutcome | str,
    *,
    policy: CallbackSettings,
    user: User | None = None,
    note: str | None = None,
    decline_reason: DeclineReason | str | None = None,
    vendor_reference: str | None = None,
) -> Callback:
    """Record what came of the callback and move the ticket on accordingly.

    Recording the same outcome again changes nothing; a different one for a closed callback
    is refused. «No answer» counts as a failed attempt: retried, or «не дозвонились».
    """
    outcome = CallbackOutcome(outcome)
    if outcome in (CallbackOutcome.UNREACHABLE, CallbackOutcome.CANCELLED):
        raise CallbackError(f"{outcome} is set by the system, not recorded")
    reason = DeclineReason(decline_reason) if decline_reason else None
    if outcome == CallbackOutcome.DECLINED and reason is None:
        raise CallbackError("declining needs one of the regulations' reasons")
    if outcome == CallbackOutcome.ABUSIVE:
        reason = DeclineReason.ETHICS_VIOLATION
    callback = _get(callback_id)
    if callback.status in CLOSED_STATUSES:
        if callback.outcome == outcome:
            return callback
        raise CallbackError(f"the callback is closed already ({callback.outcome})")
    _may_act(callback, user)
    now = clock.now()
    actor = user.username if user else "system"
    user_id = user.id if user else None

    if outcome == CallbackOutcome.NO_ANSWER:
        # The operator's word settles the call under way, bridged or not: local telephony
        # and a lost status callback never report it, and an open attempt blocks the next call.
        attempt = open_attempt(callback)
        if attempt is None:
            # Called from the operator's own phone: keep a record of the attempt.
            attempt = CallbackAttempt(callback_id=callback.id, operator_id=user_id, mode="manual",
                                      status="completed", started_at=now, bridged_at=now)
            db.session.add(attempt)
            db.session.flush()
        if finish_attempt(attempt, AttemptResult.NO_ANSWER, now):
            caller_not_reached(callback, attempt.bridged_at or attempt.started_at or now, now,
                               policy=policy)
        service.audit("callback.outcome", "callback", callback.id,
                      organization_id=callback.organization_id, actor=actor, user_id=user_id,
                      outcome=str(outcome))
        db.session.commit()
        return callback

    close_open_attempts(callback, AttemptResult.CONNECTED)
    callback.status = CallbackStatus.DONE
    callback.outcome = str(outcome)
    callback.note = note
    callback.closed_at = now
    service.audit("callback.outcome", "callback", callback.id,
                  organization_id=callback.organization_id, actor=actor, user_id=user_id,
                  outcome=str(outcome))
    db.session.commit()
    _ticket_after(callback, outcome, actor=actor, user_id=user_id, note=note, reason=reason,
                  vendor_reference=vendor_reference)
    if outcome == CallbackOutcome.ABUSIVE:
        log.warning("ticket %s: help ended after insults (operator %s); supervisor to be told",
                    callback.ticket_id, actor)
    return callback


def _ticket_after(callback: Callback, outcome: CallbackOutcome, *, actor: str,
                  user_id: int | None, note: str | None, reason: DeclineReason | None,
                  vendor_reference: str | None) -> None:
    ticket = callback.ticket
    fields: dict = {}
    if outcome == CallbackOutcome.RESOLVED:
        status, fields = TicketStatus.RESOLVED, {"resolution": note or ticket.resolution}
    elif outcome == CallbackOutcome.VENDOR_SUPPORT:
        status = TicketStatus.ESCALATED
        fields = {"vendor_reference": vendor_reference or ticket.vendor_reference}
    elif outcome in (CallbackOutcome.DECLINED, CallbackOutcome.ABUSIVE):
        status, fields = TicketStatus.DECLINED, {"decline_reason": reason,
                                                 "resolution": note or ticket.resolution}
    else:  # a wrong number: the consultant looks for another way to reach the caller
        status = TicketStatus.IN_PROGRESS if ticket.status == TicketStatus.NEW else ticket.status
    try:
        tickets.transition(ticket, status, actor=actor, user_id=user_id, **fields)
    except tickets.TicketError:
        db.session.rollback()
        log.warning("ticket %s stays %s after callback outcome %s", ticket.id, ticket.status,
                    outcome)


def postpone(
    callback_id: int,
    *,
    policy: CallbackSettings,
    user: User | None = None,
    minutes: float | None = None,
    until: datetime | None = None,
) -> Callback:
    """Put the callback off (15 minutes by default, or until a time), inside a callback window."""
    callback = _get(callback_id)
    _may_act(callback, user)
    if callback.status not in (CallbackStatus.PLANNED, CallbackStatus.DIALING):
        raise CallbackError(f"a {callback.status} callback cannot be postponed")
    now = clock.now()
    close_open_attempts(callback, AttemptResult.POSTPONED)
    delay = timedelta(minutes=policy.postpone_minutes if minutes is None else minutes)
    _pin(callback, until or now + delay, now, policy)
    service.audit("callback.postponed", "callback", callback.id,
                  organization_id=callback.organization_id,
                  actor=user.username if user else "system", user_id=user.id if user else None,
                  planned_at=iso(callback.planned_at))
    db.session.commit()
    return callback


def assign(callback: Callback, user: User | None, *, actor: str,
           actor_id: int | None = None) -> Callback:
    """Give the callback to a colleague (None: back to whoever the plan picks).

    The colleague becomes the callback's operator at once and through every re-plan; the
    automatic dialer still rings someone else on duty when they are busy or away."""
    if user is not None and (user.organization_id != callback.organization_id
                             or not user.active):
        raise ValueError("not a colleague at this organization")
    if not callback.is_active:
        raise ValueError("the callback is closed")
    previous = callback.assignee_id
    callback.assignee_id = user.id if user is not None else None
    if user is not None:
        callback.operator_id = user.id
    service.audit("callback.assigned", "callback", callback.id,
                  organization_id=callback.organization_id, actor=actor, user_id=actor_id,
                  assignee_id=callback.assignee_id, previous=previous)
    db.session.commit()
    return callback


def want_confirmation_sms(ticket: Ticket, policy: CallbackSettings, *,
                          commit: bool = True) -> bool:
    """Mark the ticket's confirmation SMS to be sent (when enabled); the job sends it.
    ``commit=False`` leaves the mark to the caller's commit."""
    if not policy.confirmation_sms_enabled or ticket.confirmation_sms is not None:
        return False
    if not (ticket.callback_number or ticket.caller_number):
        return False
    ticket.confirmation_sms = "pending"
    if commit:
        db.session.commit()
    return True


def cancel_for_ticket(ticket: Ticket, *, actor: str = "system",
                      user_id: int | None = None) -> int:
    """The ticket was closed another way: end its callbacks, whatever state they are in.

    A waiting callback, one being dialled and one whose call is connected all end as
    «отменён»; their unsettled calls are settled, so neither a late status callback nor the
    stale-attempt recovery can bring them back to the queue. Returns how many ended.
    """
    now = clock.now()
    ended = 0
    for callback in db.session.scalars(
        select(Callback).where(Callback.ticket_id == ticket.id,
                               Callback.status.in_(ACTIVE_STATUSES))
    ).all():
        won = rowcount(db.session.execute(
            update(Callback)
            .where(Callback.id == callback.id, Callback.status.in_(ACTIVE_STATUSES))
            .values(status=CallbackStatus.CANCELLED, outcome=str(CallbackOutcome.CANCELLED),
                    closed_at=now, updated_at=now, claimed_by_id=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )) == 1
        if not won:
            continue
        ended += 1
        for attempt in db.session.scalars(
            select(CallbackAttempt).where(CallbackAttempt.callback_id == callback.id,
                                          CallbackAttempt.result.is_(None))
        ).all():
            finish_attempt(attempt, AttemptResult.TICKET_CLOSED, now)
        service.audit("callback.cancelled", "callback", callback.id,
                      organization_id=callback.organization_id, actor=actor, user_id=user_id,
                      ticket_status=str(ticket.status))
    db.session.commit()
    if ended:
        log.info("ticket %s closed: %s callbacks ended", ticket.id, ended)
    return ended


def _ticket_closed(ticket: Ticket, *, actor: str = "system", user_id: int | None = None,
                   **_: object) -> None:
    cancel_for_ticket(ticket, actor=actor, user_id=user_id)


def _callback_needed(ticket: Ticket, **_: object) -> None:
    # A receiver is an entry point, as a view is: it reads the application's settings.
    request_callback(ticket, policy=core_settings.current().callbacks)


def subscribe() -> None:
    """Listen to the tickets domain (called at start-up): a ticket ready for its promised
    call back gets one planned; a closed ticket ends its callbacks; the consultant's pages
    read the tickets' callbacks through the reader registered here."""
    ticket_signals.callback_needed.connect(_callback_needed)
    ticket_signals.ticket_closed.connect(_ticket_closed)
    callback_port.register(TicketCallbacks())


def label(callback: Callback | None) -> str | None:
    """The Russian label the workspace shows for the callback («не дозвонились»...)."""
    if callback is None:
        return None
    if callback.status == CallbackStatus.DONE and callback.outcome:
        return prompts.OUTCOME_LABELS.get(callback.outcome)
    return prompts.STATUS_LABELS.get(str(callback.status))


def ticket_label(ticket: Ticket) -> str | None:
    """What the consultant sees about the ticket's latest callback."""
    latest = db.session.scalar(
        select(Callback).where(Callback.ticket_id == ticket.id).order_by(Callback.id.desc())
        .limit(1)
    )
    return label(latest)


def message_words(ticket: Ticket, limit: int = 12) -> str | None:
    """The first words of the caller's message (the consultant's correction when there is one)."""
    recordings = db.session.scalars(
        select(Recording).where(Recording.ticket_id == ticket.id).order_by(Recording.id)
    )
    for recording in recordings:
        transcript = recording.transcript
        if transcript is not None:
            text = (transcript.corrected_text or transcript.text or "").split()
            if text:
                return " ".join(text[:limit]) + ("…" if len(text) > limit else "")
    return None


# --- what happened to a call (shared by the dialer and the workspace) ------------------------


def open_attempt(callback: Callback) -> CallbackAttempt | None:
    """The callback's call that is not settled yet, if any."""
    return db.session.scalar(
        select(CallbackAttempt)
        .where(CallbackAttempt.callback_id == callback.id, CallbackAttempt.result.is_(None))
        .order_by(CallbackAttempt.id.desc())
        .limit(1)
    )


def close_open_attempts(callback: Callback, result: AttemptResult) -> None:
    """Settle every unsettled call of the callback (the operator decided)."""
    now = clock.now()
    for attempt in db.session.scalars(
        select(CallbackAttempt).where(
            CallbackAttempt.callback_id == callback.id, CallbackAttempt.result.is_(None)
        )
    ):
        final = result
        if result == AttemptResult.CONNECTED and attempt.bridged_at is None:
            final = AttemptResult.QUEUED  # the operator called from their own phone
        finish_attempt(attempt, final, now)


def finish_attempt(attempt: CallbackAttempt, result: AttemptResult, now: datetime) -> bool:
    """Settle the attempt once: True for the one caller whose UPDATE matched."""
    won = rowcount(db.session.execute(
        update(CallbackAttempt)
        .where(CallbackAttempt.id == attempt.id, CallbackAttempt.result.is_(None))
        .values(result=str(result))
        .execution_options(synchronize_session=False)
    )) == 1
    if won:
        db.session.refresh(attempt)
        if attempt.ended_at is None and result != AttemptResult.CONNECTED:
            attempt.ended_at = now
    return won


def caller_not_reached(callback: Callback, attempted_at: datetime, now: datetime, *,
                       policy: CallbackSettings) -> None:
    """Count a failed attempt: plan the next one, or give up with «не дозвонились»."""
    db.session.execute(
        update(Callback)
        .where(Callback.id == callback.id)
        .values(attempts=Callback.attempts + 1, last_attempt_at=attempted_at, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(callback)
    callback.claimed_by_id = callback.claimed_at = None
    if callback.attempts >= callback.max_attempts:
        callback.status = CallbackStatus.UNREACHABLE
        callback.outcome = str(CallbackOutcome.UNREACHABLE)
        callback.closed_at = now
        if policy.sms_enabled and callback.phone:
            callback.sms_status = "pending"  # sent by a job: no slow work inside a webhook
        service.audit("callback.unreachable", "callback", callback.id,
                      organization_id=callback.organization_id, attempts=callback.attempts)
        log.info("callback %s: %s attempts, caller not reached", callback.id, callback.attempts)
        return
    callback.status = CallbackStatus.PLANNED
    callback.not_before = attempted_at + timedelta(minutes=policy.retry_minutes)
    callback.planned_at = None
    callback.pinned = False
    place(callback, now, policy=policy)
    if callback.planned_at is None and callback.manual:
        # Left to the operators' queue, so the re-planner does not move it: the retry is due
        # in the first callback window after the interval.
        _pin(callback, callback.not_before, now, policy)
    log.info("callback %s: attempt %s failed, next at %s", callback.id, callback.attempts,
             iso(callback.planned_at))


def operator_missed(callback: Callback, now: datetime, *, policy: CallbackSettings) -> None:
    """The operator did not take the ring: ring again a little later, or leave it in the queue."""
    callback.operator_misses += 1
    callback.claimed_by_id = callback.claimed_at = None
    if callback.operator_misses >= policy.operator_misses:
        to_queue(callback)
        return
    callback.status = CallbackStatus.PLANNED
    callback.not_before = now + timedelta(minutes=policy.postpone_minutes)
    place(callback, now, policy=policy)


def to_queue(callback: Callback) -> None:
    """Leave the callback to the operators: due now in the queue, never rung automatically."""
    callback.status = CallbackStatus.PLANNED
    callback.manual = True
    callback.claimed_by_id = callback.claimed_at = None
    if callback.planned_at is None or callback.planned_at > clock.now():
        callback.planned_at = clock.now()


def _pin(callback: Callback, earliest: datetime, now: datetime,
         policy: CallbackSettings) -> None:
    """Put the callback at the first moment of a callback window at or after earliest."""
    org = db.session.get_one(Organization, callback.organization_id)
    plan = _planner(org, now, policy)
    slot = plan.first_open(earliest, _request(callback, org, earliest))
    callback.status = CallbackStatus.PLANNED
    callback.claimed_by_id = callback.claimed_at = None
    callback.pinned = True
    if slot is None:
        callback.planned_at, callback.at_risk = earliest, True
    else:
        callback.planned_at = slot.at
        callback.window_start, callback.window_end = slot.window_start, slot.window_end
        callback.at_risk = slot.at_risk


def iso(value: datetime | None) -> str | None:
    """An instant for an audit record or a log line."""
    return value.isoformat() if value else None
