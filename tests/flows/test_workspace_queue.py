"""The operator's queue and callback card: due callbacks, the bridged call, outcomes, retries."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from callbacks.models import Callback, CallbackAttempt, CallbackStatus
from core import telephony
from core import ui_text as t
from core.extensions import db
from core.models import User
from tests.browser.support import MONDAY_0905, MSK, PASSWORD, leave_message, login
from tests.conftest import OMSK_NUMBER
from tickets.models import DeclineReason, Ticket, TicketStatus


@pytest.fixture
def monday(app, client, demo):
    """A message left on Saturday night; it is Monday 9:05 now and the callback is due."""
    ticket_id = leave_message(app, client)
    with time_machine.travel(MONDAY_0905, tick=True):
        yield ticket_id


@pytest.fixture
def operator(app, monday):
    client = app.test_client()
    client.token = login(client, "operator")
    return client


def the_callback(app) -> Callback:
    with app.app_context():
        callback = db.session.scalars(select(Callback)).one()
        db.session.expunge(callback)
        return callback


def ticket_of(app, ticket_id) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def post(client, path, **data):
    return client.post(path, data={"csrf_token": client.token, **data})


def card_url(app) -> str:
    return f"/operator/callbacks/{the_callback(app).id}"


def test_a_due_callback_is_in_the_queue_with_counts(app, operator, monday):
    html = operator.get("/operator/").get_data(as_text=True)
    callback = the_callback(app)
    assert t.QUEUE_TITLE in html and t.QUEUE_TAB["due"] in html
    assert f'href="/operator/callbacks/{callback.id}"' in html
    assert re.search(r'data-count="due">1<', html) and re.search(r'data-count="done">0<', html)
    assert "+7 916 123-45-67" in html
    assert "здравствуйте не могу войти" in html
    assert 'data-refresh-url="/operator/queue-fragment"' in html  # refreshes itself


def test_the_fragment_is_the_list_alone(app, operator, monday):
    response = operator.get("/operator/queue-fragment?tab=due")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="queue-table"' in html and t.QUEUE_UPDATED.split("{")[0] in html


def test_later_today_and_nothing_on_saturday(app, client, demo):
    leave_message(app, client)
    with time_machine.travel(datetime(2026, 11, 30, 8, 0, tzinfo=MSK), tick=True):
        operator = app.test_client()
        login(operator, "operator")
        html = operator.get("/operator/?tab=later").get_data(as_text=True)
        assert re.search(r'data-count="later">1<', html) and "queue-table" in html
        assert re.search(r'data-count="due">0<', html)


def test_overdue_after_the_grace_period(app, client, demo):
    leave_message(app, client)
    with time_machine.travel(datetime(2026, 11, 30, 11, 0, tzinfo=MSK), tick=True):
        operator = app.test_client()
        login(operator, "operator")
        html = operator.get("/operator/?tab=overdue").get_data(as_text=True)
        assert re.search(r'data-count="overdue">1<', html) and "row--overdue" in html


def test_filters_by_role_and_topic(app, operator, monday):
    assert re.search(r'data-count="due">1<', operator.get(
        "/operator/?role=parent&topic=login").get_data(as_text=True))
    assert re.search(r'data-count="due">0<', operator.get(
        "/operator/?role=staff").get_data(as_text=True))
    assert re.search(r'data-count="due">0<', operator.get(
        "/operator/?topic=grades").get_data(as_text=True))
    # Unknown values are ignored rather than refused.
    assert re.search(r'data-count="due">1<', operator.get(
        "/operator/?role=<script>&topic=x&tab=zzz").get_data(as_text=True))


def test_the_card_shows_who_what_and_the_audio(app, operator, monday):
    html = operator.get(card_url(app)).get_data(as_text=True)
    assert t.CARD_TITLE.format(number=ticket_of(app, monday).number) in html
    assert "+7 916 123-45-67" in html and "родитель или законный представитель" in html
    assert "вход в журнал, логин и пароль" in html and "5Б" in html
    assert "здравствуйте не могу войти в журнал" in html
    assert f"/tickets/{monday}/recordings/" in html
    assert t.CALL in html and t.POSTPONE in html
    for label in t.OUTCOME.values():
        assert label in html
    assert t.CARD_NO_ATTEMPTS in html


def test_call_rings_the_operator_through_the_telephony_port(app, operator, monday):
    response = post(operator, f"{card_url(app)}/call")
    assert response.status_code == 302
    with app.app_context():
        placed = telephony.get().placed
    assert [c.to for c in placed] == ["+79990000101"]  # the operator's own phone first
    assert placed[0].from_ == "+74950000019" and "/callbacks/whisper" in placed[0].url
    callback = the_callback(app)
    assert callback.status == CallbackStatus.DIALING
    html = operator.get(card_url(app)).get_data(as_text=True)
    assert t.CALL_STARTED in html and t.CALLBACK_STATUS["dialing"] in html
    assert re.search(r'data-count="active">1<', operator.get("/operator/").get_data(as_text=True))


def test_no_answer_plans_the_retry(app, operator, monday):
    post(operator, f"{card_url(app)}/call")
    response = post(operator, f"{card_url(app)}/outcome", outcome="no_answer")
    assert response.status_code == 302
    callback = the_callback(app)
    assert callback.status == CallbackStatus.PLANNED and callback.attempts == 1
    assert callback.planned_at >= MONDAY_0905 + timedelta(minutes=60)
    html = operator.get(card_url(app)).get_data(as_text=True)
    assert t.OUTCOME_SAVED.format(outcome=t.OUTCOME["no_answer"]) in html
    assert t.RETRY_PLANNED.split("{")[0] in html
    assert t.CARD_ATTEMPTS_OF.format(done=1, limit=3) in html
    assert ticket_of(app, monday).status == TicketStatus.NEW


def test_three_times_no_answer_is_unreachable(app, operator, monday):
    for _ in range(3):
        assert post(operator, f"{card_url(app)}/outcome", outcome="no_answer").status_code == 302
    callback = the_callback(app)
    assert callback.status == CallbackStatus.UNREACHABLE
    html = operator.get(card_url(app)).get_data(as_text=True)
    assert t.RETRY_EXHAUSTED in html
    assert t.CALLBACK_FINISHED.format(outcome=t.CALLBACK_OUTCOME["unreachable"]) in html
    assert re.search(r'data-count="done">1<', operator.get("/operator/").get_data(as_text=True))


@pytest.mark.parametrize(("choice", "status", "reason"), [
    ("resolved", TicketStatus.RESOLVED, None),
    ("vendor_support", TicketStatus.ESCALATED, None),
    ("declined_not_enough_information", TicketStatus.DECLINED,
     DeclineReason.NOT_ENOUGH_INFORMATION),
    ("declined_incorrect_question", TicketStatus.DECLINED, DeclineReason.INCORRECT_QUESTION),
    ("ethics_violation", TicketStatus.DECLINED, DeclineReason.ETHICS_VIOLATION),
    ("wrong_number", TicketStatus.IN_PROGRESS, None),
])
def test_each_outcome_moves_the_ticket(app, operator, monday, choice, status, reason):
    post(operator, f"{card_url(app)}/call")
    response = post(operator, f"{card_url(app)}/outcome", outcome=choice,
                    note="Объяснили по телефону", vendor_reference="SP-1")
    assert response.status_code == 302
    assert the_callback(app).status == CallbackStatus.DONE
    ticket = ticket_of(app, monday)
    assert ticket.status == status and ticket.decline_reason == reason
    html = operator.get(card_url(app)).get_data(as_text=True)
    assert t.OUTCOME_SAVED.format(outcome=t.OUTCOME[choice]) in html
    # A different outcome for a closed callback is refused; nothing changes.
    other = "resolved" if choice != "resolved" else "wrong_number"
    response = post(operator, f"{card_url(app)}/outcome", outcome=other)
    assert response.status_code == 409 and t.OUTCOME_REFUSED in response.get_data(as_text=True)
    assert ticket_of(app, monday).status == status


@pytest.mark.parametrize(("data", "message"), [
    ({}, t.OUTCOME_BAD),
    ({"outcome": "maybe"}, t.OUTCOME_BAD),
    ({"outcome": "cancelled"}, t.OUTCOME_BAD),
    ({"outcome": "resolved", "note": "я" * 2001}, t.TOO_LONG.format(limit=2000)),
    ({"outcome": "vendor_support", "vendor_reference": "S" * 101}, t.TOO_LONG.format(limit=100)),
])
def test_a_bad_outcome_is_a_clear_400(app, operator, monday, data, message):
    response = post(operator, f"{card_url(app)}/outcome", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    callback = the_callback(app)
    assert callback.status == CallbackStatus.PLANNED and callback.attempts == 0
    assert ticket_of(app, monday).status == TicketStatus.NEW


def test_postpone_and_a_bad_delay(app, operator, monday):
    response = post(operator, f"{card_url(app)}/postpone", delay="60")
    assert response.status_code == 302
    callback = the_callback(app)
    assert callback.planned_at >= MONDAY_0905 + timedelta(minutes=60)
    assert t.POSTPONED.split("{")[0] in operator.get(card_url(app)).get_data(as_text=True)
    response = post(operator, f"{card_url(app)}/postpone", delay="forever")
    assert response.status_code == 400 and t.POSTPONE_BAD in response.get_data(as_text=True)
    assert the_callback(app).planned_at == callback.planned_at


def test_postpone_to_the_next_working_day(app, operator, monday):
    post(operator, f"{card_url(app)}/postpone", delay="tomorrow")
    planned = the_callback(app).planned_at.astimezone(MSK)
    assert planned.date() == datetime(2026, 12, 1).date() and planned.hour >= 9


def test_release_gives_the_callback_back(app, operator, monday):
    post(operator, f"{card_url(app)}/call")
    assert post(operator, f"{card_url(app)}/release").status_code == 302
    assert the_callback(app).status == CallbackStatus.PLANNED


def test_an_operator_without_a_phone_is_told_why(app, operator, monday):
    with app.app_context():
        db.session.scalars(select(User).where(User.username == "operator")).one().phone = None
        db.session.commit()
    response = post(operator, f"{card_url(app)}/call")
    assert response.status_code == 400 and t.CALL_NO_PHONE in response.get_data(as_text=True)
    assert the_callback(app).status == CallbackStatus.PLANNED


def test_two_operators_never_call_the_same_parent(app, operator, monday):
    with app.app_context():
        other = User(username="operator-b", name="Вера Павловна", roles=["operator"],
                     organization_id=the_callback(app).organization_id, phone="+79990000109")
        other.set_password(PASSWORD)
        db.session.add(other)
        db.session.commit()
    second = app.test_client()
    second.token = login(second, "operator-b")
    assert post(operator, f"{card_url(app)}/call").status_code == 302
    response = post(second, f"{card_url(app)}/call")
    assert response.status_code == 409 and t.CALL_TAKEN in response.get_data(as_text=True)
    response = post(second, f"{card_url(app)}/outcome", outcome="resolved")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalars(select(CallbackAttempt.operator_id)).all() == [
            db.session.scalars(select(User.id).where(User.username == "operator")).one()]


def test_another_organizations_callback_is_a_404(app, client, operator, monday):
    leave_message(app, client, to=OMSK_NUMBER, from_="+79161230000")
    with app.app_context():
        theirs = db.session.scalars(select(Callback).join(Ticket).where(
            Ticket.id != monday)).one().id
    assert operator.get(f"/operator/callbacks/{theirs}").status_code == 404
    assert post(operator, f"/operator/callbacks/{theirs}/call").status_code == 404
    assert post(operator, f"/operator/callbacks/{theirs}/outcome",
                outcome="resolved").status_code == 404
    assert post(operator, f"/operator/callbacks/{theirs}/postpone", delay="15").status_code == 404
    assert operator.get("/operator/callbacks/99999").status_code == 404


def test_consultant_has_no_queue(app, monday):
    consultant = app.test_client()
    consultant.token = login(consultant, "consultant")
    assert consultant.get(card_url(app)).status_code == 403
    assert post(consultant, f"{card_url(app)}/call").status_code == 403


def test_queue_posts_need_the_csrf_token(app, operator, monday):
    for action in ("call", "postpone", "outcome", "release"):
        response = operator.post(f"{card_url(app)}/{action}",
                                 data={"outcome": "resolved", "delay": "15"})
        assert response.status_code == 400 and t.ERROR_CSRF in response.get_data(as_text=True)
    assert the_callback(app).status == CallbackStatus.PLANNED


def _count(html: str, tab: str) -> int:
    return int(re.search(rf'data-count="{tab}">(\d+)<', html).group(1))


def test_tomorrow_and_all_planned_show_the_work_ahead(app, client, demo):
    """Sunday 22:00: the messages of the weekend are planned for Monday morning."""
    for n in range(3):
        leave_message(app, client, from_=f"+7916123450{n}")
    with time_machine.travel(datetime(2026, 11, 29, 22, 0, tzinfo=MSK), tick=True):
        operator = app.test_client()
        login(operator, "operator")
        html = operator.get("/operator/?tab=tomorrow").get_data(as_text=True)
        assert t.QUEUE_TAB["tomorrow"] in html and t.QUEUE_TAB["planned"] in html
        assert _count(html, "tomorrow") == 3 and _count(html, "planned") == 3
        assert _count(html, "due") == _count(html, "later") == _count(html, "overdue") == 0
        assert html.count('href="/operator/callbacks/') == 3
        assert "пн 30.11, 09:" in html  # the planned hour, with the day
        html = operator.get("/operator/?tab=planned").get_data(as_text=True)
        assert html.count('href="/operator/callbacks/') == 3


def test_all_planned_reaches_past_tomorrow(app, client, demo):
    """Friday night: Monday's callbacks are not «tomorrow» but are in «all planned»."""
    leave_message(app, client, when=datetime(2026, 11, 27, 21, 0, tzinfo=MSK))
    with time_machine.travel(datetime(2026, 11, 27, 22, 0, tzinfo=MSK), tick=True):
        operator = app.test_client()
        login(operator, "operator")
        html = operator.get("/operator/?tab=planned").get_data(as_text=True)
        assert _count(html, "tomorrow") == 0 and _count(html, "planned") == 1
        assert 'href="/operator/callbacks/' in html
        assert t.QUEUE_EMPTY["tomorrow"] in operator.get(
            "/operator/?tab=tomorrow").get_data(as_text=True)


