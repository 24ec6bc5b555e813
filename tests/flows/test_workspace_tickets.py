"""The consultant's inbox and ticket page: listen, correct, accept, note, answer, escalate."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from callbacks.models import Callback, CallbackStatus
from core import ui_text as t
from core.extensions import db
from core.models import AuditEvent, Organization
from tests.browser.support import leave_message, login
from tests.conftest import OMSK_NUMBER
from tickets.models import DeclineReason, Recording, Ticket, TicketStatus, Transcript


@pytest.fixture
def ticket_id(app, client, demo):
    return leave_message(app, client)


@pytest.fixture
def consultant(app, demo):
    client = app.test_client()
    client.token = login(client, "consultant")
    return client


def fetch(app, ticket_id) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge(ticket)
        return ticket


def events(app, action) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def post(client, path, **data):
    return client.post(path, data={"csrf_token": client.token, **data})


# --- the inbox -------------------------------------------------------------------------------


def test_inbox_lists_the_new_message_with_its_first_words(consultant, ticket_id, app):
    html = consultant.get("/tickets/").get_data(as_text=True)
    assert t.INBOX_TITLE in html
    assert f'href="/tickets/{ticket_id}"' in html
    assert "+7 916 123-45-67" in html  # the caller's number in Russian format
    assert "здравствуйте не могу войти в журнал" in html
    assert re.search(r'data-count="new">1<', html)


def test_inbox_tabs_and_overdue(consultant, ticket_id, app):
    # The message was left on a fixed Saturday night: look at the tabs an hour later, not on
    # today's clock, where its two working days have long run out.
    soon = fetch(app, ticket_id).created_at + timedelta(hours=1)
    with time_machine.travel(soon, tick=False):
        client = app.test_client()
        login(client, "consultant")
        for tab in ("in_progress", "overdue", "closed"):
            html = client.get(f"/tickets/?tab={tab}").get_data(as_text=True)
            assert t.INBOX_EMPTY[tab] in html
    late = fetch(app, ticket_id).sla_due_at + timedelta(hours=1)
    with time_machine.travel(late, tick=False):
        client = app.test_client()  # signed in after the due instant: the session is fresh
        login(client, "consultant")
        html = client.get("/tickets/?tab=overdue").get_data(as_text=True)
        assert f'href="/tickets/{ticket_id}"' in html and t.OVERDUE in html
    # An unknown tab is the default one, not an error.
    assert consultant.get("/tickets/?tab=nonsense").status_code == 200


def test_inbox_shows_only_this_organizations_tickets(app, client, consultant, demo):
    mine = leave_message(app, client)
    theirs = leave_message(app, client, to=OMSK_NUMBER, from_="+79161230000")
    html = consultant.get("/tickets/").get_data(as_text=True)
    assert f'href="/tickets/{mine}"' in html and f'href="/tickets/{theirs}"' not in html


# --- the ticket page -------------------------------------------------------------------------


def test_ticket_page_marks_unsure_words_and_offers_suggestions(consultant, ticket_id):
    response = consultant.get(f"/tickets/{ticket_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<mark>пятом</mark>" in html and "<mark>б</mark>" in html
    assert "<mark>журнал</mark>" not in html
    assert t.TRANSCRIPT_LEGEND in html
    assert t.SUGGESTION_FIELD["class"] in html and "5Б" in html
    assert "+7 916 123-45-67" in html
    assert f'/tickets/{ticket_id}/recordings/' in html  # the player
    assert t.HISTORY in html and t.AUDIT_ACTION["ticket.opened"] in html


def test_another_organizations_ticket_is_a_404(app, client, consultant, demo):
    theirs = leave_message(app, client, to=OMSK_NUMBER)
    assert consultant.get(f"/tickets/{theirs}").status_code == 404
    assert post(consultant, f"/tickets/{theirs}/resolve", reply="x").status_code == 404
    assert post(consultant, f"/tickets/{theirs}/notes", text="x").status_code == 404
    with app.app_context():
        rec = db.session.scalars(select(Recording).where(Recording.ticket_id == theirs)).one()
    assert consultant.get(f"/tickets/{theirs}/recordings/{rec.id}.wav").status_code == 404
    assert consultant.get("/tickets/99999").status_code == 404
    assert t.ERROR_404 in consultant.get("/tickets/99999").get_data(as_text=True)
    assert fetch(app, theirs).status == TicketStatus.NEW


def test_regional_admin_sees_the_chosen_organizations_tickets(app, client, demo):
    theirs = leave_message(app, client, to=OMSK_NUMBER)
    admin = app.test_client()
    token = login(admin, "admin")
    assert admin.get(f"/tickets/{theirs}").status_code == 404  # the first school is chosen
    with app.app_context():
        omsk = db.session.scalars(select(Organization).where(
            Organization.slug == "tukalinsk")).one().id
    admin.post("/organization", data={"organization_id": omsk, "csrf_token": token})
    assert admin.get(f"/tickets/{theirs}").status_code == 200


# --- the recording ---------------------------------------------------------------------------


def audio_url(app, ticket_id):
    with app.app_context():
        rec = db.session.scalars(select(Recording).where(Recording.ticket_id == ticket_id)).one()
        return f"/tickets/{ticket_id}/recordings/{rec.id}.wav", rec.size


def get(client, url, **kwargs):
    """GET and read the whole body (a streamed file left unread keeps its handle open)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def test_recording_streams_with_range_and_each_listen_is_audited(app, consultant, ticket_id):
    url, size = audio_url(app, ticket_id)
    whole = get(consultant, url)
    assert whole.status_code == 200 and whole.mimetype == "audio/wav"
    assert whole.headers["Accept-Ranges"] == "bytes" and len(whole.data) == size
    assert "no-store" in whole.headers["Cache-Control"]
    first = get(consultant, url, headers={"Range": "bytes=0-"})
    assert first.status_code == 206
    part = get(consultant, url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and len(part.data) == 100
    assert part.headers["Content-Range"] == f"bytes 100-199/{size}"
    assert part.data == whole.data[100:200]
    listens = events(app, "recording.listen")
    # The plain GET and the player's start are listens; a seek inside one is not another.
    assert len(listens) == 2
    assert {e.actor for e in listens} == {"consultant"} and listens[0].object_id == ticket_id
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert t.AUDIT_ACTION["recording.listen"] in html


def test_operator_may_listen_too_but_strangers_may_not(app, client, ticket_id, demo):
    url, _ = audio_url(app, ticket_id)
    assert get(client, url).status_code == 302  # signed out
    operator = app.test_client()
    login(operator, "operator")
    assert get(operator, url).status_code == 200
    other = app.test_client()
    login(other, "operator2")
    assert get(other, url).status_code == 404


def test_a_deleted_or_missing_recording_is_a_404(app, consultant, ticket_id):
    url, _ = audio_url(app, ticket_id)
    with app.app_context():
        rec = db.session.scalars(select(Recording).where(Recording.ticket_id == ticket_id)).one()
        rec.path = "../../etc/passwd"
        db.session.commit()
    assert consultant.get(url).status_code == 404
    assert consultant.get(url.replace(".wav", "0.wav")).status_code == 404
    assert events(app, "recording.listen") == []


# --- the transcript and suggestions --------------------------------------------------------------


def transcript_of(app, ticket_id) -> Transcript:
    with app.app_context():
        tr = db.session.scalars(select(Transcript).where(Transcript.ticket_id == ticket_id)).one()
        db.session.expunge(tr)
        return tr


def test_correction_is_kept_beside_the_original(app, consultant, ticket_id):
    tr = transcript_of(app, ticket_id)
    response = post(consultant, f"/tickets/{ticket_id}/transcripts/{tr.id}",
                    text="Здравствуйте, не могу войти в журнал. Сын учится в 5 «Б».")
    assert response.status_code == 302 and response.location.endswith("#transcript")
    after = transcript_of(app, ticket_id)
    assert after.corrected_text.startswith("Здравствуйте, не могу")
    assert after.text == tr.text  # the recognizer's text stays
    assert after.corrected_by_id is not None and after.corrected_at is not None
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Сын учится в 5 «Б»." in html and t.TRANSCRIPT_ORIGINAL in html
    assert t.TRANSCRIPT_SAVED in html
    assert len(events(app, "transcript.corrected")) == 1


def test_a_correction_computes_the_suggestions_again(app, consultant, ticket_id):
    before = fetch(app, ticket_id).suggestions
    assert (before["phone"], before["class"], before["topic"]) == ("+79161234567", "5Б", "login")
    assert before["low_confidence"]  # «пятом», «б» were unsure
    tr = transcript_of(app, ticket_id)
    post(consultant, f"/tickets/{ticket_id}/transcripts/{tr.id}",
         text="Здравствуйте, у дочки не видно оценок в дневнике. Она учится в седьмом А "
              "классе. Перезвоните по номеру восемь девятьсот три пятьсот пятьдесят пять "
              "двенадцать тридцать четыре.")
    after = fetch(app, ticket_id).suggestions
    assert (after["phone"], after["class"], after["topic"]) == ("+79035551234", "7А", "grades")
    assert after["low_confidence"] == []  # a person's text has no unsure words
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "+7 903 555-12-34" in html and "7А" in html
    # What the corrected text no longer says is no longer suggested.
    post(consultant, f"/tickets/{ticket_id}/transcripts/{tr.id}", text="Не могу войти.")
    final = fetch(app, ticket_id).suggestions
    assert final["phone"] is None and final["class"] is None and final["topic"] == "login"
    assert post(consultant, f"/tickets/{ticket_id}/suggestions/phone").status_code == 400


@pytest.mark.parametrize(("text", "message"), [
    ("", t.TRANSCRIPT_EMPTY),
    ("   ", t.TRANSCRIPT_EMPTY),
    ("я" * 5001, t.TOO_LONG.format(limit=5000)),
])
def test_a_bad_correction_changes_nothing(app, consultant, ticket_id, text, message):
    tr = transcript_of(app, ticket_id)
    response = post(consultant, f"/tickets/{ticket_id}/transcripts/{tr.id}", text=text)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert transcript_of(app, ticket_id).corrected_text is None


def test_correcting_another_tickets_transcript_is_a_404(app, client, consultant, ticket_id):
    other = leave_message(app, client, from_="+79161230000")
    tr = transcript_of(app, other)
    response = post(consultant, f"/tickets/{ticket_id}/transcripts/{tr.id}", text="x")
    assert response.status_code == 404


def test_suggestions_are_accepted_with_one_click(app, consultant, ticket_id):
    ticket = fetch(app, ticket_id)
    assert ticket.suggestions["class"] == "5Б" and ticket.student_class is None
    response = post(consultant, f"/tickets/{ticket_id}/suggestions/class")
    assert response.status_code == 302
    assert fetch(app, ticket_id).student_class == "5Б"
    phone = ticket.suggestions["phone"]
    assert phone == "+79161234567"
    assert post(consultant, f"/tickets/{ticket_id}/suggestions/phone").status_code == 302
    assert fetch(app, ticket_id).callback_number == phone
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert t.SUGGESTION_ACCEPTED.format(field=t.SUGGESTION_FIELD["phone"],
                                        value="+7 916 123-45-67") in html
    assert len(events(app, "ticket.suggestion_accepted")) == 2


@pytest.mark.parametrize("field", ["nonsense", "topic", "role"])
def test_an_unknown_suggestion_is_a_400(app, consultant, ticket_id, field):
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.suggestions = {**ticket.suggestions, "topic": None}
        db.session.commit()
    response = post(consultant, f"/tickets/{ticket_id}/suggestions/{field}")
    assert response.status_code == 400
    assert t.SUGGESTION_UNKNOWN in response.get_data(as_text=True)
    assert events(app, "ticket.suggestion_accepted") == []


# --- notes, answer, escalation, declining ------------------------------------------------------


def test_notes_are_added_and_shown(app, consultant, ticket_id):
    assert post(consultant, f"/tickets/{ticket_id}/notes", text="Перезвонить после 15:00").status_code == 302
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Перезвонить после 15:00" in html and t.NOTE_ADDED in html
    response = post(consultant, f"/tickets/{ticket_id}/notes", text=" ")
    assert response.status_code == 400 and t.NOTE_EMPTY in response.get_data(as_text=True)
    assert len(events(app, "ticket.note")) == 1


def test_operator_may_write_notes_but_not_answer(app, ticket_id, demo):
    operator = app.test_client()
    operator.token = login(operator, "operator")
    assert post(operator, f"/tickets/{ticket_id}/notes", text="Не берут трубку").status_code == 302
    for action, data in [("resolve", {"reply": "x"}), ("take", {}), ("decline", {
            "reason": "incorrect_question"}), ("escalate", {"reference": "1", "told": "x"})]:
        assert post(operator, f"/tickets/{ticket_id}/{action}", **data).status_code == 403
    assert fetch(app, ticket_id).status == TicketStatus.NEW


def test_take_then_resolve_with_a_reply(app, consultant, ticket_id):
    assert post(consultant, f"/tickets/{ticket_id}/take").status_code == 302
    ticket = fetch(app, ticket_id)
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.assignee_id is not None
    assert post(consultant, f"/tickets/{ticket_id}/take").status_code == 400  # taken already
    response = post(consultant, f"/tickets/{ticket_id}/resolve",
                    reply="Объяснили, как восстановить пароль через Госуслуги.")
    assert response.status_code == 302
    ticket = fetch(app, ticket_id)
    assert ticket.status == TicketStatus.RESOLVED and ticket.closed_at is not None
    assert ticket.resolution.startswith("Объяснили")
    with app.app_context():  # the planned callback is not needed any more
        callback = db.session.scalars(select(Callback)).one()
        assert callback.status == CallbackStatus.CANCELLED
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert t.RESOLVED in html and t.REOPEN in html
    assert "новое → в работе" in html and "в работе → решено" in html


def test_an_empty_reply_resolves_nothing(app, consultant, ticket_id):
    response = post(consultant, f"/tickets/{ticket_id}/resolve", reply="  ")
    assert response.status_code == 400
    assert t.REPLY_EMPTY in response.get_data(as_text=True)
    assert fetch(app, ticket_id).status == TicketStatus.NEW


def test_a_closed_ticket_cannot_be_resolved_again_but_can_be_reopened(app, consultant, ticket_id):
    post(consultant, f"/tickets/{ticket_id}/resolve", reply="Готово")
    response = post(consultant, f"/tickets/{ticket_id}/resolve", reply="Ещё раз")
    assert response.status_code == 400
    assert t.TRANSITION_REFUSED.format(status=t.TICKET_STATUS["resolved"]) in response.get_data(
        as_text=True)
    assert fetch(app, ticket_id).resolution == "Готово"
    assert post(consultant, f"/tickets/{ticket_id}/reopen").status_code == 302
    assert fetch(app, ticket_id).status == TicketStatus.IN_PROGRESS
    assert post(consultant, f"/tickets/{ticket_id}/reopen").status_code == 400


def test_escalation_records_the_reference_and_what_the_caller_was_told(app, consultant, ticket_id):
    response = post(consultant, f"/tickets/{ticket_id}/escalate", reference="SP-2026-7781",
                    told="Сказали, что ответ придёт от поддержки «Школьного портала» в течение дня.")
    assert response.status_code == 302
    ticket = fetch(app, ticket_id)
    assert ticket.status == TicketStatus.ESCALATED and ticket.vendor_reference == "SP-2026-7781"
    [event] = events(app, "ticket.escalated")
    assert event.note.startswith("Сказали") and event.details["reference"] == "SP-2026-7781"
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "SP-2026-7781" in html and "Сказали, что ответ придёт" in html
    response = post(consultant, f"/tickets/{ticket_id}/escalate", reference="X", told="Y")
    assert response.status_code == 400  # escalated already


@pytest.mark.parametrize("data", [
    {"reference": "", "told": "Сказали"},
    {"reference": "SP-1", "told": ""},
    {"reference": "S" * 101, "told": "Сказали"},
])
def test_escalation_needs_both_fields(app, consultant, ticket_id, data):
    response = post(consultant, f"/tickets/{ticket_id}/escalate", **data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert t.ESCALATE_EMPTY in html or t.TOO_LONG.format(limit=100) in html
    assert fetch(app, ticket_id).status == TicketStatus.NEW
    assert events(app, "ticket.escalated") == []


@pytest.mark.parametrize("reason", list(DeclineReason))
def test_declining_with_each_of_the_regulations_reasons(app, consultant, ticket_id, reason):
    response = post(consultant, f"/tickets/{ticket_id}/decline", reason=reason.value,
                    comment="Звонящий не смог назвать школу")
    assert response.status_code == 302
    ticket = fetch(app, ticket_id)
    assert ticket.status == TicketStatus.DECLINED and ticket.decline_reason == reason
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert t.DECLINE_REASON[reason.value] in html


@pytest.mark.parametrize("reason", ["", "rude", "resolved"])
def test_declining_without_a_valid_reason_changes_nothing(app, consultant, ticket_id, reason):
    response = post(consultant, f"/tickets/{ticket_id}/decline", reason=reason)
    assert response.status_code == 400
    assert t.DECLINE_BAD_REASON in response.get_data(as_text=True)
    assert fetch(app, ticket_id).status == TicketStatus.NEW


def test_every_ticket_post_needs_the_csrf_token(app, consultant, ticket_id):
    tr = transcript_of(app, ticket_id)
    for path in (f"/tickets/{ticket_id}/take", f"/tickets/{ticket_id}/resolve",
                 f"/tickets/{ticket_id}/notes", f"/tickets/{ticket_id}/escalate",
                 f"/tickets/{ticket_id}/decline", f"/tickets/{ticket_id}/reopen",
                 f"/tickets/{ticket_id}/suggestions/class",
                 f"/tickets/{ticket_id}/transcripts/{tr.id}"):
        response = consultant.post(path, data={"reply": "x", "text": "x"})
        assert response.status_code == 400, path
        assert t.ERROR_CSRF in response.get_data(as_text=True)
    assert fetch(app, ticket_id).status == TicketStatus.NEW
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.in_(("ticket.note", "ticket.status")))) == 0


def test_a_missed_call_without_a_message_says_so(app, client, consultant, demo):
    ticket_id = leave_message(app, client, seconds=1.0, transcript=False)
    html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert t.RECORDING_STATE["too_short"] in html
    assert "<audio" not in html



def test_pages_read_the_tickets_callbacks_through_the_registered_reader(app, ticket_id):
    # The tickets domain may not import callbacks: the ticket page's callback, its history's
    # callback events and the inbox's «at risk» mark come from the reader callbacks registers.
    with app.app_context():
        callback = db.session.scalars(select(Callback).where(Callback.ticket_id == ticket_id)).one()
        assert callback.status == CallbackStatus.PLANNED
        callback.at_risk = True
        db.session.commit()
    assert events(app, "callback.planned")
    soon = fetch(app, ticket_id).created_at + timedelta(hours=1)  # not overdue yet
    with time_machine.travel(soon, tick=False):
        consultant = app.test_client()
        login(consultant, "consultant")
        page = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
        inbox = consultant.get("/tickets/").get_data(as_text=True)
    assert t.FACT_CALLBACK_PLAN in page and t.CALLBACK_STATUS["planned"] in page
    assert t.AUDIT_ACTION["callback.planned"] in page
    assert t.AT_RISK in inbox
