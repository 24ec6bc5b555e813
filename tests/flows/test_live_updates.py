"""Live updates: the short server-sent event stream of the queue and the inbox."""

import json

import pytest
from sqlalchemy import event

from core import clock
from core.extensions import db
from core.models import Organization
from helpline import live
from tests.browser.support import leave_message, login


@pytest.fixture
def app_config(app_config):
    # One snapshot, a few idle ticks, then the stream ends (the browser reconnects).
    return {**app_config, "LIVE_TICK_SECONDS": 0.05, "LIVE_STREAM_SECONDS": 1.0,
            "LIVE_RETRY_MS": 1500}


def events_of(body: str) -> list[dict]:
    found = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line
                     and not line.startswith(":"))
        if lines.get("event") == "snapshot":
            found.append(json.loads(lines["data"]))
    return found


def test_the_stream_says_what_changed_and_ends_with_a_retry(app, client, demo):
    worker = app.test_client()
    login(worker, "consultant")
    response = worker.get("/live/events")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)  # it ends by itself: no worker held forever
    assert body.startswith("retry: 1500\n\n")
    [first] = events_of(body)  # one snapshot; the unchanged ticks are comments
    assert first["new"] == 0 and ": idle" in body
    leave_message(app, client)
    [second] = events_of(worker.get("/live/events").get_data(as_text=True))
    assert second["new"] == 1 and second["latest"] > first["latest"]
    assert second["version"] != first["version"]


def test_the_stream_needs_a_signed_in_worker(client, demo):
    assert client.get("/live/events").status_code in (302, 401)


def test_a_snapshot_is_one_query(app, client, demo):
    leave_message(app, client)
    statements = []
    with app.app_context():
        org = db.session.query(Organization).order_by(Organization.id).first()
        org_id = org.id
        db.session.remove()
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        data = live.snapshot(org_id, clock.now())
    # One query (a connection's own set-up, such as SQLite's PRAGMA, is not a query).
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 1
    assert all(q.lstrip().upper().startswith(("SELECT", "PRAGMA")) for q in statements)
    assert data["new"] == 1 and data["active"] == 1  # the message and its planned callback
