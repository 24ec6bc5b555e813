"""The head's pages: reports with charts and CSV, and the audit log."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, render_template, request

from core import clock
from core import ui_text as t
from helpline import guard, reports
from helpline.admin import bp, charts
from helpline.admin import forms as f
from helpline.admin import service as admin
from helpline.admin.access import admin_required, org

CHARTS = ("days", "roles", "topics", "outcomes", "attempts")
AUDIT_LIMIT = 300


def _period() -> tuple[reports.Period | None, str | None]:
    """The period asked for (?from=&to=), else last month; or an error message."""
    current = org()
    today = f.today_in(current.timezone)
    first, last = request.args.get("from"), request.args.get("to")
    if not first and not last:
        return reports.last_month(today, current.timezone), None
    try:
        period = reports.Period(f.parse_date(first or ""), f.parse_date(last or ""),
                                current.timezone)
    except (f.FormError, ValueError):
        return None, t.ERR_REPORT_PERIOD
    return period, None


@bp.get("/reports")
@admin_required
def reports_page():
    """Calls, callbacks, deadlines and training for the chosen period."""
    current = org()
    today = f.today_in(current.timezone)
    period, error = _period()
    presets = {
        t.REPORT_LAST_MONTH: reports.last_month(today, current.timezone),
        t.REPORT_THIS_MONTH: reports.this_month(today, current.timezone),
    }
    if period is None:
        return render_template("admin/reports.html", report=None, error=error,
                               presets=presets, args=request.args), 400
    report = reports.cached(current, period, now=clock.now())
    return render_template(
        "admin/reports.html", report=report, error=None, presets=presets, args=request.args,
        query={"from": period.first.isoformat(), "to": period.last.isoformat()},
        table=reports.table, percent=reports.percent, duration=reports.duration_text,
        state_text=reports.state_text,
    )


@bp.get("/reports/chart/<name>.svg")
@admin_required
def report_chart(name: str):
    """One chart of the report as SVG (shown by the page as an image)."""
    if name not in CHARTS:
        abort(404)
    period, _error = _period()
    if period is None:
        abort(400)
    report = reports.cached(org(), period, now=clock.now())
    svg = report.drawn.get(name)
    if svg is None:
        svg = report.drawn[name] = _draw(report, name)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def _draw(report: reports.Report, name: str) -> bytes:
    """One chart of the report as SVG."""
    if name == "days":
        return charts.bars_by_day([d.strftime("%d.%m") for d, _ in report.by_day],
                                  [n for _, n in report.by_day])
    if name == "roles":
        return charts.horizontal_bars([n for n, _ in report.by_role],
                                      [c for _, c in report.by_role])
    if name == "topics":
        return charts.horizontal_bars([n for n, _ in report.by_topic],
                                      [c for _, c in report.by_topic])
    if name == "outcomes":
        return charts.horizontal_bars([t.CALL_OUTCOME[k] for k in report.outcomes],
                                      list(report.outcomes.values()), charts.OUTCOME_COLOURS)
    hist = report.callbacks.attempts_histogram
    return charts.horizontal_bars(list(hist), list(hist.values()))


@bp.get("/reports/<section>.csv")
@admin_required
def report_csv(section: str):
    """A section of the report (or all of it) as CSV for Excel: UTF-8 with BOM, ';'."""
    if section != "all" and section not in reports.SECTIONS:
        abort(404)
    period, _error = _period()
    if period is None:
        abort(400)
    current = org()
    report = reports.cached(current, period, now=clock.now())
    sections = reports.SECTIONS if section == "all" else (section,)
    body = reports.csv_text(report, sections).encode("utf-8")
    name = f"{current.slug}-{section}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store",
    })


# --- the audit log -------------------------------------------------------------------------------


@bp.get("/audit")
@admin_required
def audit():
    """Who listened to which recording, who changed what: filtered by action, person, dates."""
    current = org()
    zone = ZoneInfo(current.timezone)
    args = request.args
    action = args.get("action") or None
    error = None
    try:
        user_id = guard.parse_id(args.get("user"))
        start = _day_start(args.get("from"), zone)
        end = _day_start(args.get("to"), zone)
        if end is not None:
            end += timedelta(days=1)
    except (ValueError, f.FormError):
        user_id = start = end = None
        error = t.ERR_REPORT_PERIOD
    people = admin.audit_people(current)
    events = [] if error else admin.audit_events(current, action=action, user_id=user_id,
                                                 start=start, end=end, limit=AUDIT_LIMIT)
    labels = {**t.AUDIT_ACTION, **t.ADMIN_AUDIT_ACTION}
    return render_template(
        "admin/audit.html", events=events, people=people, names={u.id: u.name for u in people},
        actions=admin.audit_actions(current), labels=labels, args=args, error=error,
        limit=AUDIT_LIMIT,
    ), 400 if error else 200


def _day_start(value: str | None, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    return datetime.combine(f.parse_date(value), time(0), tzinfo=zone)
