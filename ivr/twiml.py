"""TwiML builders: each takes a decision already made and returns a VoiceResponse.

No database access here; views and services decide, builders only speak.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterable, Sequence

from flask import Response, url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from core import settings
from ivr import prompts

log = logging.getLogger(__name__)

TWIML_LIMIT = 64_000  # bytes: Twilio refuses a TwiML document over 64 kB
MAX_MESSAGE_SECONDS = 180
SILENCE_ENDS_MESSAGE = 5
MENU_TIMEOUT = 6


class Speaker:
    """Says catalogue prompts, honouring a school's replacement text or recorded audio."""

    def __init__(self, overrides: dict | None = None):
        self.overrides = overrides or {}
        config = settings.current()
        self.voice, self.language = config.tts_voice, config.tts_language

    def __call__(self, node, key: str, **params) -> None:
        override = self.overrides.get(key) or {}
        if override.get("audio_url") and not params:
            node.play(override["audio_url"])
            return
        self.text(node, self.render(key, **params))

    def render(self, key: str, **params) -> str:
        """The prompt's sentence (the school's own wording if it has one), filled in.

        A school's wording may only name the placeholders («{number}»), never format them
        («{school:>20000000}» would make a 20 MB greeting); one that does is not used.
        """
        default = getattr(prompts, key)
        template = (self.overrides.get(key) or {}).get("text") or default
        if template is not default:
            try:
                return plain_format(template, params)
            except (ValueError, KeyError, IndexError, AttributeError):
                log.warning("the school's wording of %s is unusable: the default is said", key)
        return default.format(**params)

    def text(self, node, sentence: str) -> None:
        node.say(sentence, voice=self.voice, language=self.language)


def plain_format(template: str, params: dict) -> str:
    """str.format with bare names only: no format spec, conversion, index or attribute."""
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is not None and (spec or conversion or not name.isidentifier()):
            raise ValueError(f"placeholder {name!r} with a format: not allowed")
    return template.format(**params)


def respond(response: VoiceResponse, status: int = 200) -> Response:
    body = str(response)
    if len(body.encode()) > TWIML_LIMIT:  # the error handler answers the short apology
        raise ValueError(f"TwiML of {len(body)} characters: Twilio takes at most 64 kB")
    return Response(body, status=status, mimetype="text/xml")


def _gather(response: VoiceResponse, action: str, *, hints: Iterable[str] = (),
            speech: bool = True, num_digits: int | None = 1,
            finish_on_key: str | None = None, timeout: int = MENU_TIMEOUT) -> Gather:
    kwargs = {"action": action, "method": "POST", "timeout": timeout}
    if num_digits:
        kwargs["num_digits"] = num_digits
    if finish_on_key:
        kwargs["finish_on_key"] = finish_on_key
    if speech:
        hint_text = ", ".join(dict.fromkeys(h for h in hints if h))[:900]
        kwargs |= {
            "input": "dtmf speech",
            "language": settings.current().tts_language,
            "speech_timeout": "auto",
        }
        if hint_text:
            kwargs["hints"] = hint_text
    return response.gather(**kwargs)


# --- menus --------------------------------------------------------------------------------


def greeting(say: Speaker, school: str, lines: Sequence[str], role_hints: Iterable[str],
             *, repeat_offer: bool = False) -> VoiceResponse:
    """The greeting, what we know of an open ticket, then the role menu."""
    response = VoiceResponse()
    say(response, "GREETING", school=school)
    say(response, "RECORDED")
    for line in lines:
        say.text(response, line)
    if repeat_offer:
        say(response, "REPEAT_ADD")
    return _role_gather(response, say, role_hints, attempt=1)


def role_menu(say: Speaker, role_hints: Iterable[str], *, attempt: int,
              problem: str | None = None) -> VoiceResponse:
    response = VoiceResponse()
    if problem:
        say(response, problem)
    return _role_gather(response, say, role_hints, attempt=attempt)


def _role_gather(response: VoiceResponse, say: Speaker, hints: Iterable[str], *,
                 attempt: int) -> VoiceResponse:
    action = url_for("ivr.role", attempt=attempt)
    gather = _gather(response, action, hints=hints)
    say(gather, "ROLE_MENU")
    response.redirect(action, method="POST")  # silence: the handler counts the miss
    return response


def topic_menu(say: Speaker, role: str, topics: Sequence[tuple[str, str]],
               hints: Iterable[str], *, attempt: int, problem: str | None = None
               ) -> VoiceResponse:
    """Topics as (digit, Russian name) pairs."""
    response = VoiceResponse()
    if problem:
        say(response, problem)
    action = url_for("ivr.topic", role=role, attempt=attempt)
    gather = _gather(response, action, hints=hints)
    say(gather, "TOPIC_MENU_INTRO")
    for digit, name in topics:
        say(gather, "TOPIC_ITEM", name=name[:1].upper() + name[1:], digit=digit)
    say(gather, "TOPIC_SPEECH_HINT")
    response.redirect(action, method="POST")
    return response


