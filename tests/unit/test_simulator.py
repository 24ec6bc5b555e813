"""The call simulator against a tiny Flask app that speaks TwiML and checks signatures."""

import io
import math
import struct
import threading
import wave
from pathlib import Path

import pytest
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse
from werkzeug.serving import make_server

from simulator import (
    CallSimulator,
    Conversation,
    DialInfo,
    DialOutcome,
    DialTarget,
    DirectoryRecordingStore,
    Event,
    Hangup,
    InteractiveCaller,
    Keys,
    MemoryRecordingStore,
    Message,
    ScriptedCaller,
    Silence,
    SimulatorError,
    Speech,
    flask_transport,
    http_transport,
    parse_twiml,
    render_event,
    wav_duration,
)

BASE_URL = "https://helpline.test"
TOKEN = "test-auth-token"
LINE = "+74950000000"
PARENT = "+79161234567"
CONSULTANT = "+79990000001"

MENU = "Здравствуйте! Родителям нажмите 1, сотрудникам нажмите 2."
GOODBYE = "До свидания."
RECORD_PROMPT = "Оставьте сообщение после сигнала и нажмите решётку."
NO_MESSAGE = "Мы не получили сообщение."
THANKS = "Спасибо, ваше обращение зарегистрировано."
NOBODY = "Никто не ответил."
AFTER_DIAL = "Разговор окончен."


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def make_app() -> Flask:
    """A miniature help line: menu, voice mail, dial with whisper, and broken routes."""
    app = Flask(__name__)
    log: list[tuple[str, str, dict[str, str]]] = []
    app.config["LOG"] = log
    app.config["BASE_URL"] = BASE_URL  # the public URL Twilio signs
    validator = RequestValidator(TOKEN)

    @app.before_request
    def check_signature():
        query = request.query_string.decode()
        url = app.config["BASE_URL"] + request.path + (f"?{query}" if query else "")
        params = request.form if request.method == "POST" else {}
        if not validator.validate(url, params, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        data = request.form if request.method == "POST" else request.args
        log.append((request.path, request.method, dict(data)))

    @app.post("/ivr/voice")
    def voice():
        attempt = int(request.args.get("attempt", 1))
        response = VoiceResponse()
        if attempt > 2:
            response.redirect("/ivr/record")
            return twiml(response)
        gather = response.gather(
            num_digits=1,
            action="/ivr/menu",
            input="dtmf speech",
            language="ru-RU",
            hints="родитель, сотрудник",
        )
        gather.say(MENU, voice="Polly.Tatyana", language="ru-RU")
        response.redirect(f"/ivr/voice?attempt={attempt + 1}")
        return twiml(response)

    @app.post("/ivr/menu")
    def menu():
        digits = request.form.get("Digits", "")
        speech = request.form.get("SpeechResult", "").lower()
        response = VoiceResponse()
        if digits == "1" or "родител" in speech:
            response.redirect("record")  # relative to /ivr/menu
        elif digits == "2":
            dial = Dial(action="/ivr/dialed", timeout=10, caller_id=LINE)
            dial.number(CONSULTANT, url="/ivr/whisper")
            response.append(dial)
        elif digits == "3":
            response.say(GOODBYE)
            response.hangup()
        elif digits == "4":
            response.say(GOODBYE)  # and the document ends
        elif digits == "9":
            abort(500)
        else:
            response.redirect("/ivr/voice")
        return twiml(response)

    @app.post("/ivr/record")
    def record():
        response = VoiceResponse()
        response.say(RECORD_PROMPT)
        response.record(
            action="recorded",
            max_length=10,
            finish_on_key="#",
            recording_status_callback="/ivr/recording-status",
            recording_status_callback_event="completed absent",
        )
        response.say(NO_MESSAGE)
        response.hangup()
        return twiml(response)

    @app.post("/ivr/recorded")
    def recorded():
        response = VoiceResponse()
        response.say(THANKS)
        response.hangup()
        return twiml(response)

    @app.post("/ivr/recording-status")
    def recording_status():
        return "", 204

    @app.post("/ivr/dialed")
    def dialed():
        response = VoiceResponse()
        if request.form["DialCallStatus"] != "completed" or request.form["DialBridged"] != "true":
            response.say(NOBODY)
            response.redirect("/ivr/record")
        else:
            response.hangup()
        return twiml(response)

    @app.post("/ivr/whisper")
    def whisper():
        response = VoiceResponse()
        gather = response.gather(num_digits=1, action="/ivr/whisper-accept")
        gather.say("Звонок от линии помощи. Нажмите 1, чтобы ответить.")
        response.hangup()
        return twiml(response)

    @app.post("/ivr/whisper-accept")
    def whisper_accept():
        response = VoiceResponse()
        if request.form.get("Digits") != "1":
            response.hangup()
        return twiml(response)  # an empty document connects the call

    @app.post("/ivr/dial-plain")
    def dial_plain():
        response = VoiceResponse()
        response.dial(CONSULTANT)
        response.say(AFTER_DIAL)
        return twiml(response)

    @app.post("/ivr/pin")
    def pin():
        response = VoiceResponse()
        gather = Gather(action="/ivr/pin-done", finish_on_key="#", timeout=3)
        gather.say("Введите номер обращения и нажмите решётку.")
        response.append(gather)
        response.say(NO_MESSAGE)
        return twiml(response)

    @app.post("/ivr/pin-done")
    def pin_done():
        response = VoiceResponse()
        response.say(f"Номер {request.form['Digits']}.")
        return twiml(response)

    @app.post("/ivr/empty-action")
    def empty_action():
        response = VoiceResponse()
        gather = response.gather(num_digits=1, action="/ivr/pin-done", action_on_empty_result=True)
        gather.say(MENU)
        response.say(NO_MESSAGE)
        return twiml(response)

    @app.post("/ivr/keys-only")
    def keys_only():
        response = VoiceResponse()
        response.gather(num_digits=1, action="/ivr/menu").say(MENU)
        response.say(NO_MESSAGE)
        return twiml(response)

    @app.post("/ivr/get-menu")
    def get_menu():
        response = VoiceResponse()
        response.gather(num_digits=1, action="/ivr/get-action", method="GET").say(MENU)
        return twiml(response)

    @app.get("/ivr/get-action")
    def get_action():
        response = VoiceResponse()
        response.say(f"Вы нажали {request.args['Digits']}.")
        return twiml(response)

    @app.post("/ivr/reject")
    def reject():
        response = VoiceResponse()
        response.reject(reason="busy")
        return twiml(response)

    @app.post("/ivr/loop")
    def loop():
        response = VoiceResponse()
        response.redirect("/ivr/loop")
        return twiml(response)

    @app.post("/ivr/json")
    def json_answer():
        return {"say": "hello"}

    @app.post("/ivr/doctype")
    def doctype():
        body = '<?xml version="1.0"?><!DOCTYPE Response [<!ENTITY a "x">]><Response/>'
        return Response(body, mimetype="text/xml")

    @app.post("/ivr/callback")
    def callback():
        response = VoiceResponse()
        response.say("Это линия помощи, перезваниваем вам.")
        response.hangup()
        return twiml(response)

    @app.post("/ivr/status")
    def status():
        return "", 204

    return app


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        samples = (int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(frames))
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buffer.getvalue()


def mulaw_wav_bytes(seconds: float) -> bytes:
    """An 8 kHz μ-law WAV (format tag 7), as Twilio records, which `wave` cannot read."""
    data = b"\xff" * int(seconds * 8000)
    fmt = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)
    fact = struct.pack("<I", len(data))
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"fact" + struct.pack("<I", len(fact)) + fact
        + b"data" + struct.pack("<I", len(data)) + data
    )  # fmt: skip
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def log(app):
    return app.config["LOG"]


