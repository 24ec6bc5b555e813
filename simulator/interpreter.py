"""The TwiML interpreter: play Twilio's part in a call, verb by verb.

:class:`CallSimulator` requests the voice URL (through a :mod:`simulator.transport`),
executes the verbs of each document in order, asks its caller (:mod:`simulator.callers`)
what the person on the phone does, posts the status and recording callbacks, and keeps
everything in a :class:`~simulator.conversation.Conversation`.
"""

from __future__ import annotations

import re
import secrets
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.callers import (
    Caller,
    DialInfo,
    DialOutcome,
    DialTarget,
    GatherInfo,
    Hangup,
    Keys,
    RecordInfo,
    Speech,
)
from simulator.conversation import Conversation, Event, SimulatorError
from simulator.recordings import RecordingStore, _truncate_wav
from simulator.transport import HttpResult, SignedSender, Transport

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
WORDS_PER_SECOND = 2.5


class TwimlError(ValueError):
    """A response body is not a TwiML document Twilio would accept."""


def parse_twiml(body: str) -> ET.Element:
    """Parse a TwiML document; refuse DOCTYPEs (no entity expansion) and non-``<Response>``."""
    if re.search(r"<!DOCTYPE|<!ENTITY", body, re.IGNORECASE):
        raise TwimlError("DOCTYPE or ENTITY declarations are not accepted")
    if not body.strip():
        raise TwimlError("empty document")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise TwimlError(f"malformed XML: {error}") from error
    if _tag(root) != "Response":
        raise TwimlError(f"root element is <{_tag(root)}>, not <Response>")
    return root


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _is_twiml_content_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.endswith("/xml") or media.endswith("+xml") or media == "text/html"


def _new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


# --------------------------------------------------------------------------- the simulator


@dataclass
class _Fetch:
    """A TwiML document to request next."""

    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    purpose: str = "action"
    after: Callable[[], None] | None = None  # runs once the answer has arrived
    caller_gone: bool = False  # requested, but the caller hung up: the answer is not run


class _CallEnded(Exception):
    """Internal: the call is over."""


