"""Callers: what the person on the phone does at each prompt.

The actions (:class:`Keys`, :class:`Speech`, :class:`Silence`, :class:`Hangup`,
:class:`Message`, :class:`DialOutcome`), what a caller is shown of a verb
(:class:`GatherInfo`, :class:`RecordInfo`, :class:`DialInfo`), and two callers: a
:class:`ScriptedCaller` that follows a list of actions and an :class:`InteractiveCaller`
that asks a person at a terminal.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from simulator.conversation import Event
from simulator.recordings import wav_duration

DIAL_STATUSES = ("completed", "no-answer", "busy", "failed", "canceled")
RECORDING_STATUSES = ("completed", "absent", "failed")


@dataclass
class Keys:
    """The caller presses keys, e.g. ``"1"`` or ``"123#"``; ``""`` is silence."""

    digits: str


@dataclass
class Speech:
    """The caller says something (recognised text, as Twilio would post it)."""

    text: str
    confidence: float | None = 0.9


@dataclass
class Silence:
    """The caller does nothing until the timeout."""


@dataclass
class Hangup:
    """The caller hangs up at this prompt."""


@dataclass
class Message:
    """What the caller says at the beep of a ``<Record>``.

    ``wav`` is the audio (bytes or a path to a WAV file); ``None`` records nothing.
    ``status`` is the final recording status Twilio reports (completed, absent, failed).
    ``hangup`` ends the recording by hanging up instead of pressing the finishing key.
    ``duration`` overrides the length read from the WAV header.
    """

    wav: bytes | Path | str | None = None
    status: str = "completed"
    hangup: bool = False
    duration: float | None = None

    def __post_init__(self) -> None:
        if self.status not in RECORDING_STATUSES:
            raise ValueError(f"recording status must be one of {RECORDING_STATUSES}")

    def audio(self) -> bytes | None:
        """Return the audio bytes (reading the file if a path was given), or None."""
        if self.wav is None:
            return None
        if isinstance(self.wav, bytes):
            return self.wav or None
        return Path(self.wav).read_bytes() or None

    def seconds(self, audio: bytes | None = None) -> float:
        """Return the message length in seconds."""
        if self.duration is not None:
            return self.duration
        audio = self.audio() if audio is None else audio
        return wav_duration(audio) if audio else 0.0


@dataclass
class DialOutcome:
    """What happens when the application dials out (``<Dial>``).

    ``status`` is the DialCallStatus (completed = answered, no-answer, busy, failed,
    canceled); ``duration`` the talk time in seconds when answered. ``whisper_keys`` are the
    keys the answering party presses in a ``<Number url=...>`` whisper ``<Gather>``.
    ``caller_hangs_up`` ends the whole call when the dialled call ends.
    """

    status: str = "completed"
    duration: int = 60
    whisper_keys: str = ""
    caller_hangs_up: bool = False
    # What answering machine detection reports for an answered call (human, machine_start...).
    answered_by: str = "human"
    # Plays the conversation once the parties are connected (after the answered and AMD
    # callbacks, as the time passes on a real call); returns (seconds, caller_hangs_up).
    talk: Callable[[], tuple[int, bool]] | None = field(default=None, compare=False,
                                                         repr=False)

    def __post_init__(self) -> None:
        if self.status not in DIAL_STATUSES:
            raise ValueError(f"dial status must be one of {DIAL_STATUSES}")


Action = Keys | Speech | Silence | Hangup | Message | DialOutcome


# --------------------------------------------------------------------------- verb info


@dataclass
class GatherInfo:
    """A ``<Gather>`` as the caller meets it."""

    action: str
    method: str = "POST"
    input: tuple[str, ...] = ("dtmf",)
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 5
    speech_timeout: str | None = None
    language: str | None = None
    hints: tuple[str, ...] = ()
    action_on_empty_result: bool = False
    prompts: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def accepts_keys(self) -> bool:
        """Whether key presses count (input includes dtmf)."""
        return "dtmf" in self.input

    @property
    def accepts_speech(self) -> bool:
        """Whether speech counts (input includes speech)."""
        return "speech" in self.input


@dataclass
class RecordInfo:
    """A ``<Record>`` as the caller meets it."""

    action: str
    method: str = "POST"
    max_length: int = 3600
    timeout: int = 5
    finish_on_key: str = "1234567890*#"
    play_beep: bool = True
    trim: str = "trim-silence"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: tuple[str, ...] = ("completed",)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class DialTarget:
    """One party a ``<Dial>`` rings: a ``<Number>``, ``<Client>``, ``<Sip>`` or plain text."""

    address: str
    kind: str = "number"
    url: str | None = None  # whisper document, resolved
    method: str = "POST"
    status_callback: str | None = None  # the called party's call progress, resolved
    status_callback_method: str = "POST"
    status_events: tuple[str, ...] = ("completed",)
    machine_detection: bool = False
    amd_status_callback: str | None = None  # answering machine detection's verdict, resolved


@dataclass
class DialInfo:
    """A ``<Dial>`` as the caller meets it."""

    targets: list[DialTarget]
    action: str | None = None
    method: str = "POST"
    caller_id: str | None = None
    timeout: int = 30
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def numbers(self) -> list[str]:
        """Return the addresses dialled."""
        return [target.address for target in self.targets]


# --------------------------------------------------------------------------- callers


class Caller(Protocol):
    """Decides what the person on the phone does."""

    def on_gather(self, gather: GatherInfo, heard: list[Event]) -> Keys | Speech | Silence | Hangup:
        """Answer a prompt; ``heard`` holds what was played since the last answer."""
        ...

    def on_record(self, record: RecordInfo, heard: list[Event]) -> Message:
        """Say a message at the beep."""
        ...

    def on_dial(self, dial: DialInfo) -> DialOutcome:
        """Decide how the dialled party reacts."""
        ...


class ScriptedCaller:
    """Follow an ordered script of actions.

    At each prompt the next action is used if it fits the prompt (keys, speech, silence or
    hangup at a ``<Gather>``; a message at a ``<Record>``; a dial outcome at a ``<Dial>``).
    Otherwise, or when the script has run out, the caller keeps silent at a ``<Gather>``,
    says nothing at a ``<Record>`` and gets ``dial`` at a ``<Dial>``; the action stays
    for the next prompt.
    """

    def __init__(
        self, actions: Iterable[Action] = (), *, dial: DialOutcome | str = "completed"
    ) -> None:
        self.actions: list[Action] = list(actions)
        self.dial = dial if isinstance(dial, DialOutcome) else DialOutcome(dial)

    @classmethod
    def from_keys(
        cls,
        keys: str | Sequence[str] = "",
        *,
        message: bytes | Path | str | Message | None = None,
        dial: DialOutcome | str = "completed",
    ) -> ScriptedCaller:
        """Build a script from ``"1,2"``-style input: digits press keys, words are speech,
        empty items are silence, ``hangup`` hangs up; then the message for the beep."""
        items = keys.split(",") if isinstance(keys, str) else list(keys)
        if isinstance(keys, str) and not keys.strip():
            items = []
        actions: list[Action] = [_parse_answer(item) for item in items]
        if isinstance(message, Message):
            actions.append(message)
        elif message is not None:
            actions.append(Message(message))
        return cls(actions, dial=dial)

    @property
    def remaining(self) -> list[Action]:
        """Return the actions not used yet."""
        return list(self.actions)

    def on_gather(self, gather: GatherInfo, heard: list[Event]) -> Keys | Speech | Silence | Hangup:
        """Use the next key/speech/silence/hangup action, or keep silent."""
        head = self.actions[0] if self.actions else None
        if isinstance(head, Keys | Speech | Silence | Hangup):
            self.actions.pop(0)
            return head
        return Silence()

    def on_record(self, record: RecordInfo, heard: list[Event]) -> Message:
        """Use the next message, or say nothing."""
        head = self.actions[0] if self.actions else None
        if isinstance(head, Message):
            self.actions.pop(0)
            return head
        return Message(None)

    def on_dial(self, dial: DialInfo) -> DialOutcome:
        """Use the next dial outcome, or the default one."""
        head = self.actions[0] if self.actions else None
        if isinstance(head, DialOutcome):
            self.actions.pop(0)
            return head
        return self.dial


def _parse_answer(text: str) -> Keys | Speech | Silence | Hangup:
    """Turn one line of caller input into an action."""
    text = text.strip()
    if not text:
        return Silence()
    if text.lower() in ("hangup", "/hangup"):
        return Hangup()
    if text[0].isalpha():
        return Speech(text)
    compact = text.replace(" ", "")
    if re.fullmatch(r"[0-9*#]+", compact):
        return Keys(compact)
    return Speech(text)


class InteractiveCaller:
    """Ask a person at a terminal what to do at each prompt.

    At a ``<Gather>``: digits (and ``*``, ``#``) press keys, text starting with a letter is
    speech, an empty line is silence, end of input or ``/hangup`` hangs up. At a
    ``<Record>``: a path to a WAV file, or an empty line to say nothing. At a ``<Dial>``:
    answer / no-answer / busy / failed (empty = answer), then, if the dialled number has a
    whisper URL, the keys the answering party presses there.

    Only the questions are written here; print what the caller hears with ``on_event``.
    """

    def __init__(self, input: TextIO | None = None, output: TextIO | None = None) -> None:
        self.input = input if input is not None else sys.stdin
        self.output = output if output is not None else sys.stdout

    def _ask(self, question: str) -> str | None:
        self.output.write(question)
        self.output.flush()
        line = self.input.readline()
        if not line:
            self.output.write("\n")
            return None
        return line.rstrip("\r\n")

    def on_gather(self, gather: GatherInfo, heard: list[Event]) -> Keys | Speech | Silence | Hangup:
        """Read keys, speech, an empty line (silence) or end of input (hang up)."""
        accepted = []
        if gather.accepts_keys:
            accepted.append(f"keys ({gather.num_digits})" if gather.num_digits else "keys")
        if gather.accepts_speech:
            accepted.append(f"speech ({gather.language or 'en-US'})")
        line = self._ask(f"[{' or '.join(accepted)}; empty = silence] > ")
        if line is None:
            return Hangup()
        return _parse_answer(line)

    def on_record(self, record: RecordInfo, heard: list[Event]) -> Message:
        """Read the path of a WAV file to play at the beep, or nothing."""
        while True:
            line = self._ask("[beep] WAV file to say (empty = say nothing) > ")
            if line is None:
                return Message(None, hangup=True)
            path = line.strip().strip("\"'")
            if not path:
                return Message(None)
            candidate = Path(path).expanduser()
            if candidate.is_file():
                return Message(candidate)
            self.output.write(f"no such file: {candidate}\n")

    def on_dial(self, dial: DialInfo) -> DialOutcome:
        """Read how the dialled party reacts."""
        choices = {
            "": "completed",
            "a": "completed",
            "answer": "completed",
            "completed": "completed",
            "n": "no-answer",
            "no-answer": "no-answer",
            "b": "busy",
            "busy": "busy",
            "f": "failed",
            "failed": "failed",
        }
        while True:
            line = self._ask(
                f"[dialling {', '.join(dial.numbers)}] answer / no-answer / busy / failed "
                "(empty = answer) > "
            )
            if line is None:
                return DialOutcome("canceled", 0, caller_hangs_up=True)
            status = choices.get(line.strip().lower())
            if status is None:
                self.output.write("please type answer, no-answer, busy or failed\n")
                continue
            if status != "completed":
                return DialOutcome(status, 0)
            keys: str | None = ""
            if any(target.url for target in dial.targets):
                # The whisper runs after this answer, so its keys are asked for up front.
                keys = self._ask("[whisper] keys the answering party presses (empty = none) > ")
            return DialOutcome(status, 60, whisper_keys=(keys or "").strip())
