"""Working time: is the line open at an instant, when does it open next, what is T + N working days.

Pure functions over plain values (no Flask, no database). Every datetime going in or out is
timezone-aware; results are in UTC; the arithmetic happens in the schedule's own zone.

Working days come from the Russian production calendar in the `holidays` package
(`country_holidays("RU")`: public holidays, days off transferred by government decree,
working Saturdays), plus per-organisation overrides for decrees the installed library does
not know yet.

Decisions worth knowing:

- A working Saturday (the library's `weekend_workdays`) follows the duty schedule of the
  weekday whose day off it pays for. The library names that day after it ("Day off
  (substituted from 11/01/2025)" in its English), so 1 Nov 2025 works as Monday 3 Nov would
  have. When no such day can be found, and on a weekend day an override makes working, the
  day follows Monday's schedule: Monday is a full day in a usual timetable (a short Friday
  is common), and the decrees the library knows for 2025 and 2027 both move the day off to
  a Monday.
- Pre-holiday days (Labour Code art. 95) are derived: a working day is one hour shorter when
  the next calendar day is a public holiday of art. 112 (the library's holidays other than
  transferred days off "Day off (substituted from …)" and "(observed)" days, which are
  days off but not holidays). A working Saturday is also shortened when the day off it
  stands in for comes right before such a holiday, as the official calendars shorten 1 Nov
  2025 and 20 Feb 2021. On a shortened day, for each duty kind, the latest end among the
  day's weekly slots moves one hour earlier and every slot of that kind is clipped to it.
  "extra" duty set for a date is taken as given and never clipped.
- Weekend slots: a schedule with slots on Saturday or Sunday (a six-day school) keeps them on
  an ordinary weekend; holidays, transferred days off and override days off still close it,
  and a working Saturday uses the slots of the weekday it stands in for, not its own.
- With `working_days_only=False` (a vendor open "daily") each calendar day uses its own
  weekday's slots and the production calendar is ignored; date exceptions still apply.
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

try:  # the library's table of decrees (where has_data_for looks); absent in a future layout
    from holidays.countries.russia import RussiaStaticHolidays as _RussianDecrees
except ImportError:  # pragma: no cover
    _RussianDecrees = None  # type: ignore[misc, assignment]

from core import russian

__all__ = [
    "ClosedReason",
    "DateException",
    "DayInfo",
    "Openness",
    "ProductionCalendar",
    "Schedule",
    "Slot",
    "Window",
    "describe_hours",
    "due_instant",
    "is_open",
    "next_opening",
    "schedule_weekday",
    "windows",
]

CONSULTATION = "consultation"
CALLBACKS = "callbacks"
DUTY_KINDS = frozenset({CONSULTATION, CALLBACKS})
EXCEPTION_KINDS = frozenset({"leave", "closed", "extra"})

# Holiday names are in Russian whatever the server's locale: the library otherwise guesses
# the language from LANG, and the names may reach a caller or the operator pages.
_LANGUAGE = "ru"
_MONDAY = 0


class ClosedReason(StrEnum):
    """Why the line is closed, most decisive first."""

    CLOSED_DAY = "closed_day"  # a "closed" date exception: the organisation is shut
    HOLIDAY = "holiday"  # a public holiday or a day off by decree (or by override)
    WEEKEND = "weekend"  # an ordinary Saturday or Sunday with no duty
    OUTSIDE_HOURS = "outside_hours"  # there is no duty of this kind at this time today
    NOBODY_ON_DUTY = "nobody_on_duty"  # a slot covers now, but its people are away or
    # none of them serves this role or topic


def _check_naive_time(value: time | None, what: str) -> None:
    if value is not None and value.tzinfo is not None:
        raise ValueError(f"{what} must be a local (naive) time, got {value!r}")


@dataclass(frozen=True)
class Slot:
    """A weekly duty slot, in the schedule's local time; end > start (no overnight slots)."""

    weekday: int
    start: time
    end: time
    kind: str = CONSULTATION
    user_id: int | None = None  # None: the service itself (a vendor's hours), always staffed
    roles: frozenset[str] = frozenset()  # caller role codes served; empty: all
    topics: frozenset[str] = frozenset()  # topic codes served; empty: all

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        _check_naive_time(self.start, "start")
        _check_naive_time(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"slot must end after it starts: {self.start}-{self.end}")
        if self.kind not in DUTY_KINDS:
            raise ValueError(f"unknown duty kind {self.kind!r}")
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "topics", frozenset(self.topics))


