"""The caller's history on the ticket page and the callback card, in a fixed number of queries."""

import re
from datetime import datetime

import time_machine
from sqlalchemy import event, select

from callbacks.models import Callback
from core import ui_text as t
from core.extensions import db
from simulator import DialOutcome, Hangup, Keys, ScriptedCaller
from tests.browser.support import MSK, leave_message, login
from tests.conftest import OMSK_NUMBER, PARENT_NUMBER, SCHOOL_NUMBER
from tickets import history
from tickets.models import Call, Ticket

MONDAY_1330 = datetime(2026, 11, 30, 13, 30, tzinfo=MSK)


def listed(html: str) -> list[str]:
    section = html.split('id="caller-history"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-ticket="(\d*)"', section)


def live_call(phone, seconds=95):
    with time_machine.travel(MONDAY_1330, tick=False):
        talk = phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER, caller=ScriptedCaller(
            [Keys("1"), Keys("2"), DialOutcome("completed", duration=seconds)]))
    assert not talk.errors, talk.render(verbose=True)


def test_ticket_page_shows_earlier_tickets_calls_and_outcomes(app, client, phone):
    first = leave_message(app, client)
    other_number = leave_message(app, client, from_="+79031112233")
    leave_message(app, client, to=OMSK_NUMBER)  # same caller, another school
    with time_machine.travel(datetime(2026, 11, 29, 12, 0, tzinfo=MSK), tick=False):
        # Hung up in the information menu: a call without a ticket.
        phone.call(to=SCHOOL_NUMBER, from_=PARENT_NUMBER,
                   caller=ScriptedCaller([Keys("3"), Hangup()]))
    live_call(phone)
    with app.app_context():
        live = db.session.scalars(select(Ticket).where(Ticket.channel == "phone")).one()
        numbers = {i: db.session.get(Ticket, i).number for i in (first, other_number)}
    consultant = app.test_client()
    login(consultant, "consultant")
    html = consultant.get(f"/tickets/{live.id}").get_data(as_text=True)
    # The live call itself: who took it and how long they talked.
    assert t.LIVE_CALL in html and "Ответил(а): Елена Викторовна Кузнецова" in html
    assert "Длительность разговора: 1 мин 35 с" in html
    entries = listed(html)
    assert str(numbers[first]) in entries and str(numbers[other_number]) not in entries
    assert "" in entries  # the call without a ticket
    with app.app_context():
        lone = db.session.scalars(select(Call).where(Call.ticket_id.is_(None))).one()
        assert lone.outcome in ("info", "abandoned")
    assert t.CALL_OUTCOME[lone.outcome] in html  # what became of that call, in Russian
    assert "здравствуйте не могу войти в журнал" in html  # the first message's words
    assert len(entries) == 2  # not the other school's ticket

    # And from the first ticket, the live call shows with who answered and how long.
    html = consultant.get(f"/tickets/{first}").get_data(as_text=True)
    assert str(live.number) in listed(html)
    assert t.CALLER_HISTORY_TAKEN.format(name="Елена Викторовна Кузнецова") in html
    assert "разговор 1 мин 35 с" in html


def test_callback_card_shows_the_history(app, client, demo):
    leave_message(app, client)
    second = leave_message(app, client)
    with app.app_context():
        callback = db.session.scalars(
            select(Callback).where(Callback.ticket_id == second)).one()
        first_number = db.session.scalars(select(Ticket.number).order_by(Ticket.id)).first()
    operator = app.test_client()
    login(operator, "operator")
    html = operator.get(f"/operator/callbacks/{callback.id}").get_data(as_text=True)
    assert t.CALLER_HISTORY in html and listed(html) == [str(first_number)]


def test_no_history_is_said_plainly(app, client, demo):
    ticket_id = leave_message(app, client)
    consultant = app.test_client()
    login(consultant, "consultant")
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert t.CALLER_HISTORY_NONE in html


def count_queries(app, ticket_id) -> tuple[int, int]:
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):  # not a connection's PRAGMA
            statements.append(statement)

    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            entries = history.caller_history(ticket)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        return len(statements), len(entries)


def test_history_takes_the_same_number_of_queries_however_long(app, client, phone):
    newest = leave_message(app, client)
    live_call(phone)
    short_queries, short_entries = count_queries(app, newest)
    for _ in range(5):
        leave_message(app, client)
    live_call(phone, seconds=30)
    newest = leave_message(app, client)
    long_queries, long_entries = count_queries(app, newest)
    assert long_entries > short_entries >= 1
    assert long_queries == short_queries <= 5
