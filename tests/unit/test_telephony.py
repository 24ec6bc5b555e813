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
