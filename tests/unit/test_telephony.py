"""The Twilio port's recording deletion, through the real Twilio client over a fake HTTP layer."""

from __future__ import annotations

import logging

import pytest
import requests
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.telephony import LocalTelephony, TelephonyError, TwilioTelephony

ACCOUNT = "AC" + "1" * 32
SID = "RE" + "a" * 32


class FakeTwilioHttp(HttpClient):
    """Answers every request with one status; remembers what was asked."""

    def __init__(self, status: int | None, body: str = ""):
        super().__init__(logging.getLogger("twilio.http_client"), is_async=False)
        self.status, self.body, self.requests = status, body, []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append((method, uri, auth))
        if self.status is None:
            raise requests.ConnectionError("no route to host")
        return Response(self.status, self.body)


def port_with(http: FakeTwilioHttp) -> TwilioTelephony:
    port = TwilioTelephony(ACCOUNT, "token")
    port._client = Client(ACCOUNT, "token", http_client=http)
    return port


def test_delete_sends_the_rest_call_with_the_accounts_credentials():
    http = FakeTwilioHttp(204)
    port_with(http).delete_recording(SID)
    assert http.requests == [
        ("DELETE", f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{SID}.json",
         (ACCOUNT, "token")),
    ]


def test_a_recording_twilio_no_longer_has_counts_as_deleted():
    port_with(FakeTwilioHttp(404, '{"code": 20404, "message": "not found"}')).delete_recording(SID)


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (401, False), (None, True)])
def test_a_failed_delete_says_whether_to_try_again(status, retryable):
    body = '{"code": 20003, "message": "no"}' if status else ""
    with pytest.raises(TelephonyError) as failure:
        port_with(FakeTwilioHttp(status, body)).delete_recording(SID)
    assert failure.value.retryable is retryable


@pytest.mark.parametrize("sid", ["", "RE1", "../../etc/passwd", "CA" + "a" * 32])
def test_only_a_recording_sid_is_ever_sent_or_turned_into_a_path(sid, tmp_path):
    http = FakeTwilioHttp(204)
    with pytest.raises(TelephonyError):
        port_with(http).delete_recording(sid)
    with pytest.raises(TelephonyError):
        LocalTelephony(tmp_path).delete_recording(sid)
    assert http.requests == []


def test_the_local_port_deletes_the_simulators_copy(tmp_path):
    port = LocalTelephony(tmp_path)
    port.recordings_dir.mkdir(parents=True)
    (port.recordings_dir / f"{SID}.wav").write_bytes(b"RIFF")
    port.delete_recording(SID)
    port.delete_recording(SID)  # again: already gone is fine
    assert not (port.recordings_dir / f"{SID}.wav").exists()


# --- recording downloads: Twilio's hosts only, retried with back-off ---------------------------


class ScriptedMedia:
    """Stands in for requests.Session: answers GETs from a script, remembers what was sent."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def get(self, url, auth=None, timeout=None):
        import requests

        self.sent.append((url, auth))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = answer
        response = requests.Response()
        response.status_code, response._content = status, body
        response.headers.update(headers)
        return response


WAV = b"RIFF" + (36).to_bytes(4, "little") + b"WAVE" + b"\0" * 32
TWILIO_URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32


@pytest.mark.parametrize("url", [
    "https://evil.example/Recordings/RE" + "a" * 32,
    "https://api.twilio.com.evil.example/Recordings/RE1",
    "http://api.twilio.com/2010-04-01/Recordings/RE1",  # no credentials in clear text
    "https://user:pw@api.twilio.com/Recordings/RE1",
    "file:///etc/passwd",
])
def test_credentials_never_go_to_a_host_that_is_not_twilios(url):
    media = ScriptedMedia((200, WAV, {}))
    port = TwilioTelephony("AC1", "secret", http=media, backoff=0)
    with pytest.raises(TelephonyError) as raised:
        port.download_recording(url)
    assert raised.value.retryable is False and media.sent == []


@pytest.mark.parametrize("url", [
    TWILIO_URL,
    "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    "https://api.sydney.au1.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
])
def test_twilios_own_and_regional_hosts_are_used(url):
    media = ScriptedMedia((200, WAV, {"Content-Length": str(len(WAV))}))
    port = TwilioTelephony("AC1", "secret", http=media, backoff=0)
    assert port.download_recording(url) == WAV
    assert media.sent == [(url + ".wav", ("AC1", "secret"))]


def test_a_configured_media_host_is_allowed():
    media = ScriptedMedia((200, WAV, {}))
    port = TwilioTelephony("AC1", "secret", http=media, backoff=0,
                           media_hosts=("media.school.example",))
    assert port.download_recording("https://media.school.example/r/RE1.wav") == WAV


def test_429_4xx_resets_and_truncated_bodies_are_retried_with_back_off(monkeypatch):
    import requests

    from core import telephony

    slept = []
    monkeypatch.setattr(telephony.time_module, "sleep", slept.append)
    media = ScriptedMedia(
        (429, b"", {"Retry-After": "7"}),
        requests.ConnectionError("connection reset by peer"),
        (403, b"", {}),
        (200, WAV[:20], {"Content-Length": str(len(WAV))}),  # cut short
        (200, WAV, {"Content-Length": str(len(WAV))}),
    )
    port = TwilioTelephony("AC1", "secret", http=media, attempts=5, backoff=0.5)
    assert port.download_recording(TWILIO_URL) == WAV
    assert len(media.sent) == 5
    assert slept == [7.0, 1.0, 2.0, 4.0]  # Retry-After honoured, then doubling


def test_a_download_that_keeps_failing_is_retryable_for_the_worker(monkeypatch):
    from core import telephony

    monkeypatch.setattr(telephony.time_module, "sleep", lambda s: None)
    media = ScriptedMedia(*[(429, b"", {})] * 3)
    port = TwilioTelephony("AC1", "secret", http=media, attempts=3, backoff=0)
    with pytest.raises(TelephonyError) as raised:
        port.download_recording(TWILIO_URL)
    assert raised.value.retryable is True and "429" in str(raised.value)
