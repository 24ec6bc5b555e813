"""Sign-in and the workspace's shared frame (who may see what is core.access).

- Flask-Login keeps the signed-in user in the session cookie (HttpOnly, SameSite=Lax, and
  Secure when the help line is served over https).
- Flask-WTF's CSRFProtect guards every POST, except the Twilio webhooks: Twilio signs those
  (``X-Twilio-Signature``) and cannot send our token.
- Failed sign-ins are written to the audit log; the same log is the rate limit (per username
  and address, and per address), so it holds across several web nodes without Redis.
- A user sees one organization: their own, or, for a regional admin, the one chosen in the
  header. Anything of another organization is a 404.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length

from core import clock, phones, service
from core import ui_text as t
from core.access import (
    audit_details,
    current_org,
    format_day_time,
    format_when,
    format_when_iso,
)
from core.extensions import db
from core.forms import Form, strip
from core.models import AuditEvent, Organization, User, UserRole

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()

# Blueprints whose POSTs come from Twilio (signed), not from our forms.
TWILIO_BLUEPRINTS = ("ivr", "callbacks")

LOGIN_WINDOW = timedelta(minutes=15)  # failures older than this are forgotten
# Exponential back-off: after FREE failures in a scope, each further try waits 1, 2, 4, 8 …
# seconds after the previous failure (at most MAX_DELAY). Nobody is locked out for good.
FREE_PER_USER_AND_ADDRESS = 3  # a user mistyping at their own desk
FREE_PER_USER = 5  # one name tried from many addresses (not applied at the user's usual one)
FAILURES_PER_ADDRESS = 20  # one address guessing many names: refused until the window ends
MAX_DELAY = timedelta(minutes=15)
USUAL_ADDRESS_DAYS = 90  # an address the user signed in from lately is «their usual one»
FIELD_LIMIT = 200


class LoginForm(Form):
    """The sign-in form: a name and a password, both needed; over-long input is cut."""

    username = StringField(filters=[strip, lambda v: v[:64]],
                           validators=[Length(min=1, message=t.LOGIN_EMPTY)])
    password = StringField(filters=[lambda v: (v if isinstance(v, str) else "")[:FIELD_LIMIT]],
                           validators=[Length(min=1, message=t.LOGIN_EMPTY)])


class OrganizationForm(Form):
    """A regional admin's choice of school: its id."""

    organization_id = IntegerField(validators=[InputRequired(t.ORGANIZATION_UNKNOWN)])


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A hash made as real users' are, checked when the name is unknown (same cost)."""
    return generate_password_hash(secrets.token_hex(16), method=method)


