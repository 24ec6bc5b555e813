"""The SLA watch and the digest: flagged once, the consultant and admin told by e-mail."""

from __future__ import annotations

import email
import itertools
import logging
import socketserver
import threading
from datetime import datetime
from email import policy as email_policy
from zoneinfo import ZoneInfo

import pytest
import time_machine

from callbacks import jobs, service
from core import service as org_service
from core import settings
from core.extensions import db
from tickets import service as tickets
from tickets.models import Ticket, TicketStatus

MSK = ZoneInfo("Europe/Moscow")
FRIDAY_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=MSK)
_sids = itertools.count(1)


class SMTPStub:
    """Just enough of an SMTP server to receive messages (EHLO, MAIL, RCPT, DATA, QUIT)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 stub ESMTP")
                recipients: list[str] = []
                while line := self.rfile.readline():
                    command = line.decode("ascii", "replace").strip()
                    verb = command[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-stub")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO" or verb == "MAIL" or verb == "RSET" or verb == "NOOP":
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip(" <>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go on")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        stub.messages.append((recipients, email.message_from_bytes(
                            data, policy=email_policy.default)))
                        recipients = []
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not here")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SMTPStub:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def smtp(app):
    with SMTPStub() as stub:
        settings.configure(app, SMTP_HOST="127.0.0.1", SMTP_PORT=stub.port,
                           SMTP_SENDER="line@sosh19.example.ru")
        yield stub


@pytest.fixture
def school(demo, app_ctx):
    return org_service.find_by_number("+74950000019")


def message(org, moment=FRIDAY_EVENING, role="parent", topic="grades"):
    with time_machine.travel(moment, tick=False):
        sid = f"CAs{next(_sids):031d}"
        tickets.record_call(sid, org=org, from_number="+79161234567", to_number=None)
        ticket = tickets.open_ticket(org=org, call_sid=sid, caller_number="+79161234567",
                                     role=role, topic=topic)
        service.request_callback(ticket, policy=callback_policy())
        return ticket


def watch(app, moment):
    with time_machine.travel(moment, tick=False):
        return jobs.sla_watch(app)


def test_a_ticket_near_its_due_instant_is_escalated_once(app, school, smtp):
    ticket = message(school)  # due Tuesday 1 December, 23:59:59
    training = message(school, role="staff", topic="training")  # due Friday 4 December
    assert watch(app, datetime(2026, 11, 30, 12, 0, tzinfo=MSK)) == []
    assert watch(app, datetime(2026, 12, 1, 8, 0, tzinfo=MSK)) == [ticket.id]
    assert watch(app, datetime(2026, 12, 1, 9, 0, tzinfo=MSK)) == []  # flagged once
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).sla_escalated
    assert not db.session.get(Ticket, training.id).sla_escalated
    [(recipients, mail)] = smtp.messages
    assert sorted(recipients) == ["admin@example.ru", "consultant@example.ru"]
    assert mail["Subject"] == "Срок ответа по обращению № 1 истекает во вторник, 1 декабря, в 23:59"
    body = mail.get_content()
    assert "Тема: оценки." in body
    assert "Обратный звонок: запланирован, в понедельник, 30 ноября, в 09:00." in body
    assert "+7916" not in body  # no caller's number in mail


def test_a_closed_ticket_is_not_escalated(app, school, smtp):
    ticket = message(school)
    tickets.transition(ticket, TicketStatus.RESOLVED)
    assert watch(app, datetime(2026, 12, 1, 20, 0, tzinfo=MSK)) == []
    assert smtp.messages == []


def test_without_smtp_the_escalation_is_logged(app, school, caplog):
    caplog.set_level(logging.INFO)
    ticket = message(school)
    assert watch(app, datetime(2026, 12, 1, 8, 0, tzinfo=MSK)) == [ticket.id]
    assert "mail (local mode, not sent) to 2 recipient(s): Срок ответа по обращению № 1" in (
        caplog.text)
    assert "+79161234567" not in caplog.text


def test_an_unreachable_smtp_server_does_not_stop_the_watch(app, school, caplog):
    settings.configure(app, SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_TIMEOUT=2)
    ticket = message(school)
    assert watch(app, datetime(2026, 12, 1, 8, 0, tzinfo=MSK)) == [ticket.id]
    assert "not sent" in caplog.text


def test_the_digest_goes_out_once_a_morning(app, school, smtp):
    first = message(school)
    message(school)
    with time_machine.travel(datetime(2026, 11, 30, 9, 5, tzinfo=MSK), tick=False):
        service.record_outcome(service.active_for(first).id, "resolved", policy=callback_policy())
    with time_machine.travel(datetime(2026, 12, 1, 6, 5, tzinfo=MSK), tick=False):
        # 7:00 has come in Omsk (9:05 there), not yet in Moscow.
        assert [r.school for r in jobs.nightly_digest(app)] == ["Гимназия г. Тюкалинска (демо)"]
    with time_machine.travel(datetime(2026, 12, 1, 7, 5, tzinfo=MSK), tick=False):
        [report] = jobs.nightly_digest(app)
        assert jobs.nightly_digest(app) == []
    assert (report.day.isoformat(), report.done, report.new) == ("2026-11-30", 1, 0)
    (_, _omsk), (recipients, mail) = smtp.messages
    assert sorted(recipients) == ["admin@example.ru", "consultant@example.ru"]
    assert mail["Subject"] == "Линия помощи, МАОУ СОШ № 19 (демо): итоги за 30 ноября"
    assert "Обратных звонков выполнено: 1." in mail.get_content()


def test_the_supervisor_is_told_once_about_an_abusive_caller(app, school, smtp):
    from sqlalchemy import select

    from core.models import User

    ticket = message(school)
    operator = db.session.scalar(select(User).where(User.username == "operator"))
    with time_machine.travel(datetime(2026, 11, 30, 9, 5, tzinfo=MSK), tick=False):
        service.record_outcome(service.active_for(ticket).id, "abusive", user=operator,
                               note="Нецензурная брань, разговор завершён", policy=callback_policy())
        assert jobs.retries(app)["abusive_reported"] == 1
        assert jobs.retries(app)["abusive_reported"] == 0
    [(recipients, mail)] = smtp.messages
    assert recipients == ["admin@example.ru"]
    assert mail["Subject"] == "Обращение № 1: помощь прекращена из-за оскорблений"
    body = mail.get_content()
    assert "Оператор: Ольга Николаевна Смирнова." in body
    assert "Комментарий оператора: Нецензурная брань, разговор завершён" in body
    assert db.session.get(Ticket, ticket.id).decline_reason == "ethics_violation"


def callback_policy():
    """The application's callback policy, as the views and jobs pass it."""
    from core import settings

    return settings.current().callbacks
