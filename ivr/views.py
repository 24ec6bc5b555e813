"""The phone flow: thin webhook views. Each step is one POST endpoint named after it."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypedDict

from flask import Blueprint, Response, request, send_file, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import NotFound

from callbacks import service as callbacks
from core import catalogue, clock, phones, russian, service, settings, telephony, webhooks, worktime
from core.models import DutyKind, Organization
from core.webhooks import answer_failures_with_twiml, status_callback, twilio_only
from ivr import speech, twiml
from tickets import service as tickets
from tickets.models import Call, Channel, TicketStatus

bp = Blueprint("ivr", __name__, url_prefix="/ivr")
log = logging.getLogger(__name__)
P = ParamSpec("P")

MAX_ATTEMPTS = 3  # the menu is said once and repeated at most twice, then: voice message
SPEECH_LIMIT = 500  # characters of SpeechResult worth matching; the rest is noise

CLOSED_PROMPT = {
    worktime.ClosedReason.HOLIDAY: "CLOSED_HOLIDAY",
    worktime.ClosedReason.WEEKEND: "CLOSED_WEEKEND",
    worktime.ClosedReason.CLOSED_DAY: "CLOSED_DAY",
    worktime.ClosedReason.OUTSIDE_HOURS: "CLOSED_HOURS",
    worktime.ClosedReason.NOBODY_ON_DUTY: "CLOSED_NOBODY",
}


# --- request helpers ---------------------------------------------------------------------


def _form(name: str, limit: int = 200) -> str:
    return webhooks.field(name, limit)


def _caller() -> str | None:
    """The caller's number in E.164, or None when withheld or malformed."""
    return phones.normalize(_form("From", 40))


def _attempt() -> int:
    return max(1, min(webhooks.small_number(request.args.get("attempt")) or 1, MAX_ATTEMPTS))


def _call_fields() -> dict:
    return {"to_number": phones.normalize(_form("To", 40)), "from_number": _caller(),
            "direction": _form("Direction", 20) or "inbound"}


def _context() -> tuple[Organization | None, Call]:
    return tickets.call_context(_form("CallSid", 64) or "unknown", **_call_fields())


def _unknown_number(call: Call) -> Response:
    log.warning("call %s to a number no organization owns", call.call_sid)
    return twiml.respond(twiml.said_and_hangup(_say(None), "UNKNOWN_NUMBER"))


def _say(org: Organization | None) -> twiml.Speaker:
    return twiml.Speaker(org.prompt_overrides if org else None)


def _school_number(org: Organization) -> str | None:
    return phones.normalize(_form("To", 40)) or (org.phones[0].number if org.phones else None)


def _choice(options: dict[str, list[str]], digits: dict[str, str]) -> tuple[str | None, bool]:
    """What the caller picked (a code), and whether they said or pressed anything at all."""
    pressed = _form("Digits", 20)
    said = webhooks.field("SpeechResult", SPEECH_LIMIT)
    if pressed:
        return digits.get(pressed), True
    if said.strip():
        return speech.match(said, _form("Confidence", 20), options), True
    return None, False


