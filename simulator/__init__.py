"""The call simulator: play Twilio's part in a phone call against the help line's webhooks.

The simulator requests TwiML the way Twilio does (form-encoded, signed with
``X-Twilio-Signature``), executes the verbs in order and asks a :class:`Caller` what the
person on the phone does at each ``<Gather>``, ``<Record>`` and ``<Dial>``. It records
everything as :class:`Event` objects in a :class:`Conversation`.

It is used by the flow tests (through :func:`flask_transport`), by ``helpline call``
(interactive, :class:`InteractiveCaller`) and for scripted runs (:class:`ScriptedCaller`).

Behaviour follows Twilio's TwiML reference:

- ``<Gather>``: digits go to ``action`` as ``Digits`` (without the finishing key); speech as
  ``SpeechResult`` + ``Confidence``. No input (timeout, or only the finishing key) makes
  Twilio continue with the verb after the ``<Gather>``, unless ``actionOnEmptyResult`` is
  true. ``action`` defaults to the current document URL.
- ``<Record>``: ``action`` gets ``RecordingUrl, RecordingDuration, RecordingSid, Digits``
  (``hangup`` when the caller hung up). An empty recording makes Twilio skip ``action``
  and continue with the next verb. ``recordingStatusCallback`` fires for the events in
  ``recordingStatusCallbackEvent`` (default ``completed``).
- ``<Dial>``: ``action`` gets ``DialCallStatus, DialCallSid, DialCallDuration``; without
  ``action`` Twilio continues with the next verb. ``<Number url=...>`` runs a whisper
  document on the called party's leg before the two are connected.
- ``<Reject>`` as the first verb ends the call unanswered (``busy`` or ``no-answer``).
- Relative URLs resolve against the URL of the document that contains them.
- A non-2xx answer, an unsupported content type or a malformed document is an application
  error: Twilio would play its fallback and hang up. The simulator records an ``error``
  event and ends the call.
"""

from simulator.callers import (
    Action,
    Caller,
    DialInfo,
    DialOutcome,
    DialTarget,
    GatherInfo,
    Hangup,
    InteractiveCaller,
    Keys,
    Message,
    RecordInfo,
    ScriptedCaller,
    Silence,
    Speech,
)
from simulator.conversation import Conversation, Event, SimulatorError, render_event
from simulator.interpreter import CallSimulator, TwimlError, parse_twiml
from simulator.recordings import (
    DirectoryRecordingStore,
    MemoryRecordingStore,
    RecordingStore,
    wav_duration,
)
from simulator.transport import HttpResult, SignedSender, Transport, flask_transport, http_transport

__all__ = [
    "Action",
    "CallSimulator",
    "Caller",
    "Conversation",
    "DialInfo",
    "DialOutcome",
    "DialTarget",
    "DirectoryRecordingStore",
    "Event",
    "GatherInfo",
    "Hangup",
    "HttpResult",
    "InteractiveCaller",
    "Keys",
    "MemoryRecordingStore",
    "Message",
    "RecordInfo",
    "RecordingStore",
    "ScriptedCaller",
    "SignedSender",
    "Silence",
    "SimulatorError",
    "Speech",
    "Transport",
    "TwimlError",
    "flask_transport",
    "http_transport",
    "parse_twiml",
    "render_event",
    "wav_duration",
]
