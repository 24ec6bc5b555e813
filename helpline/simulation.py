"""Glue between the app and the call simulator: `helpline call` and the browser phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from callbacks import jobs
from core import clock, service, telephony
from core import ui_text as t
from simulator import (
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
    port = telephony.get()
    if not isinstance(port, telephony.LocalTelephony):
        raise SimulationError("the simulator needs HELPLINE_TELEPHONY=local")
    store = DirectoryRecordingStore(port.recordings_dir, base + "/ivr/simulator/recordings")
    return CallSimulator(
        flask_transport(current_app.test_client(), base),
        base_url=base,
        auth_token=cfg["WEBHOOK_AUTH_TOKEN"],
        recordings=store,
        on_event=on_event,
    )


_RELATIVE_DAYS = {
    "сегодня": 0, "завтра": 1, "послезавтра": 2, "today": 0, "tomorrow": 1,
}
_AT_FORMS = '"2026-11-28 22:00", "завтра 22:00", "сегодня 9:30" or "22:00"'


def parse_moment(value: str, timezone: str, now: datetime | None = None) -> datetime:
    """A moment in the school's zone -> aware: ISO ("2026-11-28 22:00", an offset allowed),
    or relative to now there ("завтра 22:00", "tomorrow 9:30", "сегодня 13:30", "22:00")."""
    zone = ZoneInfo(timezone)
    text = " ".join(value.strip().lower().split())
    day_word, _, clock_text = text.rpartition(" ")
    if day_word in _RELATIVE_DAYS or (not day_word and ":" in clock_text and "-" not in text):
        try:
            at_time = time.fromisoformat(clock_text.zfill(5))
        except ValueError as exc:
            raise SimulationError(f"--at must look like {_AT_FORMS}, not {value!r}") from exc
        today = (now or clock.now()).astimezone(zone).date()
        day = today + timedelta(days=_RELATIVE_DAYS.get(day_word, 0))
        return datetime.combine(day, at_time, tzinfo=zone)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise SimulationError(f"--at must look like {_AT_FORMS}, not {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def ring_due(*, to: str, at: str | None = None, keys: str | None = None,
             dial: str = "completed", echo: Callable[[str], None] = print) -> list[Conversation]:
    """Ring the operators of the callbacks due now (or --at), as the scheduler does, and be
    their phone: the whisper's key, how the caller's phone answers, the result key.

    The calls go through LocalTelephony as the web app's would; here the terminal (or the
    script) answers them, with the status, AMD and Dial callbacks Twilio would send. ``to``
    is a school's help number: --at is read in its time zone.
    """
    org = service.find_by_number(to)
    if org is None:
        raise SimulationError(f"no school is reached on {to}; run `helpline demo` first?")

    port = telephony.get()
    if not isinstance(port, telephony.LocalTelephony):
        raise SimulationError("ringing callbacks needs HELPLINE_TELEPHONY=local")
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as the app
    played: list[Conversation] = []

    def show(event) -> None:
        line = render_event(event)
        if line:
            echo(line)

    def answer(placed: telephony.PlacedCall) -> bool:
        echo(t.CLI_CALLBACK_RINGING.format(number=placed.to))
        caller: Caller = (InteractiveCaller() if keys is None
                          else ScriptedCaller.from_keys(keys, dial=dial))
        played.append(simulator(on_event=show).outbound(
            placed.url, to=placed.to, from_=placed.from_, caller=caller, call_sid=placed.sid,
            status_callback=placed.status_callback, machine_detection=placed.machine_detection,
            status_events=("initiated", "ringing", "answered", "completed"),
        ))
        return True

    previous, port.answer = port.answer, answer
    try:
        if at is None:
            jobs.dial_due_callbacks(app)
        else:
            with clock.shifted_to(parse_moment(at, org.timezone)):
                jobs.dial_due_callbacks(app)
    finally:
        port.answer = previous
    if not played:
        echo(t.CLI_NO_CALLBACKS)
    return played


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
