"""The callback loop in Chromium, end to end, on the embedded default (SQLite, local telephony).

A parent leaves a message out of hours from the browser phone; next morning the line rings
the operator's browser phone, the operator hears the whisper, presses 1, the parent's
browser phone rings, they talk, the operator keys «решено»; the consultant sees the whole
history on the ticket, and nothing of it comes back to any queue. Then the same at 375 px.

Time moves through the app's clock seam (core.clock.shifted_to), which the server
thread shares; the browser keeps its own clock. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from callbacks import jobs
from callbacks.models import Callback, CallbackStatus
from core import clock
from core import ui_text as t
from core.extensions import db
from tests.browser.conftest import shoot
from tests.browser.support import MONDAY_0905, PASSWORD, SATURDAY_NIGHT, WORDS
from tests.conftest import make_wav
from tickets.models import Recording, Ticket, TicketStatus

pytestmark = pytest.mark.browser

OPERATOR_PHONE = "+7 999 000-01-01"
PARENT_PHONE = "+7 916 123-45-67"
QUEUE_TABS = ("due", "later", "tomorrow", "planned", "overdue", "active")
WIDTHS = {"desktop": 1280, "phone": 375}


def new_page(browser, width):
    context = browser.new_context(locale="ru-RU", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return page


def sign_in(page, app, username):
    page.goto(app.url + "/login")
    page.get_by_label(t.LOGIN_USERNAME).fill(username)
    page.get_by_label(t.LOGIN_PASSWORD).fill(PASSWORD)
    page.get_by_role("button", name=t.LOGIN_SUBMIT).click()
    page.wait_for_load_state()


def open_phone(page, app):
    page.goto(app.url + "/phone/")
    page.get_by_label(t.PHONE_SPEAK).uncheck()  # no voice in headless Chromium


def listen_as(page, number):
    page.get_by_label(t.PHONE_LISTEN_NUMBER).fill(number)
    page.get_by_role("button", name=t.PHONE_LISTEN_START).click()
    expect(page.locator("#phone-state")).to_contain_text(
        t.PHONE_LISTENING.format(number=number))


def press(page, key):
    button = page.locator(f'#keypad [data-key="{key}"]')
    expect(button).to_be_enabled()
    button.click()


def transcribe(app, ticket_id):
    """The worker's part: the recording is downloaded, Vosk's words attached."""
    from tickets import jobs as ticket_jobs

    ticket_jobs.run_pending(app)
    with app.app_context():
        recording = db.session.scalars(
            select(Recording).where(Recording.ticket_id == ticket_id)).one()
        words = [{"word": w, "conf": c, "start": i * 0.4, "end": i * 0.4 + 0.35}
                 for i, (w, c) in enumerate(WORDS)]
        ticket_jobs.attach_transcript(recording, {
            "text": " ".join(w for w, _ in WORDS), "words": words, "confidence": 0.87,
            "duration": 4.0, "engine": "vosk", "model": "test"})


def counts(page) -> dict[str, str]:
    return {tab: page.locator(f'[data-count="{tab}"]').inner_text() for tab in QUEUE_TABS}


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_callback_loop_in_the_browser(browser, live_server, tmp_path, size):
    app, width = live_server, WIDTHS[size]
    wav = tmp_path / "message.wav"
    wav.write_bytes(make_wav(4, rate=16000))

    # Saturday night: a parent leaves a message (the browser phone plays the parent).
    with clock.shifted_to(SATURDAY_NIGHT):
        parent = new_page(browser, width)
        sign_in(parent, app, "consultant")
        open_phone(parent, app)
        parent.get_by_label(t.PHONE_FROM).fill(PARENT_PHONE)
        parent.get_by_role("button", name=t.PHONE_CALL, exact=True).click()
        press(parent, "1")  # parent
        press(parent, "1")  # login and password
        parent.wait_for_selector("#record-panel:not(.hidden)")
        parent.get_by_label(t.PHONE_RECORD_FILE).set_input_files(str(wav))
        parent.get_by_role("button", name=t.PHONE_RECORD_SEND).click()
        parent.wait_for_selector("#phone-result:not(.hidden)")
        result = parent.locator("#phone-result").inner_text()
        assert re.search(r"Обращение № 1 зарегистрировано", result), result
        assert "Обратный звонок запланирован на пн 30.11.2026, 09:00" in result
        shoot(parent, f"loop-{size}-1-parent-message")
        with app.app_context():
            ticket_id = db.session.scalars(select(Ticket)).one().id
        transcribe(app, ticket_id)

    # Monday 9:05: the operator's and the parent's phones are browser pages.
    with clock.shifted_to(MONDAY_0905):
        operator = new_page(browser, width)
        sign_in(operator, app, "operator")
        expect(operator.locator('[data-count="due"]')).to_have_text("1")
        shoot(operator, f"loop-{size}-2-queue-due")
        open_phone(operator, app)
        assert operator.get_by_label(t.PHONE_LISTEN_NUMBER).input_value() == OPERATOR_PHONE
        listen_as(operator, OPERATOR_PHONE)
        open_phone(parent, app)
        if "/login" in parent.url:  # the session of Saturday night has run out
            sign_in(parent, app, "consultant")
            open_phone(parent, app)
        listen_as(parent, PARENT_PHONE)

        # The scheduler's tick: the line rings the operator.
        assert jobs.dial_due_callbacks(app)
        expect(operator.locator("#ring-panel")).to_be_visible()
        expect(operator.locator("#ring-from")).to_contain_text("+7 495 000-00-19")
        shoot(operator, f"loop-{size}-3-operator-rung")
        operator.get_by_role("button", name=t.PHONE_ANSWER).click()
        log = operator.locator("#phone-log")
        expect(log).to_contain_text("Обратный звонок по обращению номер 1.")
        expect(log).to_contain_text("Начало сообщения: здравствуйте не могу войти")
        expect(log).to_contain_text("Чтобы соединиться, нажмите 1.")
        shoot(operator, f"loop-{size}-4-whisper")
        press(operator, "1")

        # The parent's phone rings with the school's number; they talk.
        expect(parent.locator("#ring-panel")).to_be_visible()
        expect(parent.locator("#ring-from")).to_contain_text("+7 495 000-00-19")
        shoot(parent, f"loop-{size}-5-parent-rung")
        parent.get_by_role("button", name=t.PHONE_ANSWER).click()
        expect(parent.locator("#talk-panel")).to_be_visible()
        expect(operator.locator("#talk-panel")).to_be_visible()
        expect(operator.locator("#talk-with")).to_contain_text(PARENT_PHONE)
        shoot(operator, f"loop-{size}-6-talking")
        operator.get_by_role("button", name=t.PHONE_END_TALK).click()

        # The result menu: 1 = «вопрос решён».
        expect(log).to_contain_text("Если вопрос решён, нажмите 1.")
        expect(parent.locator("#phone-state")).to_contain_text(t.PHONE_ENDED)
        press(operator, "1")
        expect(log).to_contain_text("Спасибо, итог записан.")
        expect(operator.locator("#phone-state")).to_contain_text(t.PHONE_ENDED)
        shoot(operator, f"loop-{size}-7-result-recorded")

        with app.app_context():
            callback = db.session.scalars(select(Callback)).one()
            assert (callback.status, callback.outcome) == (CallbackStatus.DONE, "resolved")
            assert db.session.get(Ticket, ticket_id).status == TicketStatus.RESOLVED

        operator.goto(app.url + "/operator/")
        assert counts(operator) == dict.fromkeys(QUEUE_TABS, "0")
        assert operator.locator('[data-count="done"]').inner_text() == "1"
        shoot(operator, f"loop-{size}-8-queue-empty")

        # The consultant sees the whole history on the ticket.
        parent.goto(app.url + f"/tickets/{ticket_id}")
        expect(parent.locator("#ticket-status")).to_have_text(t.TICKET_STATUS["resolved"])
        history = parent.locator("#history").inner_text()
        for action in ("ticket.opened", "callback.planned", "callback.ring",
                       "callback.outcome", "ticket.status"):
            assert t.AUDIT_ACTION[action] in history, action
        assert t.CALLBACK_OUTCOME["resolved"] in history
        assert not re.search(r"\b(ticket|callback)\.[a-z_]+", history)  # no raw codes
        shoot(parent, f"loop-{size}-9-ticket-history")

    # Later: recovery and the planner run; nothing comes back to any queue.
    for later in (timedelta(minutes=31), timedelta(hours=3)):
        with clock.shifted_to(MONDAY_0905 + later):
            jobs.retries(app)
            operator.goto(app.url + "/operator/")
            assert counts(operator) == dict.fromkeys(QUEUE_TABS, "0")
            parent.goto(app.url + "/tickets/")
            for tab in ("new", "in_progress", "overdue"):
                assert parent.locator(f'[data-count="{tab}"]').inner_text() == "0", tab
    assert operator.errors == [] and parent.errors == []
    operator.context.close()
    parent.context.close()