def known_number(view: Callable[Concatenate[Organization, Call, P], Response]
                 ) -> Callable[P, Response]:
    """Record the call and give the view its school and call; a number no school owns hears
    a polite goodbye (valid TwiML) instead."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        org, call = _context()
        if org is None:
            return _unknown_number(call)
        return view(org, call, *args, **kwargs)

    return wrapper


# --- the call ------------------------------------------------------------------------------


@bp.post("/voice")
@twilio_only
@known_number
def voice(org: Organization, call: Call):
    """A call comes in: greet, tell a repeat caller about their ticket, ask who is calling."""
    say = _say(org)
    lines, offer = _repeat_caller_lines(org, call)
    return twiml.respond(twiml.greeting(say, org.name, lines, _role_hints(org),
                                        repeat_offer=offer))


def _repeat_caller_lines(org: Organization, call: Call) -> tuple[list[str], bool]:
    ticket = tickets.find_open_for_caller(org, call.from_number)
    if ticket is None:
        return [], False
    tickets.set_call_state(call, repeat_ticket=ticket.id)
    if ticket.status == TicketStatus.ESCALATED:
        status = _prompt(org, "REPEAT_STATUS_ESCALATED")
    elif ticket.status == TicketStatus.IN_PROGRESS:
        status = _prompt(org, "REPEAT_STATUS_WORKING")
    else:
        callback = callbacks.active_for(ticket)
        when = callbacks.promise_time(callback, org) if callback else None
        status = (
            _prompt(org, "REPEAT_STATUS_PLANNED", when=_say_when(org, when))
            if when else _prompt(org, "CALLBACK_SOON")
        )
    number = russian.say_digits_grouped(str(ticket.number))
    return [_prompt(org, "REPEAT_CALLER", number=number, status=status)], True


def _prompt(org: Organization, key: str, **params) -> str:
    return _say(org).render(key, **params)


def _say_when(org: Organization, when) -> str:
    local_today = clock.now().astimezone(when.tzinfo).date()
    return russian.say_when(when, today=local_today)


def _role_hints(org: Organization) -> list[str]:
    return [k for r in service.menu_for(org).roles for k in r.keywords]


@bp.post("/menu")
@twilio_only
@known_number
def menu(org: Organization, call: Call):
    """The role menu again (after the information option)."""
    return twiml.respond(twiml.role_menu(_say(org), _role_hints(org), attempt=1))


@bp.post("/role")
@twilio_only
@known_number
def role(org: Organization, call: Call):
    """The caller chose a role (1 parent, 2 staff), the information (3), or to add a message (9)."""
    say = _say(org)
    options = {r.code: list(r.keywords) for r in service.menu_for(org).roles}
    digits = {r.digit: r.code for r in service.menu_for(org).roles} | {"3": "info", "9": "add"}
    choice, answered = _choice(options, digits)
    if choice == "info":
        tickets.set_call_state(call, heard_info=True)
        tickets.update_call(call, outcome="info")
        return _information(org)
    if choice == "add" and (call.state or {}).get("repeat_ticket"):
        tickets.set_call_state(call, adding=True)
        return _voicemail(org, call, reason=None)
    if choice in options:
        tickets.update_call(call, role=choice)
        return _topic_menu(org, choice, attempt=1)
    attempt = _attempt()
    if attempt >= MAX_ATTEMPTS:
        if not answered and (call.state or {}).get("heard_info"):
            # They called for the schedule and contacts, heard them and said no more.
            return twiml.respond(twiml.goodbye(say, "INFO_GOODBYE"))
        return _voicemail(org, call, reason=None, after_retries=True)
    problem = "NOT_UNDERSTOOD" if answered else "NO_INPUT"
    return twiml.respond(twiml.role_menu(say, _role_hints(org), attempt=attempt + 1,
                                         problem=problem))


def _topic_menu(org: Organization, role: str, *, attempt: int, problem: str | None = None):
    topics = service.topics_for(org, role)[:9]
    items = [(str(i), t.name) for i, t in enumerate(topics, start=1)]
    hints = [k for t in topics for k in (t.keywords or ())]
    return twiml.respond(twiml.topic_menu(_say(org), role, items, hints, attempt=attempt,
                                          problem=problem))


@bp.post("/topic")
@twilio_only
@known_number
def topic(org: Organization, call: Call):
    """The caller chose a topic: put them through if someone is on duty, else take a message."""
    role_code = request.args.get("role") or call.role
    if role_code not in {r.code for r in service.menu_for(org).roles}:
        return twiml.respond(twiml.role_menu(_say(org), _role_hints(org), attempt=1))
    topics = service.topics_for(org, role_code)[:9]
    options = {t.code: list(t.keywords or ()) for t in topics}
    digits = {str(i): t.code for i, t in enumerate(topics, start=1)}
    choice, answered = _choice(options, digits)
    if choice is None:
        attempt = _attempt()
        if attempt >= MAX_ATTEMPTS:
            return _voicemail(org, call, reason=None, after_retries=True)
        return _topic_menu(org, role_code, attempt=attempt + 1,
                           problem="NOT_UNDERSTOOD" if answered else "NO_INPUT")
    # Committed with the route's outcome: one commit for the step.
    tickets.update_call(call, role=role_code, topic=choice, commit=False)
    return _route(org, call)


def _route(org: Organization, call: Call):
    """Ring the consultants on duty, else take a message; every way out commits the call."""
    openness = worktime.is_open(
        service.schedule_for(org), clock.now(), kind=DutyKind.CONSULTATION.value,
        role=call.role, topic=call.topic,
    )
    numbers = [
        (u.phone, url_for("ivr.live_answered", user=u.id, parent=call.call_sid))
        for u in service.users_by_id(openness.user_ids) if u.phone
    ]
    if openness.open and numbers:
        tickets.set_call_state(call, consultants_rung=len(numbers), commit=False)
        tickets.update_call(call, outcome="ringing")
        return twiml.respond(twiml.dial_consultants(
            _say(org), numbers, caller_id=_school_number(org), role=call.role, topic=call.topic
        ))
    reason = openness.reason or worktime.ClosedReason.NOBODY_ON_DUTY
    return _voicemail(org, call, reason=reason)


@bp.post("/dialed")
@twilio_only
@known_number
def dialed(org: Organization, call: Call):
    """The consultant's phone stopped ringing: talked, or nobody answered."""
    if _form("DialCallStatus", 20) == "completed":
        tickets.finish_live_call(org, call, talk_seconds=_seconds("DialCallDuration"))
        return twiml.respond(twiml.goodbye(_say(org)))
    return _voicemail(org, call, reason="busy")


