"""Reports for the head: calls, callbacks, answer deadlines and training, over a period.

The calls are counted in the database (GROUP BY over the indexed organization and start
instant); tickets and callbacks of the period are read with one plain query each. The page
and its five charts ask for the same report, so ``cached`` keeps each for a minute, keyed
by the period and a version of the data (one aggregate query), so a change shows at once.
Dates are the organization's local dates; the period's ends are included. No Flask here: the admin
views draw the charts (helpline.admin.charts) and send the CSV.

Definitions (the numbers the head reads):

- a call is an inbound call to the school's number, counted on its local start date;
  its outcome is Call.outcome: live, voicemail, abandoned, transferred, info; a call that
  ended while the consultant's phone was ringing (outcome "ringing") was abandoned;
- a callback belongs to the period of its ticket (the message); callbacks cancelled before
  anybody was called (the ticket was closed another way) are not counted. An attempt is a
  call to the caller (the bridged leg); an attempt "reached" the caller when its result is
  connected. The wait is from the message (ticket created) to the first attempt;
- a ticket met its deadline when it was resolved or declined by its due instant
  (Ticket.sla_due_at: N working days, the training deadline for staff training). An open
  ticket past its due instant is overdue; an escalated ticket is still open for the school;
- training requests are tickets of staff about training (tickets.service.TRAINING).
"""

from __future__ import annotations

import csv
import io
import statistics
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cachetools import TTLCache
from sqlalchemy import func, or_, select

from callbacks.models import (
    CALLER_FAILURES,
    AttemptResult,
    Callback,
    CallbackAttempt,
    CallbackStatus,
)
from core import ui_text as t
from core.extensions import db
from core.models import Organization
from tickets.models import Call, Ticket
from tickets.service import TRAINING

OUTCOMES = ("live", "voicemail", "abandoned", "transferred", "info", "other")
CLOSED_OK = ("resolved", "declined")
MAX_DAYS = 366
CSV_DELIMITER = ";"  # what Excel expects in a Russian locale (the comma is the decimal mark)


@dataclass(frozen=True)
class Period:
    """Local dates [first, last] of an organization, both included."""

    first: date
    last: date
    timezone: str

    def __post_init__(self) -> None:
        if self.last < self.first or (self.last - self.first).days >= MAX_DAYS:
            raise ValueError("bad report period")

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=ZoneInfo(self.timezone)) \
            .astimezone(UTC)

    @property
    def end(self) -> datetime:
        nxt = self.last + timedelta(days=1)
        return datetime.combine(nxt, time(0), tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.timezone)).date()


def last_month(today: date, timezone: str) -> Period:
    """The calendar month before today's."""
    first_this = today.replace(day=1)
    last = first_this - timedelta(days=1)
    return Period(last.replace(day=1), last, timezone)


def this_month(today: date, timezone: str) -> Period:
    return Period(today.replace(day=1), today, timezone)


@dataclass
class CallbackStats:
    total: int = 0
    attempted: int = 0  # callbacks with at least one call to the caller
    reached: int = 0
    first_attempt: int = 0
    unreachable: int = 0
    attempts: int = 0  # calls to callers, all together
    attempts_histogram: dict[str, int] = field(default_factory=dict)  # "1", "2", "3", "4+"
    waits: list[timedelta] = field(default_factory=list)

    @property
    def attempts_per_callback(self) -> float | None:
        return self.attempts / self.attempted if self.attempted else None

    @property
    def wait_median(self) -> timedelta | None:
        return statistics.median_low(sorted(self.waits)) if self.waits else None

    @property
    def wait_max(self) -> timedelta | None:
        return max(self.waits) if self.waits else None


@dataclass(frozen=True)
class TicketRow:
    id: int
    number: int
    created_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    status: str
    topic: str | None
    state: str  # met, late, open (not yet due), overdue (open past due)

    def late_by(self, now: datetime) -> timedelta | None:
        if self.due_at is None or self.state not in ("late", "overdue"):
            return None
        return (self.closed_at or now) - self.due_at


@dataclass
class SlaStats:
    met: int = 0
    late: int = 0  # closed after the deadline, or open past it
    pending: int = 0  # open, deadline still ahead

    @property
    def due(self) -> int:
        return self.met + self.late

    @property
    def share(self) -> float | None:
        return self.met / self.due if self.due else None


