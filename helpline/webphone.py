"""A phone in the browser for local telephony: call the help line, or be called by it.

The call simulator (the simulator package) plays Twilio against the app in-process and asks a
Caller what the person on the phone does. Here that Caller is the browser: each simulated
call runs in its own thread, and at every <Gather>, <Record> and <Dial> the thread waits
until the browser sends keys, words, a WAV file or a dial outcome through a small JSON API.

A page can also *be* a phone number (the operator's, or a caller's): it listens, and when
the line calls that number (a callback: LocalTelephony.place_call) the page rings, answers,
hears the whisper, presses 1/2/3; when the line then dials a number another page is, that
page rings too and the two talk until one hangs up. The call is played as Twilio plays it,
with its status callbacks, the Dial's status and AMD callbacks and its action.

Only with HELPLINE_TELEPHONY=local, and only for signed-in staff: it opens real tickets.
"""

from __future__ import annotations

import logging
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from callbacks import service as callbacks
from callbacks.models import CallbackAttempt
from core import access, phones, telephony
from core import ui_text as t
from core.extensions import db
from core.models import Organization, OrganizationPhone, UserRole
from helpline import simulation
from simulator import (
    DialInfo,
    DialOutcome,
    Event,
    GatherInfo,
    Hangup,
    Keys,
    Message,
    RecordInfo,
    Silence,
    Speech,
    wav_duration,
)
from tickets import service as tickets

log = logging.getLogger(__name__)
bp = Blueprint("webphone", __name__, url_prefix="/phone")

IDLE_TIMEOUT = 300.0  # seconds a call waits for the browser before the caller "hangs up"
SETTLE_TIMEOUT = 20.0  # seconds an API request waits for the line to answer
MAX_CALLS = 10  # simultaneous browser calls per process
MAX_WAV_BYTES = 10 * 1024 * 1024
KEEP_ENDED = 600.0  # seconds an ended call's state stays readable
DIAL_CHOICES = ("completed", "no-answer", "busy")
KEYS = set("0123456789*#")
WORKERS = {r.value for r in UserRole}
LISTEN_TTL = 15.0  # seconds a listening page stays a phone after its last poll
# The progress events the dialer subscribes to with Twilio (core.telephony).
PROGRESS_EVENTS = ("initiated", "ringing", "answered", "completed")


class WrongStep(ValueError):
    """The browser answered something the line is not waiting for."""


