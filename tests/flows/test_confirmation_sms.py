"""The caller's confirmation SMS: ticket number and promised time, sent by a job."""

import logging

import pytest
import requests
import time_machine
from sqlalchemy import select
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from callbacks import jobs
from core import settings, telephony
from core.extensions import db
from core.models import AuditEvent
from tests.browser.support import SATURDAY_NIGHT, leave_message
from tests.conftest import PARENT_NUMBER
from tickets.models import Ticket

ACCOUNT = "AC" + "1" * 32


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CONFIRMATION_SMS_ENABLED": True}


def sent(app) -> list[dict]:
    return app.extensions["telephony"].sms


def test_the_message_is_confirmed_by_sms_from_a_job_not_the_webhook(app, client, demo):
    ticket_id = leave_message(app, client, transcript=False)
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).confirmation_sms == "pending"
    assert sent(app) == []  # nothing is sent inside the webhook
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        assert jobs.send_confirmations(app) == 1
        assert jobs.send_confirmations(app) == 0  # once only
    [sms] = sent(app)
    assert sms["to"] == PARENT_NUMBER
    assert "Ваше обращение № 1 зарегистрировано." in sms["body"]
    assert "Мы перезвоним вам в понедельник, 30 ноября, после 9 часов." in sms["body"]
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).confirmation_sms == "sent"
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "ticket.sms_confirmation")).one().object_id == ticket_id


def test_a_refused_sms_is_retried_or_given_up(app, client, demo, monkeypatch):
    ticket_id = leave_message(app, client, transcript=False)
    port = app.extensions["telephony"]

    def refuse(retryable):
        def send_sms(**_kwargs):
            raise telephony.TelephonyError("no", retryable=retryable)
        return send_sms

    monkeypatch.setattr(port, "send_sms", refuse(True))
    assert jobs.send_confirmations(app) == 0
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).confirmation_sms == "pending"
    monkeypatch.setattr(port, "send_sms", refuse(False))
    assert jobs.send_confirmations(app) == 0
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).confirmation_sms == "failed"


def test_no_sms_when_it_is_not_enabled(app, client, demo):
    settings.configure(app, CONFIRMATION_SMS_ENABLED=False)
    ticket_id = leave_message(app, client, transcript=False)
    assert jobs.send_confirmations(app) == 0 and sent(app) == []
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).confirmation_sms is None


class RecordingTwilioHttp(HttpClient):
    def __init__(self):
        super().__init__(logging.getLogger("twilio.http_client"), is_async=False)
        self.requests = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        self.requests.append((method, uri, dict(data or {})))
        if "Messages" not in uri:
            raise requests.ConnectionError("unexpected")
        return Response(201, '{"sid": "SM' + "b" * 32 + '", "status": "queued"}')


def test_the_twilio_back_end_sends_it_with_messages_create():
    http = RecordingTwilioHttp()
    port = telephony.TwilioTelephony(ACCOUNT, "token")
    port._client = Client(ACCOUNT, "token", http_client=http)
    assert port.send_sms(to=PARENT_NUMBER, from_="+74950000019", body="Ваше обращение № 1")
    [(method, uri, data)] = http.requests
    assert method == "POST" and uri.endswith(f"/Accounts/{ACCOUNT}/Messages.json")
    assert data == {"To": PARENT_NUMBER, "From": "+74950000019", "Body": "Ваше обращение № 1"}