@dataclass
class Report:
    period: Period
    now: datetime
    by_day: list[tuple[date, int]]
    by_role: list[tuple[str, int]]  # (Russian name, count), largest first
    by_topic: list[tuple[str, int]]
    outcomes: dict[str, int]
    callbacks: CallbackStats
    sla: SlaStats
    overdue: list[TicketRow]
    training: list[TicketRow]
    # Renderings of this report (the charts' SVG), kept with it while it is cached.
    drawn: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def total_calls(self) -> int:
        return sum(n for _, n in self.by_day)


CACHE_SECONDS = 60
_cache: TTLCache = TTLCache(maxsize=256, ttl=CACHE_SECONDS)
_cache_lock = threading.Lock()


def cached(org: Organization, period: Period, *, now: datetime) -> Report:
    """``build``, remembered per organization, period and version of the data."""
    key = (org.id, period, _version(org), now.replace(second=0, microsecond=0))
    with _cache_lock:
        report = _cache.get(key)
    if report is None:
        report = build(org, period, now=now)
        with _cache_lock:
            _cache[key] = report
    return report


def _version(org: Organization) -> tuple:
    """What changes whenever anything a report counts changes (one query)."""
    def one(*columns, where):
        return select(*columns).where(where).scalar_subquery()

    return tuple(db.session.execute(select(
        one(func.count(Ticket.id), where=Ticket.organization_id == org.id),
        one(func.max(Ticket.updated_at), where=Ticket.organization_id == org.id),
        one(func.max(Call.id), where=Call.organization_id == org.id),
        one(func.count(Call.outcome), where=Call.organization_id == org.id),
        one(func.max(Call.ended_at), where=Call.organization_id == org.id),
        one(func.max(Callback.updated_at), where=Callback.organization_id == org.id),
        one(func.max(CallbackAttempt.id), where=CallbackAttempt.callback_id.in_(
            select(Callback.id).where(Callback.organization_id == org.id))),
    )).one())


def build(org: Organization, period: Period, *, now: datetime) -> Report:
    """Everything the reports page shows, for one organization and period."""
    inbound = (Call.organization_id == org.id, Call.direction == "inbound",
               Call.started_at >= period.start, Call.started_at < period.end)
    groups = db.session.execute(
        select(Call.role, Call.topic, Call.outcome, func.count()).where(*inbound)
        .group_by(Call.role, Call.topic, Call.outcome)
    ).all()
    by_role: Counter = Counter()
    by_topic: Counter = Counter()
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for role, topic, outcome, n in groups:
        by_role[role] += n
        by_topic[topic] += n
        outcomes[_outcome(outcome)] += n
    per_day = _calls_per_day(inbound, period)
    roles = {r.code: r.name for r in org.roles}
    topics = {tp.code: tp.name for tp in org.topics}
    tickets = _tickets(org, period, now)
    training = _training_ids(org, period)
    return Report(
        period=period,
        now=now,
        by_day=[(day, per_day.get(day, 0)) for day in period.days()],
        by_role=_named(+by_role, roles),
        by_topic=_named(+by_topic, topics),
        outcomes=outcomes,
        callbacks=_callbacks(org, period),
        sla=_sla(tickets),
        overdue=sorted((r for r in tickets if r.state in ("late", "overdue")),
                       key=lambda r: (r.due_at or r.created_at, r.number)),
        training=[r for r in tickets if r.id in training],
    )


