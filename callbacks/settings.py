"""Settings of callbacks, the SLA watch and notifications, with their defaults.

Each one can be set like any other setting: ``HELPLINE_CALLBACK_MAX_ATTEMPTS=5`` in the
environment, or the key in ``create_app(test_config)``.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    # A callback is never planned sooner than this many minutes from now.
    "CALLBACK_LEAD_MINUTES": 5,
    # Attempts to reach a caller, and the least time between two of them.
    "CALLBACK_MAX_ATTEMPTS": 3,
    "CALLBACK_RETRY_MINUTES": 60,
    # The operator's key 2 in the whisper, and the delay after an operator missed the ring.
    "CALLBACK_POSTPONE_MINUTES": 15,
    # After this many rings the operator did not take, the callback waits in the queue.
    "CALLBACK_OPERATOR_MISSES": 3,
    # Hours (in the caller's time zone) when a caller may be rung: never at night.
    "CALLBACK_CALLER_HOURS": "09:00-21:00",
    # Seconds the operator's phone and then the caller's phone ring.
    "CALLBACK_OPERATOR_RING_SECONDS": 25,
    "CALLBACK_DIAL_SECONDS": 30,
    # Answering machine detection on the caller's leg (a machine counts as "not reached").
    "CALLBACK_MACHINE_DETECTION": True,
    # A call with no news from the telephony for this long is settled by the recovery job.
    "CALLBACK_STALE_MINUTES": 30,
    # A callback claimed by an operator and left without an outcome returns to the queue.
    "CALLBACK_CLAIM_MINUTES": 120,
    # Queue: a callback this late is "overdue" rather than "due now".
    "CALLBACK_OVERDUE_MINUTES": 30,
    # Send the caller an SMS when the attempts are exhausted.
    "CALLBACK_SMS_ENABLED": False,
    # Send the caller an SMS with the ticket's number and the promised callback time right
    # after the voice message (sent by a job within a scheduler tick, never in the webhook).
    "CONFIRMATION_SMS_ENABLED": False,
    # SLA watch: escalate an open ticket this many hours before its due instant.
    "SLA_WARNING_HOURS": 16,
    # The digest of the day goes out at this hour, organization time.
    "DIGEST_HOUR": 7,
    # E-mail: without a host, messages are only logged (local mode).
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "SMTP_SENDER": "helpline@localhost",
    "SMTP_TIMEOUT": 10,
}


def get(name: str) -> Any:
    """The current application's value of a setting, or its default."""
    return current_app.config.get(name, DEFAULTS[name])


def caller_hours() -> tuple[time, time]:
    """The caller-local hours when a caller may be rung, as (start, end)."""
    raw = str(get("CALLBACK_CALLER_HOURS"))
    start, end = (part.strip() for part in raw.split("-", 1))
    return _time(start), _time(end)


def _time(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))