def test_resolved_cannot_be_recorded_without_a_call(app, operator, monday):
    html = operator.get(card_url(app)).get_data(as_text=True)
    assert t.OUTCOME_NEEDS_CALL in html
    assert re.search(r'value="resolved" disabled', html)
    assert not re.search(r'value="no_answer" disabled', html)  # tried from one's own phone
    response = post(operator, f"{card_url(app)}/outcome", outcome="resolved")
    assert response.status_code == 400 and t.OUTCOME_NEEDS_CALL in response.get_data(as_text=True)
    assert the_callback(app).status == CallbackStatus.PLANNED
    assert ticket_of(app, monday).status == TicketStatus.NEW


def test_a_recorded_outcome_is_not_contradicted_on_the_card(app, operator, monday):
    post(operator, f"{card_url(app)}/call")
    response = post(operator, f"{card_url(app)}/outcome", outcome="resolved")
    html = operator.get(response.location).get_data(as_text=True)
    assert t.OUTCOME_SAVED.format(outcome=t.OUTCOME["resolved"]) in html
    assert t.CALLBACK_FINISHED.format(outcome=t.CALLBACK_OUTCOME["resolved"]) in html
    assert t.CALLBACK_CLOSED not in html  # not «Этот звонок уже завершён» beside it


def test_the_attempts_counter_and_the_calls_are_told_apart(app, operator, monday):
    """A call the operator's phone missed is a call, not an attempt to reach the caller."""
    post(operator, f"{card_url(app)}/call")
    post(operator, f"{card_url(app)}/release")
    html = operator.get(card_url(app)).get_data(as_text=True)
    assert t.CARD_ATTEMPTS != t.CARD_CALLS
    assert re.search(rf"<dt>{t.CARD_ATTEMPTS}</dt><dd id=\"callback-attempts\">"
                     rf"{t.CARD_ATTEMPTS_OF.format(done=0, limit=3)}</dd>", html)
    calls = html[html.index('id="attempts-h"'):]
    assert t.CARD_CALLS in calls and t.ATTEMPT_RESULT["queued"] in calls
