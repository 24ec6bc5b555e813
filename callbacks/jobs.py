"""Scheduler jobs of callbacks, the SLA watch and the digest.

Each job is a plain function that takes the app and pushes its own context; the database is
the queue, so every job is safe to run twice, late, or in another process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select, update

from callbacks import dialer, notify, prompts, service
from callbacks.models import Callback, CallbackOutcome, CallbackStatus
from core import clock, russian
from core import service as org_service
from core.extensions import db, rowcount
from core.models import AuditEvent, Organization, User, UserRole
from core.settings import SmtpSettings
from core.settings import of as settings_of
from tickets.models import OPEN_STATUSES, Ticket

log = logging.getLogger(__name__)


def dial_due_callbacks(app: Flask) -> list[int]:
    """Ring the operators for the callbacks whose time has come; return the callbacks rung."""
    config = settings_of(app)
    with app.app_context():
        rung = []
        for callback_id in dialer.due():
            try:
                attempt = dialer.ring(callback_id, base_url=config.public_url,
                                      policy=config.callbacks)
            except Exception:  # one broken callback must not stop the others
                db.session.rollback()
                log.exception("callback %s: ringing failed", callback_id)
                continue
            if attempt is not None and attempt.result is None:  # None: the call was placed
                rung.append(callback_id)
        return rung


def plan_missing_callbacks(app: Flask, *, limit: int = 200) -> list[int]:
    """Plan a callback for every open ticket that was promised one and has none yet.

    Every ticket tells the caller «мы вам перезвоним»; most are planned in the <Record>
    action or after their transcript. This sweep catches the rest: fallback tickets kept
    while something was broken, tickets replayed from the spool, and tickets opened by the
    recording status callback alone (the action never came, or no transcript follows).
    Returns the tickets planned.
    """
    policy = settings_of(app).callbacks
    with app.app_context():
        has_callback = select(Callback.id).where(Callback.ticket_id == Ticket.id).exists()
        ticket_ids = db.session.scalars(
            select(Ticket.id)
            .where(Ticket.status.in_(OPEN_STATUSES), Ticket.needs_callback.is_(True),
                   Ticket.organization_id.is_not(None), ~has_callback)
            .order_by(Ticket.id)
            .limit(limit)
        ).all()
        planned = []
        for ticket_id in ticket_ids:
            try:
                service.request_callback(db.session.get_one(Ticket, ticket_id), policy=policy)
            except Exception:  # one broken ticket must not stop the others
                db.session.rollback()
                log.exception("ticket %s: planning its callback failed", ticket_id)
                continue
            planned.append(ticket_id)
        if planned:
            log.info("planned the missing callbacks of %s tickets", len(planned))
        return planned


def retries(app: Flask) -> dict[str, int]:
    """Keep the plan true: re-plan after schedule changes, settle silent calls, send SMS."""
    config = settings_of(app)
    with app.app_context():
        replanned = 0
        # Only schools with callbacks waiting can have a plan to move: a new callback is
        # placed on the schedule of its day anyway. A region's 1,500 schools were walked
        # every minute before (3 statements each), and a run outlasted its interval.
        waiting = select(Callback.organization_id).where(Callback.status == CallbackStatus.PLANNED)
        for org in db.session.scalars(select(Organization).where(Organization.id.in_(waiting))
                                      .order_by(Organization.id)).all():
            try:
                replanned += service.replan_if_schedule_changed(org, policy=config.callbacks)
            except Exception:
                db.session.rollback()
                log.exception("organization %s: re-planning failed", org.id)
        recovered = dialer.recover(policy=config.callbacks)
        sms = dialer.send_pending_sms()
        reported = report_abusive(config.smtp)
        return {"replanned": replanned, "recovered": recovered, "sms": sms,
                "abusive_reported": reported}


def send_confirmations(app: Flask) -> int:
    """Scheduler tick: the confirmation SMS of the messages just left. Safe to run twice."""
    with app.app_context():
        return dialer.send_confirmations()


def report_abusive(smtp: SmtpSettings) -> int:
    """Tell the supervisor (the admins) once about each help ended after insults."""
    reported = select(AuditEvent.object_id).where(
        AuditEvent.action == "callback.abusive_reported")
    pending = db.session.scalars(
        select(Callback).where(Callback.outcome == str(CallbackOutcome.ABUSIVE),
                               Callback.id.not_in(reported))
    ).all()
    for callback in pending:
        org = db.session.get_one(Organization, callback.organization_id)
        recorded = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "callback.outcome",
                                     AuditEvent.object_id == callback.id)
            .order_by(AuditEvent.id.desc()).limit(1)
        )
        operator = db.session.get(User, recorded.user_id) if recorded and recorded.user_id \
            else None
        org_service.audit("callback.abusive_reported", "callback", callback.id,
                          organization_id=org.id)
        db.session.commit()
        number = callback.ticket.number
        notify.send_mail(
            smtp, staff_emails(org, roles=(UserRole.ADMIN,)),
            prompts.ABUSIVE_SUBJECT.format(number=number),
            prompts.ABUSIVE_BODY.format(number=number, school=org.name,
                                        operator=operator.name if operator else "—",
                                        note=callback.note or "—"),
        )
    return len(pending)


# --- the SLA watch ------------------------------------------------------------------------------


def sla_watch(app: Flask) -> list[int]:
    """Escalate open tickets nearing their due instant: flag them, tell the consultant and admin."""
    config = settings_of(app)
    with app.app_context():
        now = clock.now()
        horizon = now + timedelta(hours=config.callbacks.sla_warning_hours)
        candidates = db.session.scalars(
            select(Ticket.id).where(
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.sla_escalated.is_(False),
                Ticket.sla_due_at.is_not(None),
                Ticket.sla_due_at <= horizon,
            ).order_by(Ticket.sla_due_at)
        ).all()
        escalated = []
        for ticket_id in candidates:
            won = rowcount(db.session.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.sla_escalated.is_(False))
                .values(sla_escalated=True)
                .execution_options(synchronize_session=False)
            )) == 1
            if not won:
                db.session.rollback()
                continue
            ticket = db.session.get_one(Ticket, ticket_id)
            org_service.audit("ticket.sla_escalated", "ticket", ticket.id,
                              organization_id=ticket.organization_id,
                              due=ticket.sla_due_at.isoformat() if ticket.sla_due_at else None)
            db.session.commit()
            escalated.append(ticket.id)
            _tell_about_sla(ticket, config.smtp)
        return escalated


def _tell_about_sla(ticket: Ticket, smtp: SmtpSettings) -> None:
    if ticket.sla_due_at is None:  # never: only tickets with a due instant are watched
        return
    due = ticket.sla_due_at
    org = db.session.get_one(Organization, ticket.organization_id)
    zone = ZoneInfo(org.timezone)
    topics = {t.code: t.name for t in org.topics}
    callback = service.active_for(ticket)
    if callback is not None and callback.planned_at is not None:
        plan = _say_moment(callback.planned_at.astimezone(zone))
        state = f"{service.label(callback)}, {plan}"
    else:
        state = service.ticket_label(ticket) or "не запланирован"
    subject = prompts.SLA_SUBJECT.format(number=ticket.number,
                                         when=_say_moment(due.astimezone(zone)))
    body = prompts.SLA_BODY.format(
        number=ticket.number, school=org.name,
        when=_say_moment(due.astimezone(zone)),
        topic=topics.get(ticket.topic or "", "не выбрана"),
        created=_say_moment(ticket.created_at.astimezone(zone)),
        callback=state,
    )
    notify.send_mail(smtp, staff_emails(org, ticket), subject, body)
    log.info("ticket %s/%s: SLA due soon, consultant and admin told", org.id, ticket.number)


def _say_moment(local: datetime) -> str:
    return f"{russian.say_date(local.date())}, в {local:%H:%M}"


def staff_emails(org: Organization, ticket: Ticket | None = None,
                 roles: tuple[str, ...] = (UserRole.CONSULTANT, UserRole.ADMIN)) -> list[str]:
    """E-mail addresses of the organization's consultants and admins (and regional admins)."""
    people = db.session.scalars(
        select(User).where(User.active.is_(True), User.email.is_not(None))
    ).all()
    emails: list[str] = []
    for user in people:
        ours = user.organization_id == org.id and any(user.has_role(r) for r in roles)
        regional = user.is_regional and UserRole.ADMIN in roles
        assignee = ticket is not None and user.id == ticket.assignee_id
        if (ours or regional or assignee) and user.email is not None:  # the query says so
            emails.append(user.email)
    return emails


