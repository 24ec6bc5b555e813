"""The helpdesk basics in Chromium: live lists, search, keyboard, and pages at 375 px."""

from __future__ import annotations

import re
import time

import pytest

from core import ui_text as t
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


def test_the_operator_works_the_queue_from_the_keyboard(page, live_server):
    from datetime import timedelta

    from sqlalchemy import select

    from callbacks.models import Callback
    from core import clock
    from core.extensions import db

    ids = []
    for number in ("+79161234567", "+79031112233"):
        ticket_id = leave_message(live_server, live_server.test_client(), when=None,
                                  from_=number)
        ids.append(ticket_id)
    with live_server.app_context():
        callbacks = db.session.scalars(select(Callback).order_by(Callback.id)).all()
        for callback in callbacks:
            callback.planned_at = clock.now() - timedelta(minutes=2)
        db.session.commit()
        first, second = (c.id for c in callbacks)
    sign_in(page, live_server, "operator")
    page.goto(live_server.url + "/operator/")
    hint = page.locator("#keys-hint")
    assert hint.is_visible() and "следующий звонок" in hint.inner_text()
    page.keyboard.press("j")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == f"/operator/callbacks/{first}"
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.getAttribute('href')") == (
        f"/operator/callbacks/{second}")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/operator/callbacks/{first}")
    assert "позвонить" in page.locator("#keys-hint").inner_text()
    # «N» goes to the next due callback, and from there on round to the first again.
    page.keyboard.press("n")
    page.wait_for_url(f"**/operator/callbacks/{second}")
    with page.expect_navigation():
        page.keyboard.press("c")  # the line rings the operator's phone (local telephony)
    assert t.CALL_STARTED in page.content()
    page.keyboard.press("1")  # the first outcome: «Решено»
    assert page.locator('input[name="outcome"]').first.is_checked()
    with page.expect_navigation():
        page.keyboard.press("s")
    assert t.OUTCOME_SAVED.format(outcome=t.OUTCOME["resolved"]) in page.content()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r".*/operator/(\?.*)?$"))
    shoot(page, "desk-queue-keyboard")
    assert page.errors == []


def width_at_375(page, url: str) -> int:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(url)
    page.wait_for_load_state()
    return page.evaluate("document.documentElement.scrollWidth")


def test_every_page_fits_a_phone(page, live_server):
    """375 px: nothing scrolls sideways (document.documentElement.scrollWidth ≤ 375)."""
    from datetime import timedelta

    from sqlalchemy import select

    from callbacks.models import Callback
    from core import clock
    from core.extensions import db
    from core.models import Organization

    ticket_id = leave_message(live_server, live_server.test_client(), when=None)
    with live_server.app_context():
        callback = db.session.scalars(select(Callback)).one()
        callback.planned_at = clock.now() - timedelta(minutes=2)
        db.session.commit()
        callback_id = callback.id
        slug = db.session.scalars(select(Organization.slug).order_by(Organization.id)).first()
    widths = {"public": width_at_375(page, f"{live_server.url}/s/{slug}/")}
    sign_in(page, live_server, "operator")
    for name, path in (("queue", "/operator/"), ("card", f"/operator/callbacks/{callback_id}"),
                       ("inbox", "/tickets/"), ("ticket", f"/tickets/{ticket_id}"),
                       ("search", "/tickets/search?q=журнал"), ("phone", "/phone/")):
        widths[name] = width_at_375(page, live_server.url + path)
        shoot(page, f"desk-375-{name}")
    assert {name: w for name, w in widths.items() if w > 375} == {}


@pytest.mark.parametrize("width", [375, 1280])
def test_the_embed_sizes_itself_to_its_content(page, live_server, width):
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Organization

    with live_server.app_context():
        slug = db.session.scalars(select(Organization.slug).order_by(Organization.id)).first()
    page.set_viewport_size({"width": width, "height": 800})
    # The school's site: the two lines the publication page gives to copy.
    page.route(f"{live_server.url}/school-site", lambda route: route.fulfill(
        content_type="text/html; charset=utf-8", body=host))
    host = (
        f'<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<body style="margin:0"><iframe src="{live_server.url}/s/{slug}/embed" '
        f'data-helpline-schedule style="width: 100%; height: 600px; border: 0"></iframe>'
        f'<script src="{live_server.url}/static/embed.js"></script></body>')
    # A stand-in for the school's site, served by Playwright (Chromium keeps pages of other
    # hosts from loading from 127.0.0.1 at all).
    page.goto(f"{live_server.url}/school-site")
    frame = page.frame_locator("iframe")
    frame.locator("#public-table").wait_for()

    def fits() -> bool:
        box = page.locator("iframe").bounding_box()
        inner = page.frames[1].evaluate("document.documentElement.scrollHeight")
        return box is not None and abs(box["height"] - inner) <= 2 and box["height"] != 600

    eventually(fits)
    assert page.frames[1].evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shoot(page, f"desk-embed-{width}")


def test_the_week_grid_keeps_its_words_inside_the_blocks(page, live_server):
    from datetime import time as clock_time

    from sqlalchemy import select

    from core.extensions import db
    from core.models import DutyKind, DutySlot, Organization, User

    with live_server.app_context():  # two duties side by side on Monday: narrow blocks
        org = db.session.scalars(select(Organization).order_by(Organization.id)).first()
        people = db.session.scalars(select(User).where(User.organization_id == org.id)).all()
        for person, kind in zip(people, (DutyKind.CONSULTATION, DutyKind.CALLBACKS), strict=False):
            db.session.add(DutySlot(organization_id=org.id, user_id=person.id, kind=kind,
                                    weekday=0, start=clock_time(15), end=clock_time(17)))
        db.session.commit()
    sign_in(page, live_server, "admin")
    page.goto(live_server.url + "/admin/schedule")
    spills = page.evaluate("""() => {
      const out = [];
      for (const link of document.querySelectorAll('.week__link')) {
        const rect = link.querySelector('rect').getBBox();
        for (const text of link.querySelectorAll('text')) {
          const box = text.getBBox();
          if (box.x + box.width > rect.x + rect.width + 0.5) out.push(text.textContent);
        }
      }
      return out;
    }""")
    assert spills == []
    assert page.locator("#slots-list button", has_text=t.SAVE).count() >= 1
    shoot(page, "desk-week-grid")