@pytest.fixture
def store():
    return MemoryRecordingStore("https://helpline.test/local/recordings")


@pytest.fixture
def simulator(app, store):
    return CallSimulator(
        flask_transport(app.test_client(), BASE_URL),
        base_url=BASE_URL,
        auth_token=TOKEN,
        recordings=store,
    )


def call(simulator: CallSimulator, *actions, dial: DialOutcome | str = "completed"):
    return simulator.call(to=LINE, from_=PARENT, caller=ScriptedCaller(actions, dial=dial))


def forms(log, path):
    return [form for logged_path, _method, form in log if logged_path == path]


# ----------------------------------------------------------------------------- gather


def test_keys_go_to_the_gather_action_with_twilio_parameters(simulator, log):
    conversation = call(simulator, Keys("3"))

    assert conversation.said() == [MENU, GOODBYE]
    assert conversation.ended_by == "hangup"
    first = forms(log, "/ivr/voice")[0]
    assert first["CallStatus"] == "ringing"
    action = forms(log, "/ivr/menu")[0]
    assert action["Digits"] == "3"
    assert action["CallSid"] == conversation.call_sid
    assert conversation.call_sid.startswith("CA") and len(conversation.call_sid) == 34
    assert action["AccountSid"] == "AC" + "0" * 32
    assert action["From"] == action["Caller"] == PARENT
    assert action["To"] == action["Called"] == LINE
    assert action["CallStatus"] == "in-progress"
    assert action["Direction"] == "inbound"
    assert action["ApiVersion"] == "2010-04-01"