def _calls_per_day(inbound: tuple, period: Period) -> Counter:
    """Inbound calls per local date, grouped in the database."""
    zone = ZoneInfo(period.timezone)
    if db.engine.dialect.name == "postgresql":
        day = func.date(func.timezone(period.timezone, Call.started_at))
    else:
        offsets = {zone.utcoffset(datetime.combine(d, time(12))) for d in period.days()}
        offset = offsets.pop() if len(offsets) == 1 else None
        if offset is None:  # a change of offset inside the period: count in Python
            return Counter(period.local_date(at) for at in db.session.scalars(
                select(Call.started_at).where(*inbound)))
        minutes = int(offset.total_seconds() // 60)
        day = func.date(Call.started_at, f"{minutes:+d} minutes")
    found: Counter = Counter()
    for value, n in db.session.execute(select(day, func.count()).where(*inbound).group_by(day)):
        found[value if isinstance(value, date) else date.fromisoformat(value)] += n
    return found


def _outcome(value: str | None) -> str:
    if value == "ringing":
        return "abandoned"
    return value if value in OUTCOMES else "other"


def _named(counts: Counter, names: dict[str, str]) -> list[tuple[str, int]]:
    rows = [(names.get(code, code) if code else t.REPORT_NOT_CHOSEN, n)
            for code, n in counts.items()]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _tickets(org: Organization, period: Period, now: datetime) -> list[TicketRow]:
    rows = db.session.execute(
        select(Ticket.id, Ticket.number, Ticket.created_at, Ticket.sla_due_at, Ticket.closed_at,
               Ticket.status, Ticket.topic).where(
            Ticket.organization_id == org.id,
            Ticket.created_at >= period.start, Ticket.created_at < period.end,
        ).order_by(Ticket.created_at, Ticket.id)
    ).all()
    result = []
    for r in rows:
        status = str(r.status)
        if status in CLOSED_OK and r.closed_at is not None:
            state = "met" if r.sla_due_at is None or r.closed_at <= r.sla_due_at else "late"
        elif r.sla_due_at is not None and r.sla_due_at <= now:
            state = "overdue"
        else:
            state = "open"
        result.append(TicketRow(r.id, r.number, r.created_at, r.sla_due_at, r.closed_at, status,
                                r.topic, state))
    return result


def _training_ids(org: Organization, period: Period) -> set[int]:
    role, topic = TRAINING
    return set(db.session.scalars(select(Ticket.id).where(
        Ticket.organization_id == org.id, Ticket.role == role, Ticket.topic == topic,
        Ticket.created_at >= period.start, Ticket.created_at < period.end,
    )))


def _sla(rows: list[TicketRow]) -> SlaStats:
    stats = SlaStats()
    for row in rows:
        if row.state == "met":
            stats.met += 1
        elif row.state in ("late", "overdue"):
            stats.late += 1
        else:
            stats.pending += 1
    return stats


def _callbacks(org: Organization, period: Period) -> CallbackStats:
    rows = db.session.execute(
        select(Callback.id, Callback.status, Ticket.created_at).join(
            Ticket, Ticket.id == Callback.ticket_id).where(
            Callback.organization_id == org.id,
            Ticket.created_at >= period.start, Ticket.created_at < period.end,
        )
    ).all()
    if not rows:
        return CallbackStats(attempts_histogram=dict.fromkeys(("1", "2", "3", "4+"), 0))
    attempts: dict[int, list] = {r.id: [] for r in rows}
    # A call to the caller: bridged to their phone, or ended with a result that used one of
    # their attempts (the telephony may report no bridge for a caller who never answered).
    caller_results = [str(r) for r in (*CALLER_FAILURES, AttemptResult.CONNECTED)]
    for a in db.session.execute(
        select(CallbackAttempt.callback_id, CallbackAttempt.bridged_at,
               CallbackAttempt.started_at, CallbackAttempt.result)
        .join(Callback, Callback.id == CallbackAttempt.callback_id)
        .join(Ticket, Ticket.id == Callback.ticket_id)
        .where(Callback.organization_id == org.id,
               Ticket.created_at >= period.start, Ticket.created_at < period.end,
               or_(CallbackAttempt.bridged_at.is_not(None),
                   CallbackAttempt.result.in_(caller_results)))
        .order_by(func.coalesce(CallbackAttempt.bridged_at, CallbackAttempt.started_at),
                  CallbackAttempt.id)
    ):
        attempts[a.callback_id].append(a)
    stats = CallbackStats(attempts_histogram=dict.fromkeys(("1", "2", "3", "4+"), 0))
    for r in rows:
        made = attempts[r.id]
        if str(r.status) == CallbackStatus.CANCELLED and not made:
            continue  # not needed after all: the ticket was closed another way
        stats.total += 1
        if str(r.status) == CallbackStatus.UNREACHABLE:
            stats.unreachable += 1
        if not made:
            continue
        stats.attempted += 1
        stats.attempts += len(made)
        key = str(len(made)) if len(made) < 4 else "4+"
        stats.attempts_histogram[key] += 1
        stats.waits.append((made[0].bridged_at or made[0].started_at) - r.created_at)
        connected = [a.result == AttemptResult.CONNECTED for a in made]
        if any(connected):
            stats.reached += 1
        if connected[0]:
            stats.first_attempt += 1
    return stats


# --- presentation helpers shared by the page and the CSV -------------------------------------


def percent(share: float | None) -> str:
    """«87,5 %» (a Russian decimal comma), or a dash."""
    if share is None:
        return "—"
    value = f"{share * 100:.1f}".replace(".", ",").removesuffix(",0")
    return f"{value} %"


def percent_number(share: float | None) -> str:
    """The share as a number of percent for spreadsheets: «28,6», «100», or empty."""
    if share is None:
        return ""
    return f"{share * 100:.1f}".replace(".", ",").removesuffix(",0")


def duration_text(value: timedelta | None) -> str:
    """«1 дн. 3 ч 20 мин», «45 мин», or a dash."""
    if value is None:
        return "—"
    minutes = max(int(value.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} {t.DAYS_SHORT}")
    if hours:
        parts.append(f"{hours} {t.HOURS_SHORT}")
    if minutes or not parts:
        parts.append(f"{minutes} {t.MINUTES_SHORT}")
    return " ".join(parts)


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%d.%m.%Y %H:%M")


SECTIONS = ("days", "roles", "topics", "outcomes", "callbacks", "sla", "overdue", "training")


def table(report: Report, section: str, *, for_csv: bool = False
          ) -> tuple[list[str], list[list[str]]]:
    """One section as a header and rows of text (what the page and the CSV show).

    In the CSV a share is a plain number of percent («28,6», the header says «%»), so Excel
    reads it as a number; on the page it reads «28,6 %»."""
    zone = report.period.timezone
    share = percent_number if for_csv else percent
    share_header = t.REPORT_SHARE_PERCENT if for_csv else t.REPORT_SHARE
    if section == "days":
        return [t.REPORT_DAY, t.REPORT_COUNT], [
            [d.strftime("%d.%m.%Y"), str(n)] for d, n in report.by_day]
    if section == "roles":
        return [t.REPORT_ROLE, t.REPORT_COUNT], [[name, str(n)] for name, n in report.by_role]
    if section == "topics":
        return [t.REPORT_TOPIC, t.REPORT_COUNT], [[name, str(n)] for name, n in report.by_topic]
    if section == "outcomes":
        total = report.total_calls
        return [t.COL_RESULT, t.REPORT_COUNT, share_header], [
            [t.CALL_OUTCOME[k], str(n), share(n / total if total else None)]
            for k, n in report.outcomes.items()]
    if section == "callbacks":
        cb = report.callbacks
        return [t.REPORT_SECTIONS["callbacks"], t.REPORT_COUNT], [
            [t.REPORT_CALLBACKS_TOTAL, str(cb.total)],
            [t.REPORT_CALLBACKS_REACHED, str(cb.reached)],
            [t.REPORT_CALLBACKS_FIRST, str(cb.first_attempt)],
            [t.REPORT_CALLBACKS_UNREACHABLE, str(cb.unreachable)],
            [t.REPORT_CALLBACKS_ATTEMPTS, _decimal(cb.attempts_per_callback) or
             ("" if for_csv else "—")],
            [t.REPORT_CALLBACKS_WAIT_MEDIAN, duration_text(cb.wait_median)],
            [t.REPORT_CALLBACKS_WAIT_MAX, duration_text(cb.wait_max)],
        ] + [[f"{t.REPORT_ATTEMPTS_DIST}: {k}", str(n)]
             for k, n in cb.attempts_histogram.items()]
    if section == "sla":
        sla = report.sla
        return [t.REPORT_SECTIONS["sla"], t.REPORT_COUNT], [
            [t.REPORT_SLA_TOTAL, str(sla.due)],
            [t.REPORT_SLA_MET, str(sla.met)],
            [t.REPORT_SLA_LATE, str(sla.late)],
            [t.REPORT_SLA_SHARE_PERCENT if for_csv else t.REPORT_SLA_SHARE, share(sla.share)],
            [t.REPORT_SLA_OPEN, str(sla.pending)],
        ]
    if section in ("overdue", "training"):
        rows = report.overdue if section == "overdue" else report.training
        return [t.COL_TICKET, t.COL_CREATED, t.COL_DEADLINE, t.COL_CLOSED, t.COL_LATE,
                t.COL_STATUS], [
            [str(r.number), _local(r.created_at, zone), _local(r.due_at, zone),
             _local(r.closed_at, zone), duration_text(r.late_by(report.now))
             if r.late_by(report.now) else "", state_text(r)]
            for r in rows]
    raise KeyError(section)


def state_text(row: TicketRow) -> str:
    return {"met": t.TRAINING_MET, "late": t.TRAINING_LATE, "open": t.TRAINING_OPEN,
            "overdue": t.TRAINING_OVERDUE}[row.state]


def csv_text(report: Report, sections: tuple[str, ...] = SECTIONS) -> str:
    """The sections as CSV for Excel: UTF-8 with a BOM, ';' between fields.

    Several sections are separated by an empty line and headed by their Russian name.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    for i, section in enumerate(sections):
        if len(sections) > 1:
            if i:
                writer.writerow([])
            writer.writerow([t.REPORT_SECTIONS[section]])
        header, rows = table(report, section, for_csv=True)
        writer.writerow(header)
        writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()
