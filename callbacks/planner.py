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

A planner lives for one request but reads the whole queue's taken slots, so what it does per
taken slot is kept small: a slot is an integer (its index on the grid), taken slots are kept
per operator, and an operator's load on a local day is counted by bisecting that operator's
sorted indexes, with no time-zone arithmetic per slot. The windows themselves depend only on
the schedule and the days asked for, and are cached across planners (``_WINDOWS``).
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cachetools import LRUCache

from core import worktime

KIND = worktime.CALLBACKS
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday, midnight UTC: the grid's origin
EPOCH_SECONDS = int(_EPOCH.timestamp())  # the same, for SQL that computes grid indexes


def grid_index(at: datetime, spacing: timedelta) -> int:
    """The index of the grid slot containing at (aware): whole spacings since the origin."""
    return (at - _EPOCH) // spacing


# (id of the schedule, first local day, last local day, role, topic) -> (schedule, windows of
# those whole days). The schedule is kept in the value: while it is alive its id is not reused,
# and a hit is checked to be the same object.
_WINDOWS: LRUCache = LRUCache(maxsize=512)
_windows_lock = threading.Lock()


def _day_windows(schedule: worktime.Schedule, first: date, last: date, role: str | None,
                 topic: str | None) -> list[worktime.Window]:
    """The callback windows of the local days first..last (whole days), cached."""
    key = (id(schedule), first, last, role, topic)
    with _windows_lock:
        found = _WINDOWS.get(key)
    if found is not None and found[0] is schedule:
        return found[1]
    zone = schedule.zone
    windows = worktime.windows(
        schedule, datetime.combine(first, time(0), tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone),
        kind=KIND, role=role, topic=topic)
    with _windows_lock:
        _WINDOWS[key] = (schedule, windows)
    return windows


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
        self._zone = schedule.zone
        self._windows: dict[tuple[str | None, str | None], list[worktime.Window]] = {}
        # operator -> grid indexes taken; sorted copies, made when a day's load is counted
        self._taken: defaultdict[int | None, set[int]] = defaultdict(set)
        self._sorted: dict[int | None, list[int]] = {}
        self._days: dict[date, tuple[int, int]] = {}
        self.steps = 0  # grid points examined, for tests and benchmarks
        for operator, at in taken:
            self.take(operator, at)

    def index(self, at: datetime) -> int:
        """The index on the grid of the slot that contains at (aware)."""
        return grid_index(at, self.spacing)

    def _at(self, index: int) -> datetime:
        return _EPOCH + self.spacing * index

    def grid(self, at: datetime) -> datetime:
        """The slot that contains at (the grid point at or before it)."""
        return self._at(self.index(at))

    def _ceil(self, at: datetime) -> datetime:
        point = self.grid(at)
        return point if point == at.astimezone(UTC) else point + self.spacing

    def take(self, operator: int | None, at: datetime) -> None:
        """Mark the slot containing at as taken by this operator."""
        self._take(operator, self.index(at))

    def _take(self, operator: int | None, index: int) -> None:
        self._taken[operator].add(index)
        self._sorted.pop(operator, None)

    def take_indexes(self, operator: int | None, indexes: Iterable[int]) -> None:
        """Mark these grid indexes (see ``index``) as taken by this operator, at once."""
        self._taken[operator].update(indexes)
        self._sorted.pop(operator, None)

    def is_taken(self, operator: int | None, at: datetime) -> bool:
        return self.index(at) in self._taken.get(operator, ())

    def _day_bounds(self, day: date) -> tuple[int, int]:
        """The grid indexes [first, last) of the slots starting on this local day."""
        bounds = self._days.get(day)
        if bounds is None:
            midnight = datetime.combine(day, time(0), tzinfo=self._zone)
            following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self._zone)
            bounds = self._days[day] = (-(-(midnight - _EPOCH) // self.spacing),
                                        -(-(following - _EPOCH) // self.spacing))
        return bounds

    def load(self, operator: int | None, day: date) -> int:
        """How many slots this operator has taken on this local day."""
        indexes = self._sorted.get(operator)
        if indexes is None:
            indexes = self._sorted[operator] = sorted(self._taken.get(operator, ()))
        first, last = self._day_bounds(day)
        return bisect.bisect_left(indexes, last) - bisect.bisect_left(indexes, first)

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self._zone).date()

    def windows(self, role: str | None, topic: str | None) -> list[worktime.Window]:
        """The callback windows from the start of today (whole, not cut at the start)."""
        key = (role, topic)
        found = self._windows.get(key)
        if found is None:
            first = self.start.astimezone(self._zone).date()
            last = self.end.astimezone(self._zone).date()
            found = []
            for w in _day_windows(self.schedule, first, last, role, topic):
                if w.start >= self.end:
                    break
                if w.end <= self.start:
                    continue
                found.append(w if w.end <= self.end else worktime.Window(w.start, self.end,
                                                                         w.user_ids))
            self._windows[key] = found
        return found

    def caller_awake(self, at: datetime, zone: ZoneInfo) -> bool:
        """Tell whether at is within the hours a caller may be rung, in the caller's zone."""
        start, end = self.caller_hours
        local = at.astimezone(zone).time()
        return start <= local < end

    def _slots(self, request: Request, free_only: bool = False,
               ) -> Iterator[tuple[worktime.Window, datetime, int, tuple[int | None, ...]]]:
        """The slots the request may take, earliest first: (window, at, index, people on duty).

        Grid points inside the request's windows, at or after its earliest instant, while the
        caller is awake, and (free_only) where someone on duty is free; each one visited
        counts in ``steps``. Whether a slot is full is asked first: it is the cheap question.
        """
        earliest = max(request.earliest.astimezone(UTC), self.start)
        for window in self.windows(request.role, request.topic):
            if window.end <= earliest:
                continue
            people: tuple[int | None, ...] = window.user_ids or (None,)
            sets = [self._taken[p] for p in people]
            start = self._ceil(max(window.start, earliest))
            if start >= window.end:
                continue
            first = self.index(start)
            # Whole slots before the window's end; the first one even if cut short.
            for index in range(first, max(self.index(window.end), first + 1)):
                self.steps += 1
                if free_only and all(index in taken for taken in sets):
                    continue
                at = self._at(index)
                if self.caller_awake(at, request.caller_zone):
                    yield window, at, index, people

    def _free(self, index: int, people: tuple[int | None, ...]) -> list[int | None]:
        return [p for p in people if index not in self._taken[p]]

    def _take_least_loaded(self, free: list[int | None], at: datetime, index: int
                           ) -> int | None:
        if len(free) == 1:
            operator = free[0]
        else:
            day = self._local_day(at)
            operator = min(free, key=lambda p: (self.load(p, day), p or 0))
        self._take(operator, index)
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
        for window, at, index, people in self._slots(request, free_only=True):
            operator = self._take_least_loaded(self._free(index, people), at, index)
            return self._assignment(request, window, at, operator)
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
        for window, at, index, people in self._slots(request, free_only=not held):
            free = self._free(index, people)
            displaced = None
            if free:
                operator = self._take_least_loaded(free, at, index)
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
