"""Each workspace page costs a fixed number of SQL statements, however long the history.

A page is fetched over a small history and again after five times as many tickets: the
statement count must not change (an N+1 query adds statements per row) and stays within
the issue's budget of 20. Timing with 10,000 tickets is in benchmarks/pages.py.
"""

from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import select

from benchmarks.history import seed
from callbacks.models import Callback, CallbackStatus
from core import service as org_service
from core.extensions import db
from tests.browser.support import MONDAY_0905, login
from tests.conftest import SCHOOL_NUMBER

BUDGET = 20  # statements per page (issue 13)
PAGES = {
    "operator": ["/operator/?tab=due", "/operator/?tab=later", "/operator/?tab=tomorrow",
                 "/operator/?tab=planned", "/operator/?tab=overdue",
                 "/operator/?tab=active", "/operator/?tab=done", "/operator/queue-fragment",
                 "/operator/?tab=due&page=2", "/operator/callbacks/{callback}"],
    "consultant": ["/tickets/?tab=new", "/tickets/?tab=in_progress", "/tickets/?tab=overdue",
                   "/tickets/?tab=closed", "/tickets/?tab=new&page=2", "/tickets/{ticket}"],
}


@pytest.fixture
def history(app, demo):
    """Monday morning in the Moscow school, with a history that can be made longer."""
    with time_machine.travel(MONDAY_0905, tick=False):
        with app.app_context():
            school = org_service.find_by_number(SCHOOL_NUMBER)

            def grow(count: int) -> None:
                with app.app_context():
                    seed(db.session.merge(school), count, MONDAY_0905)

            yield grow


def costs(client, statements, role: str, ids: dict) -> dict[str, int]:
    found = {}
    for page in PAGES[role]:
        url = page.format(**ids)
        # The history fixture keeps an app context open, so requests would share one session:
        # start each page with an empty identity map, as a real request does.
        db.session.remove()
        with statements:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        found[url] = len(statements)
    return found


def first_ids(app) -> dict:
    with app.app_context():
        callback = db.session.scalars(
            select(Callback).where(Callback.status == CallbackStatus.PLANNED)
            .order_by(Callback.id)).first()
        return {"callback": callback.id, "ticket": callback.ticket_id}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_workspace_pages_do_not_grow_with_history(app, history, statements, role):
    history(300)  # more than one page (50 rows) in the due and new tabs
    ids = first_ids(app)
    client = app.test_client()
    login(client, role)
    small = costs(client, statements, role, ids)
    history(1200)
    large = costs(client, statements, role, ids)
    assert large == small, "a page's statements grew with the history (an N+1 is back)"
    over = {url: n for url, n in large.items() if n > BUDGET}
    assert not over, f"pages over {BUDGET} statements: {over}"


def test_the_queue_pages_through_every_due_callback(app, history):
    history(300)  # 60 due now in the Moscow school: two pages of 50
    client = app.test_client()
    login(client, "operator")
    seen = []
    html = client.get("/operator/?tab=due").get_data(as_text=True)
    assert re.search(r'data-count="due">60<', html)
    for page in (1, 2):
        html = client.get(f"/operator/?tab=due&page={page}").get_data(as_text=True)
        seen += re.findall(r'href="/operator/callbacks/(\d+)"', html)
    assert len(seen) == len(set(seen)) == 60
    assert 'rel="next"' not in html and 'rel="prev"' in html
    assert client.get("/operator/?tab=due&page=0").status_code == 400
    assert client.get("/operator/?tab=due&page=abc").status_code == 400


def test_the_inbox_reaches_its_201st_ticket(app, history):
    history(500)  # 200 new tickets: the old inbox stopped at 200 rows
    client = app.test_client()
    login(client, "consultant")
    seen = []
    for page in range(1, 6):
        html = client.get(f"/tickets/?tab=new&page={page}").get_data(as_text=True)
        seen += re.findall(r'href="/tickets/(\d+)"', html)
    assert len(set(seen)) == 200
    assert client.get("/tickets/?tab=new&page=%C2%B2").status_code == 400  # «²»
