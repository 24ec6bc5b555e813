"""Webhook protections: only Twilio (or our simulator, signing as Twilio does) may call the
webhooks, and whatever breaks inside one, Twilio still gets TwiML back.

Shared by the IVR's and the callbacks' webhooks, so it lives in the core: callbacks sits
below ivr and may not import it."""

import logging
import re
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, abort, g, request
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException

from core import settings
from core.extensions import db

log = logging.getLogger(__name__)

# Twilio's webhook forms are a few kB (a long SpeechResult included); anything bigger is
# refused with a 413 before the signature check reads it.
WEBHOOK_MAX_BYTES = 64 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ASCII_NUMBER = re.compile(r"[0-9]{1,9}")  # at most 999,999,999: fits a database integer
# Endpoints whose failure must be an HTTP 5xx (Twilio retries those), not TwiML.
_STATUS_CALLBACKS: set[str] = set()


def field(name: str, limit: int = 200) -> str:
    """A form field as the views use it: control characters (NUL …) gone, length capped."""
    return _CONTROL.sub("", (request.form.get(name) or "")[: limit * 2])[:limit].strip()


def small_number(value: str | None) -> int | None:
    """ASCII digits as an int (a duration, an attempt number); None for «²», «-1», 10**20."""
    value = (value or "").strip()
    return int(value) if _ASCII_NUMBER.fullmatch(value) else None


def status_callback(view):
    """Mark a status callback: when it fails it answers 503 so that Twilio tries again."""
    _STATUS_CALLBACKS.add(f"{view.__module__.rsplit('.', 1)[0]}.{view.__name__}")
    return view


def in_webhook() -> bool:
    """Inside a signed Twilio webhook (the database keeps its waits short there)."""
    return bool(g.get("twilio_webhook"))


def signed_url() -> str:
    """The URL Twilio called: the configured public base + path + query.

    Behind nginx or ngrok `request.url` is not what Twilio signed, so it is rebuilt from
    HELPLINE_PUBLIC_URL.
    """
    path = request.full_path
    if path.endswith("?"):
        path = path[:-1]
    return settings.current().public_url + path


def twilio_only(view):
    """Reject (403) a webhook whose X-Twilio-Signature does not match."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        config = settings.current()
        limit = config.webhook_max_bytes or WEBHOOK_MAX_BYTES
        request.max_content_length = limit  # also stops a chunked body without a length
        if (request.content_length or 0) > limit:
            abort(413)
        g.twilio_webhook = True
        if config.twilio_signature_check or not config.local:
            token = config.webhook_auth_token
            signature = request.headers.get("X-Twilio-Signature", "")
            if not token or not signature:
                abort(403)
            if not RequestValidator(token).validate(signed_url(), request.form, signature):
                abort(403)
        # A step commits what it wrote and then still reads the school and the call to build
        # its TwiML: keeping them loaded across the commit spares a reload (a transaction and
        # its timeouts) per object. The request's own session only; restored after it.
        session = db.session()
        expire = session.expire_on_commit
        session.expire_on_commit = False
        try:
            return view(*args, **kwargs)
        finally:
            session.expire_on_commit = expire

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
        if request.endpoint in _STATUS_CALLBACKS:
            return Response("", status=503, headers={"Retry-After": "30"})
        return answer()