# --- setup ---------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Sign-in, CSRF, cookies, error pages and template helpers; call after the blueprints."""
    # Flask's own defaults are all set already (SameSite=None, Secure=False), so ours are
    # assigned, derived from the public URL: a school LAN on plain http still gets a cookie.
    https = app.config["PUBLIC_URL"].startswith("https://")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),  # a working day, then sign in again
    )
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)  # a working day on one page

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = t.LOGIN_REQUIRED
    login_manager.login_message_category = "info"

    csrf.init_app(app)
    for name in TWILIO_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])

    app.register_blueprint(bp)
    app.context_processor(_template_context)
    app.add_template_filter(format_when, "when")
    app.add_template_filter(format_day_time, "daytime")
    app.add_template_filter(phones.display, "phone")
    app.add_template_filter(audit_details, "audit_details")
    app.add_template_filter(format_when_iso, "when_iso")
    app.add_template_filter(format_talk, "talk")
    app.add_template_filter(phones.tel_uri, "tel")
    app.register_error_handler(CSRFError, _csrf_error)
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page)
    app.after_request(_security_headers)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user of a session cookie: its id and session generation must both still match.

    Logging out and changing the password bump the generation, so a copied cookie of an
    earlier session stops working at once (the cookie itself is only signed, not stored).
    """
    number, _, generation = user_id.partition(":")
    if not (number.isascii() and number.isdigit() and 0 < int(number) < 2**31):
        return None  # not one of our ids (the database would refuse it)
    user = db.session.get(User, int(number))
    if user is None or not user.active or not generation:
        return None
    return user if secrets.compare_digest(generation, str(user.session_generation)) else None


# --- where a user starts ----------------------------------------------------------------------


def home_url() -> str:
    """Where a user starts: operators at the queue, consultants at the inbox, admins at
    the settings (a regional admin with no school yet can only start there)."""
    if current_user.has_role(UserRole.OPERATOR.value):
        return url_for("operator.queue")
    if current_user.has_role(UserRole.ADMIN.value) and (
        not current_user.has_role(UserRole.CONSULTANT.value) or current_org() is None
    ):
        return url_for("admin.home")
    return url_for("tickets.inbox")


def bad_request(message: str, *, json: bool = False):
    """A 400 that says in Russian what to fix (the form is shown again by the caller)."""
    if json or request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=message), 400
    return render_template("error.html", code=400, message=message), 400


# --- the sign-in pages -----------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; check the password, within the rate limit."""
    if current_user.is_authenticated:
        return redirect(home_url())
    if request.method == "GET":
        return render_template("login.html", username="", next=_safe_next())
    form = LoginForm()
    username, password = form.username.data, form.password.data
    address = request.remote_addr or "-"
    if form.problem():
        return _login_refused(t.LOGIN_EMPTY, username, 400)
    wait = _wait_before_next_try(username, address)
    if wait > 0:
        return _login_refused(t.LOGIN_SLOW_DOWN.format(seconds=math.ceil(wait)), username, 429)
    user = db.session.scalar(select(User).where(User.username == username))
    # The hash is always checked, with the real users' method, so that an unknown name or a
    # disabled account answers as slowly as a wrong password: timing tells no names.
    if user is not None and user.password_hash:
        right = user.check_password(password)
    else:
        check_password_hash(_dummy_hash(_hash_method()), password)
        right = False
    if user is None or not user.active or not right:
        event = service.audit("auth.login_failed", "user", user.id if user else None,
                              organization_id=user.organization_id if user else None,
                              actor=username)
        event.note = address  # the back-off counts failures by this column
        db.session.commit()
        return _login_refused(t.LOGIN_FAILED, username, 400)
    login_user(user)
    session.permanent = True
    session.pop("org_id", None)
    event = service.audit("auth.login", "user", user.id, organization_id=user.organization_id,
                          actor=user.username, user_id=user.id)
    event.note = address
    db.session.commit()
    return redirect(_safe_next() or home_url())


def _hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


def _login_refused(message: str, username: str, status: int):
    return render_template("login.html", error=message, username=username,
                           next=_safe_next()), status


def _wait_before_next_try(username: str, address: str) -> float:
    """Seconds this username must wait before another try from this address (0: go ahead).

    Three scopes, each counted from the audit log (so it holds across web nodes):
    - this name from this address: exponential back-off after a few failures;
    - this name from anywhere: the same, but not at an address the user signed in from
      lately, so a stranger elsewhere guessing their password cannot keep them out;
    - this address, for any names: a hard limit per window (an address trying many names),
      again not for a user at their own usual address.
    A success resets the first two.
    """
    now = clock.now()
    since = now - LOGIN_WINDOW
    last_success = db.session.scalar(
        select(func.max(AuditEvent.at)).where(AuditEvent.action == "auth.login",
                                              AuditEvent.actor == username)
    )
    usual = last_success is not None and (db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.login", AuditEvent.actor == username,
            AuditEvent.note == address,
            AuditEvent.at > now - timedelta(days=USUAL_ADDRESS_DAYS),
        )
    ) or 0) > 0
    failures = select(func.count(), func.max(AuditEvent.at)).select_from(AuditEvent).where(
        AuditEvent.action == "auth.login_failed", AuditEvent.at > since
    )
    by_name = failures.where(AuditEvent.actor == username)
    if last_success is not None:
        by_name = by_name.where(AuditEvent.at > last_success)
    waits = [_backoff(*db.session.execute(by_name.where(AuditEvent.note == address)).one(),
                      free=FREE_PER_USER_AND_ADDRESS, now=now)]
    if not usual:
        waits.append(_backoff(*db.session.execute(by_name).one(), free=FREE_PER_USER, now=now))
        count, last = db.session.execute(failures.where(AuditEvent.note == address)).one()
        if count >= FAILURES_PER_ADDRESS:
            waits.append((_aware(last) + LOGIN_WINDOW - now).total_seconds())
    return max(waits)