@dataclass(frozen=True)
class DateException:
    """A one-day change to the schedule.

    - "leave": user_id is away, the whole day or only start-end;
    - "closed": the whole organisation is closed that day (user_id None, no times);
    - "extra": extra duty for user_id (None: the service) from start to end, of duty_kind,
      serving roles/topics (empty: all).
    """

    day: date
    kind: str
    user_id: int | None = None
    start: time | None = None
    end: time | None = None
    duty_kind: str = CONSULTATION
    roles: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.day, datetime):
            raise TypeError("day must be a date, not a datetime")
        if self.kind not in EXCEPTION_KINDS:
            raise ValueError(f"unknown exception kind {self.kind!r}")
        if self.duty_kind not in DUTY_KINDS:
            raise ValueError(f"unknown duty kind {self.duty_kind!r}")
        _check_naive_time(self.start, "start")
        _check_naive_time(self.end, "end")
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"exception must end after it starts: {self.start}-{self.end}")
        if self.kind == "leave" and self.user_id is None:
            raise ValueError("a leave needs the user_id of who is away")
        if self.kind == "closed" and (self.user_id is not None or self.start is not None):
            raise ValueError("a closed day closes the whole organisation for the whole day")
        if self.kind == "extra" and self.start is None:
            raise ValueError("extra duty needs start and end")
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "topics", frozenset(self.topics))


@dataclass(frozen=True)
class DayInfo:
    """What the production calendar says about one date."""

    working: bool
    schedule_weekday: int | None  # whose weekly slots apply (None on a day off)
    shortened: bool  # pre-holiday day, one hour shorter (Labour Code art. 95)
    holiday_name: str | None  # the library's name(s), in Russian, joined by "; "
    reason: ClosedReason | None  # HOLIDAY or WEEKEND on a day off, else None


# --- the library's Russian calendar, read once per year --------------------------------------


@dataclass(frozen=True)
class _YearData:
    names: Mapping[date, str]  # every library holiday dated in the year
    statutory: frozenset[date]  # art. 112 public holidays (not transfers, not observed)
    weekend_workdays: Mapping[date, date | None]  # working weekend day -> the day off it pays


@functools.cache
def _russian_holidays(years: tuple[int, ...]) -> holidays.HolidayBase:
    """Build the library's Russian calendar for these years (cached: it is slow to build)."""
    return holidays.country_holidays("RU", years=years, language=_LANGUAGE)


def _label_parts(template: str) -> tuple[str, str]:
    prefix, _, suffix = template.partition("%s")
    return prefix, suffix


def _substituted_from(calendar: holidays.HolidayBase, name: str) -> date | None:
    """The working weekend day a transferred day off is paid for, read from its name."""
    prefix, suffix = _label_parts(calendar.tr(calendar.substituted_label))
    if not (name.startswith(prefix) and name.endswith(suffix)):
        return None
    stamp = name[len(prefix) : len(name) - len(suffix)]
    try:
        return datetime.strptime(stamp, calendar.tr(calendar.substituted_date_format)).date()
    except ValueError:
        return None


def _is_observed(calendar: holidays.HolidayBase, name: str) -> bool:
    prefix, suffix = _label_parts(calendar.tr(calendar.observed_label))
    return (
        len(name) > len(prefix) + len(suffix) and name.startswith(prefix) and name.endswith(suffix)
    )


@functools.cache
def _year_data(year: int) -> _YearData:
    """Read holidays, art. 112 holidays and working weekends for one year from the library."""
    # Neighbouring years too: a transfer decree may name a day in the year before or after.
    calendar = _russian_holidays((year - 1, year, year + 1))
    names: dict[date, str] = {}
    statutory: set[date] = set()
    paid_by: dict[date, date] = {}  # working weekend day -> transferred day off
    for day in sorted(calendar):
        for name in calendar.get_list(day):
            source = _substituted_from(calendar, name)
            if source is not None:
                paid_by.setdefault(source, day)
            observed = _is_observed(calendar, name)
            if day.year == year and source is None and not observed:
                statutory.add(day)
        if day.year == year:
            names[day] = "; ".join(calendar.get_list(day))
    workdays = {day: paid_by.get(day) for day in calendar.weekend_workdays if day.year == year}
    return _YearData(
        names=names,
        statutory=frozenset(statutory),
        weekend_workdays=workdays,
    )