def test_keys_beyond_num_digits_are_dropped(simulator, log):
    call(simulator, Keys("31"))
    assert forms(log, "/ivr/menu")[0]["Digits"] == "3"


def test_finish_on_key_is_not_sent_and_ends_input(simulator, log):
    simulator.voice_path = "/ivr/pin"
    conversation = call(simulator, Keys("12#5"))
    assert forms(log, "/ivr/pin-done")[0]["Digits"] == "12"
    assert conversation.said()[-1] == "Номер 12."


def test_finish_on_key_alone_is_no_input(simulator, log):
    simulator.voice_path = "/ivr/pin"
    conversation = call(simulator, Keys("#"))
    assert forms(log, "/ivr/pin-done") == []
    assert conversation.said()[-1] == NO_MESSAGE
    assert conversation.ended_by == "end_of_document"


def test_speech_posts_speech_result_and_confidence(simulator, log):
    conversation = call(simulator, Speech("Я родитель", confidence=0.87))
    action = forms(log, "/ivr/menu")[0]
    assert action["SpeechResult"] == "Я родитель"
    assert action["Confidence"] == "0.87"
    assert "Digits" not in action
    assert RECORD_PROMPT in conversation.said()


def test_speech_without_confidence_omits_it(simulator, log):
    call(simulator, Speech("родитель", confidence=None))
    assert "Confidence" not in forms(log, "/ivr/menu")[0]


def test_speech_is_silence_when_gather_takes_only_keys(simulator, log):
    simulator.voice_path = "/ivr/keys-only"
    conversation = call(simulator, Speech("родитель"))
    assert forms(log, "/ivr/menu") == []
    assert conversation.said() == [MENU, NO_MESSAGE]
    assert conversation.of_kind("speech")[0].attrs["ignored"] is True


def test_silence_falls_through_to_the_redirect(simulator, log):
    conversation = call(simulator)  # silent all along, says nothing at the beep

    paths = [path for path, _method, _form in log]
    assert paths[:4] == ["/ivr/voice", "/ivr/voice", "/ivr/voice", "/ivr/record"]
    assert forms(log, "/ivr/menu") == []
    assert conversation.said() == [MENU, MENU, RECORD_PROMPT, NO_MESSAGE]
    assert forms(log, "/ivr/recorded") == []  # an empty recording skips the action
    redirects = conversation.requests("/ivr/voice")
    assert [r.attrs["url"] for r in redirects[1:]] == [
        f"{BASE_URL}/ivr/voice?attempt=2",
        f"{BASE_URL}/ivr/voice?attempt=3",
    ]


def test_action_on_empty_result_posts_empty_digits(simulator, log):
    simulator.voice_path = "/ivr/empty-action"
    conversation = call(simulator, Silence())
    assert forms(log, "/ivr/pin-done")[0]["Digits"] == ""
    assert NO_MESSAGE not in conversation.said()


