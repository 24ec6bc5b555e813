"""TwiML of the outbound callback calls: the operator's whisper, the bridge, the result keys.

No database access here: views decide, builders only speak (sentences from callbacks.prompts).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, url_for
from twilio.twiml.voice_response import VoiceResponse

from callbacks import prompts
from core import settings

GATHER_SECONDS = 8


def respond(response: VoiceResponse) -> Response:
    """The TwiML document as a Flask response."""
    return Response(str(response), mimetype="text/xml")


def _say(node, sentence: str) -> None:
    config = settings.current()
    node.say(sentence, voice=config.tts_voice, language=config.tts_language)


def whisper(attempt_id: int, lines: Sequence[str], *, retry: int = 1,
            problem: str | None = None) -> VoiceResponse:
    """Tell the operator what the callback is about and ask for 1, 2 or 3."""
    response = VoiceResponse()
    if problem:
        _say(response, problem)
    gather = response.gather(
        num_digits=1, action=url_for("callbacks.choice", attempt=attempt_id), method="POST",
        timeout=GATHER_SECONDS,
    )
    for line in lines:
        _say(gather, line)
    # Silence: ask once more, then leave the callback in the queue.
    response.redirect(url_for("callbacks.whisper", attempt=attempt_id, retry=retry + 1),
                      method="POST")
    return response


def bridge(attempt_id: int, number: str, caller_id: str | None, *, timeout: int,
           machine_detection: bool, lines: Sequence[str] = ()) -> VoiceResponse:
    """Connect the operator to the caller; the caller sees the school's number."""
    response = VoiceResponse()
    for line in lines:
        _say(response, line)
    _say(response, prompts.CONNECTING)
    dial = response.dial(
        action=url_for("callbacks.dialed", attempt=attempt_id), method="POST",
        caller_id=caller_id, timeout=timeout,
    )
    status = url_for("callbacks.status", attempt=attempt_id, leg="caller")
    extra = {"machine_detection": "Enable", "amd_status_callback": status,
             "amd_status_callback_method": "POST"} if machine_detection else {}
    dial.number(number, status_callback=status, status_callback_event="completed",
                status_callback_method="POST", **extra)
    return response


def after_call(attempt_id: int) -> VoiceResponse:
    """The conversation is over: ask the operator for the result (keys 1, 2 or 3)."""
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, action=url_for("callbacks.result", attempt=attempt_id), method="POST",
        timeout=GATHER_SECONDS,
    )
    _say(gather, prompts.AFTER_CALL_MENU)
    _say(response, prompts.RESULT_LATER)
    response.hangup()
    return response


def closing(lines: Sequence[str]) -> VoiceResponse:
    """Say these sentences, then hang up."""
    response = VoiceResponse()
    for line in lines:
        _say(response, line)
    response.hangup()
    return response


def empty() -> VoiceResponse:
    """An empty document: the answer to a status callback."""
    return VoiceResponse()
