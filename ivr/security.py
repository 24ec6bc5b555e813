"""Only Twilio (or our simulator, signing as Twilio does) may call the webhooks."""

from functools import wraps

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator


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
