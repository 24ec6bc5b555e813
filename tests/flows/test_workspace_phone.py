"""The phone in the browser: a step-wise simulated call through the JSON API."""

import io

import pytest
import time_machine
from sqlalchemy import select

from callbacks.models import Callback
from core import ui_text as t
from core.extensions import db
from helpline import webphone
from ivr import prompts
from tests.browser.support import SATURDAY_NIGHT, login
from tests.conftest import OMSK_NUMBER, SCHOOL_NUMBER, make_wav
from tickets.models import Recording, Ticket


@pytest.fixture
def staff(app, demo):
    with time_machine.travel(SATURDAY_NIGHT, tick=True):
        client = app.test_client()
        client.token = login(client, "consultant")
        yield client


def api(client, path, payload=None, **kwargs):
    headers = {"X-CSRFToken": client.token, "Accept": "application/json"}
    if payload is not None:
        return client.post(path, json=payload, headers=headers, **kwargs)
    return client.post(path, headers=headers, **kwargs)


def start(client, to=SCHOOL_NUMBER, from_="+7 916 123-45-67"):
    response = api(client, "/phone/api/calls", {"to": to, "from": from_})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def said(state) -> str:
    return " ".join(e["text"] for e in state["events"] if e["who"] == "line")


def keys(client, state, digits):
    response = api(client, f"/phone/api/calls/{state['id']}/input",
                   {"action": "keys", "value": digits})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_page_has_a_keypad_and_no_outside_scripts(staff):
    html = staff.get("/phone/").get_data(as_text=True)
    assert t.PHONE_TITLE in html and 'id="keypad"' in html and "/static/phone.js" in html
    assert "+7 495 000-00-19" in html and "+7 381" not in html  # only the user's school
    assert 'accept="audio/wav' in html


