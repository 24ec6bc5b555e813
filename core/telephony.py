"""The telephony port: every outbound action (calls, SMS, recordings) goes here.

`TwilioTelephony` talks to Twilio's REST API; `LocalTelephony` keeps everything on this
machine, for the simulator and for schools trying the help line without Twilio.
`HELPLINE_TELEPHONY` picks one. Nothing else in the code creates a `twilio.rest.Client`.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import requests
from flask import Flask, current_app
from twilio.base.exceptions import TwilioRestException

from core import clock, phones, settings

log = logging.getLogger(__name__)

# Where the local telephony keeps the simulator's recordings (inside the data directory).
LOCAL_RECORDINGS = "simulator-recordings"


class TelephonyError(RuntimeError):
    """An outbound action failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    to: str
    from_: str
    url: str
    status_callback: str | None
    at: str
    timeout: int = 30
    machine_detection: bool = False


class Telephony(Protocol):
    def place_call(
        self, *, to: str, from_: str, url: str, status_callback: str | None = None,
        timeout: int = 30, machine_detection: bool = False,
    ) -> str: ...

    def send_sms(self, *, to: str, from_: str, body: str) -> str: ...

    def download_recording(self, url: str) -> bytes: ...

    def delete_recording(self, recording_sid: str) -> None: ...


# What a RecordingSid looks like; anything else is never turned into a path or an API call.
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
# Twilio serves recordings from api.twilio.com and its regional hosts
# (api.dublin.ie1.twilio.com, api.sydney.au1.twilio.com, …): the only hosts our credentials go.
TWILIO_MEDIA_HOST = re.compile(r"api(\.[a-z0-9-]+\.[a-z]{2}[0-9])?\.twilio\.com")
MAX_RETRY_AFTER = 60.0  # seconds: a longer Retry-After is left to the worker's own retry


def valid_recording_sid(value: str | None) -> bool:
    return value is not None and RECORDING_SID.fullmatch(value) is not None


def check_media_url(url: str, extra: tuple[str, ...] = ()) -> None:
    """Refuse (not retryable) a recording URL on a host that is not Twilio's or configured.

    `extra` lists more hosts (``media.example.ru``, https implied) or origins
    (``http://127.0.0.1:8080``, for a stand-in on this machine).
    """
    parts = urlparse(url)
    host = (parts.hostname or "").lower()
    netloc = host + (f":{parts.port}" if parts.port else "")
    origin = f"{parts.scheme}://{netloc}"
    allowed = {e.lower().rstrip("/") for e in extra}
    ok = (parts.scheme == "https" and (TWILIO_MEDIA_HOST.fullmatch(host) or netloc in allowed)
          ) or origin in allowed
    if not ok or parts.username or parts.password:
        raise TelephonyError(f"recording URL on a host we do not send credentials to: {host!r}",
                             retryable=False)


def _retry_after(response) -> float:
    value = (response.headers.get("Retry-After") or "").strip()
    return min(float(value), MAX_RETRY_AFTER) if value.isdigit() else 0.0