def test_gather_with_get_method_sends_a_signed_query(simulator, log):
    simulator.voice_path = "/ivr/get-menu"
    conversation = call(simulator, Keys("7"))
    assert conversation.errors == []
    path, method, args = log[1]
    assert (path, method, args["Digits"]) == ("/ivr/get-action", "GET", "7")
    assert conversation.said()[-1] == "Вы нажали 7."


def test_caller_hanging_up_at_a_prompt_ends_the_call(simulator, log):
    conversation = call(simulator, Hangup())
    assert conversation.ended_by == "caller_hangup"
    assert [path for path, _m, _f in log] == ["/ivr/voice", "/ivr/status"]


# ----------------------------------------------------------------------------- record


def test_record_posts_recording_and_fires_the_recording_callback(simulator, log, store):
    audio = wav_bytes(3)
    conversation = call(simulator, Keys("1"), Message(audio))

    action = forms(log, "/ivr/recorded")[0]
    sid = action["RecordingSid"]
    assert sid.startswith("RE") and len(sid) == 34
    assert action["RecordingUrl"] == f"https://helpline.test/local/recordings/{sid}"
    assert action["RecordingDuration"] == "3"
    assert action["Digits"] == "#"
    assert store.files[sid] == audio
    assert conversation.recording_sids == [sid]

    callback = forms(log, "/ivr/recording-status")[0]
    assert callback["RecordingStatus"] == "completed"
    assert callback["RecordingSid"] == sid
    assert callback["RecordingUrl"] == action["RecordingUrl"]
    assert callback["RecordingDuration"] == "3"
    assert callback["RecordingChannels"] == "1"
    assert callback["RecordingSource"] == "RecordVerb"
    assert callback["CallSid"] == conversation.call_sid
    paths = [path for path, _m, _f in log]
    assert paths.index("/ivr/recorded") < paths.index("/ivr/recording-status")

    assert conversation.said()[-1] == THANKS
    assert "[запись сообщения: 3.0 с]" in conversation.render()


def test_directory_store_saves_the_wav_file(app, tmp_path, log):
    store = DirectoryRecordingStore(tmp_path / "recordings", "https://helpline.test/rec/")
    simulator = CallSimulator(
        flask_transport(app.test_client(), BASE_URL),
        base_url=BASE_URL,
        auth_token=TOKEN,
        recordings=store,
    )
    source = tmp_path / "message.wav"
    source.write_bytes(wav_bytes(2))
    conversation = simulator.call(
        to=LINE, from_=PARENT, caller=ScriptedCaller.from_keys("1", message=source)
    )
    (sid,) = conversation.recording_sids
    assert (tmp_path / "recordings" / f"{sid}.wav").read_bytes() == source.read_bytes()
    assert forms(log, "/ivr/recorded")[0]["RecordingUrl"] == f"https://helpline.test/rec/{sid}"


def test_max_length_cuts_the_recording(simulator, log, store):
    call(simulator, Keys("1"), Message(wav_bytes(12)))
    action = forms(log, "/ivr/recorded")[0]
    assert action["RecordingDuration"] == "10"
    assert wav_duration(store.files[action["RecordingSid"]]) == pytest.approx(10)


def test_hanging_up_while_recording_posts_digits_hangup(simulator, log):
    conversation = call(simulator, Keys("1"), Message(wav_bytes(4), hangup=True))
    action = forms(log, "/ivr/recorded")[0]
    assert action["Digits"] == "hangup"
    assert action["CallStatus"] == "completed"
    assert THANKS not in conversation.said()  # the caller is gone: the answer is not played
    assert conversation.ended_by == "caller_hangup"
    assert forms(log, "/ivr/recording-status")[0]["RecordingStatus"] == "completed"


def test_absent_recording_status(simulator, log, store):
    call(simulator, Keys("1"), Message(wav_bytes(1), status="absent"))
    assert forms(log, "/ivr/recording-status")[0]["RecordingStatus"] == "absent"
    assert store.files == {}


def test_mulaw_wav_duration_comes_from_the_header():
    assert wav_duration(mulaw_wav_bytes(4.2)) == pytest.approx(4.2)
    assert Message(mulaw_wav_bytes(2)).seconds() == pytest.approx(2)
    assert Message(wav_bytes(1.5)).seconds() == pytest.approx(1.5)
    with pytest.raises(ValueError):
        wav_duration(b"ID3 not a wav")