# --- the digest -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    school: str
    day: date
    new: int
    done: int
    unreachable: int
    abusive: int
    at_risk: int
    today: int

    def subject(self) -> str:
        """The digest e-mail's subject."""
        return prompts.DIGEST_SUBJECT.format(school=self.school, day=_say_day(self.day))

    def text(self) -> str:
        """The digest e-mail's body."""
        return prompts.DIGEST_BODY.format(
            school=self.school, day=_say_day(self.day), new=self.new, done=self.done,
            unreachable=self.unreachable, abusive=self.abusive, at_risk=self.at_risk,
            today=self.today,
        )


def _say_day(day: date) -> str:
    return russian.say_date(day).split(", ", 1)[-1]  # «30 ноября»


def digest(org: Organization, day: date) -> Digest:
    """Count the day's requests and callbacks (the day in the organization's zone)."""
    zone = ZoneInfo(org.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = start + timedelta(days=1)
    next_end = end + timedelta(days=1)

    def count(*where) -> int:
        return db.session.scalar(select(func.count()).select_from(Callback).where(
            Callback.organization_id == org.id, *where)) or 0

    closed = (Callback.closed_at >= start, Callback.closed_at < end)
    return Digest(
        school=org.name,
        day=day,
        new=db.session.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.organization_id == org.id, Ticket.created_at >= start,
            Ticket.created_at < end)) or 0,
        done=count(Callback.status == CallbackStatus.DONE, *closed),
        unreachable=count(Callback.status == CallbackStatus.UNREACHABLE, *closed),
        abusive=count(Callback.outcome == str(CallbackOutcome.ABUSIVE), *closed),
        at_risk=count(Callback.status == CallbackStatus.PLANNED, Callback.at_risk.is_(True)),
        today=count(Callback.status == CallbackStatus.PLANNED, Callback.planned_at >= end,
                    Callback.planned_at < next_end),
    )


def nightly_digest(app: Flask) -> list[Digest]:
    """Send each organization the digest of yesterday, at its own DIGEST_HOUR (once a day)."""
    config = settings_of(app)
    with app.app_context():
        now = clock.now()
        hour = config.callbacks.digest_hour
        sent = []
        for org in db.session.scalars(select(Organization).order_by(Organization.id)).all():
            zone = ZoneInfo(org.timezone)
            local = now.astimezone(zone)
            if local.hour < hour:
                continue
            midnight = datetime.combine(local.date(), time(0), tzinfo=zone)
            already = db.session.scalar(select(AuditEvent.id).where(
                AuditEvent.organization_id == org.id, AuditEvent.action == "digest.sent",
                AuditEvent.at >= midnight,
            ).limit(1))
            if already is not None:
                continue
            report = digest(org, local.date() - timedelta(days=1))
            org_service.audit("digest.sent", "organization", org.id, organization_id=org.id,
                              day=report.day.isoformat())
            db.session.commit()
            notify.send_mail(config.smtp, staff_emails(org), report.subject(), report.text())
            sent.append(report)
        return sent
