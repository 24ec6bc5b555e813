"""The published help schedule: a public page per school, no sign-in.

The regulations ask the school to publish the consultant's schedule, with the phone and
e-mail, on its website and notice board. One set of facts (``facts``) feeds every form:

- ``/s/<slug>/``           the page itself (not frameable, like every page of ours);
- ``/s/<slug>/embed``      the same for an <iframe> on the school's site (frame-ancestors *);
- ``/s/<slug>/fragment``   plain HTML to paste or fetch into a page (CORS open: public data);
- ``/s/<slug>/print``      an A4 sheet for the notice board, headed «УТВЕРЖДАЮ»;
- ``/s/<slug>/schedule.pdf`` the same sheet as PDF, when WeasyPrint can run here.

``/prompt-audio/<org>/<name>`` serves a school's recorded IVR prompts to Twilio's <Play>
(public on purpose: Twilio cannot sign in; the names carry a random token).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, send_file
from sqlalchemy import select

from core import clock, phones, russian, service, worktime
from core import ui_text as t
from core.extensions import db
from core.models import DutyKind, ExceptionKind, Organization
from helpline.admin import service as admin

bp = Blueprint("public", __name__)
log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
CHANGES_AHEAD = timedelta(days=31)


@dataclass(frozen=True)
class Row:
    weekday: str
    hours: str  # «13:00–15:00», several joined by commas; a dash on a day without help
    who: str


@dataclass(frozen=True)
class Facts:
    """Everything the published schedule says, in Russian, ready to show."""

    org: Organization
    hours: str | None  # «по будням с 13:00 до 15:00», None without any
    rows: list[Row]
    callback_hours: str | None
    help_numbers: list[str]
    contact_phone: str | None
    contact_email: str | None
    sla: str  # «2 рабочих дней» (after «в течение»)
    training: str
    vendor: str | None
    vendor_phones: list[str]
    vendor_note: str
    vendor_email: str | None
    vendor_hours: str | None
    changes: list[tuple[date, str]]
    today: date


def _clock(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def facts(org: Organization, today: date | None = None) -> Facts:
    """Build what the public schedule says from the organization's current settings."""
    today = today or clock.now().astimezone(ZoneInfo(org.timezone)).date()
    schedule = service.schedule_for(org)
    consultation = [s for s in schedule.slots if s.kind == DutyKind.CONSULTATION.value]
    names = {u.id: u.name for u in service.users_by_id({s.user_id for s in consultation
                                                        if s.user_id})}
    rows = []
    for weekday in range(7):
        day_slots = sorted((s for s in consultation if s.weekday == weekday),
                           key=lambda s: (s.start, s.end))
        if weekday >= 5 and not day_slots:
            continue
        merged: list[list[time]] = []
        for s in day_slots:
            if merged and s.start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], s.end)
            else:
                merged.append([s.start, s.end])
        who = list(dict.fromkeys(names.get(s.user_id, "") if s.user_id is not None else ""
                                 for s in day_slots))
        rows.append(Row(
            weekday=t.WEEKDAYS[weekday].capitalize(),
            hours=", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in merged) or t.PUBLIC_DAY_OFF,
            who=", ".join(w for w in who if w),
        ))
    hours = worktime.describe_hours(schedule, kind=DutyKind.CONSULTATION.value) \
        if consultation else None
    has_callbacks = any(s.kind == DutyKind.CALLBACKS.value for s in schedule.slots)
    callback_hours = worktime.describe_hours(schedule, kind=DutyKind.CALLBACKS.value) \
        if has_callbacks else None
    vendor_hours = None
    if org.vendor_hours:
        vendor_hours = worktime.describe_hours(service.vendor_schedule(org),
                                               listener_timezone=org.timezone)
        if org.vendor_working_days_only:
            vendor_hours += t.PUBLIC_VENDOR_HOLIDAYS
    return Facts(
        org=org,
        hours=hours,
        rows=rows,
        callback_hours=callback_hours,
        help_numbers=[phones.display(p.number) for p in org.phones],
        contact_phone=phones.display(org.contact_phone) if org.contact_phone else None,
        contact_email=org.contact_email,
        sla=russian.plural(org.sla_working_days, "рабочего дня", "рабочих дней",
                           "рабочих дней"),
        training=russian.plural(org.training_deadline_days, "рабочего дня", "рабочих дней",
                                "рабочих дней"),
        vendor=org.vendor_name or org.journal_system or None,
        vendor_phones=[phones.display(p) for p in org.vendor_phones or ()],
        vendor_note=org.vendor_phone_note or "",
        vendor_email=org.vendor_email,
        vendor_hours=vendor_hours,
        changes=_changes(org, today),
        today=today,
    )