# --- open: put the call through --------------------------------------------------------------


def dial_consultants(say: Speaker, numbers: Sequence[str | tuple[str, str]], *,
                     caller_id: str | None, role: str | None, topic: str | None
                     ) -> VoiceResponse:
    """Ring the consultants on duty; a (number, whisper URL) pair says who answered."""
    response = VoiceResponse()
    say(response, "CONNECTING")
    dial = response.dial(
        action=url_for("ivr.dialed", role=role or "", topic=topic or ""),
        method="POST",
        timeout=settings.current().dial_timeout,
        caller_id=caller_id,
    )
    for entry in numbers:
        number, url = entry if isinstance(entry, tuple) else (entry, None)
        if url:
            dial.number(number, url=url, method="POST")
        else:
            dial.number(number)
    return response


def live_whisper(say: Speaker, number: str, role: str | None, topic: str | None
                 ) -> VoiceResponse:
    """What the consultant hears on answering: the ticket's number, who calls and why.

    Ends without a Gather, so Twilio connects the two as soon as it is said."""
    response = VoiceResponse()
    say(response, "LIVE_WHISPER", number=number)
    if role and topic:
        say(response, "LIVE_WHISPER_ROLE_TOPIC", role=role, topic=topic)
    return response


def goodbye(say: Speaker, *keys: str) -> VoiceResponse:
    response = VoiceResponse()
    for key in keys:
        say(response, key)
    say(response, "THANKS_BYE")
    response.hangup()
    return response


# --- closed: the voice message ----------------------------------------------------------------


def voicemail(say: Speaker, lines: Sequence[tuple[str, dict]], *,
              instructions: str = "RECORD_INSTRUCTIONS") -> VoiceResponse:
    """Explain (lines of prompt keys and params), then record after a beep."""
    response = VoiceResponse()
    for key, params in lines:
        say(response, key, **params)
    say(response, instructions)
    return _record(response, "ivr.recorded")


def _record(response: VoiceResponse, endpoint: str) -> VoiceResponse:
    """Record after a beep; `#` or 5 s of silence ends it, the status callback attaches it."""
    response.record(
        action=url_for(endpoint),
        method="POST",
        max_length=MAX_MESSAGE_SECONDS,
        timeout=SILENCE_ENDS_MESSAGE,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=url_for("ivr.recording_status"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    # Twilio goes on here when nothing was recorded: keep the call as a missed call.
    response.redirect(url_for(endpoint, empty=1), method="POST")
    return response


def ticket_registered(say: Speaker, lines: Sequence[tuple[str, dict]]) -> VoiceResponse:
    response = VoiceResponse()
    for key, params in lines:
        say(response, key, **params)
    gather = _gather(response, url_for("ivr.after_message"), speech=False)
    say(gather, "OTHER_NUMBER_OFFER")
    say(response, "THANKS_BYE")
    response.hangup()
    return response


# --- a callback number by keypad ----------------------------------------------------------------


def ask_number(say: Speaker, *, then: str, attempt: int, key: str = "ENTER_NUMBER",
               problem: str | None = None) -> VoiceResponse:
    response = VoiceResponse()
    if problem:
        say(response, problem)
    action = url_for("ivr.number", then=then, attempt=attempt)
    gather = _gather(response, action, speech=False, num_digits=None, finish_on_key="#",
                     timeout=10)
    say(gather, key)
    response.redirect(action, method="POST")
    return response


def read_back_number(say: Speaker, spoken: str, *, then: str) -> VoiceResponse:
    response = VoiceResponse()
    action = url_for("ivr.number_confirm", then=then)
    gather = _gather(response, action, speech=False)
    say(gather, "NUMBER_READBACK", number=spoken)
    response.redirect(action, method="POST")
    return response


# --- information and the vendor's support service -------------------------------------------


def information(say: Speaker, lines: Sequence[tuple[str, dict]], *, can_transfer: bool
                ) -> VoiceResponse:
    response = VoiceResponse()
    for key, params in lines:
        say(response, key, **params)
    gather = _gather(response, url_for("ivr.vendor"), speech=False)
    if can_transfer:
        say(gather, "INFO_VENDOR_TRANSFER")
    say(gather, "INFO_BACK")
    response.redirect(url_for("ivr.menu"), method="POST")
    return response


def transfer(say: Speaker, number: str, caller_id: str | None) -> VoiceResponse:
    response = VoiceResponse()
    say(response, "VENDOR_CONNECTING")
    response.dial(number, caller_id=caller_id, timeout=30)
    say(response, "THANKS_BYE")
    response.hangup()
    return response


# --- the last line of defence ------------------------------------------------------------------


def apology() -> VoiceResponse:
    """Used when a webhook failed: no database, no catalogue overrides, just take the message."""
    say = Speaker()
    response = VoiceResponse()
    say(response, "APOLOGY")
    return _record(response, "ivr.fallback_recorded")


def said_and_hangup(say: Speaker, key: str) -> VoiceResponse:
    response = VoiceResponse()
    say(response, key)
    response.hangup()
    return response
