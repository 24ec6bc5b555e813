"""Webhooks of the outbound callback calls: thin views over callbacks.dialer."""

from __future__ import annotations

from flask import Blueprint, request

from callbacks import dialer, prompts, twiml
from core import settings, webhooks
from core.settings import CallbackSettings
from core.webhooks import answer_failures_with_twiml, status_callback, twilio_only

bp = Blueprint("callbacks", __name__, url_prefix=dialer.WEBHOOKS)

WHISPER_TRIES = 2  # the whisper is said twice; then the callback stays in the queue


def _form(name: str, limit: int = 64) -> str:
    return webhooks.field(name, limit)


def _attempt_id() -> int | None:
    return webhooks.small_number(request.args.get("attempt", ""))


def _int(name: str) -> int | None:
    return webhooks.small_number(_form(name, 10))


def _policy() -> CallbackSettings:
    return settings.current().callbacks


def _bridge(found: dialer.Bridge, lines=()):
    policy = _policy()
    return twiml.respond(twiml.bridge(
        found.attempt_id, found.number, found.caller_id,
        timeout=policy.dial_seconds, machine_detection=policy.machine_detection, lines=lines,
    ))


@bp.post("/whisper")
@twilio_only
def whisper():
    """The operator answered the system's call: say what it is about, ask for 1, 2 or 3."""
    attempt_id = _attempt_id()
    retry_number = webhooks.small_number(request.args.get("retry", "1")) or 1
    if retry_number > WHISPER_TRIES:
        dialer.leave_in_queue(attempt_id)
        return twiml.respond(twiml.closing((prompts.QUEUED,)))
    heard = dialer.operator_answered(
        attempt_id, call_sid=_form("CallSid") or None, answered_by=_form("AnsweredBy", 20) or None,
        policy=_policy(),
    )
    if heard.ended:
        return twiml.respond(twiml.closing((heard.ended,)))
    if heard.bridge_now:
        found = dialer.operator_chose(attempt_id, "1", policy=_policy())
        if isinstance(found, dialer.Bridge):
            return _bridge(found, heard.lines)
        return twiml.respond(twiml.closing(found.lines if found else (prompts.QUEUED,)))
    return twiml.respond(twiml.whisper(heard.attempt_id, heard.lines, retry=retry_number))


@bp.post("/choice")
@twilio_only
def choice():
    """The operator's key after the whisper."""
    attempt_id = _attempt_id()
    found = dialer.operator_chose(attempt_id, _form("Digits", 5), policy=_policy())
    if isinstance(found, dialer.Bridge):
        return _bridge(found)
    if isinstance(found, dialer.Closing):
        return twiml.respond(twiml.closing(found.lines))
    heard = dialer.operator_answered(attempt_id, call_sid=None, answered_by=None,
                                     policy=_policy())
    if heard.ended:
        return twiml.respond(twiml.closing((heard.ended,)))
    return twiml.respond(twiml.whisper(heard.attempt_id, heard.lines,
                                       problem=prompts.WHISPER_NOT_UNDERSTOOD))


@bp.post("/dialed")
@twilio_only
def dialed():
    """The call to the caller ended (the <Dial> action): ask the operator for the result."""
    attempt_id = _attempt_id()
    result = dialer.caller_leg(
        attempt_id, policy=_policy(), call_sid=_form("DialCallSid") or None,
        status=_form("DialCallStatus", 20), duration=_int("DialCallDuration"),
    )
    status = _form("DialCallStatus", 20)
    if status in ("completed", "answered") and result != "machine":
        return twiml.respond(twiml.after_call(attempt_id or 0))
    return twiml.respond(twiml.closing(dialer.caller_outcome_lines(attempt_id)))


@bp.post("/result")
@twilio_only
def result():
    """The operator's key after the conversation."""
    said = dialer.after_call(_attempt_id(), _form("Digits", 5), policy=_policy())
    return twiml.respond(twiml.closing((said,)))


@bp.post("/status")
@status_callback
@twilio_only
def status():
    """Status callbacks: of the call to the operator (leg=operator) or to the caller."""
    attempt_id = _attempt_id()
    call_status = _form("CallStatus", 20)
    answered_by = _form("AnsweredBy", 20) or None
    if request.args.get("leg") == "caller":
        dialer.caller_leg(attempt_id, policy=_policy(), call_sid=_form("CallSid") or None,
                          status=call_status or None, answered_by=answered_by,
                          duration=_int("CallDuration"))
    elif call_status or answered_by:
        dialer.operator_leg(attempt_id, call_sid=_form("CallSid") or None,
                            status=call_status or "in-progress", policy=_policy(),
                            answered_by=answered_by,
                            duration=_int("CallDuration"))
    return twiml.respond(twiml.empty())


# Whatever broke, valid TwiML: the callback stays in the database for later.
answer_failures_with_twiml(bp, lambda: twiml.respond(twiml.closing((prompts.APOLOGY,))),
                           "callback")
