"""The ticket's history and the audit log speak Russian: no raw codes, no ISO instants."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from callbacks.models import Callback
from core import ui_text as t
from core.extensions import db
from tests.browser.support import MONDAY_0905, leave_message, login
from tests.flows.test_admin_settings import Admin, make_user

REPO = Path(__file__).resolve().parents[2]
RAW = re.compile(r"\b(ticket|callback|transcript|recording|user)\.[a-z_]+\b|\d{4}-\d\d-\d\dT"
                 r"|planned_at|missed_call|voicemail|at_risk")


def audit_actions() -> set[str]:
    """Every action the code writes to the audit log (the first argument of audit() and
    audit_on_commit())."""
    found = set()
    for path in REPO.glob("*/**/*.py"):
        if {".venv", "tests"} & set(path.relative_to(REPO).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                    node.func, "id", None)) in ("audit", "audit_on_commit") and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def test_every_audited_action_has_a_russian_name():
    actions = audit_actions()
    assert {"ticket.opened", "callback.planned", "ticket.sla_escalated"} <= actions
    named = set(t.AUDIT_ACTION) | set(t.ADMIN_AUDIT_ACTION)
    assert sorted(actions - named) == []


@pytest.fixture
def ticket_id(app, client, demo):
    return leave_message(app, client)


def test_the_audit_log_shows_russian_words_and_local_times(app, ticket_id):
    make_user(app, "head19", "sosh19", ["admin"], name="Ирина Павловна Соколова")
    head = Admin(app, "head19")
    html = head.get("/admin/audit").get_data(as_text=True)
    table = html[html.index('id="audit"'):]
    assert "запланирован на: пн 30.11.2026, 09:00" in table
    assert "канал: голосовое сообщение" in table and "номер обращения: 1" in table
    assert "под угрозой срока: нет" in table
    assert not RAW.search(table), RAW.search(table)


def test_the_ticket_history_shows_the_plan_and_the_outcome_in_russian(app, ticket_id):
    with time_machine.travel(MONDAY_0905, tick=True):
        operator, consultant = app.test_client(), app.test_client()
        operator.token, consultant.token = login(operator, "operator"), login(
            consultant, "consultant")
        with app.app_context():
            callback_id = db.session.scalars(select(Callback.id)).one()
        card = f"/operator/callbacks/{callback_id}"
        assert operator.post(f"{card}/call", data={"csrf_token": operator.token}
                             ).status_code == 302
        assert operator.post(f"{card}/outcome", data={
            "csrf_token": operator.token, "outcome": "declined_incorrect_question"}
        ).status_code == 302
        html = consultant.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    history = " ".join(re.sub(r"<[^>]+>", " ", html[html.index('id="history"'):]).split())
    history = history.replace(" :", ":")
    assert f"{t.AUDIT_ACTION['callback.planned']}: на пн 30.11.2026, 09:00" in history
    assert f"{t.AUDIT_ACTION['callback.outcome']}: {t.CALLBACK_OUTCOME['declined']}" in history
    assert not RAW.search(history), RAW.search(history)