@functools.cache
def _decree_years() -> frozenset[int]:
    """Years whose transfer decree the installed library carries.

    The library's general rules produce a plausible calendar for any year (an "observed" day
    after a holiday on a Sunday), so the days themselves cannot tell a decreed year from a
    guessed one: its table of government decrees, keyed by year, can. A library too old or
    too new to have that table knows no decree we can vouch for.
    """
    table = getattr(_RussianDecrees, "special_public_holidays", None)
    return frozenset(table) if isinstance(table, Mapping) else frozenset()


class ProductionCalendar:
    """Russian production calendar from holidays.country_holidays("RU") plus per-org overrides.

    overrides: date -> True (a working day) or False (a day off), for decrees the installed
    library does not know. Overrides win over the library.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        checked: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"override keys must be dates, got {day!r}")
            checked[day] = bool(working)
        self._overrides: Mapping[date, bool] = checked
        self._memo: dict[date, DayInfo] = {}

    @property
    def overrides(self) -> Mapping[date, bool]:
        return dict(self._overrides)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProductionCalendar):
            return NotImplemented
        return self._overrides == other._overrides

    def __hash__(self) -> int:
        return hash(frozenset(self._overrides.items()))

    def __repr__(self) -> str:
        return f"ProductionCalendar(overrides={dict(self._overrides)!r})"

    def _library_working(self, d: date) -> bool:
        data = _year_data(d.year)
        if d.weekday() >= 5:
            return d in data.weekend_workdays
        return d not in data.names

    def is_working_day(self, d: date) -> bool:
        """Tell whether d is a working day (overrides first, then the library)."""
        override = self._overrides.get(d)
        return override if override is not None else self._library_working(d)

    def is_public_holiday(self, d: date) -> bool:
        """Tell whether d is a public holiday of Labour Code art. 112 and not worked."""
        return d in _year_data(d.year).statutory and not self.is_working_day(d)

    def is_plain_weekend(self, d: date) -> bool:
        """Tell whether d is a Saturday or Sunday off only by the five-day week.

        Not a holiday, not a transfer, not a day off by override.
        """
        return (
            d.weekday() >= 5
            and d not in self._overrides
            and d not in _year_data(d.year).names
            and not self._library_working(d)
        )

    def day_info(self, d: date) -> DayInfo:
        """Describe d: working or not, whose weekly slots apply, shortened, holiday name."""
        info = self._memo.get(d)
        if info is None:
            info = self._memo[d] = self._day_info(d)
        return info

    def _day_info(self, d: date) -> DayInfo:
        data = _year_data(d.year)
        name = data.names.get(d)
        if not self.is_working_day(d):
            reason = ClosedReason.HOLIDAY
            if name is None and d.weekday() >= 5:
                reason = ClosedReason.WEEKEND
            return DayInfo(False, None, False, name, reason)
        weekday = d.weekday()
        shortened = self.is_public_holiday(d + timedelta(days=1))
        if weekday >= 5:
            paid = data.weekend_workdays.get(d)
            weekday = paid.weekday() if paid is not None else _MONDAY
            if paid is not None:
                shortened = shortened or self.is_public_holiday(paid + timedelta(days=1))
        return DayInfo(True, weekday, shortened, name, None)

    def add_working_days(self, d: date, n: int) -> date:
        """Return the nth working day after d (d itself not counted; n = 0 returns d)."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        while n:
            d = self.next_working_day(d)
            n -= 1
        return d

    def next_working_day(self, d: date) -> date:
        """Return the first working day strictly after d."""
        for _ in range(366):
            d += timedelta(days=1)
            if self.is_working_day(d):
                return d
        raise ValueError("no working day within a year; check the overrides")

    def has_data_for(self, year: int) -> bool:
        """Tell whether the library knows that year's transfer decree (warn at start-up if not)."""
        return year in _decree_years()


