"""Search across the school's tickets: phone (any format), ticket number, name, words.

Runs on SQLite (FTS5 over pymorphy3 lemmas) and, with HELPLINE_TEST_DATABASE_URL, on
PostgreSQL (full-text search with the ``russian`` configuration and its GIN index).
"""

import re

import pytest
from sqlalchemy import func, select

from core import ui_text as t
from core.extensions import db
from tests.browser.support import leave_message, login
from tests.conftest import OMSK_NUMBER
from tickets import search
from tickets.models import SearchDocument, Ticket, Transcript


@pytest.fixture
def consultant(app, demo):
    client = app.test_client()
    client.token = login(client, "consultant")
    return client


def found(client, query) -> set[int]:
    response = client.get("/tickets/search", query_string={"q": query})
    assert response.status_code == 200
    return {int(n) for n in re.findall(r'href="/tickets/(\d+)"', response.get_data(as_text=True))}


def post(client, path, **data):
    return client.post(path, data={"csrf_token": client.token, **data})


def test_phone_number_in_any_format_finds_the_callers_tickets(app, client, consultant):
    mine = leave_message(app, client)  # from +7 916 123-45-67
    other = leave_message(app, client, from_="+79031112233")
    for query in ("8 (916) 123-45-67", "+7 916 123 45 67", "89161234567", "79161234567",
                  "916-123-45-67", "4567"):
        assert found(consultant, query) == {mine}, query
    assert found(consultant, "8 903 111-22-33") == {other}


def test_ticket_number_finds_the_ticket(app, client, consultant):
    first = leave_message(app, client)
    second = leave_message(app, client, from_="+79031112233")
    with app.app_context():
        number = db.session.get(Ticket, second).number
    assert found(consultant, f"№{number}") == {second}
    assert second in found(consultant, str(number))
    assert first not in found(consultant, f"№{number}")


def test_words_are_found_in_any_grammatical_form(app, client, consultant):
    ticket_id = leave_message(app, client)  # «... не могу войти в журнал ... в пятом б классе»
    assert found(consultant, "журналом") == {ticket_id}
    assert found(consultant, "журналы войти") == {ticket_id}
    assert found(consultant, "класс") == {ticket_id}
    assert found(consultant, "дневник") == set()
    assert found(consultant, "журнал дневник") == set()  # every word must be there


def test_a_correction_and_a_note_are_searchable_at_once(app, client, consultant):
    ticket_id = leave_message(app, client)
    with app.app_context():
        transcript = db.session.scalars(
            select(Transcript).where(Transcript.ticket_id == ticket_id)).one()
    response = post(consultant, f"/tickets/{ticket_id}/transcripts/{transcript.id}",
                    text="Это Иванова Мария, не вижу оценки сына в дневнике")
    assert response.status_code == 302
    assert found(consultant, "Ивановой") == {ticket_id}  # the name, in another case
    assert found(consultant, "оценок дневник") == {ticket_id}
    assert found(consultant, "журнал") == {ticket_id}  # the recognizer's text still counts
    assert post(consultant, f"/tickets/{ticket_id}/notes",
                text="Перезвонила, обещали прислать логин").status_code == 302
    assert found(consultant, "логина") == {ticket_id}


def test_search_stays_inside_the_school(app, client, consultant):
    leave_message(app, client, to=OMSK_NUMBER)  # the other demo school, same caller
    assert found(consultant, "+79161234567") == set()
    assert found(consultant, "журнал") == set()


def test_empty_odd_and_long_queries_are_answered_not_failed(app, client, consultant):
    leave_message(app, client)
    html = consultant.get("/tickets/search").get_data(as_text=True)
    assert t.SEARCH_TITLE in html and 'name="q"' in html
    for query in ('"', "*", "журнал OR", "AND", "NEAR(", "-", "+", "()", "ё" * 500,
                  "'; DROP TABLE tickets; --", "№"):
        response = consultant.get("/tickets/search", query_string={"q": query})
        assert response.status_code == 200, query
    html = consultant.get("/tickets/search", query_string={"q": "пингвин"}).get_data(
        as_text=True)
    assert t.SEARCH_NOTHING.format(query="пингвин") in html


def test_search_needs_a_signed_in_worker(client, demo):
    response = client.get("/tickets/search?q=1")
    assert response.status_code in (302, 401)


def test_the_document_follows_the_ticket(app, client, demo):
    ticket_id = leave_message(app, client, transcript=False)
    with app.app_context():  # no words yet: no document (it would match nothing)
        assert db.session.get(SearchDocument, ticket_id) is None
    ticket_id = leave_message(app, client, from_="+79031112233")
    with app.app_context():
        doc = db.session.get(SearchDocument, ticket_id)
        assert "журнал" in doc.body and "журнал" in doc.lemmas.split()
        assert search.reindex_all() == 2
        assert db.session.get(SearchDocument, ticket_id).body == doc.body
        assert db.session.scalar(select(func.count()).select_from(SearchDocument)) == 1


def test_parse_query():
    assert search.parse_query("8 (916) 123-45-67").phone == "+79161234567"
    assert search.parse_query("№ 42").number == 42
    q = search.parse_query("4567")
    assert q.digits == "4567" and q.number == 4567 and q.phone is None
    assert search.parse_query("12").digits is None and search.parse_query("12").number == 12
    assert search.parse_query("Оценки в дневнике").words == ("Оценки", "в", "дневнике")
    assert search.parse_query("   ").empty