@dataclass
class BrowserCaller:
    """A simulator Caller whose answers arrive from HTTP requests in another thread."""

    events: list[dict[str, Any]] = field(default_factory=list)
    waiting: dict[str, Any] | None = None
    step: int = 0
    ended: bool = False
    error: str | None = None
    # A call the line places: how a <Dial> of it reaches another listening page.
    dial_out: Callable[[DialInfo], DialOutcome | None] | None = None
    dial_title: str = t.PHONE_DIAL_TITLE
    # While talking to another page: the side whose thread waits for the end of the talk.
    partner: BrowserCaller | None = None
    _answer: Any = None
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)

    # --- the simulator's side (its own thread)

    def on_gather(self, gather: GatherInfo, heard: list[Event]):
        return self._wait({
            "kind": "gather",
            "keys": gather.accepts_keys,
            "speech": gather.accepts_speech,
            "num_digits": gather.num_digits,
            "finish_on_key": gather.finish_on_key,
        }, Hangup())

    def on_record(self, record: RecordInfo, heard: list[Event]) -> Message:
        return self._wait({"kind": "record", "max_length": record.max_length},
                          Message(None, hangup=True))

    def on_dial(self, dial: DialInfo) -> DialOutcome:
        if self.dial_out is not None:
            outcome = self.dial_out(dial)
            if outcome is not None:
                return outcome
        return self._wait({"kind": "dial", "numbers": [phones.display(n) for n in dial.numbers],
                           "title": self.dial_title},
                          DialOutcome("no-answer", 0, caller_hangs_up=True))

    def ring(self, from_: str, timeout: float) -> DialOutcome:
        """The phone rings: wait for the page to answer or decline (no-answer on timeout)."""
        shown = phones.display(from_) if from_ and from_ != "anonymous" else t.PHONE_ANONYMOUS
        self.note("sys", t.PHONE_EVENT["ring"].format(text=shown))
        outcome = self._wait({"kind": "ring", "from": shown}, DialOutcome("no-answer", 0),
                             timeout=timeout)
        if outcome.status == "completed":
            self.note("sys", t.PHONE_EVENT["answered"])
        return outcome

    def talk(self, number: str) -> DialOutcome:
        """Connected to another page: wait until one side ends the talk; say how it ended."""
        started = time.monotonic()
        self.note("sys", t.PHONE_EVENT["talk"].format(text=phones.display(number)))
        ended = self._wait({"kind": "talk", "with": phones.display(number), "end": True},
                           Hangup())
        seconds = max(1, round(time.monotonic() - started))
        return DialOutcome("completed", seconds, caller_hangs_up=isinstance(ended, Hangup))

    def hold(self, waiting: dict[str, Any]) -> None:
        """Show what the line is doing meanwhile (no answer expected from this page)."""
        with self._cond:
            self.step += 1
            self.waiting, self._answer = waiting, None
            self._cond.notify_all()

    def hold_talk(self, partner: BrowserCaller, number: str) -> None:
        """Connected, on the side that does not run the call: the partner's thread waits."""
        with self._cond:
            self.partner = partner
            self.step += 1
            self.waiting, self._answer = {"kind": "talk", "with": phones.display(number)}, None
            self.events.append({"who": "sys", "text": t.PHONE_EVENT["talk"].format(
                text=phones.display(number))})
            self._cond.notify_all()

    def note(self, who: str, text: str) -> None:
        with self._cond:
            self.events.append({"who": who, "text": text})
            self._cond.notify_all()

    def on_event(self, event: Event) -> None:
        shown = _show(event)
        if shown is None:
            return
        with self._cond:
            self.events.append(shown)
            self._cond.notify_all()

    def finish(self, error: str | None = None) -> None:
        with self._cond:
            self.ended, self.waiting = True, None
            self.error = self.error or error
            self._cond.notify_all()

    def _wait(self, waiting: dict[str, Any], on_timeout, timeout: float = IDLE_TIMEOUT):
        with self._cond:
            self.step += 1
            self.waiting, self._answer = waiting, None
            self._cond.notify_all()
            answered = self._cond.wait_for(lambda: self._answer is not None, timeout)
            answer = self._answer if answered else on_timeout
            self.waiting, self._answer = None, None
            return answer

    # --- the browser's side (request threads)

    def answer(self, kind: str, action) -> int:
        """Hand an answer to the waiting line; return the step it answers."""
        with self._cond:
            if self.ended:
                raise WrongStep("ended")
            if self.waiting is None or self.waiting["kind"] != kind or self._answer is not None:
                raise WrongStep((self.waiting or {}).get("kind", "nothing"))
            partner = self.partner if kind == "talk" else None
            if partner is None:
                self._answer = action
                self._cond.notify_all()
                return self.step
            # This side hung up: the other side's thread is the one waiting for it.
            self.waiting, step = None, self.step
        try:
            partner.answer("talk", "end")
        except WrongStep:
            pass  # the other side ended the talk at the same moment
        return step

    def settle(self, after_step: int, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until the line asks for the next answer or the call ends."""
        with self._cond:
            self._cond.wait_for(
                lambda: self.ended or (self.waiting is not None and self.step > after_step),
                timeout,
            )

    def snapshot(self) -> dict[str, Any]:
        with self._cond:
            return {"events": list(self.events), "waiting": self.waiting, "ended": self.ended,
                    "error": self.error}


def _show(event: Event) -> dict[str, Any] | None:
    """What the browser shows for one simulator event (None: not shown)."""
    kind, text, attrs = event.kind, event.text, event.attrs
    if kind == "say":
        return {"who": "line", "text": text, "speak": True}
    if kind in ("keys", "speech", "silence"):
        return {"who": "you", "text": t.PHONE_EVENT[kind].format(text=text)}
    if kind == "message":
        if not attrs.get("duration"):
            return {"who": "you", "text": t.PHONE_EVENT["message_empty"]}
        return {"who": "you", "text": t.PHONE_EVENT["message"].format(
            text=f"{attrs['duration']:.1f}".replace(".", ","))}
    if kind == "dial":
        numbers = ", ".join(phones.display(n.strip()) for n in text.split(","))
        return {"who": "sys", "text": t.PHONE_EVENT["dial"].format(text=numbers)}
    if kind == "dial_result":
        return {"who": "sys", "text": t.PHONE_EVENT["dial_result"].format(
            text=t.PHONE_DIAL.get(text, text))}
    if kind == "hangup":
        return {"who": "sys", "text": t.PHONE_EVENT["hangup"]}
    if kind == "error":
        return {"who": "bad", "text": t.PHONE_EVENT["error"].format(text=text)}
    return None


@dataclass
class BrowserCall:
    id: str
    owner_id: int
    organization_id: int
    to: str
    from_: str
    call_sid: str
    caller: BrowserCaller
    started: float = field(default_factory=time.monotonic)
    ended_at: float | None = None
    incoming: bool = False  # the line (or another page) calls this page's number

    def end(self, error: str | None = None) -> None:
        self.ended_at = time.monotonic()
        self.caller.finish(error)


@dataclass
class Listener:
    """A page that is a phone number, and when it last asked for calls."""

    number: str
    owner_id: int
    organization_id: int
    seen: float = field(default_factory=time.monotonic)


class Calls:
    """The browser calls of this process (the simulator runs in-process: one node only)."""

    def __init__(self) -> None:
        self._calls: dict[str, BrowserCall] = {}
        self._listeners: dict[str, Listener] = {}
        self._lock = threading.Lock()

    def _add(self, *, owner_id: int, org_id: int, to: str, from_: str,
             call_sid: str | None = None, incoming: bool = False) -> BrowserCall:
        with self._lock:
            self._forget_old()
            active = [c for c in self._calls.values() if not c.caller.ended]
            if len(active) >= MAX_CALLS:
                raise OverflowError("too many calls")
            call = BrowserCall(secrets.token_urlsafe(12), owner_id, org_id, to, from_,
                               call_sid or "CA" + secrets.token_hex(16), BrowserCaller(),
                               incoming=incoming)
            self._calls[call.id] = call
        return call

    def start(self, app: Flask, *, owner_id: int, org_id: int, to: str, from_: str
              ) -> BrowserCall:
        call = self._add(owner_id=owner_id, org_id=org_id, to=to, from_=from_)
        threading.Thread(target=self._run, args=(app, call), daemon=True,
                         name=f"webphone-{call.id}").start()
        return call

    # --- pages that are phones

    def listen(self, number: str, *, owner_id: int, org_id: int) -> BrowserCall | None:
        """The page is this number's phone for a while; return its current incoming call."""
        with self._lock:
            self._listeners[number] = Listener(number, owner_id, org_id)
            mine = [c for c in self._calls.values()
                    if c.incoming and c.to == number and c.owner_id == owner_id
                    and not c.caller.ended]
        return max(mine, key=lambda c: c.started) if mine else None

    def stop_listening(self, number: str, owner_id: int) -> None:
        with self._lock:
            listener = self._listeners.get(number)
            if listener is not None and listener.owner_id == owner_id:
                del self._listeners[number]

    def listener(self, number: str) -> Listener | None:
        """The page that is this number's phone now, if any."""
        with self._lock:
            listener = self._listeners.get(number)
            if listener is None or time.monotonic() - listener.seen > LISTEN_TTL:
                return None
            return listener

    def ring(self, app: Flask, placed: telephony.PlacedCall) -> bool:
        """The line calls a number (LocalTelephony): ring the page that is it, if any."""
        listener = self.listener(placed.to)
        if listener is None:
            return False
        try:
            call = self._add(owner_id=listener.owner_id, org_id=listener.organization_id,
                             to=placed.to, from_=placed.from_, call_sid=placed.sid,
                             incoming=True)
        except OverflowError:
            return False
        call.caller.dial_title = t.PHONE_DIAL_CALLER_TITLE
        call.caller.dial_out = lambda dial: self._connect(call, dial)
        threading.Thread(target=self._run_placed, args=(app, call, placed), daemon=True,
                         name=f"webphone-{call.id}").start()
        return True

    def _connect(self, call: BrowserCall, dial: DialInfo) -> DialOutcome | None:
        """The line's <Dial> from this call: ring the page that is the number dialled."""
        number = dial.numbers[0] if dial.numbers else ""
        listener = self.listener(number)
        if listener is None:
            return None  # nobody is that phone: the page says how the called party answers
        try:
            other = self._add(owner_id=listener.owner_id, org_id=listener.organization_id,
                              to=number, from_=dial.caller_id or call.to, incoming=True)
        except OverflowError:
            return DialOutcome("busy", 0)
        call.caller.hold({"kind": "calling", "numbers": [phones.display(number)]})
        try:
            outcome = other.caller.ring(other.from_, float(dial.timeout))
        except BaseException:
            other.end()
            raise
        if outcome.status != "completed":
            other.end()
            return outcome

        def conversation() -> tuple[int, bool]:
            try:
                other.caller.hold_talk(call.caller, call.to)
                ended = call.caller.talk(number)
                return ended.duration, ended.caller_hangs_up
            finally:
                other.end()

        return DialOutcome("completed", 0, talk=conversation)

    @staticmethod
    def _run_placed(app: Flask, call: BrowserCall, placed: telephony.PlacedCall) -> None:
        error = None
        try:
            with app.app_context():
                sim = simulation.simulator(on_event=call.caller.on_event)
            sim.outbound(placed.url, to=placed.to, from_=placed.from_, caller=call.caller,
                         call_sid=placed.sid,
                         answer=lambda: call.caller.ring(placed.from_, float(placed.timeout)),
                         status_callback=placed.status_callback, status_events=PROGRESS_EVENTS,
                         machine_detection=placed.machine_detection)
        except Exception as exc:  # the simulator itself failed: show it, don't hang the page
            log.exception("browser call %s failed", call.id)
            error = str(exc)
        finally:
            call.end(error)

    def get(self, call_id: str, owner_id: int) -> BrowserCall | None:
        with self._lock:
            call = self._calls.get(call_id)
        return call if call is not None and call.owner_id == owner_id else None

    def _forget_old(self) -> None:
        now = time.monotonic()
        for key, call in list(self._calls.items()):
            if call.ended_at is not None and now - call.ended_at > KEEP_ENDED:
                del self._calls[key]

    @staticmethod
    def _run(app: Flask, call: BrowserCall) -> None:
        error = None
        try:
            with app.app_context():
                sim = simulation.simulator(on_event=call.caller.on_event)
            # Each webhook pushes its own context, as a request from Twilio would.
            sim.call(to=call.to, from_=call.from_, caller=call.caller, call_sid=call.call_sid)
        except Exception as exc:  # the simulator itself failed: show it, don't hang the page
            log.exception("browser call %s failed", call.id)
            error = str(exc)
        finally:
            call.end(error)


def calls() -> Calls:
    return current_app.extensions.setdefault("webphone", Calls())


def init_app(app: Flask) -> None:
    """With local telephony, the line's outbound calls ring the pages that listen."""
    port = app.extensions.get("telephony")
    if isinstance(port, telephony.LocalTelephony):
        exchange = app.extensions.setdefault("webphone", Calls())
        port.answer = lambda placed: exchange.ring(app, placed)


# --- views -----------------------------------------------------------------------------------


@bp.before_request
def _local_only():
    if current_app.config["TELEPHONY"] != "local":
        abort(404)


def _allowed() -> None:
    if not WORKERS & set(current_user.roles or ()):
        abort(403)
    if access.current_org() is None:
        abort(404)


def _numbers(org: Organization) -> list[tuple[str, str]]:
    """The help numbers the user may call: their organization's (every one for a region)."""
    query = select(OrganizationPhone.number, Organization.name).join(Organization)
    if not current_user.is_regional:
        query = query.where(Organization.id == org.id)
    rows = list(db.session.execute(query.order_by(Organization.id, OrganizationPhone.id)).all())
    # The current organization first.
    rows.sort(key=lambda row: row.name != org.name)
    return [(row.number, f"{row.name}: {phones.display(row.number)}") for row in rows]


@bp.get("/")
@login_required
def page():
    """The phone: keypad, the line's words, the voice message."""
    _allowed()
    return render_template("phone.html", numbers=_numbers(access.require_org()),
                           caller_number=phones.display("+79161234567"),
                           own_number=phones.display(current_user.phone)
                           if current_user.phone else "")


def _payload() -> dict[str, Any]:
    """The JSON object sent, or an empty one (a list or a string is not an answer)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _fail(message: str, status: int = 400):
    return jsonify(error=message), status


@bp.post("/api/calls")
@login_required
def start_call():
    """Dial the help line; answer once the line says something and waits."""
    _allowed()
    data = _payload() or request.form
    to = phones.normalize(str(data.get("to") or ""))
    allowed = {number for number, _ in _numbers(access.require_org())}
    if to is None or to not in allowed:
        return _fail(t.PHONE_UNKNOWN_TO)
    raw_from = str(data.get("from") or "").strip()
    from_ = phones.normalize(raw_from) if raw_from else "anonymous"
    if from_ is None:
        return _fail(t.PHONE_BAD_NUMBER)
    org = db.session.scalar(
        select(Organization).join(OrganizationPhone).where(OrganizationPhone.number == to)
    )
    if org is None:  # never: the allowed numbers are those of organizations
        return _fail(t.PHONE_UNKNOWN_TO)
    try:
        call = calls().start(current_app._get_current_object(),  # type: ignore[attr-defined]  # Flask types the proxy as the app
                             owner_id=current_user.id,
                             org_id=org.id, to=to, from_=from_)
    except OverflowError:
        return _fail(t.PHONE_TOO_MANY, 429)
    call.caller.settle(0)
    return jsonify(_state(call)), 201


def _call(call_id: str) -> BrowserCall:
    call = calls().get(call_id, current_user.id)
    if call is None:
        abort(404)
    return call


@bp.get("/api/calls/<call_id>")
@login_required
def call_state(call_id: str):
    _allowed()
    return jsonify(_state(_call(call_id)))


@bp.post("/api/calls/<call_id>/input")
@login_required
def send_input(call_id: str):
    """Keys, words, silence, hang up, or how the consultant's phone answers."""
    _allowed()
    call = _call(call_id)
    data = _payload()
    action = str(data.get("action") or "")
    value = str(data.get("value") or "")[:200]
    kind = "gather"
    if action == "keys":
        if not value or not set(value) <= KEYS:
            return _fail(t.PHONE_BAD_KEYS)
        answer: Any = Keys(value)
    elif action == "speech" and value.strip():
        answer = Speech(value.strip())
    elif action == "silence":
        answer = Silence()
    elif action == "hangup":
        waiting = (call.caller.snapshot()["waiting"] or {}).get("kind", "gather")
        kind = waiting
        answer = {"gather": Hangup(), "record": Message(None, hangup=True), "talk": Hangup(),
                  # Rejecting a ringing phone: Twilio reports the call as busy.
                  "ring": DialOutcome("busy", 0)}.get(
            waiting, DialOutcome("canceled", 0, caller_hangs_up=True))
    elif action == "dial" and value in DIAL_CHOICES:
        kind, answer = "dial", DialOutcome(value, 60 if value == "completed" else 0)
    elif action == "answer":
        kind, answer = "ring", DialOutcome("completed")
    elif action == "decline":
        kind, answer = "ring", DialOutcome("busy", 0)
    elif action == "end":  # end the conversation, stay on the line (the result menu follows)
        kind, answer = "talk", "end"
    else:
        return _fail(t.ERROR_400)
    return _answer(call, kind, answer)


@bp.get("/api/incoming")
@login_required
def incoming():
    """Be this number's phone: the line's calls to it ring here; the current one, if any."""
    _allowed()
    number = phones.normalize(request.args.get("number") or "")
    if number is None:
        return _fail(t.PHONE_BAD_NUMBER)
    call = calls().listen(number, owner_id=current_user.id, org_id=access.require_org().id)
    return jsonify(number=phones.display(number), call=_state(call) if call else None)


@bp.post("/api/incoming/stop")
@login_required
def stop_incoming():
    """This page is no longer the number's phone."""
    _allowed()
    number = phones.normalize(str(_payload().get("number") or ""))
    if number is None:
        return _fail(t.PHONE_BAD_NUMBER)
    calls().stop_listening(number, current_user.id)
    return jsonify(number=phones.display(number), listening=False)


@bp.post("/api/calls/<call_id>/message")
@login_required
def send_message(call_id: str):
    """The voice message at the beep: a WAV file (recorded in the browser or chosen)."""
    _allowed()
    call = _call(call_id)
    if request.content_length and request.content_length > MAX_WAV_BYTES + 64 * 1024:
        return _fail(t.PHONE_WAV_TOO_BIG.format(mb=MAX_WAV_BYTES // (1024 * 1024)))
    if request.form.get("nothing"):
        return _answer(call, "record", Message(None))
    upload = request.files.get("audio")
    if upload is None:
        return _fail(t.PHONE_WAV_EMPTY)
    data = upload.read(MAX_WAV_BYTES + 1)
    if len(data) > MAX_WAV_BYTES:
        return _fail(t.PHONE_WAV_TOO_BIG.format(mb=MAX_WAV_BYTES // (1024 * 1024)))
    if not data:
        return _fail(t.PHONE_WAV_EMPTY)
    try:
        seconds = wav_duration(data)
    except (ValueError, struct.error):  # not RIFF/WAVE, or a truncated header
        return _fail(t.PHONE_BAD_WAV)
    if seconds <= 0:
        return _fail(t.PHONE_BAD_WAV)
    return _answer(call, "record", Message(data))


def _answer(call: BrowserCall, kind: str, answer):
    try:
        step = call.caller.answer(kind, answer)
    except WrongStep as exc:
        if call.caller.ended:
            return _fail(t.PHONE_GONE, 409)
        return _fail(t.PHONE_BAD_INPUT.format(expected=_expected(str(exc))), 409)
    call.caller.settle(step)
    return jsonify(_state(call))


def _expected(kind: str) -> str:
    return {"gather": t.PHONE_WAIT_KEYS, "record": t.PHONE_RECORD_TITLE,
            "dial": t.PHONE_DIAL_TITLE, "ring": t.PHONE_RING_TITLE,
            "calling": t.PHONE_CALLING_TITLE,
            "talk": t.PHONE_TALK_TITLE}.get(kind, t.PHONE_BUSY)


def _state(call: BrowserCall) -> dict[str, Any]:
    state = call.caller.snapshot()
    state.update(id=call.id, to=phones.display(call.to), call_sid=call.call_sid,
                 incoming=call.incoming,
                 ticket=None if call.incoming else _ticket_of(call),
                 callback=_callback_of(call) if call.incoming else None)
    return state


def _callback_of(call: BrowserCall) -> dict[str, Any] | None:
    """The callback a call from the line is about: a link to its card for the operator."""
    db.session.expire_all()
    attempt = db.session.scalar(
        select(CallbackAttempt).where(CallbackAttempt.call_sid == call.call_sid))
    if attempt is None:
        return None
    callback = attempt.callback
    current = access.current_org()
    mine = current is not None and current.id == callback.organization_id
    if not mine or UserRole.OPERATOR.value not in (current_user.roles or ()):
        return None
    return {"text": t.PHONE_CALLBACK_ABOUT.format(number=callback.ticket.number),
            "url": url_for("operator.card", callback_id=callback.id)}


def _ticket_of(call: BrowserCall) -> dict[str, Any] | None:
    """The ticket the call opened and its planned callback, once there is one."""
    db.session.expire_all()  # the call's webhooks committed in another thread
    ticket = tickets.find_by_call(call.call_sid)
    if ticket is None:
        return None
    org = db.session.get_one(Organization, ticket.organization_id)
    callback = callbacks.active_for(ticket)
    planned = callbacks.promise_time(callback, org) if callback else None
    current = access.current_org()
    mine = current is not None and current.id == org.id
    return {
        "number": ticket.number,
        "text": t.PHONE_TICKET.format(number=ticket.number),
        "url": url_for("tickets.ticket", ticket_id=ticket.id) if mine else None,
        "callback": t.PHONE_CALLBACK.format(when=access.format_when(callback.planned_at))
        if callback and callback.planned_at else None,
        "promised": planned.isoformat() if planned else None,
    }