def schedule_weekday(calendar: ProductionCalendar, d: date) -> int | None:
    """Return whose weekly slots apply on d (0 = Monday), or None on a day off."""
    return calendar.day_info(d).schedule_weekday


# --- schedules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """An organisation's (or a vendor's) duty schedule in its own time zone."""

    timezone: str  # IANA, e.g. "Europe/Moscow", "Asia/Omsk"
    slots: tuple[Slot, ...]
    exceptions: tuple[DateException, ...] = ()
    calendar: ProductionCalendar = field(default_factory=ProductionCalendar)
    working_days_only: bool = True  # False: open every calendar day (holidays ignored)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)  # fail early on a misspelt zone
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.timezone!r}") from error
        object.__setattr__(self, "slots", tuple(self.slots))
        object.__setattr__(self, "exceptions", tuple(self.exceptions))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Openness:
    open: bool
    reason: ClosedReason | None  # None when open
    user_ids: tuple[int, ...]  # on duty now (empty when only the service itself is)
    until: datetime | None  # UTC: when the line stops being staffed, if open


@dataclass(frozen=True)
class Window:
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    user_ids: tuple[int, ...]  # the same people throughout the window


@dataclass(frozen=True)
class _Duty:
    start: time
    end: time
    user_id: int | None
    roles: frozenset[str]
    topics: frozenset[str]

    def serves(self, role: str | None, topic: str | None) -> bool:
        return (role is None or not self.roles or role in self.roles) and (
            topic is None or not self.topics or topic in self.topics
        )


@dataclass(frozen=True)
class _Segment:
    start: datetime  # local, aware
    end: datetime
    people: frozenset[int | None]  # None stands for the service itself


@dataclass(frozen=True)
class _DayPlan:
    closed: bool
    day_reason: ClosedReason | None  # why a day without duty of this kind has none
    duties: tuple[_Duty, ...]  # every duty of the kind today, before leave and filters
    segments: tuple[_Segment, ...]  # staffed stretches with the same people, in order


_Index = Mapping[date, tuple[DateException, ...]]


def _index_exceptions(schedule: Schedule) -> _Index:
    index: defaultdict[date, list[DateException]] = defaultdict(list)
    for exception in schedule.exceptions:
        index[exception.day].append(exception)
    return {day: tuple(items) for day, items in index.items()}


def _aware(value: datetime, name: str = "at") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value


def _subtract(
    start: time, end: time, holes: Iterable[tuple[time, time]]
) -> list[tuple[time, time]]:
    pieces = [(start, end)]
    for hole_start, hole_end in holes:
        next_pieces = []
        for piece_start, piece_end in pieces:
            if hole_end <= piece_start or hole_start >= piece_end:
                next_pieces.append((piece_start, piece_end))
                continue
            if piece_start < hole_start:
                next_pieces.append((piece_start, hole_start))
            if hole_end < piece_end:
                next_pieces.append((hole_end, piece_end))
        pieces = next_pieces
    return pieces


def _shorten(duties: list[_Duty], d: date) -> list[_Duty]:
    """Move the day's latest end one hour earlier and clip every duty to it (art. 95)."""
    if not duties:
        return duties
    latest = datetime.combine(d, max(duty.end for duty in duties))
    cutoff_at = latest - timedelta(hours=1)
    if cutoff_at.date() != d:
        return []
    cutoff = cutoff_at.time()
    return [
        _Duty(duty.start, min(duty.end, cutoff), duty.user_id, duty.roles, duty.topics)
        for duty in duties
        if duty.start < cutoff
    ]


