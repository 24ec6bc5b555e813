"""The record of a simulated call: its events, the transcript lines, the errors."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Any


class SimulatorError(RuntimeError):
    """The simulated call cannot go on (for example, an endless redirect loop)."""

    def __init__(self, message: str, conversation: Conversation | None = None) -> None:
        super().__init__(message)
        self.conversation = conversation


@dataclass
class Event:
    """One thing that happened during the call.

    ``kind`` is one of: say, play, pause, gather, keys, speech, silence, record, message,
    dial, dial_result, whisper, redirect, hangup, reject, http, status_callback,
    recording_callback, error.
    """

    kind: str
    text: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)


# Transcript labels: the only Russian text in this module.
LINE = "Линия"
CALLER = "Звонящий"
SECONDS = "с"
PRESSES = "нажимает"
SAYS = "говорит"
SILENT = "молчит"
HANGS_UP = "кладёт трубку"
SOUND = "звук"
TO_CONSULTANT = "консультанту"
MESSAGE = "запись сообщения"
EMPTY = "пусто"
CALL_TO = "звонок на"
CALL_ENDED = "звонок завершён"
CALL_REJECTED = "звонок отклонён"
ERROR = "ошибка"
PAUSE = "пауза"


def render_event(event: Event, *, verbose: bool = False) -> str | None:
    """Return the transcript line(s) for one event, or None if it is not shown."""
    kind, text, attrs = event.kind, event.text, event.attrs
    if kind == "say":
        return f"{LINE}: {text}"
    if kind == "play":
        return f"{LINE}: [{SOUND} {text}]"
    if kind == "whisper":
        return f"  ({TO_CONSULTANT}) {text}"
    if kind == "keys":
        return f"{CALLER}: {PRESSES} {text}"
    if kind == "speech":
        return f"{CALLER}: {SAYS} «{text}»"
    if kind == "silence":
        return f"{CALLER}: {SILENT}"
    if kind == "message":
        if not attrs.get("duration"):
            return f"[{MESSAGE}: {EMPTY}]"
        return f"[{MESSAGE}: {attrs['duration']:.1f} {SECONDS}]"
    if kind == "dial_result":
        return f"[{CALL_TO} {attrs.get('number', '')}: {text}]"
    if kind == "hangup":
        if attrs.get("reason") == "caller_hangup":
            return f"{CALLER}: {HANGS_UP}\n[{CALL_ENDED}]"
        return f"[{CALL_ENDED}]"
    if kind == "reject":
        return f"[{CALL_REJECTED}]"
    if kind == "error":
        return f"[{ERROR}: {text}]"
    if verbose:
        if kind == "pause":
            return f"[{PAUSE} {text} {SECONDS}]"
        if kind in ("http", "status_callback", "recording_callback"):
            method, url, status = (
                attrs.get("method", "POST"),
                attrs.get("url", ""),
                attrs.get("status"),
            )
            return f"  → {method} {url} {status}"
        if kind in ("redirect", "gather", "record", "dial"):
            return f"  <{kind}> {text}".rstrip()
    return None


@dataclass
class Conversation:
    """Everything that happened in one simulated call."""

    call_sid: str
    events: list[Event] = field(default_factory=list)
    recording_sids: list[str] = field(default_factory=list)
    ended_by: str = ""  # hangup, end_of_document, caller_hangup, reject, error, <dial status>
    status: str = "completed"  # the final CallStatus
    duration: int = 0  # simulated CallDuration, seconds

    def said(self) -> list[str]:
        """Return the texts of all ``<Say>`` verbs the caller heard, in order."""
        return [event.text for event in self.events if event.kind == "say"]

    def of_kind(self, *kinds: str) -> list[Event]:
        """Return the events of the given kinds, in order."""
        return [event for event in self.events if event.kind in kinds]

    @property
    def errors(self) -> list[Event]:
        """Return the error events (an application error Twilio would have played)."""
        return self.of_kind("error")

    def requests(self, path: str | None = None) -> list[Event]:
        """Return the webhook requests made (optionally only those to a URL path)."""
        found = self.of_kind("http", "status_callback", "recording_callback")
        if path is None:
            return found
        return [e for e in found if urllib.parse.urlsplit(e.attrs["url"]).path == path]

    def render(self, *, verbose: bool = False) -> str:
        """Return a readable transcript of the call."""
        lines = [render_event(event, verbose=verbose) for event in self.events]
        return "\n".join(line for line in lines if line is not None)
