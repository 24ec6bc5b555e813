"""Webhook protections: only Twilio (or our simulator, signing as Twilio does) may call the
webhooks, and whatever breaks inside one, Twilio still gets TwiML back.

Shared by the IVR's and the callbacks' webhooks, so it lives in the core: callbacks sits
below ivr and may not import it."""

import logging
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException

from core.extensions import db

log = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL Twilio called: the configured public base + path + query.

    Behind nginx or ngrok `request.url` is not what Twilio signed, so it is rebuilt from
    HELPLINE_PUBLIC_URL.
    """
    path = request.full_path
    if path.endswith("?"):
        path = path[:-1]
    return current_app.config["PUBLIC_URL"] + path


def twilio_only(view):
    """Reject (403) a webhook whose X-Twilio-Signature does not match."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        cfg = current_app.config
        check = cfg["TWILIO_SIGNATURE_CHECK"] or cfg["TELEPHONY"] != "local"
        if check:
            token = cfg["WEBHOOK_AUTH_TOKEN"]
            signature = request.headers.get("X-Twilio-Signature", "")
            if not token or not signature:
                abort(403)
            if not RequestValidator(token).validate(signed_url(), request.form, signature):
                abort(403)
        return view(*args, **kwargs)

    return wrapper


def answer_failures_with_twiml(bp: Blueprint, answer: Callable[[], Response], what: str) -> None:
    """Let every unexpected error in `bp`'s webhooks answer `answer()` instead of a 500.

    Twilio reads an HTTP error to the caller as its English "application error" and hangs up;
    the handler rolls the session back (what was committed before stays) and answers valid
    TwiML. Client errors (403 for a bad signature, 404) pass through unchanged.
    """

    @bp.errorhandler(Exception)
    def failed(error: Exception):
        if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
            return error
        log.exception("%s webhook %s failed", what, request.path)
        try:
            db.session.rollback()
        except Exception:  # the database may be what failed
            log.exception("rollback after a %s webhook failure failed too", what)
        return answer()