def _backoff(count: int, last: datetime | None, *, free: int, now: datetime) -> float:
    if count < free or last is None:
        return 0.0
    delay = min(timedelta(seconds=2 ** (count - free)), MAX_DELAY)
    return (_aware(last) + delay - now).total_seconds()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _safe_next() -> str | None:
    """A same-site path to return to after sign-in (never another host)."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST, so another site cannot sign the user out with a link)."""
    end_sessions(current_user)
    logout_user()
    session.clear()
    flash(t.LOGGED_OUT, "info")
    return redirect(url_for("auth.login"))


def end_sessions(user: User) -> None:
    """End every session of the user (this browser's and any copy of its cookie)."""
    user.session_generation = (user.session_generation or 0) + 1
    db.session.commit()


@bp.get("/workspace")
@login_required
def home():
    """Send the user to their page: the queue or the inbox."""
    roles = set(current_user.roles or ())
    if not roles & {r.value for r in UserRole}:
        return render_template("error.html", code=403, message=t.NO_ROLE_HOME), 403
    return redirect(home_url())


def remember_organization(org: Organization) -> None:
    """A regional admin's choice of school: for this session and the next sign-ins."""
    session["org_id"] = org.id
    g.pop("current_org", None)
    user = db.session.get(User, current_user.id)
    if user is not None and user.chosen_organization_id != org.id:
        user.chosen_organization_id = org.id
        db.session.commit()


@bp.post("/organization")
@login_required
def switch_organization():
    """A regional admin picks the school to work in."""
    if not current_user.is_regional:
        abort(403)
    form = OrganizationForm()
    if form.problem():
        return bad_request(t.ORGANIZATION_UNKNOWN)
    org = db.session.get(Organization, form.organization_id.data)
    if org is None:
        return bad_request(t.ORGANIZATION_UNKNOWN)
    remember_organization(org)
    flash(t.ORGANIZATION_SWITCHED.format(name=org.name), "success")
    back = _safe_next()
    return redirect(back or home_url())


def format_talk(seconds: int | None) -> str:
    """«1 мин 35 с», «40 с», or «не указано»."""
    if seconds is None:
        return t.NOT_SET
    minutes, rest = divmod(max(int(seconds), 0), 60)
    if not minutes:
        return f"{rest} {t.SECONDS_SHORT}"
    return f"{minutes} {t.MINUTES_SHORT} {rest} {t.SECONDS_SHORT}" if rest else (
        f"{minutes} {t.MINUTES_SHORT}")


# --- templates -----------------------------------------------------------------------------


def _template_context() -> dict:
    org = current_org() if current_user.is_authenticated else None
    organizations = []
    if current_user.is_authenticated and current_user.is_regional:
        organizations = list(db.session.scalars(select(Organization).order_by(Organization.name)))
    return {
        "t": t,
        "org": org,
        "organizations": organizations,
        "local_telephony": current_app.config.get("TELEPHONY") == "local",
        "roles": set(current_user.roles or ()) if current_user.is_authenticated else set(),
    }


# --- errors --------------------------------------------------------------------------------

_MESSAGES = {400: t.ERROR_400, 403: t.ERROR_403, 404: t.ERROR_404, 405: t.ERROR_400,
             413: t.ERROR_400, 429: t.ERROR_429, 500: t.ERROR_500}


def _wants_json() -> bool:
    return request.is_json or request.path.startswith("/phone/api") or (
        request.accept_mimetypes.best == "application/json"
    )


def _csrf_error(error: CSRFError):
    if _wants_json():
        return jsonify(error=t.ERROR_CSRF), 400
    return render_template("error.html", code=400, message=t.ERROR_CSRF), 400


def _error_page(error: Exception):
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code >= 500:
        db.session.rollback()
    message = _MESSAGES.get(code, t.ERROR_400)
    if _wants_json():
        return jsonify(error=message), code
    return render_template("error.html", code=code, message=message), code


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        # Everything is served by the app itself: no CDN, no inline scripts.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
        )
    return response
