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

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
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

from core import clock, phones, service
from core import ui_text as t
from core.access import current_org, format_day_time, format_when
from core.extensions import db
from core.models import AuditEvent, Organization, User, UserRole

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()

# Blueprints whose POSTs come from Twilio (signed), not from our forms.
TWILIO_BLUEPRINTS = ("ivr", "callbacks")

LOGIN_WINDOW = timedelta(minutes=15)
FAILURES_PER_USER_AND_ADDRESS = 5  # then wait until the window passes
FAILURES_PER_ADDRESS = 20  # one address guessing many usernames
FIELD_LIMIT = 200
# Checked when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:1000")


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
    app.register_error_handler(CSRFError, _csrf_error)
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page)
    app.after_request(_security_headers)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


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
    username = (request.form.get("username") or "").strip()[:64]
    password = (request.form.get("password") or "")[:FIELD_LIMIT]
    address = request.remote_addr or "-"
    if not username or not password:
        return _login_refused(t.LOGIN_EMPTY, username, 400)
    if _locked(username, address):
        minutes = int(LOGIN_WINDOW.total_seconds() // 60)
        return _login_refused(t.LOGIN_LOCKED.format(minutes=minutes), username, 429)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
    if user is None or not user.active or not user.check_password(password):
        event = service.audit("auth.login_failed", "user", user.id if user else None,
                              organization_id=user.organization_id if user else None,
                              actor=username)
        event.note = address  # the rate limit counts failures by this column
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


def _login_refused(message: str, username: str, status: int):
    return render_template("login.html", error=message, username=username,
                           next=_safe_next()), status


def _locked(username: str, address: str) -> bool:
    """Too many recent failures for this username from this address, or from this address."""
    since = clock.now() - LOGIN_WINDOW
    last_success = db.session.scalar(
        select(func.max(AuditEvent.at)).where(
            AuditEvent.action == "auth.login", AuditEvent.actor == username,
            AuditEvent.note == address,
        )
    )
    pair_since = max(since, last_success) if last_success else since
    failures = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "auth.login_failed", AuditEvent.note == address
    )
    pair = db.session.scalar(
        failures.where(AuditEvent.actor == username, AuditEvent.at > pair_since)
    )
    if pair >= FAILURES_PER_USER_AND_ADDRESS:
        return True
    return db.session.scalar(failures.where(AuditEvent.at > since)) >= FAILURES_PER_ADDRESS


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
    logout_user()
    session.clear()
    flash(t.LOGGED_OUT, "info")
    return redirect(url_for("auth.login"))


@bp.get("/workspace")
@login_required
def home():
    """Send the user to their page: the queue or the inbox."""
    roles = set(current_user.roles or ())
    if not roles & {r.value for r in UserRole}:
        return render_template("error.html", code=403, message=t.NO_ROLE_HOME), 403
    return redirect(home_url())


@bp.post("/organization")
@login_required
def switch_organization():
    """A regional admin picks the school to work in."""
    if not current_user.is_regional:
        abort(403)
    try:
        org_id = int(request.form.get("organization_id", ""))
    except ValueError:
        return bad_request(t.ORGANIZATION_UNKNOWN)
    org = db.session.get(Organization, org_id)
    if org is None:
        return bad_request(t.ORGANIZATION_UNKNOWN)
    session["org_id"] = org.id
    flash(t.ORGANIZATION_SWITCHED.format(name=org.name), "success")
    back = _safe_next()
    return redirect(back or home_url())


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