class CallSimulator:
    """Play Twilio's part in calls to (and from) the application."""

    def __init__(
        self,
        transport: Transport,
        *,
        base_url: str,
        auth_token: str,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        voice_path: str = "/ivr/voice",
        status_path: str | None = "/ivr/status",
        recordings: RecordingStore | None = None,
        max_steps: int = 200,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.sender = SignedSender(transport, auth_token)
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.validator = self.sender.validator
        self.account_sid = account_sid
        self.voice_path = voice_path
        self.status_path = status_path
        self.recordings = recordings
        self.max_steps = max_steps
        self.on_event = on_event

    def url(self, path: str) -> str:
        """Return the absolute URL of a path (an absolute URL is returned unchanged)."""
        return urllib.parse.urljoin(self.base_url + "/", path)

    def call(
        self,
        *,
        to: str,
        from_: str,
        caller: Caller,
        call_sid: str | None = None,
        direction: str = "inbound",
    ) -> Conversation:
        """Simulate a call to the help line's voice URL and return what happened."""
        run = _Call(self, caller, call_sid or _new_sid("CA"), from_, to, direction)
        run.run(_Fetch(self.url(self.voice_path), purpose="voice"), first_status="ringing")
        return run.conversation

    def outbound(
        self,
        url: str,
        *,
        to: str,
        from_: str,
        caller: Caller,
        call_sid: str | None = None,
        answer: DialOutcome | str | Callable[[], DialOutcome | str] = "completed",
        answered_by: str | None = None,
        status_callback: str | None = None,
        status_events: Sequence[str] = ("completed",),
        machine_detection: bool = False,
    ) -> Conversation:
        """Simulate a call the application placed (REST ``calls.create(url=...)``).

        ``to`` is the person called, ``from_`` the help line's number, ``caller`` plays the
        person called. ``answer`` says whether they pick up (or is asked, once the phone
        rings, when it is a callable); if not, no TwiML is fetched and only the status
        callback reports the outcome (busy, no-answer, ...). ``answered_by`` adds the
        ``AnsweredBy`` parameter of answering machine detection; with ``machine_detection``
        it comes from the answer (``DialOutcome.answered_by``).

        ``status_callback`` and ``status_events`` are those of ``calls.create``: Twilio posts
        the call's progress (initiated, ringing, answered, completed) there; without it the
        final status goes to the simulator's status path, as before.
        """
        run = _Call(self, caller, call_sid or _new_sid("CA"), from_, to, "outbound-api")
        if status_callback is not None:
            run.status_url, run.status_events = self.url(status_callback), tuple(status_events)
        run.call_status = "queued"
        run.progress("initiated")
        run.call_status = "ringing"
        run.progress("ringing")
        outcome = answer() if callable(answer) else answer
        outcome = outcome if isinstance(outcome, DialOutcome) else DialOutcome(outcome)
        if answered_by is None and machine_detection and outcome.status == "completed":
            answered_by = outcome.answered_by
        if answered_by is not None:
            run.extra_params["AnsweredBy"] = answered_by
        if outcome.status != "completed":
            run.emit("dial_result", outcome.status, number=to, outbound=True)
            run.finish(outcome.status, status=outcome.status)
            return run.conversation
        run.call_status = "in-progress"
        run.progress("answered")
        run.run(_Fetch(self.url(url), purpose="voice"), first_status="in-progress")
        return run.conversation


class _Call:
    """The state of one simulated call."""

    def __init__(
        self,
        sim: CallSimulator,
        caller: Caller,
        call_sid: str,
        from_: str,
        to: str,
        direction: str,
    ) -> None:
        self.sim = sim
        self.caller = caller
        self.from_ = from_
        self.to = to
        self.direction = direction
        self.call_status = "in-progress"
        self.extra_params: dict[str, str] = {}
        self.conversation = Conversation(call_sid=call_sid)
        self.seconds = 0.0
        self.steps = 0
        self.heard: list[Event] = []
        self.answered = False  # a verb other than <Reject> has run
        # Where the call's own progress goes: the simulator's status path by default.
        self.status_url = sim.url(sim.status_path) if sim.status_path is not None else None
        self.status_events: tuple[str, ...] = ("completed",)
        self.sequence = 0

    # ----- bookkeeping

    def emit(self, kind: str, text: str = "", /, **attrs: Any) -> Event:
        event = Event(kind, text, attrs)
        self.conversation.events.append(event)
        if kind in ("say", "play", "pause"):
            self.heard.append(event)
        if self.sim.on_event is not None:
            self.sim.on_event(event)
        return event

    def take_heard(self) -> list[Event]:
        heard, self.heard = self.heard, []
        return heard

    def params(self, status: str | None = None) -> dict[str, str]:
        return {
            "AccountSid": self.sim.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": self.conversation.call_sid,
            "CallStatus": status or self.call_status,
            "Called": self.to,
            "Caller": self.from_,
            "Direction": self.direction,
            "From": self.from_,
            "To": self.to,
            **self.extra_params,
        }

    def count_step(self, url: str) -> None:
        self.steps += 1
        if self.steps > self.sim.max_steps:
            raise SimulatorError(
                f"more than {self.sim.max_steps} TwiML documents in one call "
                f"(a redirect loop?); last URL {url}",
                self.conversation,
            )

    def send(self, url: str, method: str, form: dict[str, str]) -> HttpResult:
        """Sign and send one request the way Twilio does."""
        return self.sim.sender.send(url, method, form)

    def request_twiml(
        self, fetch: _Fetch, form: dict[str, str]
    ) -> tuple[ET.Element | None, str | None]:
        """Request a document; return it, or None and what went wrong."""
        self.count_step(fetch.url)
        result = self.send(fetch.url, fetch.method, form)
        self.emit(
            "http",
            f"{fetch.method} {fetch.url}",
            url=fetch.url,
            method=fetch.method,
            form=form,
            status=result.status,
            purpose=fetch.purpose,
            body=result.body,
        )
        if not 200 <= result.status < 300:
            return None, f"HTTP {result.status} from {fetch.url}"
        if not _is_twiml_content_type(result.content_type):
            return None, f"unsupported content type {result.content_type!r} from {fetch.url}"
        try:
            return parse_twiml(result.body), None
        except TwimlError as error:
            return None, f"{error} at {fetch.url}"

    def fetch(self, fetch: _Fetch, status: str | None = None) -> ET.Element:
        """Request a TwiML document for the call; an application error ends the call."""
        root, problem = self.request_twiml(fetch, {**self.params(status), **fetch.params})
        if root is not None:
            return root
        # Twilio would play its fallback ("an application error has occurred") and hang up.
        self.emit("error", problem or "", url=fetch.url)
        self.answered = True
        self.finish("error")
        raise _CallEnded

    def callback(self, kind: str, url: str, method: str, form: dict[str, str]) -> None:
        """Send a status or recording callback; its answer is not TwiML and is ignored."""
        result = self.send(url, method, form)
        status = form.get("RecordingStatus") or form.get("CallStatus", "")
        self.emit(
            kind, status, url=url, method=method, form=form, status=result.status, body=result.body
        )
        if not 200 <= result.status < 300:
            self.emit("error", f"HTTP {result.status} from {url} ({kind})", url=url, callback=kind)

    def progress(self, event: str) -> None:
        """Post a call progress event (initiated, ringing, answered) if subscribed to."""
        if self.status_url is None or event not in self.status_events:
            return
        form = self.params()
        form["CallbackSource"] = "call-progress-events"
        form["SequenceNumber"] = str(self.sequence)
        self.sequence += 1
        self.callback("status_callback", self.status_url, "POST", form)

    def finish(self, ended_by: str, *, status: str = "completed", reason: str = "") -> None:
        """End the call and post the call status callback."""
        conversation = self.conversation
        conversation.ended_by = ended_by
        conversation.status = status
        answered = status == "completed"
        conversation.duration = max(1, round(self.seconds)) if answered else 0
        self.call_status = status
        if ended_by == "reject":
            self.emit("reject", reason or "rejected", status=status)
        elif answered:
            self.emit("hangup", "", reason=ended_by)
        if self.status_url is not None and "completed" in self.status_events:
            form = self.params(status)
            form["CallDuration"] = str(conversation.duration)
            form["CallbackSource"] = "call-progress-events"
            form["SequenceNumber"] = str(self.sequence)
            self.sequence += 1
            self.callback("status_callback", self.status_url, "POST", form)

    # ----- the call

    def run(self, first: _Fetch, *, first_status: str) -> None:
        """Fetch and execute documents until the call ends."""
        following: _Fetch | None = first
        status: str | None = first_status
        try:
            while following is not None:
                root = self.fetch(following, status)
                status = None
                if following.after is not None:
                    following.after()
                if following.caller_gone:
                    self.finish("caller_hangup")
                    return
                following = self.execute(root, following.url)
            self.finish("end_of_document")
        except _CallEnded:
            return

    def execute(self, root: ET.Element, doc_url: str) -> _Fetch | None:
        """Run the verbs of one document; return the next document to fetch, if any."""
        for verb in root:
            name = _tag(verb)
            if name == "Reject":
                reason = verb.get("reason", "rejected")
                if self.answered:  # too late to refuse: the call was answered already
                    self.finish("reject", reason=reason)
                else:
                    status = "busy" if reason == "busy" else "no-answer"
                    self.finish("reject", status=status, reason=reason)
                raise _CallEnded
            self.answered = True
            following: _Fetch | None = None
            if name in ("Say", "Play", "Pause"):
                self.play(verb)
            elif name == "Gather":
                following = self.gather(verb, doc_url)
            elif name == "Record":
                following = self.record(verb, doc_url)
            elif name == "Dial":
                following = self.dial(verb, doc_url)
            elif name == "Redirect":
                target = urllib.parse.urljoin(doc_url, _text(verb))
                self.emit("redirect", target, **verb.attrib)
                following = _Fetch(target, verb.get("method", "POST").upper(), purpose="redirect")
            elif name == "Hangup":
                self.finish("hangup")
                raise _CallEnded
            else:
                self.emit("error", f"<{name}> is not supported by the simulator", verb=name)
            if following is not None:
                return following
        return None

    def play(self, verb: ET.Element, *, whisper: bool = False) -> None:
        """Run a <Say>, <Play> or <Pause>; on the called party's leg it is a whisper."""
        name = _tag(verb)
        loops = max(_int(verb.get("loop"), 1), 1)
        if name == "Say":
            text = _text(verb)
            self.seconds += max(len(text.split()) / WORDS_PER_SECOND, 0.5) * loops
            self.emit("whisper" if whisper else "say", text, **verb.attrib)
        elif name == "Play":
            self.seconds += 3 * loops  # unknown length; a short prompt or a beep
            self.emit("whisper" if whisper else "play", _text(verb), **verb.attrib)
        elif name == "Pause":
            length = _int(verb.get("length"), 1)
            self.seconds += length
            if not whisper:
                self.emit("pause", str(length), **verb.attrib)

    # ----- <Gather>

    @staticmethod
    def gather_info(verb: ET.Element, doc_url: str) -> GatherInfo:
        attrs = dict(verb.attrib)
        num_digits = _int(attrs.get("numDigits"), 0)
        return GatherInfo(
            action=urllib.parse.urljoin(doc_url, attrs.get("action") or doc_url),
            method=attrs.get("method", "POST").upper(),
            input=tuple(attrs.get("input", "dtmf").split()) or ("dtmf",),
            num_digits=num_digits if num_digits > 0 else None,
            finish_on_key=attrs.get("finishOnKey", "#"),
            timeout=_int(attrs.get("timeout"), 5),
            speech_timeout=attrs.get("speechTimeout"),
            language=attrs.get("language"),
            hints=tuple(h.strip() for h in attrs.get("hints", "").split(",") if h.strip()),
            action_on_empty_result=_true(attrs.get("actionOnEmptyResult")),
            prompts=[_text(child) for child in verb if _tag(child) == "Say"],
            attrs=attrs,
        )

    @staticmethod
    def collect_digits(info: GatherInfo, pressed: str) -> tuple[str, bool]:
        """Apply finishOnKey and numDigits to the keys pressed.

        Return Digits (without the finishing key) and whether input ended before the
        timeout (finishing key pressed or numDigits reached).
        """
        digits = ""
        for key in pressed:
            if info.finish_on_key and key in info.finish_on_key:
                return digits, True
            digits += key
            if info.num_digits is not None and len(digits) >= info.num_digits:
                return digits, True
        return digits, False

    def gather(self, verb: ET.Element, doc_url: str) -> _Fetch | None:
        info = self.gather_info(verb, doc_url)
        for child in verb:
            if _tag(child) in ("Say", "Play", "Pause"):
                self.play(child)
        self.emit("gather", " ".join(info.input), **info.attrs)
        answer = self.caller.on_gather(info, self.take_heard())
        params: dict[str, str] | None = None
        if isinstance(answer, Hangup):
            self.finish("caller_hangup")
            raise _CallEnded
        if isinstance(answer, Keys) and answer.digits:
            digits, early = self.collect_digits(info, answer.digits)
            if not info.accepts_keys:
                digits, early = "", False
            self.emit("keys", answer.digits, sent=digits, ignored=not info.accepts_keys)
            self.seconds += len(answer.digits) * 0.5 + (0 if early else info.timeout)
            if digits:
                params = {"Digits": digits}
        elif isinstance(answer, Speech) and answer.text.strip():
            self.emit(
                "speech", answer.text, confidence=answer.confidence, ignored=not info.accepts_speech
            )
            self.seconds += len(answer.text.split()) / WORDS_PER_SECOND + 1
            if info.accepts_speech:
                params = {"SpeechResult": answer.text}
                if answer.confidence is not None:
                    params["Confidence"] = f"{answer.confidence:g}"
            else:
                self.seconds += info.timeout
        else:
            self.emit("silence")
            self.seconds += info.timeout
        if params is None and info.action_on_empty_result:
            params = {"Digits": ""} if info.accepts_keys else {}
        if params is None:
            return None  # no input: Twilio goes on with the verb after <Gather>
        return _Fetch(info.action, info.method, params, purpose="gather")

    # ----- <Record>

    @staticmethod
    def record_info(verb: ET.Element, doc_url: str) -> RecordInfo:
        attrs = dict(verb.attrib)
        callback = attrs.get("recordingStatusCallback")
        events = attrs.get("recordingStatusCallbackEvent", "completed").replace(",", " ")
        return RecordInfo(
            action=urllib.parse.urljoin(doc_url, attrs.get("action") or doc_url),
            method=attrs.get("method", "POST").upper(),
            max_length=_int(attrs.get("maxLength"), 3600),
            timeout=_int(attrs.get("timeout"), 5),
            finish_on_key=attrs.get("finishOnKey", "1234567890*#"),
            play_beep=attrs.get("playBeep", "true").lower() != "false",
            trim=attrs.get("trim", "trim-silence"),
            status_callback=urllib.parse.urljoin(doc_url, callback) if callback else None,
            status_callback_method=attrs.get("recordingStatusCallbackMethod", "POST").upper(),
            status_callback_events=tuple(events.split()) or ("completed",),
            attrs=attrs,
        )

    def record(self, verb: ET.Element, doc_url: str) -> _Fetch | None:
        info = self.record_info(verb, doc_url)
        self.emit("record", "", beep=info.play_beep, **info.attrs)
        message = self.caller.on_record(info, self.take_heard())
        audio = message.audio()
        duration = min(message.seconds(audio), float(info.max_length)) if audio else 0.0
        if audio and message.duration is None:
            audio = _truncate_wav(audio, duration)  # maxLength cuts the recording
        if not audio or duration <= 0:
            self.emit("message", "", duration=0.0)
            self.seconds += info.timeout
            if message.hangup:
                self.finish("caller_hangup")
                raise _CallEnded
            return None  # an empty recording: Twilio skips action, goes on with the next verb

        sid = _new_sid("RE")
        self.conversation.recording_sids.append(sid)
        if message.status == "completed" and self.sim.recordings is not None:
            url = self.sim.recordings.save(sid, audio)
        else:
            url = f"https://api.twilio.com/{API_VERSION}/Accounts/{self.sim.account_sid}"
            url += f"/Recordings/{sid}"
        self.seconds += duration + (1 if info.play_beep else 0)
        self.emit("message", sid, duration=duration, url=url, status=message.status)
        if message.hangup:
            digits = "hangup"
            self.call_status = "completed"
        elif "#" in info.finish_on_key:
            digits = "#"
        else:
            digits = info.finish_on_key[:1] or "hangup"

        def recording_callback(status: str) -> None:
            if info.status_callback is None:
                return
            form = {
                "AccountSid": self.sim.account_sid,
                "CallSid": self.conversation.call_sid,
                "RecordingSid": sid,
                "RecordingUrl": url,
                "RecordingStatus": status,
                "RecordingChannels": "1",
                "RecordingSource": "RecordVerb",
            }
            if status != "in-progress":
                form["RecordingDuration"] = str(round(duration))
            method = info.status_callback_method
            self.callback("recording_callback", info.status_callback, method, form)

        def after_action() -> None:
            # Twilio posts the final recording status once the file is processed, which is
            # in practice after the action request; the simulator sends it right after.
            subscribed = info.status_callback_events
            if message.status == "failed":
                if "completed" in subscribed or "absent" in subscribed:
                    recording_callback("failed")
            elif message.status in subscribed:
                recording_callback(message.status)

        if "in-progress" in info.status_callback_events:
            recording_callback("in-progress")
        params = {
            "RecordingUrl": url,
            "RecordingDuration": str(round(duration)),
            "RecordingSid": sid,
            "Digits": digits,
        }
        return _Fetch(
            info.action,
            info.method,
            params,
            purpose="record",
            after=after_action,
            caller_gone=message.hangup,
        )

    # ----- <Dial>

    @staticmethod
    def dial_info(verb: ET.Element, doc_url: str) -> DialInfo:
        attrs = dict(verb.attrib)
        targets = []
        for child in verb:
            url = child.get("url")
            status = child.get("statusCallback")
            amd = child.get("amdStatusCallback")
            events = child.get("statusCallbackEvent", "completed").replace(",", " ")
            targets.append(
                DialTarget(
                    _text(child),
                    _tag(child).lower(),
                    urllib.parse.urljoin(doc_url, url) if url else None,
                    child.get("method", "POST").upper(),
                    status_callback=urllib.parse.urljoin(doc_url, status) if status else None,
                    status_callback_method=child.get("statusCallbackMethod", "POST").upper(),
                    status_events=tuple(events.split()) or ("completed",),
                    machine_detection=child.get("machineDetection", "") in (
                        "Enable", "DetectMessageEnd"),
                    amd_status_callback=urllib.parse.urljoin(doc_url, amd) if amd else None,
                )
            )
        if not targets and _text(verb):
            targets.append(DialTarget(_text(verb)))
        action = attrs.get("action")
        return DialInfo(
            targets=targets,
            action=urllib.parse.urljoin(doc_url, action) if action else None,
            method=attrs.get("method", "POST").upper(),
            caller_id=attrs.get("callerId"),
            timeout=_int(attrs.get("timeout"), 30),
            attrs=attrs,
        )

    def dial(self, verb: ET.Element, doc_url: str) -> _Fetch | None:
        info = self.dial_info(verb, doc_url)
        numbers = ", ".join(info.numbers)
        self.emit("dial", numbers, **info.attrs)
        outcome: DialOutcome | str = self.caller.on_dial(info)
        if isinstance(outcome, str):
            outcome = DialOutcome(outcome)
        dial_sid = _new_sid("CA")
        bridged = False
        talk = 0
        self.leg_progress(info, dial_sid, "initiated")
        self.leg_progress(info, dial_sid, "ringing")
        if outcome.status == "completed":
            self.leg_progress(info, dial_sid, "answered")
            self.leg_amd(info, dial_sid, outcome)
            target = next((t for t in info.targets if t.url), None)
            bridged = target is None or self.whisper(target, info, dial_sid, outcome)
            talk = outcome.duration if bridged else 0
            if bridged and outcome.talk is not None:
                talk, hangs_up = outcome.talk()
                outcome = replace(outcome, duration=talk, caller_hangs_up=hangs_up, talk=None)
            self.seconds += talk + 5
        else:
            self.seconds += info.timeout if outcome.status == "no-answer" else 2
        self.leg_progress(info, dial_sid, "completed", status=outcome.status, duration=talk)
        self.emit(
            "dial_result",
            outcome.status,
            number=numbers,
            sid=dial_sid,
            duration=talk,
            bridged=bridged,
        )
        if outcome.caller_hangs_up:
            self.call_status = "completed"
        if info.action is None:
            if outcome.caller_hangs_up:
                self.finish("caller_hangup")
                raise _CallEnded
            return None  # no action: Twilio goes on with the next verb
        params = {
            "DialCallStatus": outcome.status,
            "DialCallSid": dial_sid,
            "DialCallDuration": str(talk),
            "DialBridged": "true" if bridged else "false",
        }
        return _Fetch(
            info.action, info.method, params, purpose="dial", caller_gone=outcome.caller_hangs_up
        )

    def _leg(self, info: DialInfo, dial_sid: str, target: DialTarget) -> dict[str, str]:
        caller_id = info.caller_id or self.from_
        return {
            "AccountSid": self.sim.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": dial_sid,
            "ParentCallSid": self.conversation.call_sid,
            "Direction": "outbound-dial",
            "From": caller_id,
            "Caller": caller_id,
            "To": target.address,
            "Called": target.address,
        }

    def leg_progress(self, info: DialInfo, dial_sid: str, event: str, *,
                     status: str | None = None, duration: int = 0) -> None:
        """The dialled party's call progress, to each <Number statusCallback> subscribed."""
        call_status = {"initiated": "initiated", "ringing": "ringing",
                       "answered": "in-progress"}.get(event, status or "completed")
        for target in info.targets:
            if target.status_callback is None or event not in target.status_events:
                continue
            form = {**self._leg(info, dial_sid, target), "CallStatus": call_status,
                    "CallbackSource": "call-progress-events"}
            if event == "completed":
                form["CallDuration"] = str(duration)
            self.callback("status_callback", target.status_callback,
                          target.status_callback_method, form)

    def leg_amd(self, info: DialInfo, dial_sid: str, outcome: DialOutcome) -> None:
        """Answering machine detection's verdict on the dialled party (amdStatusCallback)."""
        for target in info.targets:
            if not target.machine_detection or target.amd_status_callback is None:
                continue
            form = {"AccountSid": self.sim.account_sid, "CallSid": dial_sid,
                    "AnsweredBy": outcome.answered_by, "MachineDetectionDuration": "2000"}
            self.callback("amd_callback", target.amd_status_callback, "POST", form)

    def whisper(
        self, target: DialTarget, info: DialInfo, dial_sid: str, outcome: DialOutcome
    ) -> bool:
        """Run the called party's whisper document; return whether the call is bridged."""
        assert target.url is not None
        caller_id = info.caller_id or self.from_
        leg = {
            "AccountSid": self.sim.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": dial_sid,
            "ParentCallSid": self.conversation.call_sid,
            "CallStatus": "in-progress",
            "Direction": "outbound-dial",
            "From": caller_id,
            "Caller": caller_id,
            "To": target.address,
            "Called": target.address,
        }
        keys = outcome.whisper_keys
        fetch: _Fetch | None = _Fetch(target.url, target.method, purpose="whisper")
        while fetch is not None:
            root, problem = self.request_twiml(fetch, {**leg, **fetch.params})
            if root is None:
                self.emit("error", f"{problem} (called party's leg)", url=fetch.url)
                return False
            doc_url, fetch = fetch.url, None
            for verb in root:
                name = _tag(verb)
                if name in ("Say", "Play", "Pause"):
                    self.play(verb, whisper=True)
                elif name == "Gather":
                    gather = self.gather_info(verb, doc_url)
                    for child in verb:
                        if _tag(child) in ("Say", "Play", "Pause"):
                            self.play(child, whisper=True)
                    digits = self.collect_digits(gather, keys)[0] if keys else ""
                    keys = ""
                    if digits or gather.action_on_empty_result:
                        params = {"Digits": digits}
                        fetch = _Fetch(gather.action, gather.method, params, purpose="whisper")
                        break
                elif name == "Redirect":
                    target_url = urllib.parse.urljoin(doc_url, _text(verb))
                    method = verb.get("method", "POST").upper()
                    fetch = _Fetch(target_url, method, purpose="whisper")
                    break
                elif name in ("Hangup", "Reject"):
                    return False
        return True
