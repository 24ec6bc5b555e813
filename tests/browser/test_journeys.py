"""The workspace in headless Chromium: an operator, a consultant and a newcomer at work."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from callbacks.models import Callback, CallbackStatus
from core import clock
from core import ui_text as t
from core.extensions import db
from tests.browser.conftest import shoot
from tests.browser.support import PASSWORD, leave_message
from tests.conftest import make_wav
from tickets.models import Ticket, TicketStatus, Transcript

pytestmark = pytest.mark.browser


def eventually(condition, timeout: float = 10.0) -> None:
    """Poll from Python: the pages' CSP (rightly) forbids Playwright's string predicates."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the page never got there"
        time.sleep(0.1)


def sign_in(page, app, username: str) -> None:
    page.goto(app.url + "/")
    page.get_by_label(t.LOGIN_USERNAME).fill(username)
    page.get_by_label(t.LOGIN_PASSWORD).fill(PASSWORD)
    page.get_by_role("button", name=t.LOGIN_SUBMIT).click()
    page.wait_for_load_state()


def a_due_callback(app) -> tuple[int, int]:
    """A voice message whose callback is due now (as if planned a few minutes ago)."""
    ticket_id = leave_message(app, app.test_client(), when=None)
    with app.app_context():
        callback = db.session.scalars(select(Callback).where(
            Callback.ticket_id == ticket_id)).one()
        callback.planned_at = clock.now() - timedelta(minutes=2)
        db.session.commit()
        return ticket_id, callback.id


def test_sign_in_page(page, live_server):
    page.goto(live_server.url + "/tickets/")
    assert page.url.startswith(live_server.url + "/login")
    assert page.get_by_role("heading", name=t.LOGIN_TITLE).is_visible()
    page.get_by_label(t.LOGIN_USERNAME).fill("operator")
    page.get_by_label(t.LOGIN_PASSWORD).fill("wrong")
    page.get_by_role("button", name=t.LOGIN_SUBMIT).click()
    assert page.get_by_role("alert").inner_text() == t.LOGIN_FAILED
    shoot(page, "01-login")
    assert page.errors == []


def test_operator_calls_back_and_records_no_answer(page, live_server):
    app = live_server
    _, callback_id = a_due_callback(app)
    sign_in(page, app, "operator")
    assert page.url.endswith("/operator/")
    row = page.locator("#queue-table tbody tr").first
    assert "+7 916 123-45-67" in row.inner_text()
    assert page.locator('[data-count="due"]').inner_text() == "1"
    shoot(page, "02-operator-queue")

    row.get_by_role("link").click()
    assert page.get_by_role("heading", name=re.compile("Обратный звонок по обращению")).is_visible()
    shoot(page, "03-callback-card")
    page.get_by_role("button", name=t.CALL, exact=True).click()
    assert page.get_by_text(t.CALL_STARTED).is_visible()
    assert page.locator("#callback-status").inner_text() == t.CALLBACK_STATUS["dialing"]

    page.get_by_label(t.OUTCOME["no_answer"]).check()
    page.get_by_role("button", name=t.OUTCOME_SUBMIT).click()
    flash = page.locator(".flash--success").inner_text()
    assert t.OUTCOME_SAVED.format(outcome=t.OUTCOME["no_answer"]) in flash
    assert t.RETRY_PLANNED.split("{")[0] in flash
    assert page.locator("#callback-attempts").inner_text() == t.CARD_ATTEMPTS_OF.format(
        done=1, limit=3)
    assert page.locator("#callback-planned").is_visible()
    shoot(page, "04-callback-retry-planned")
    with app.app_context():
        callback = db.session.get(Callback, callback_id)
        assert callback.status == CallbackStatus.PLANNED and callback.attempts == 1
        assert callback.planned_at > clock.now() + timedelta(minutes=59)
    assert page.errors == []


def test_queue_refreshes_itself(page, live_server):
    app = live_server
    sign_in(page, app, "operator")
    assert page.locator('[data-count="due"]').inner_text() == "0"
    a_due_callback(app)
    page.evaluate("document.getElementById('queue').refreshNow()")  # the 20-second tick
    eventually(lambda: page.locator('[data-count="due"]').inner_text() == "1")
    assert page.locator("#queue-table tbody tr").count() == 1