@bp.post("/live-answered")
@twilio_only
def live_answered():
    """A consultant picked up (the <Number url> of their leg): the call goes on record.

    CallSid is the consultant's leg; the caller's call is ParentCallSid (also in the URL).
    The ticket is opened now, so the consultant can open it while they talk."""
    parent = _form("ParentCallSid", 64) or (request.args.get("parent") or "")[:64]
    call = tickets.get_call(parent)
    org = service.get_organization(call.organization_id) if call is not None else None
    if call is None or org is None:
        return twiml.respond(VoiceResponse())  # nothing to say: connect them anyway
    try:
        user_id = int(request.args.get("user", ""))
    except ValueError:
        user_id = None
    ticket = tickets.take_live_call(org, call, user_id=user_id)
    role = {r.code: r.name for r in service.menu_for(org).roles}.get(call.role or "")
    topic = {tp.code: tp.name for tp in org.topics}.get(call.topic or "")
    return twiml.respond(twiml.live_whisper(
        _say(org), russian.say_digits_grouped(str(ticket.number)), role, topic))


def _seconds(name: str) -> int | None:
    try:
        value = int(_form(name, 12))
    except ValueError:
        return None
    return value if value >= 0 else None


def _voicemail(org: Organization, call: Call, *, reason, after_retries: bool = False):
    """Say why and when, then record. A withheld number is asked for one first."""
    state = call.state or {}
    if call.from_number is None and not state.get("callback_number") and not state.get(
        "number_skipped"
    ):
        tickets.set_call_state(call, pending_reason=str(reason) if reason else None)
        return twiml.respond(twiml.ask_number(_say(org), then="voicemail", attempt=1,
                                              key="ANON_ENTER_NUMBER"))
    lines: list[tuple[str, dict]] = []
    if after_retries:
        lines.append(("TO_VOICEMAIL_AFTER_RETRIES", {}))
    if reason == "busy":
        several = int(state.get("consultants_rung") or 1) > 1
        lines.append(("ALL_BUSY" if several else "CONSULTANT_BUSY", {}))
    elif reason in CLOSED_PROMPT:
        lines.append((CLOSED_PROMPT[reason], {}))
        hours = worktime.describe_hours(
            service.schedule_for(org), kind=DutyKind.CONSULTATION.value, role=call.role,
            topic=call.topic,
        )
        lines.append(("OPEN_HOURS", {"hours": hours}))
    tickets.update_call(call, outcome="voicemail")
    return twiml.respond(twiml.voicemail(_say(org), lines,
                                         instructions=_record_instructions(call)))