def _changes(org: Organization, today: date) -> list[tuple[date, str]]:
    """Closed days and extra hours of the coming month (a consultant's leave is private)."""
    found = []
    for e in org.exceptions:
        if not today <= e.day <= today + CHANGES_AHEAD:
            continue
        if e.kind == ExceptionKind.CLOSED:
            found.append((e.day, t.PUBLIC_CLOSED_DAY))
        elif e.kind == ExceptionKind.EXTRA and e.duty_kind == DutyKind.CONSULTATION \
                and e.start and e.end:
            found.append((e.day, t.PUBLIC_EXTRA.format(start=_clock(e.start),
                                                       end=_clock(e.end))))
    return sorted(found)


def _org(slug: str) -> Organization:
    org = db.session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        abort(404)
    return org


# --- the pages -------------------------------------------------------------------------------


@bp.get("/s/<slug>/")
def page(slug: str):
    """The school's help schedule for parents and staff."""
    return render_template("public/page.html", f=facts(_org(slug)), embed=False)


class EmbeddableResponse(Response):
    """A page that other sites may frame (its X-Frame-Options is dropped after every hook)."""


@bp.get("/s/<slug>/embed")
def embed(slug: str):
    """The same, to be framed by the school's website (this page only may be framed)."""
    response = EmbeddableResponse(
        render_template("public/page.html", f=facts(_org(slug)), embed=True))
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors *"
    )
    return response


@bp.get("/s/<slug>/fragment")
def fragment(slug: str):
    """Plain HTML (no page around it) for the school's site to paste or fetch."""
    response = Response(render_template("public/_schedule.html", f=facts(_org(slug)),
                                        fragment=True), mimetype="text/html")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/s/<slug>/print")
def print_page(slug: str):
    """An A4 sheet for the notice board, with the head's approval block."""
    return render_template("public/print.html", f=facts(_org(slug)), pdf=False,
                           pdf_available=pdf_available())


@bp.get("/s/<slug>/schedule.pdf")
def pdf(slug: str):
    """The printable sheet as PDF (WeasyPrint); a clear 404 where it cannot run."""
    org = _org(slug)
    if not pdf_available():
        return render_template("error.html", code=404, message=t.PDF_UNAVAILABLE), 404
    import weasyprint  # lazy: ~0.4 s to import, and optional (its system libraries may be absent)

    html = render_template("public/print.html", f=facts(org), pdf=True, pdf_available=True)
    document = weasyprint.HTML(string=html, base_url=str(STATIC))
    data = document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(STATIC / "print.css"))])
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{org.slug}-schedule.pdf"',
    })


@functools.cache
def pdf_available() -> bool:
    """Whether WeasyPrint and the system libraries it needs (Pango) are here."""
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress is INFO noise
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:  # OSError: libpango is missing
        log.warning("PDF of the schedule is off: %s", type(error).__name__)
        return False
    return True


@bp.get("/prompt-audio/<int:org_id>/<name>")
def prompt_audio(org_id: int, name: str):
    """A school's recorded prompt, for Twilio's <Play> and the admin's preview."""
    path = admin.audio_path(current_app.config["DATA_DIR"], org_id, name)
    if path is None:
        abort(404)
    mimetype = "audio/mpeg" if path.suffix == ".mp3" else "audio/wav"
    return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)


@bp.record_once
def _allow_framing(state) -> None:
    """Let the embed page be framed: drop X-Frame-Options from it after every other hook.

    The workspace's security headers (helpline.auth) add ``X-Frame-Options: DENY`` to every
    response that has none. This app-level hook is registered before them (blueprints are
    registered first), and Flask runs app-level after-request hooks in reverse order, so it
    runs last. Browsers obey CSP frame-ancestors over X-Frame-Options anyway.
    """

    def allow(response):
        if isinstance(response, EmbeddableResponse):
            response.headers.pop("X-Frame-Options", None)
        return response

    state.app.after_request(allow)

