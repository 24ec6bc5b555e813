"""Settings of callbacks, the SLA watch and notifications, with their defaults.

Each one can be set like any other setting: ``HELPLINE_CALLBACK_MAX_ATTEMPTS=5`` in the
environment, or the key in ``create_app(test_config)``.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from core import settings as core_settings

# The defaults and their meanings live in core.settings (CallbackSettings, SmtpSettings).
DEFAULTS: dict[str, Any] = {
    **dict(core_settings._items(core_settings.CallbackSettings())),
    **dict(core_settings._items(core_settings.SmtpSettings())),
}


def get(name: str) -> Any:
    """The current application's value of a setting, or its default."""
    return core_settings.current().as_config()[name]


def caller_hours() -> tuple[time, time]:
    """The caller-local hours when a caller may be rung, as (start, end)."""
    raw = str(get("CALLBACK_CALLER_HOURS"))
    start, end = (part.strip() for part in raw.split("-", 1))
    return _time(start), _time(end)


def _time(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))