def _record_instructions(call: Call) -> str:
    """Only a parent is asked for the child's class; staff for their position."""
    if call.role is None:
        return "RECORD_INSTRUCTIONS_ANY"
    return "RECORD_INSTRUCTIONS" if call.role == catalogue.PARENT else "RECORD_INSTRUCTIONS_STAFF"


@bp.post("/recorded")
@twilio_only
def recorded():
    """The <Record> action: register the ticket, say its number and when we call back."""
    # known_number's context, and the call's ticket with it (one query).
    org, call, existing = tickets.call_context_with_ticket(
        _form("CallSid", 64) or "unknown", **_call_fields())
    if org is None:
        return _unknown_number(call)
    say = _say(org)
    state = call.state or {}
    has_audio = bool(_form("RecordingUrl", 500)) and not request.args.get("empty")
    if not has_audio and state.get("heard_info") and call.role is None and existing is None:
        # Heard the schedule, then silence: nothing to call back about.
        return twiml.respond(twiml.goodbye(say, "INFO_GOODBYE"))
    lines: list[tuple[str, dict]] = []
    if not has_audio:
        lines.append(("NO_MESSAGE", {}))

    repeat = state.get("repeat_ticket")
    policy = settings.current().callbacks
    ahead = None  # a ticket opened now: it and its callback are one commit
    if existing is None and repeat and state.get("adding"):
        existing = tickets.get(org.id, repeat)
        if existing is not None:
            tickets.link_call(call, existing)
    if existing is not None and existing.call_sid != call.call_sid:
        ticket = existing
        lines.append(("MESSAGE_ADDED",
                      {"number": russian.say_digits_grouped(str(ticket.number))}))
    else:
        if existing is None:
            draft = tickets.draft_ticket(
                org=org,
                call_sid=call.call_sid,
                caller_number=call.from_number,
                callback_number=state.get("callback_number"),
                role=call.role,
                topic=call.topic,
                channel=Channel.VOICEMAIL if has_audio else Channel.MISSED_CALL,
            )
            planned = callbacks.plan_ahead(draft, policy=policy)  # before the lock
            existing, fresh = tickets.start_ticket(draft, org=org, call=call, checked=True)
            ahead = planned if fresh else None
        ticket = existing
        lines.append(("TICKET_CREATED",
                      {"number": russian.say_digits_grouped(str(ticket.number))}))
    if has_audio:
        callbacks.want_confirmation_sms(ticket, policy, commit=ahead is None)
    callback = callbacks.request_callback(ticket, policy=policy, ahead=ahead)
    when = callbacks.promise_time(callback, org)
    if when is not None:
        lines.append(("CALLBACK_PLANNED", {"when": _say_when(org, when)}))
    else:
        lines.append(("CALLBACK_SOON", {}))
    return twiml.respond(twiml.ticket_registered(say, lines))


@bp.post("/after-message")
@twilio_only
@known_number
def after_message(org: Organization, call: Call):
    if _form("Digits", 20) == "1":
        return twiml.respond(twiml.ask_number(_say(org), then="done", attempt=1))
    return twiml.respond(twiml.goodbye(_say(org)))


@bp.post("/number")
@twilio_only
@known_number
def number(org: Organization, call: Call):
    """Digits of a callback number typed on the keypad (ended by #)."""
    then = "voicemail" if request.args.get("then") == "voicemail" else "done"
    typed = "".join(ch for ch in _form("Digits", 30) if ch in "0123456789")  # not «²»
    e164 = phones.normalize(typed) if 10 <= len(typed) <= 12 else None
    if e164 is not None and e164.startswith("+7"):
        tickets.set_call_state(call, pending_number=e164)
        return twiml.respond(twiml.read_back_number(_say(org), russian.say_phone(e164),
                                                    then=then))
    attempt = _attempt()
    if attempt >= MAX_ATTEMPTS:
        return _number_given_up(org, call, then)
    key = "ANON_ENTER_NUMBER" if then == "voicemail" else "ENTER_NUMBER"
    return twiml.respond(twiml.ask_number(
        _say(org), then=then, attempt=attempt + 1, key=key,
        problem="NUMBER_INVALID" if typed else "NO_INPUT",
    ))


