"""Glue between the app and the call simulator: `helpline call` and the browser phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from helpline import clock, service, telephony
from helpline.simulator import (
    Caller,
    CallSimulator,
    Conversation,
    DirectoryRecordingStore,
    InteractiveCaller,
    ScriptedCaller,
    flask_transport,
    render_event,
)


class SimulationError(ValueError):
    """The call cannot be placed as asked (bad --at, unknown number)."""


def simulator(on_event: Callable | None = None) -> CallSimulator:
    """A simulator that plays Twilio against this app in-process, signed with our token."""
    cfg = current_app.config
    base = cfg["PUBLIC_URL"]
    store = DirectoryRecordingStore(
        telephony.get().recordings_dir, base + "/ivr/simulator/recordings"
    )
    return CallSimulator(
        flask_transport(current_app.test_client(), base),
        base_url=base,
        auth_token=cfg["WEBHOOK_AUTH_TOKEN"],
        recordings=store,
        on_event=on_event,
    )


def parse_moment(value: str, timezone: str) -> datetime:
    """ "2026-11-28 22:00" in the school's zone (or with an explicit offset) -> aware."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise SimulationError(f'--at must look like "2026-11-28 22:00", not {value!r}') from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def call(*, to: str, from_: str, at: str | None = None, keys: str | None = None,
         message: str | Path | None = None, dial: str = "completed",
         echo: Callable[[str], None] = print) -> Conversation:
    """Place one simulated call and echo the conversation as it happens."""
    org = service.find_by_number(to)
    if org is None:
        raise SimulationError(f"no school is reached on {to}; run `helpline demo` first?")

    def show(event) -> None:
        line = render_event(event)
        if line:
            echo(line)

    caller: Caller
    if keys is None:
        caller = InteractiveCaller()
    else:
        caller = ScriptedCaller.from_keys(keys, message=Path(message) if message else None,
                                          dial=dial)
    sim = simulator(on_event=show)
    if at is None:
        return sim.call(to=to, from_=from_, caller=caller)
    with clock.shifted_to(parse_moment(at, org.timezone)):
        return sim.call(to=to, from_=from_, caller=caller)
