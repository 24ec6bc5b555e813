"""Plan callbacks into the operators' callback windows: pure functions over plain values.

The capacity of a window is a grid of slots: an operator on duty takes one callback per
``1 h / capacity`` (6 an hour: 9:00, 9:10, ...). Requests are placed one by one, in the
order given (the service sorts them by SLA due instant), each in the earliest free slot at
or after its own earliest instant, with the least busy operator of that slot. A slot must
also fall inside the caller's waking hours in the caller's own time zone.

A new request does not re-plan the others: ``Planner.insert`` gives it the earliest slot that
is free or held by a movable plan of lower rank (a later SLA due instant), and only that
displaced plan moves on, the same way, so the cost is the slots scanned, not the queue's
length; the full re-plan (``plan``) runs when the schedule changes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core import worktime

KIND = worktime.CALLBACKS
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday, midnight UTC: the grid's origin


@dataclass(frozen=True)
class Request:
    key: int  # the callback's id
    earliest: datetime  # aware; no slot before this
    role: str | None = None
    topic: str | None = None
    sla_due: datetime | None = None
    caller_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))


@dataclass(frozen=True)
class Assignment:
    key: int
    at: datetime  # UTC
    window_start: datetime
    window_end: datetime
    operator_id: int | None
    at_risk: bool


class Planner:
    """Hand out slots of one organization's callback windows, remembering what is taken."""

    def __init__(
        self,
        schedule: worktime.Schedule,
        *,
        start: datetime,
        per_hour: int,
        horizon: timedelta = timedelta(days=60),
        caller_hours: tuple[time, time] = (time(9), time(21)),
        taken: Iterable[tuple[int | None, datetime]] = (),
    ) -> None:
        self.schedule = schedule
        self.start = start.astimezone(UTC)
        self.end = self.start + horizon
        self.spacing = timedelta(hours=1) / max(int(per_hour), 1)
        self.caller_hours = caller_hours
        self._windows: dict[tuple[str | None, str | None], list[worktime.Window]] = {}
        self._taken: set[tuple[int | None, datetime]] = set()
        self._load: Counter[tuple[int | None, date]] = Counter()
        self.steps = 0  # grid points examined, for tests and benchmarks
        for operator, at in taken:
            self.take(operator, at)

    def grid(self, at: datetime) -> datetime:
        """The slot that contains at (the grid point at or before it)."""
        steps = math.floor((at.astimezone(UTC) - _EPOCH) / self.spacing)
        return _EPOCH + self.spacing * steps

    def _ceil(self, at: datetime) -> datetime:
        point = self.grid(at)
        return point if point == at.astimezone(UTC) else point + self.spacing

    def take(self, operator: int | None, at: datetime) -> None:
        """Mark the slot containing at as taken by this operator."""
        slot = self.grid(at)
        self._taken.add((operator, slot))
        self._load[(operator, self._local_day(slot))] += 1

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self.schedule.zone).date()

    def windows(self, role: str | None, topic: str | None) -> list[worktime.Window]:
        """The callback windows from the start of today (whole, not cut at the start)."""
        key = (role, topic)
        if key not in self._windows:
            zone = self.schedule.zone
            today = datetime.combine(self.start.astimezone(zone).date(), time(0), tzinfo=zone)
            self._windows[key] = [
                w for w in worktime.windows(
                    self.schedule, today, self.end, kind=KIND, role=role, topic=topic)
                if w.end > self.start
            ]
        return self._windows[key]

    def caller_awake(self, at: datetime, zone: ZoneInfo) -> bool:
        """Tell whether at is within the hours a caller may be rung, in the caller's zone."""
        start, end = self.caller_hours
        local = at.astimezone(zone).time()
        return start <= local < end

    def _slots(self, request: Request):
        """The instants the request may take, earliest first: (window, at, people on duty).

        Grid points inside the request's windows, at or after its earliest instant, while the
        caller is awake; each one visited counts in ``steps``.
        """
        earliest = max(request.earliest.astimezone(UTC), self.start)
        for window in self.windows(request.role, request.topic):
            if window.end <= earliest:
                continue
            people: tuple[int | None, ...] = window.user_ids or (None,)
            first = self._ceil(max(window.start, earliest))
            at = first
            while at < window.end and (at + self.spacing <= window.end or at == first):
                self.steps += 1
                if self.caller_awake(at, request.caller_zone):
                    yield window, at, people
                at += self.spacing

    def _take_least_loaded(self, free: list[int | None], at: datetime) -> int | None:
        day = self._local_day(at)
        operator = min(free, key=lambda p: (self._load[(p, day)], p or 0))
        self.take(operator, at)
        return operator

    @staticmethod
    def _assignment(request: Request, window, at: datetime, operator: int | None) -> Assignment:
        return Assignment(
            key=request.key,
            at=at,
            window_start=window.start,
            window_end=window.end,
            operator_id=operator,
            at_risk=request.sla_due is not None and at > request.sla_due,
        )

    def place(self, request: Request) -> Assignment | None:
        """Give the request the earliest free slot at or after its earliest instant."""
        for window, at, people in self._slots(request):
            free = [p for p in people if (p, at) not in self._taken]
            if free:
                return self._assignment(request, window, at, self._take_least_loaded(free, at))
        return None

    def insert(
        self,
        request: Request,
        rank: Hashable,
        held: dict[tuple[int | None, datetime], tuple[Hashable, Request]],
    ) -> list[tuple[int, Assignment | None]]:
        """Place the request ahead of the movable plans of lower rank, moving only those it
        displaces (each in turn takes the earliest slot free or held by a lower rank).

        ``held`` maps each taken slot of a movable plan to that plan's (rank, request); the
        slots are taken already. Returns (key, assignment) of the request, then of each plan
        moved, in order; ``held`` is kept up to date.
        """
        moved: list[tuple[int, Assignment | None]] = []
        pending: tuple[Hashable, Request] | None = (rank, request)
        while pending is not None:
            rank, request = pending
            assignment, pending = self._place_ranked(request, rank, held)
            moved.append((request.key, assignment))
        return moved

    def _place_ranked(self, request, rank, held):
        for window, at, people in self._slots(request):
            free = [p for p in people if (p, at) not in self._taken]
            displaced = None
            if free:
                operator = self._take_least_loaded(free, at)
            else:
                lower = [p for p in people if (p, at) in held and held[(p, at)][0] > rank]
                if not lower:
                    continue
                # The lowest-ranked holder gives way; the slot stays taken.
                operator = max(lower, key=lambda p: held[(p, at)][0])
                displaced = held.pop((operator, at))
            held[(operator, at)] = (rank, request)
            return self._assignment(request, window, at, operator), displaced
        return None, None

    def first_open(self, earliest: datetime, request: Request) -> Assignment | None:
        """The first instant at or after earliest inside a window, ignoring capacity."""
        earliest = max(earliest.astimezone(UTC), self.start)
        for window in self.windows(request.role, request.topic):
            if window.end <= earliest:
                continue
            at = max(window.start, earliest)
            while at < window.end:
                if self.caller_awake(at, request.caller_zone):
                    people = window.user_ids or (None,)
                    return Assignment(
                        key=request.key, at=at, window_start=window.start,
                        window_end=window.end, operator_id=people[0],
                        at_risk=request.sla_due is not None and at > request.sla_due,
                    )
                # Wait for the caller's morning: step to the next grid point.
                at = self._ceil(at + timedelta(seconds=1))
        return None


def plan(planner: Planner, requests: Iterable[Request]) -> dict[int, Assignment | None]:
    """Place every request in the given order; None where no slot is left in the horizon."""
    return {request.key: planner.place(request) for request in requests}