# ----------------------------------------------------------------------------- dial


def test_dial_no_answer_goes_to_the_action(simulator, log):
    conversation = call(simulator, Keys("2"), dial="no-answer")
    action = forms(log, "/ivr/dialed")[0]
    assert action["DialCallStatus"] == "no-answer"
    assert action["DialCallSid"].startswith("CA")
    assert action["DialCallSid"] != conversation.call_sid
    assert action["DialCallDuration"] == "0"
    assert forms(log, "/ivr/whisper") == []  # nobody answered: no whisper
    assert conversation.said()[-3:] == [NOBODY, RECORD_PROMPT, NO_MESSAGE]
    assert f"[звонок на {CONSULTANT}: no-answer]" in conversation.render()


def test_dial_answered_runs_the_whisper_then_reports_completed(simulator, log):
    outcome = DialOutcome("completed", duration=120, whisper_keys="1")
    conversation = call(simulator, Keys("2"), outcome)
    whisper = forms(log, "/ivr/whisper")[0]
    assert whisper["ParentCallSid"] == conversation.call_sid
    assert whisper["Direction"] == "outbound-dial"
    assert whisper["To"] == CONSULTANT
    assert whisper["From"] == LINE  # the Dial's callerId
    assert forms(log, "/ivr/whisper-accept")[0]["Digits"] == "1"
    action = forms(log, "/ivr/dialed")[0]
    assert action["DialCallStatus"] == "completed"
    assert action["DialCallDuration"] == "120"
    assert action["DialBridged"] == "true"
    assert action["DialCallSid"] == whisper["CallSid"]
    assert conversation.of_kind("whisper")[0].text.startswith("Звонок от линии помощи")
    assert conversation.ended_by == "hangup"


def test_consultant_declining_in_the_whisper_is_not_bridged(simulator, log):
    conversation = call(simulator, Keys("2"), DialOutcome("completed"))  # presses nothing
    action = forms(log, "/ivr/dialed")[0]
    assert action["DialBridged"] == "false"
    assert action["DialCallDuration"] == "0"
    assert NOBODY in conversation.said()


def test_dial_without_action_continues_with_the_next_verb(simulator):
    simulator.voice_path = "/ivr/dial-plain"
    conversation = call(simulator, dial="busy")
    assert conversation.said() == [AFTER_DIAL]
    assert conversation.of_kind("dial_result")[0].text == "busy"


# ----------------------------------------------------------------------------- endings


def test_status_callback_reports_completed_with_a_duration(simulator, log):
    conversation = call(simulator, Keys("3"))
    status = forms(log, "/ivr/status")[-1]
    assert status["CallStatus"] == "completed"
    assert int(status["CallDuration"]) == conversation.duration > 0
    assert status["CallSid"] == conversation.call_sid
    assert log[-1][0] == "/ivr/status"
    assert conversation.render().endswith("[звонок завершён]")


def test_end_of_document_hangs_up(simulator):
    conversation = call(simulator, Keys("4"))
    assert conversation.ended_by == "end_of_document"
    assert conversation.said() == [MENU, GOODBYE]


def test_reject_as_first_verb_leaves_the_call_unanswered(simulator, log):
    simulator.voice_path = "/ivr/reject"
    conversation = call(simulator)
    assert conversation.ended_by == "reject"
    status = forms(log, "/ivr/status")[0]
    assert (status["CallStatus"], status["CallDuration"]) == ("busy", "0")
    assert "[звонок отклонён]" in conversation.render()


def test_no_status_callback_when_disabled(simulator, log):
    simulator.status_path = None
    call(simulator, Keys("3"))
    assert forms(log, "/ivr/status") == []


# ----------------------------------------------------------------------------- errors


def test_server_error_is_an_error_event_and_ends_the_call(simulator, log):
    conversation = call(simulator, Keys("9"))
    (error,) = conversation.errors
    assert "HTTP 500" in error.text
    assert conversation.ended_by == "error"
    assert forms(log, "/ivr/status")[0]["CallStatus"] == "completed"
    assert "[ошибка: HTTP 500" in conversation.render()


