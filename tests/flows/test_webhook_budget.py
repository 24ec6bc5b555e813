"""Each webhook step of a voice message has a fixed SQL budget (statements and commits).

The budgets are today's counts: a step that starts costing more fails here (an N+1, a
second commit, planner work that crept into the request) before it shows under load in
benchmarks/webhooks.py or benchmarks/region_day.py.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from core.extensions import db
from helpline.app import BUSY_TIMEOUT_MS
from tests.conftest import TwilioCaller, parse

MSK = ZoneInfo("Europe/Moscow")
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=MSK)
MONDAY_1330 = datetime(2026, 11, 30, 13, 30, tzinfo=MSK)  # the demo school's consultation
RECORDING = "RE" + "5" * 32
URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/" + RECORDING


class Cost:
    """Statements and commits; the per-transaction timeouts (PostgreSQL's set_config, SQLite's
    PRAGMA busy_timeout) are the database's settings, not the step's work."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, _conn, _cursor, statement, *_args) -> None:
        if not statement.startswith(("SELECT set_config(", "SELECT current_setting(",
                                     "PRAGMA")):
            self.statements.append(statement)

    def _commit(self, _conn) -> None:
        self.commits += 1

    def __enter__(self) -> Cost:
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "commit", self._commit)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(Engine, "before_cursor_execute", self._statement)
        event.remove(Engine, "commit", self._commit)


def message_call(client, number: str) -> dict[str, tuple[int, int, str]]:
    """One out-of-hours message, step by step: {step: (statements, commits, report)}."""
    caller = TwilioCaller(client, from_=number)
    steps = [
        ("voice", "/ivr/voice", {}),
        ("role", "/ivr/role", {"Digits": "1"}),
        ("topic", "/ivr/topic?role=parent", {"Digits": "2"}),
        ("recorded", "/ivr/recorded", {"RecordingUrl": URL, "RecordingDuration": "9",
                                       "Digits": "#"}),
        ("recording-status", "/ivr/recording-status",
         {"RecordingSid": RECORDING[:-len(number[-6:])] + number[-6:], "RecordingUrl": URL,
          "RecordingStatus": "completed", "RecordingDuration": "9"}),
        ("status", "/ivr/status", {"CallStatus": "completed", "CallDuration": "40"}),
    ]
    costs = {}
    for name, path, form in steps:
        with Cost() as cost:
            response = caller.post(path, **form)
        assert response.status_code in (200, 204), (name, response.status_code)
        if response.status_code == 200:
            parse(response)
        costs[name] = (len(cost.statements), cost.commits,
                       "\n".join(s[:140] for s in cost.statements))
    return costs


# step: (statements, commits) at most, measured with the demo schools on SQLite and
# PostgreSQL (the same counts on both).
BUDGET = {
    "voice": (3, 1),
    "role": (2, 1),
    "topic": (2, 1),
    "recorded": (8, 1),
    "recording-status": (3, 1),
    "status": (2, 1),
}


@pytest.mark.parametrize("step", list(BUDGET))
def test_each_step_of_a_message_stays_within_its_sql_budget(client, demo, step):
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        message_call(client, "+79160000101")  # warms the caches a running node has
        costs = message_call(client, "+79160000102")
    statements, commits, report = costs[step]
    most_statements, most_commits = BUDGET[step]
    assert statements <= most_statements and commits <= most_commits, (
        f"{step}: {statements} statements (budget {most_statements}), {commits} commits "
        f"(budget {most_commits}):\n{report}")


def test_the_topic_step_that_rings_a_consultant_commits_once(client, demo):
    with time_machine.travel(MONDAY_1330, tick=False):
        for number in ("+79160000103", "+79160000104"):  # the first warms the caches
            caller = TwilioCaller(client, from_=number)
            parse(caller.post("/ivr/voice"))
            parse(caller.post("/ivr/role", Digits="1"))
            with Cost() as cost:
                root = parse(caller.post("/ivr/topic?role=parent", Digits="2"))
    assert root.find("Dial") is not None
    assert cost.commits == 1 and len(cost.statements) <= 9, cost.statements


def _timeouts() -> tuple:
    """The waits in force on the connection of the session's transaction (opening one)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        return (connection.exec_driver_sql("PRAGMA busy_timeout").scalar(),)
    return tuple(connection.exec_driver_sql(
        "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')").one())


def test_webhooks_wait_briefly_and_pages_get_the_default_waits_back(app):
    """The timeouts are set per connection only when they change, and set again after a
    rollback undid them (PostgreSQL's set_config is transactional)."""
    app.config.update(WEBHOOK_DB_TIMEOUT=2, WEBHOOK_STATEMENT_TIMEOUT=5)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        usual, brief = (BUSY_TIMEOUT_MS,), (2000,)
    else:
        fresh = create_engine(url, poolclass=NullPool)
        with fresh.connect() as connection:  # the server's own, on a connection of nobody's
            usual = tuple(connection.exec_driver_sql(
                "SELECT current_setting('lock_timeout'),"
                " current_setting('statement_timeout')").one())
        fresh.dispose()
        brief = ("2s", "5s")
    assert usual != brief
    sent: list[str] = []

    def watch(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith(("SELECT set_config(", "PRAGMA busy_timeout=")):
            sent.append(statement)

    event.listen(Engine, "before_cursor_execute", watch)
    seen = []
    try:
        def transaction(webhook: bool, end) -> tuple:
            with app.test_request_context("/ivr/voice" if webhook else "/operator/"):
                g.twilio_webhook = webhook
                found = _timeouts()
                seen.append(db.session.connection().connection.dbapi_connection)
                end()
                db.session.remove()
            return found

        assert transaction(False, db.session.commit) == usual
        assert transaction(True, db.session.rollback) == brief
        assert transaction(True, db.session.commit) == brief  # set again after the rollback
        before = len(sent)
        assert transaction(True, db.session.commit) == brief
        assert len(sent) == before, "a webhook after a webhook sets nothing"
        assert transaction(False, db.session.commit) == usual
        assert transaction(False, db.session.commit) == usual
        assert len(sent) == before + 1, "a page after a page sets nothing"
    finally:
        event.remove(Engine, "before_cursor_execute", watch)
    assert all(connection is seen[0] for connection in seen), "one pooled connection"