def test_a_voice_message_from_the_browser_becomes_a_ticket_and_a_callback(app, staff):
    state = start(staff)
    assert state["waiting"]["kind"] == "gather" and not state["ended"]
    assert "МАОУ СОШ № 19" in said(state)
    state = keys(staff, state, "1")  # parent
    state = keys(staff, state, "1")  # login
    assert state["waiting"]["kind"] == "record"
    response = api(staff, f"/phone/api/calls/{state['id']}/message",
                   data={"audio": (io.BytesIO(make_wav(4)), "message.wav")},
                   content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    state = response.get_json()
    while not state["ended"]:
        state = api(staff, f"/phone/api/calls/{state['id']}/input",
                    {"action": "hangup"}).get_json()
    ticket = state["ticket"]
    assert ticket is not None and ticket["url"].startswith("/tickets/")
    assert prompts.TICKET_CREATED.split("{")[0].strip() in said(state)
    assert ticket["callback"] and "30.11.2026" in ticket["callback"]
    with app.app_context():
        stored = db.session.scalars(select(Ticket)).one()
        assert stored.number == ticket["number"] and stored.caller_number == "+79161234567"
        assert db.session.scalars(select(Recording)).one().duration == 4
        assert db.session.scalars(select(Callback)).one().ticket_id == stored.id
    html = staff.get("/tickets/").get_data(as_text=True)
    assert f'href="{ticket["url"]}"' in html


def test_speech_and_silence_are_answers_too(staff):
    state = start(staff)
    response = api(staff, f"/phone/api/calls/{state['id']}/input",
                   {"action": "speech", "value": "я родитель"})
    state = response.get_json()
    assert any(e["who"] == "you" and "я родитель" in e["text"] for e in state["events"])
    state = api(staff, f"/phone/api/calls/{state['id']}/input", {"action": "silence"}).get_json()
    assert state["waiting"]["kind"] == "gather"
    api(staff, f"/phone/api/calls/{state['id']}/input", {"action": "hangup"})


def test_a_withheld_number_is_asked_for_one(staff):
    state = start(staff, from_="")
    state = keys(staff, state, "1")
    state = keys(staff, state, "1")
    assert prompts.ANON_ENTER_NUMBER.split(",")[0] in said(state)
    api(staff, f"/phone/api/calls/{state['id']}/input", {"action": "hangup"})


@pytest.mark.parametrize(("payload", "message"), [
    ({"to": "+74950000000", "from": ""}, t.PHONE_UNKNOWN_TO),
    ({"to": OMSK_NUMBER, "from": ""}, t.PHONE_UNKNOWN_TO),  # another school's line
    ({"to": SCHOOL_NUMBER, "from": "12"}, t.PHONE_BAD_NUMBER),
    ({}, t.PHONE_UNKNOWN_TO),
])
def test_bad_numbers_are_refused_in_russian(staff, payload, message):
    response = api(staff, "/phone/api/calls", payload)
    assert response.status_code == 400 and response.get_json() == {"error": message}


def test_json_that_is_not_an_object_is_a_400(staff):
    for payload in ([], ["to"], "text", 5):
        response = api(staff, "/phone/api/calls", payload)
        assert response.status_code == 400 and response.get_json() == {"error": t.PHONE_UNKNOWN_TO}


def test_bad_input_is_a_400_and_the_line_still_waits(staff):
    state = start(staff)
    path = f"/phone/api/calls/{state['id']}"
    for payload in ({"action": "keys", "value": "1a"}, {"action": "keys", "value": ""},
                    {"action": "dance"}, {"action": "dial", "value": "maybe"}, [1, 2]):
        response = api(staff, path + "/input", payload)
        assert response.status_code == 400, payload
        assert response.get_json()["error"] in (t.PHONE_BAD_KEYS, t.ERROR_400)
    # A message while the line asks for a key: the wrong step.
    response = api(staff, path + "/message", data={"audio": (io.BytesIO(make_wav(1)), "a.wav")},
                   content_type="multipart/form-data")
    assert response.status_code == 409
    assert staff.get(path).get_json()["waiting"]["kind"] == "gather"
    api(staff, path + "/input", {"action": "hangup"})


def test_a_broken_wav_is_refused_and_the_beep_still_waits(staff):
    state = start(staff)
    state = keys(staff, state, "1")
    state = keys(staff, state, "1")
    path = f"/phone/api/calls/{state['id']}/message"
    for data, message in (
        ({"audio": (io.BytesIO(b"not a wav at all"), "x.wav")}, t.PHONE_BAD_WAV),
        ({"audio": (io.BytesIO(b"RIFF\x00\x00"), "x.wav")}, t.PHONE_BAD_WAV),
        ({"audio": (io.BytesIO(b""), "x.wav")}, t.PHONE_WAV_EMPTY),
        ({}, t.PHONE_WAV_EMPTY),
    ):
        response = api(staff, path, data=data, content_type="multipart/form-data")
        assert response.status_code == 400 and response.get_json()["error"] == message
    assert staff.get(f"/phone/api/calls/{state['id']}").get_json()["waiting"]["kind"] == "record"
    state = api(staff, path, data={"nothing": "1"}, content_type="multipart/form-data").get_json()
    assert any(e["text"] == t.PHONE_EVENT["message_empty"] for e in state["events"])
    api(staff, f"/phone/api/calls/{state['id']}/input", {"action": "hangup"})


def test_a_too_large_wav_is_refused(staff, monkeypatch):
    monkeypatch.setattr(webphone, "MAX_WAV_BYTES", 1000)
    state = start(staff)
    state = keys(staff, state, "1")
    state = keys(staff, state, "1")
    response = api(staff, f"/phone/api/calls/{state['id']}/message",
                   data={"audio": (io.BytesIO(make_wav(2)), "big.wav")},
                   content_type="multipart/form-data")
    assert response.status_code == 400 and "МБ" in response.get_json()["error"]
    api(staff, f"/phone/api/calls/{state['id']}/input", {"action": "hangup"})


def test_a_call_belongs_to_the_user_who_placed_it(app, staff):
    state = start(staff)
    other = app.test_client()
    other.token = login(other, "operator")
    assert other.get(f"/phone/api/calls/{state['id']}").status_code == 404
    assert api(other, f"/phone/api/calls/{state['id']}/input",
               {"action": "keys", "value": "1"}).status_code == 404
    assert staff.get("/phone/api/calls/nonsense").status_code == 404
    api(staff, f"/phone/api/calls/{state['id']}/input", {"action": "hangup"})


def test_an_ended_call_takes_no_more_input(staff):
    state = start(staff)
    state = api(staff, f"/phone/api/calls/{state['id']}/input", {"action": "hangup"}).get_json()
    assert state["ended"]
    response = api(staff, f"/phone/api/calls/{state['id']}/input",
                   {"action": "keys", "value": "1"})
    assert response.status_code == 409 and response.get_json()["error"] == t.PHONE_GONE


def test_the_api_needs_the_csrf_token_and_a_sign_in(app, staff):
    response = staff.post("/phone/api/calls", json={"to": SCHOOL_NUMBER})
    assert response.status_code == 400 and response.get_json()["error"] == t.ERROR_CSRF
    anonymous = app.test_client()
    assert anonymous.post("/phone/api/calls", json={}).status_code in (302, 400)
    assert anonymous.get("/phone/").status_code == 302


def test_only_with_local_telephony(app_config):
    from helpline.app import create_app
    from helpline.demo import load_demo

    app = create_app({**app_config, "TELEPHONY": "twilio"})
    with app.app_context():
        db.create_all()
        load_demo("demo-password")
    client = app.test_client()
    client.token = login(client, "consultant")
    assert client.get("/phone/").status_code == 404
    assert api(client, "/phone/api/calls", {"to": SCHOOL_NUMBER}).status_code == 404
    assert 'href="/phone/"' not in client.get("/tickets/").get_data(as_text=True)
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def test_too_many_calls_at_once(staff, monkeypatch):
    monkeypatch.setattr(webphone, "MAX_CALLS", 1)
    state = start(staff)
    response = api(staff, "/phone/api/calls", {"to": SCHOOL_NUMBER, "from": ""})
    assert response.status_code == 429 and response.get_json()["error"] == t.PHONE_TOO_MANY
    api(staff, f"/phone/api/calls/{state['id']}/input", {"action": "hangup"})