def _plan_day(
    schedule: Schedule,
    index: _Index,
    d: date,
    kind: str,
    role: str | None,
    topic: str | None,
) -> _DayPlan:
    """Work out who is on duty on local date d, for one duty kind, role and topic."""
    exceptions = index.get(d, ())
    if any(exception.kind == "closed" for exception in exceptions):
        return _DayPlan(True, ClosedReason.CLOSED_DAY, (), ())

    if schedule.working_days_only:
        calendar = schedule.calendar
        info = calendar.day_info(d)
        weekday, shortened = info.schedule_weekday, info.shortened
        day_reason = info.reason or ClosedReason.OUTSIDE_HOURS
        if calendar.is_plain_weekend(d):
            # A schedule with slots on this weekday works six or seven days a week: only
            # holidays and transfers close it (pre-holiday rule as on any working day).
            weekday = d.weekday()
            shortened = calendar.is_public_holiday(d + timedelta(days=1))
    else:
        weekday, shortened = d.weekday(), False
        # No calendar here: a Saturday or Sunday without slots is still a weekend to a caller.
        day_reason = ClosedReason.WEEKEND if d.weekday() >= 5 else ClosedReason.OUTSIDE_HOURS

    regular = [
        _Duty(slot.start, slot.end, slot.user_id, slot.roles, slot.topics)
        for slot in schedule.slots
        if slot.weekday == weekday and slot.kind == kind
    ]
    if shortened:
        regular = _shorten(regular, d)
    extra = [
        _Duty(e.start, e.end, e.user_id, e.roles, e.topics)
        for e in exceptions
        if e.kind == "extra" and e.duty_kind == kind and e.start is not None and e.end is not None
    ]
    duties = tuple(regular + extra)

    leave: defaultdict[int | None, list[tuple[time, time]]] = defaultdict(list)
    for e in exceptions:
        if e.kind == "leave":
            leave[e.user_id].append((e.start or time.min, e.end or time.max))

    pieces: list[tuple[time, time, int | None]] = []
    for duty in duties:
        if duty.serves(role, topic):
            for start, end in _subtract(duty.start, duty.end, leave.get(duty.user_id, ())):
                pieces.append((start, end, duty.user_id))
    return _DayPlan(False, day_reason, duties, _sweep(pieces, d, schedule.zone))


def _sweep(
    pieces: list[tuple[time, time, int | None]], d: date, zone: ZoneInfo
) -> tuple[_Segment, ...]:
    """Cut the day at every start and end; merge neighbours with the same people."""
    cuts = sorted({t for start, end, _ in pieces for t in (start, end)})
    segments: list[_Segment] = []
    for left, right in itertools.pairwise(cuts):
        people = frozenset(user for start, end, user in pieces if start <= left and right <= end)
        if not people:
            continue
        start = datetime.combine(d, left, tzinfo=zone)
        end = datetime.combine(d, right, tzinfo=zone)
        if segments and segments[-1].end == start and segments[-1].people == people:
            segments[-1] = _Segment(segments[-1].start, end, people)
        else:
            segments.append(_Segment(start, end, people))
    return tuple(segments)


def _user_ids(people: Iterable[int | None]) -> tuple[int, ...]:
    return tuple(sorted(user for user in people if user is not None))


def _check_kind(kind: str) -> None:
    if kind not in DUTY_KINDS:
        raise ValueError(f"unknown duty kind {kind!r}")


def is_open(
    schedule: Schedule,
    at: datetime,
    *,
    kind: str = CONSULTATION,
    role: str | None = None,
    topic: str | None = None,
) -> Openness:
    """Tell whether the line is staffed at instant at for this kind, role and topic.

    Closed reasons, most decisive first: CLOSED_DAY (a "closed" exception), HOLIDAY (a day off
    by the calendar that is a holiday, a transfer or an override), WEEKEND (a plain Saturday or
    Sunday), then, on a day that has duty of this kind: NOBODY_ON_DUTY when a slot covers the
    moment but its people are on leave or serve other roles/topics, else OUTSIDE_HOURS. A day
    off with "extra" duty counts as a day with duty. `until` is when the line stops being
    staffed (the end of the contiguous open stretch, even if who is on duty changes before).
    """
    _check_kind(kind)
    local = _aware(at).astimezone(schedule.zone)
    d, moment = local.date(), local.time()
    plan = _plan_day(schedule, _index_exceptions(schedule), d, kind, role, topic)
    if plan.closed:
        return Openness(False, ClosedReason.CLOSED_DAY, (), None)
    for i, segment in enumerate(plan.segments):
        if segment.start <= local < segment.end:
            until = segment.end
            for following in plan.segments[i + 1 :]:
                if following.start != until:
                    break
                until = following.end
            return Openness(True, None, _user_ids(segment.people), until.astimezone(UTC))
    if not plan.duties:
        return Openness(False, plan.day_reason, (), None)
    if any(duty.start <= moment < duty.end for duty in plan.duties):
        return Openness(False, ClosedReason.NOBODY_ON_DUTY, (), None)
    return Openness(False, ClosedReason.OUTSIDE_HOURS, (), None)


