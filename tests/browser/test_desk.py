"""The helpdesk basics in Chromium: live lists, search, keyboard, and pages at 375 px."""

from __future__ import annotations

import time

import pytest

from helpline import ui_text as t
from tests.browser.conftest import shoot
from tests.browser.support import PASSWORD, leave_message

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LIVE_TICK_SECONDS": 0.2, "LIVE_STREAM_SECONDS": 1.0,
            "LIVE_RETRY_MS": 300}


def eventually(condition, timeout: float = 10.0) -> None:
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


def test_the_inbox_updates_itself_and_counts_in_the_title(page, live_server):
    sign_in(page, live_server, "consultant")
    page.goto(live_server.url + "/tickets/")
    assert page.locator("#inbox tbody tr").count() == 0
    eventually(lambda: page.title().startswith(t.INBOX_TITLE))
    time.sleep(1.5)  # at least one stream has ended and EventSource reconnected
    ticket_id = leave_message(live_server, live_server.test_client(), when=None)
    eventually(lambda: page.locator(f'#inbox a[href="/tickets/{ticket_id}"]').count() == 1)
    eventually(lambda: page.title().startswith("(1) "))
    shoot(page, "desk-inbox-live")
    assert page.errors == []