@pytest.mark.parametrize("path", ["/ivr/json", "/ivr/doctype"])
def test_a_body_twilio_would_refuse_is_an_error(simulator, path):
    simulator.voice_path = path
    conversation = call(simulator)
    assert conversation.ended_by == "error"
    assert len(conversation.errors) == 1


def test_parse_twiml_refuses_doctype_and_other_roots():
    assert parse_twiml("<Response><Say>x</Say></Response>").tag == "Response"
    for body in ("<!DOCTYPE x><Response/>", "<Foo/>", "", "<Response>"):
        with pytest.raises(ValueError):
            parse_twiml(body)


def test_wrong_auth_token_gets_403(app, log):
    simulator = CallSimulator(
        flask_transport(app.test_client(), BASE_URL), base_url=BASE_URL, auth_token="wrong"
    )
    conversation = call(simulator, Keys("3"))
    assert log == []  # the app refused every request
    assert "HTTP 403" in conversation.errors[0].text
    assert conversation.ended_by == "error"
    assert conversation.requests()[0].attrs["status"] == 403


def test_signature_is_what_twilio_would_send(simulator):
    conversation = call(simulator, Keys("3"))
    assert conversation.errors == []
    assert {r.attrs["status"] for r in conversation.requests()} <= {200, 204}


def test_redirect_loop_raises(simulator):
    simulator.voice_path = "/ivr/loop"
    simulator.max_steps = 5
    with pytest.raises(SimulatorError) as info:
        call(simulator)
    assert isinstance(info.value.conversation, Conversation)


def test_foreign_host_is_not_served_by_the_flask_transport(app):
    transport = flask_transport(app.test_client(), BASE_URL)
    assert transport("https://elsewhere.test/x", {}, {}).status == 502


def test_relative_urls_resolve_against_the_document_url(simulator):
    conversation = call(simulator, Keys("1"), Message(wav_bytes(2)))
    urls = [r.attrs["url"] for r in conversation.requests()]
    # <Redirect>record</Redirect> in /ivr/menu, <Record action="recorded"> in /ivr/record
    assert f"{BASE_URL}/ivr/record" in urls
    assert f"{BASE_URL}/ivr/recorded" in urls
    assert f"{BASE_URL}/ivr/recording-status" in urls


# ----------------------------------------------------------------------------- outbound


def test_outbound_call_uses_outbound_api_direction(simulator, log):
    conversation = simulator.outbound(
        "/ivr/callback", to=PARENT, from_=LINE, caller=ScriptedCaller(), answered_by="human"
    )
    first = forms(log, "/ivr/callback")[0]
    assert first["Direction"] == "outbound-api"
    assert first["CallStatus"] == "in-progress"
    assert (first["From"], first["To"], first["AnsweredBy"]) == (LINE, PARENT, "human")
    assert conversation.ended_by == "hangup"


def test_unanswered_outbound_call_only_reports_its_status(simulator, log):
    conversation = simulator.outbound(
        "/ivr/callback", to=PARENT, from_=LINE, caller=ScriptedCaller(), answer="no-answer"
    )
    assert [path for path, _m, _f in log] == ["/ivr/status"]
    status = forms(log, "/ivr/status")[0]
    assert (status["CallStatus"], status["CallDuration"]) == ("no-answer", "0")
    assert conversation.status == "no-answer"
    assert f"[звонок на {PARENT}: no-answer]" in conversation.render()


# ----------------------------------------------------------------------------- callers


def test_scripted_caller_from_keys():
    caller = ScriptedCaller.from_keys("1,,родитель,hangup", message=b"x", dial="busy")
    assert caller.actions == [
        Keys("1"),
        Silence(),
        Speech("родитель"),
        Hangup(),
        Message(b"x"),
    ]
    assert caller.dial == DialOutcome("busy")
    assert ScriptedCaller.from_keys("").actions == []