def _local_days(zone: ZoneInfo, start: datetime, end: datetime) -> Iterable[date]:
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def windows(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    kind: str = CONSULTATION,
    role: str | None = None,
    topic: str | None = None,
) -> list[Window]:
    """List the staffed windows within [start, end), clipped to it, in UTC.

    A window has the same people on duty throughout; neighbouring stretches with different
    people are separate windows.
    """
    _check_kind(kind)
    start, end = _aware(start, "start").astimezone(UTC), _aware(end, "end").astimezone(UTC)
    if end <= start:
        return []
    index = _index_exceptions(schedule)
    result: list[Window] = []
    for d in _local_days(schedule.zone, start, end):
        for segment in _plan_day(schedule, index, d, kind, role, topic).segments:
            left = max(segment.start.astimezone(UTC), start)
            right = min(segment.end.astimezone(UTC), end)
            if left >= right:
                continue
            users = _user_ids(segment.people)
            if result and result[-1].end == left and result[-1].user_ids == users:
                result[-1] = Window(result[-1].start, right, users)
            else:
                result.append(Window(left, right, users))
    return result


def next_opening(
    schedule: Schedule,
    at: datetime,
    *,
    kind: str = CONSULTATION,
    role: str | None = None,
    topic: str | None = None,
    horizon_days: int = 400,
) -> datetime | None:
    """Return the first instant from at on when the line is staffed (at itself if open), UTC.

    None if nothing opens within horizon_days.
    """
    _check_kind(kind)
    at = _aware(at).astimezone(UTC)
    index = _index_exceptions(schedule)
    day = at.astimezone(schedule.zone).date()
    for _ in range(horizon_days + 1):
        for segment in _plan_day(schedule, index, day, kind, role, topic).segments:
            if segment.end.astimezone(UTC) > at:
                return max(segment.start.astimezone(UTC), at)
        day += timedelta(days=1)
    return None


def due_instant(
    calendar: ProductionCalendar, at: datetime, working_days: int, timezone: str
) -> datetime:
    """Return the end (23:59:59 local) of the nth working day after at's local date, in UTC."""
    zone = ZoneInfo(timezone)
    day = _aware(at).astimezone(zone).date()
    due = calendar.add_working_days(day, working_days)
    return datetime.combine(due, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def _merge(intervals: Iterable[tuple[time, time]]) -> tuple[tuple[time, time], ...]:
    merged: list[tuple[time, time]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def describe_hours(
    schedule: Schedule,
    *,
    kind: str = CONSULTATION,
    role: str | None = None,
    topic: str | None = None,
    listener_timezone: str | None = None,
) -> str:
    """Say the weekly hours in Russian, e.g. «по будням» from 13:00 to 15:00.

    Weekdays with the same hours are grouped («ежедневно», «по будням», a range of three or more
    days, «по понедельникам и средам»); groups are joined by commas in weekday order.
    Date exceptions, holidays and pre-holiday shortening are not described. When the listener
    is in another zone, the schedule's zone is named: «… по московскому времени».
    """
    _check_kind(kind)
    by_weekday: defaultdict[int, list[tuple[time, time]]] = defaultdict(list)
    for slot in schedule.slots:
        duty = _Duty(slot.start, slot.end, slot.user_id, slot.roles, slot.topics)
        if slot.kind == kind and duty.serves(role, topic):
            by_weekday[slot.weekday].append((slot.start, slot.end))
    if not by_weekday:
        return russian.NO_HOURS

    groups: dict[tuple[tuple[time, time], ...], list[int]] = {}
    for weekday in sorted(by_weekday):
        groups.setdefault(_merge(by_weekday[weekday]), []).append(weekday)
    phrase = ", ".join(
        f"{russian.weekdays_phrase(days)} {russian.hours_phrase(hours)}"
        for hours, days in groups.items()
    )
    if listener_timezone is not None and listener_timezone != schedule.timezone:
        offset = datetime.now(schedule.zone).utcoffset() or timedelta(0)
        phrase = f"{phrase} {russian.timezone_phrase(schedule.timezone, offset)}"
    return phrase