def test_consultant_listens_corrects_and_resolves(page, live_server):
    app = live_server
    ticket_id = leave_message(app, app.test_client(), when=None)
    sign_in(page, app, "consultant")
    assert page.url.endswith("/tickets/")
    shoot(page, "05-consultant-inbox")
    page.get_by_role("link", name=re.compile(r"^\d+$")).first.click()
    assert page.locator("mark", has_text="пятом").count() == 1

    # The player streams the recording; the listen lands in the history.
    with page.expect_response(re.compile(r"/recordings/\d+\.wav")) as audio:
        page.locator("audio").evaluate("a => a.play()")
    assert audio.value.status in (200, 206)
    eventually(lambda: page.locator("audio").evaluate("a => a.currentTime") > 0.2)
    shoot(page, "06-ticket-page")

    page.locator("#transcript summary", has_text=t.TRANSCRIPT_EDIT).click()
    page.locator("#transcript-edit").fill(
        "Здравствуйте, не могу войти в журнал. Сын учится в 5 «Б». Перезвоните.")
    page.get_by_role("button", name=t.TRANSCRIPT_SAVE).click()
    assert page.locator("#transcript-text").inner_text().startswith("Здравствуйте, не могу")

    page.get_by_role("button", name=f"{t.SUGGESTION_ACCEPT}: {t.SUGGESTION_FIELD['class']} — 5Б").click()
    assert page.locator("#fact-class").inner_text() == "5Б"

    page.get_by_label(t.REPLY_LABEL).fill("Объяснили, как войти через Госуслуги; всё получилось.")
    page.get_by_role("button", name=t.REPLY_SUBMIT).click()
    assert page.locator("#ticket-status").inner_text() == t.TICKET_STATUS["resolved"]
    history = page.locator("#history").inner_text()
    assert t.AUDIT_ACTION["recording.listen"] in history
    assert t.AUDIT_ACTION["transcript.corrected"] in history
    shoot(page, "07-ticket-resolved")
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        transcript = db.session.scalars(select(Transcript)).one()
        assert ticket.status == TicketStatus.RESOLVED and ticket.student_class == "5Б"
        assert transcript.corrected_text.startswith("Здравствуйте,")
        assert transcript.text.startswith("здравствуйте не могу")
    assert page.errors == []


def test_newcomer_leaves_a_message_from_the_browser_phone(page, live_server, tmp_path):
    app = live_server
    wav = tmp_path / "message.wav"
    wav.write_bytes(make_wav(4, rate=16000))
    sign_in(page, app, "consultant")
    page.get_by_role("link", name=t.NAV_PHONE).click()
    page.get_by_label(t.PHONE_SPEAK).uncheck()  # no voice in headless Chromium
    page.get_by_role("button", name=t.PHONE_CALL, exact=True).click()
    page.wait_for_selector("#keypad button:not([disabled])")
    assert "МАОУ СОШ № 19" in page.locator("#phone-log").inner_text()
    page.locator('#keypad [data-key="1"]').click()  # parent
    page.wait_for_selector("#keypad button:not([disabled])")
    page.locator('#keypad [data-key="1"]').click()  # login and password
    page.wait_for_selector("#record-panel:not(.hidden)")
    page.get_by_label(t.PHONE_RECORD_FILE).set_input_files(str(wav))
    page.get_by_role("button", name=t.PHONE_RECORD_SEND).click()
    page.wait_for_selector("#phone-result:not(.hidden)")
    result = page.locator("#phone-result").inner_text()
    assert re.search(r"Обращение № \d+ зарегистрировано", result)
    assert "Обратный звонок запланирован" in result
    if not page.get_by_role("button", name=t.PHONE_HANGUP).is_disabled():
        page.get_by_role("button", name=t.PHONE_HANGUP).click()
    page.wait_for_selector("#phone-hangup[disabled]")
    shoot(page, "08-browser-phone")

    page.get_by_role("link", name=t.PHONE_TICKET_OPEN).click()
    assert page.get_by_role("heading", name=re.compile(r"Обращение № \d+")).is_visible()
    page.get_by_role("link", name=t.NAV_INBOX, exact=True).click()
    assert page.locator("#inbox tbody tr").count() == 1
    assert "+7 916 123-45-67" in page.locator("#inbox").inner_text()
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert db.session.scalars(select(Callback)).one().ticket_id == ticket.id
    assert page.errors == []


def test_a_message_recorded_with_the_microphone(page, live_server):
    """The Web Audio path: Chromium's fake microphone, a 16 kHz mono 16-bit WAV."""
    import wave
    from pathlib import Path

    from tickets import jobs
    from tickets.models import Recording

    app = live_server
    sign_in(page, app, "operator")
    page.goto(app.url + "/phone/")
    # The prompts are spoken (speechSynthesis, ru-RU) where the browser can; here too.
    assert page.get_by_label(t.PHONE_SPEAK).is_checked()
    page.get_by_role("button", name=t.PHONE_CALL, exact=True).click()
    for _ in range(2):
        page.wait_for_selector("#keypad button:not([disabled])")
        page.locator('#keypad [data-key="1"]').click()
    page.wait_for_selector("#record-panel:not(.hidden)")
    page.get_by_role("button", name=t.PHONE_RECORD_START).click()
    page.wait_for_selector("#mic-stop:not(.hidden)")
    time.sleep(3)
    page.get_by_role("button", name=t.PHONE_RECORD_STOP).click()
    page.wait_for_selector("#phone-result:not(.hidden)")
    assert page.errors == []
    jobs.run_pending(app)  # download the recording the line made
    with app.app_context():
        recording = db.session.scalars(select(Recording)).one()
        assert recording.duration >= 2
        with wave.open(str(Path(app.config["DATA_DIR"]) / recording.path)) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
