"""Who may see what: the signed-in user's roles and organization, and its clock on pages.

Shared by every blueprint (the domains' pages and the web layer's), so it sits in the core;
signing in and out is the web layer's (helpline.auth).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import abort, g, session
from flask_login import current_user, login_required
from sqlalchemy import select

from core import clock
from core import ui_text as t
from core.extensions import db
from core.models import Organization, UserRole


def roles_required(*roles: str):
    """Let in signed-in users with one of the roles (an admin may do everything)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            allowed = set(roles) | {UserRole.ADMIN.value}
            if not allowed & set(current_user.roles or ()):
                abort(403)
            if current_org() is None:
                abort(404)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_org() -> Organization | None:
    """The organization the signed-in user works in (a regional admin's choice)."""
    if "current_org" in g:
        return g.current_org
    org = None
    if current_user.is_authenticated:
        if current_user.organization_id is not None:
            org = db.session.get(Organization, current_user.organization_id)
        elif current_user.is_regional:
            chosen = session.get("org_id") or current_user.chosen_organization_id
            org = db.session.get(Organization, chosen) if isinstance(chosen, int) else None
            if org is None:
                org = db.session.scalar(select(Organization).order_by(Organization.id).limit(1))
    g.current_org = org
    return org


def require_org() -> Organization:
    """The user's organization, in a view that needs one (roles_required has checked it)."""
    org = current_org()
    if org is None:
        abort(404)
    return org


def actor() -> dict:
    """Who is acting, as the service layer's audit() takes it."""
    return {"actor": current_user.username, "user_id": current_user.id}


# --- times on pages ------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    org = current_org() if current_user.is_authenticated else None
    return ZoneInfo(org.timezone if org else "Europe/Moscow")


WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def format_when(moment: datetime | None) -> str:
    """«пн 30.11.2026, 13:05» in the organization's time zone."""
    if moment is None:
        return t.NOT_SET
    local = moment.astimezone(_zone())
    return f"{WEEKDAYS_SHORT[local.weekday()]} {local:%d.%m.%Y, %H:%M}"


def format_day_time(moment: datetime | None) -> str:
    """«13:05» today, «пн 30.11, 13:05» on another day (organization's zone)."""
    if moment is None:
        return t.NOT_SET
    zone = _zone()
    local = moment.astimezone(zone)
    if local.date() == clock.now().astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{WEEKDAYS_SHORT[local.weekday()]} {local:%d.%m, %H:%M}"


# --- the audit log in words ----------------------------------------------------------------

_ISO_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
_DETAIL_VALUES: dict[str, dict] = {  # audit detail -> the catalogue that names its codes
    "status": t.TICKET_STATUS, "previous": t.TICKET_STATUS, "ticket_status": t.TICKET_STATUS,
    "channel": t.CHANNEL, "outcome": t.CALLBACK_OUTCOME, "mode": t.AUDIT_MODE,
    "field": t.SUGGESTION_FIELD,
}


def format_when_iso(value: str | None) -> str:
    """An instant stored as ISO text (audit details), said as format_when says it."""
    try:
        return format_when(datetime.fromisoformat(value)) if value else t.NOT_SET
    except ValueError:
        return t.NOT_SET


def audit_details(details: dict | None) -> list[str]:
    """An audit event's details in Russian: «запланирован на: пн 30.11.2026, 09:00».

    Codes become their Russian names, instants the organization's local time, yes/no
    words; keys without a Russian name (internal ids) are left out.
    """
    shown = []
    for key, value in (details or {}).items():
        label = t.AUDIT_DETAIL.get(key)
        if label is None or value in (None, "", [], {}):
            continue
        shown.append(f"{label}: {_detail_value(key, value)}")
    return shown


def _detail_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return t.AUDIT_YES if value else t.AUDIT_NO
    if isinstance(value, list | tuple):
        return ", ".join(_detail_value(key, v) for v in value)
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        return format_when_iso(value)
    names = _DETAIL_VALUES.get(key)
    if names is not None:
        return str(names.get(value, value))
    return str(value)