def _number_given_up(org: Organization, call: Call, then: str):
    tickets.set_call_state(call, number_skipped=True)
    if then == "voicemail":
        return _voicemail(org, call, reason=_pending_reason(call))
    return twiml.respond(twiml.goodbye(_say(org), "NUMBER_SKIPPED"))


def _pending_reason(call: Call):
    reason = (call.state or {}).get("pending_reason")
    if reason == "busy":
        return "busy"
    try:
        return worktime.ClosedReason(reason) if reason else None
    except ValueError:
        return None


@bp.post("/number-confirm")
@twilio_only
@known_number
def number_confirm(org: Organization, call: Call):
    then = "voicemail" if request.args.get("then") == "voicemail" else "done"
    pending = (call.state or {}).get("pending_number")
    key = "ANON_ENTER_NUMBER" if then == "voicemail" else "ENTER_NUMBER"
    if _form("Digits", 20) != "1" or not pending:
        return twiml.respond(twiml.ask_number(_say(org), then=then, attempt=1, key=key))
    tickets.set_call_state(call, callback_number=pending, pending_number=None)
    if then == "voicemail":
        return _voicemail(org, call, reason=_pending_reason(call))
    ticket = tickets.find_by_call(call.call_sid)
    if ticket is not None:
        tickets.set_callback_number(ticket, pending)
        callback = callbacks.active_for(ticket)
        if callback is not None:
            callbacks.change_phone(callback, pending)
    return twiml.respond(twiml.goodbye(_say(org), "NUMBER_SAVED"))


# --- information and the vendor ------------------------------------------------------------


def _information(org: Organization):
    schedule = service.schedule_for(org)
    hours = worktime.describe_hours(schedule, kind=DutyKind.CONSULTATION.value)
    vendor = service.vendor_schedule(org)
    vendor_hours = worktime.describe_hours(vendor, listener_timezone=org.timezone)
    days = russian.plural(org.sla_working_days, "рабочего дня", "рабочих дней", "рабочих дней")
    lines: list[tuple[str, dict]] = [("INFO_HOURS", {"hours": hours})]
    if org.contact_phone:
        lines.append(("INFO_CONTACTS", {
            "phone": russian.say_phone(org.contact_phone),
            "email": _spell_email(org.contact_email or ""),
        }))
    lines.append(("INFO_SLA", {"days": days}))
    can_transfer = False
    if org.vendor_phones:
        lines.append(("INFO_VENDOR", {
            "journal": org.journal_system or org.vendor_name,
            "phone": russian.say_phone(org.vendor_phones[0]),
            "note": f", {org.vendor_phone_note}" if org.vendor_phone_note else "",
            "email": _spell_email(org.vendor_email or ""),
            "hours": vendor_hours,
        }))
        can_transfer = worktime.is_open(vendor, clock.now()).open
    return twiml.respond(twiml.information(_say(org), lines, can_transfer=can_transfer))


def _spell_email(email: str) -> str:
    """Make an address sayable: «support собака school точка mosreg точка ru»."""
    return email.replace("@", " собака ").replace(".", " точка ").replace("-", " дефис ")


@bp.post("/vendor")
@twilio_only
@known_number
def vendor(org: Organization, call: Call):
    """From the information: 1 = transfer to the vendor's support (in its hours), * = menu."""
    say = _say(org)
    if _form("Digits", 20) == "1" and org.vendor_phones:
        schedule = service.vendor_schedule(org)
        if worktime.is_open(schedule, clock.now()).open:
            tickets.update_call(call, outcome="transferred")
            return twiml.respond(twiml.transfer(say, org.vendor_phones[0], _school_number(org)))
        hours = worktime.describe_hours(schedule, listener_timezone=org.timezone)
        response = twiml.role_menu(say, _role_hints(org), attempt=1)
        return twiml.respond(_prepend(say, response, "VENDOR_CLOSED", hours=hours))
    return twiml.respond(twiml.role_menu(say, _role_hints(org), attempt=1))