def test_scripted_caller_keeps_actions_that_do_not_fit_the_prompt(simulator, log):
    caller = ScriptedCaller([Message(wav_bytes(2)), Keys("1")])
    conversation = simulator.call(to=LINE, from_=PARENT, caller=caller)
    # the menu came first: the caller kept silent and kept the message for the beep
    assert forms(log, "/ivr/menu") == []
    assert conversation.recording_sids
    assert caller.remaining == [Keys("1")]


def test_interactive_caller_reads_keys_and_a_wav_path(simulator, log, tmp_path):
    source = tmp_path / "m.wav"
    source.write_bytes(wav_bytes(2))
    lines = ["", "родитель", str(tmp_path / "missing.wav"), str(source)]
    answers = io.StringIO("\n".join(lines) + "\n")
    output = io.StringIO()
    printed: list[str] = []

    def show(event: Event) -> None:
        line = render_event(event)
        if line is not None:
            printed.append(line)

    simulator.on_event = show
    conversation = simulator.call(to=LINE, from_=PARENT, caller=InteractiveCaller(answers, output))

    assert forms(log, "/ivr/menu")[0]["SpeechResult"] == "родитель"
    assert len(forms(log, "/ivr/recorded")) == 1
    assert "keys (1) or speech (ru-RU)" in output.getvalue()
    assert "no such file" in output.getvalue()
    assert printed == conversation.render().splitlines()
    assert printed[:3] == [f"Линия: {MENU}", "Звонящий: молчит", f"Линия: {MENU}"]


def test_interactive_caller_end_of_input_hangs_up(simulator):
    conversation = simulator.call(
        to=LINE, from_=PARENT, caller=InteractiveCaller(io.StringIO(""), io.StringIO())
    )
    assert conversation.ended_by == "caller_hangup"


def test_interactive_caller_dial_choices():
    output = io.StringIO()
    caller = InteractiveCaller(io.StringIO("maybe\nbusy\n\n"), output)
    info = DialInfo([DialTarget(CONSULTANT)])
    assert caller.on_dial(info).status == "busy"
    assert caller.on_dial(info).status == "completed"
    assert "please type" in output.getvalue()

    caller = InteractiveCaller(io.StringIO("\n1\n"), output)
    whispered = DialInfo([DialTarget(CONSULTANT, url=f"{BASE_URL}/ivr/whisper")])
    assert caller.on_dial(whispered) == DialOutcome("completed", 60, whisper_keys="1")


def test_render_reads_like_a_transcript(simulator):
    conversation = call(simulator, Keys("1"), Message(wav_bytes(4.2)))
    assert conversation.render().splitlines() == [
        f"Линия: {MENU}",
        "Звонящий: нажимает 1",
        f"Линия: {RECORD_PROMPT}",
        "[запись сообщения: 4.2 с]",
        f"Линия: {THANKS}",
        "[звонок завершён]",
    ]
    verbose = conversation.render(verbose=True)
    assert f"POST {BASE_URL}/ivr/recorded 200" in verbose


# ----------------------------------------------------------------------------- real HTTP


def test_http_transport_against_a_real_server():
    app = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    port = server.server_port
    app.config["BASE_URL"] = f"http://127.0.0.1:{port}"  # the signed URL carries the port
    log = app.config["LOG"]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        simulator = CallSimulator(
            http_transport(timeout=5), base_url=f"http://127.0.0.1:{port}", auth_token=TOKEN
        )
        conversation = simulator.call(to=LINE, from_=PARENT, caller=ScriptedCaller([Keys("3")]))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert conversation.errors == []
    assert conversation.said() == [MENU, GOODBYE]
    assert [path for path, _m, _f in log] == ["/ivr/voice", "/ivr/menu", "/ivr/status"]


def test_http_transport_reports_no_response():
    result = http_transport(timeout=1)("http://127.0.0.1:9/ivr/voice", {}, {})
    assert result.status == 0
    assert http_transport()("ftp://example.test/x", {}, {}).status == 0


def test_wav_helpers_accept_paths(tmp_path: Path):
    path = tmp_path / "a.wav"
    path.write_bytes(mulaw_wav_bytes(1))
    assert Message(path).seconds() == pytest.approx(1)
    assert Message(str(path)).audio() == path.read_bytes()