class TwilioTelephony:
    """The real thing: Twilio's REST client with the account's credentials."""

    def __init__(self, account_sid: str, auth_token: str, *, attempts: int = 4,
                 backoff: float = 2.0, http: requests.Session | None = None,
                 media_hosts: tuple[str, ...] = ()):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.media_hosts = media_hosts
        self.attempts, self.backoff = attempts, backoff
        self.http = http or requests.Session()
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from twilio.rest import Client  # lazy: only the Twilio back end loads the REST client

            self._client = Client(self.account_sid, self.auth_token)
        return self._client

    def place_call(self, *, to, from_, url, status_callback=None, timeout=30,
                   machine_detection=False) -> str:
        kwargs = {"to": to, "from_": from_, "url": url, "timeout": timeout}
        if status_callback:
            kwargs |= {
                "status_callback": status_callback,
                "status_callback_event": ["initiated", "ringing", "answered", "completed"],
            }
        if machine_detection:
            kwargs["machine_detection"] = "Enable"
        try:
            return self.client.calls.create(**kwargs).sid
        except TwilioRestException as exc:
            raise TelephonyError(f"Twilio refused the call: {exc.msg}",
                                 retryable=exc.status >= 500) from exc

    def send_sms(self, *, to, from_, body) -> str:
        try:
            return self.client.messages.create(to=to, from_=from_, body=body).sid
        except TwilioRestException as exc:
            raise TelephonyError(f"Twilio refused the SMS: {exc.msg}",
                                 retryable=exc.status >= 500) from exc

    def download_recording(self, url: str) -> bytes:
        """GET the WAV with HTTP Basic auth, retrying failures with back-off.

        Only Twilio's own hosts (and those configured) ever see the credentials: a
        RecordingUrl naming another host is refused before any request. Connection resets,
        timeouts, truncated bodies, 5xx, 429 and other 4xx are retried (404 too: Twilio
        answers it for a moment after the recording callback), honouring Retry-After.
        """
        check_media_url(url, self.media_hosts)
        if not url.endswith((".wav", ".mp3")):
            url += ".wav"
        last: Exception | None = None
        delay = 0.0
        for attempt in range(self.attempts):
            if attempt:
                time_module.sleep(max(delay, self.backoff * 2 ** (attempt - 1)))
            delay = 0.0
            try:
                response = self.http.get(url, auth=(self.account_sid, self.auth_token), timeout=30)
                body = response.content
            except requests.RequestException as exc:  # reset, timeout, truncated chunked body
                last = exc
                continue
            if response.status_code != 200:
                last = TelephonyError(f"HTTP {response.status_code}")
                delay = _retry_after(response)
                continue
            expected = response.headers.get("Content-Length")
            if expected and expected.isdigit() and int(expected) != len(body):
                last = TelephonyError(f"truncated body: {len(body)} of {expected} bytes")
                continue
            return body
        raise TelephonyError(f"recording download failed after {self.attempts} attempts: {last}")

    def delete_recording(self, recording_sid: str) -> None:
        """Delete Twilio's copy (it keeps recordings until told otherwise); gone already is fine."""
        if not RECORDING_SID.fullmatch(recording_sid):
            raise TelephonyError(f"not a RecordingSid: {recording_sid!r}", retryable=False)
        try:
            self.client.recordings(recording_sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:
                return
            raise TelephonyError(f"Twilio refused to delete the recording: {exc.msg}",
                                 retryable=exc.status >= 500) from exc
        except requests.RequestException as exc:
            raise TelephonyError(f"Twilio could not be reached: {exc}") from exc


@dataclass
class LocalTelephony:
    """No phone network: calls and SMS are written to an outbox; a local phone plays them.

    ``answer`` is the local phone network (helpline.webphone): when a browser page, or a
    script, is the phone of the number called, it rings there and the call is played as
    Twilio plays it (status callbacks, TwiML, the bridge). Without one the call stays in
    the outbox, as a call nobody picks up would.
    """

    data_dir: Path
    placed: list[PlacedCall] = field(default_factory=list)
    sms: list[dict] = field(default_factory=list)
    answer: Callable[[PlacedCall], bool] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def place_call(self, *, to, from_, url, status_callback=None, timeout=30,
                   machine_detection=False) -> str:
        sid = "CA" + secrets.token_hex(16)
        call = PlacedCall(sid, to, from_, url, status_callback, clock.now().isoformat(),
                          int(timeout), bool(machine_detection))
        with self._lock:
            self.placed.append(call)
            self._append("outbox.jsonl", call.__dict__)
        log.info("local telephony: call %s to %s", sid, phones.mask(to))
        if self.answer is not None and self.answer(call):
            log.info("local telephony: call %s rings on a local phone", sid)
        return sid

    def send_sms(self, *, to, from_, body) -> str:
        sid = "SM" + secrets.token_hex(16)
        with self._lock:
            self.sms.append({"sid": sid, "to": to, "from": from_, "body": body})
            self._append("sms.jsonl", {"sid": sid, "to": to, "body": body})
        log.info("local telephony: SMS %s to %s", sid, phones.mask(to))
        return sid

    def download_recording(self, url: str) -> bytes:
        """Read a recording the simulator saved; the URL's last segment is the RecordingSid."""
        sid = Path(urlparse(url).path).name.removesuffix(".wav")
        if not valid_recording_sid(sid):
            raise TelephonyError(f"not a RecordingSid: {sid!r}", retryable=False)
        path = self.recordings_dir / f"{sid}.wav"
        if not path.is_file():
            raise TelephonyError(f"no local recording {sid!r}", retryable=False)
        return path.read_bytes()

    def delete_recording(self, recording_sid: str) -> None:
        """Delete the simulator's copy, as Twilio deletes its own."""
        if not RECORDING_SID.fullmatch(recording_sid):
            raise TelephonyError(f"not a RecordingSid: {recording_sid!r}", retryable=False)
        try:
            (self.recordings_dir / f"{recording_sid}.wav").unlink(missing_ok=True)
        except OSError as exc:
            raise TelephonyError(f"could not delete the local recording: {exc}") from exc

    @property
    def recordings_dir(self) -> Path:
        return Path(self.data_dir) / LOCAL_RECORDINGS

    def _append(self, name: str, record: dict) -> None:
        path = Path(self.data_dir) / "telephony" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def init_app(app: Flask) -> None:
    config = settings.of(app)
    if config.telephony == "twilio":
        port: Telephony = TwilioTelephony(
            config.twilio_account_sid, config.twilio_auth_token,
            attempts=config.download_attempts, backoff=config.download_backoff,
            media_hosts=media_hosts(config.media_hosts),
        )
    else:
        port = LocalTelephony(Path(config.data_dir))
    app.extensions["telephony"] = port


def media_hosts(value) -> tuple[str, ...]:
    """HELPLINE_MEDIA_HOSTS: extra recording hosts, comma-separated (or a JSON list)."""
    if not value:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(str(h).strip().lower() for h in items if str(h).strip())


def get() -> Telephony:
    """The current application's telephony port."""
    return current_app.extensions["telephony"]