def _prepend(say: twiml.Speaker, response, key: str, **params):
    out = VoiceResponse()
    say(out, key, **params)
    for verb in response.verbs:
        out.append(verb)
    return out


# --- callbacks from Twilio: status and recordings ---------------------------------------------


class RecordingStatus(TypedDict):
    """A recording status callback, as tickets.attach_recording and the spool take it."""

    call_sid: str
    recording_sid: str
    url: str | None
    status: str
    duration: int | None


@bp.post("/recording-status")
@status_callback
@twilio_only
def recording_status():
    """recordingStatusCallback: attach the recording; transcription picks it up later.

    If that fails (the database is down), the recording goes to the spool, which the
    scheduler replays, and the answer is a 503 so that Twilio tries again as well.
    """
    sid = _form("RecordingSid", 64)
    call_sid = _form("CallSid", 64)
    if not (sid and call_sid):
        return "", 204
    if not telephony.valid_recording_sid(sid):
        log.warning("recording status with a malformed RecordingSid for call %s", call_sid)
        return "", 400
    fields: RecordingStatus = {
        "call_sid": call_sid, "recording_sid": sid, "url": _form("RecordingUrl", 500) or None,
        "status": _form("RecordingStatus", 20) or "completed",
        "duration": webhooks.small_number(_form("RecordingDuration", 10)),
    }
    try:
        tickets.attach_recording(**fields, data_dir=settings.current().data_dir)
    except Exception:
        tickets.spool_recording(settings.current().data_dir, **fields)
        raise  # -> 503: Twilio retries; attaching is idempotent on RecordingSid
    return "", 204


KNOWN_STATUSES = {"queued", "initiated", "ringing", "in-progress", "completed", "busy",
                  "failed", "no-answer", "canceled"}


@bp.post("/status")
@status_callback
@twilio_only
def status():
    """The call status callback: remember how the call ended (a failure answers 503)."""
    call_status = _form("CallStatus", 20)
    call_sid = _form("CallSid", 64)
    if call_status in KNOWN_STATUSES and call_sid:
        tickets.finish_call(call_sid, call_status,
                            webhooks.small_number(_form("CallDuration", 10)))
    elif call_status:
        log.warning("unknown CallStatus %r for call %s", call_status, call_sid)
    return "", 204


# --- local telephony: recordings the simulator made ----------------------------------------


@bp.get("/simulator/recordings/<sid>")
def simulator_recording(sid: str):
    """Serve a simulator recording, as Twilio serves RecordingUrl (local telephony only)."""
    port = telephony.get()
    sid = sid.removesuffix(".wav")
    if (not settings.current().local or not isinstance(port, telephony.LocalTelephony)
            or not telephony.valid_recording_sid(sid)):
        raise NotFound()
    auth = request.authorization
    token = settings.current().webhook_auth_token
    if auth is None or not token or not hmac.compare_digest(
        (auth.password or "").encode(), token.encode()
    ):
        return "", 401, {"WWW-Authenticate": 'Basic realm="recordings"'}
    path = port.recordings_dir / f"{sid}.wav"
    if not path.is_file():
        raise NotFound()
    return send_file(path, mimetype="audio/wav")


# --- the last line of defence ----------------------------------------------------------------


@bp.post("/fallback-recorded")
@twilio_only
def fallback_recorded():
    """The apology's <Record> action: keep the message whatever else is broken."""
    tickets.store_minimal(
        data_dir=settings.current().data_dir,
        call_sid=_form("CallSid", 64) or "unknown",
        to_number=_form("To", 40),
        from_number=_form("From", 40),
        recording_url=_form("RecordingUrl", 500) or None,
        recording_sid=_form("RecordingSid", 64) if telephony.valid_recording_sid(
            _form("RecordingSid", 64)) else None,
    )
    return twiml.respond(twiml.said_and_hangup(twiml.Speaker(), "APOLOGY_SAVED"))


# Never let Twilio read its English "application error": apologise and take a message.
answer_failures_with_twiml(bp, lambda: twiml.respond(twiml.apology()), "IVR")
