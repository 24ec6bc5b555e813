"""The reports page, its charts and CSV, and the audit page, through the Flask client."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from core import ui_text as t
from core.extensions import db
from core.models import AuditEvent, User
from tests.flows.test_admin_settings import Admin, make_user
from tests.unit.test_reports import seed_november

DECEMBER_3 = date(2026, 12, 3)


@pytest.fixture
def seeded(app, demo) -> int:
    """The seeded November; no app context stays pushed (each request needs its own)."""
    with app.app_context():
        return seed_november().id


@pytest.fixture
def head(app, seeded):
    make_user(app, "head19", "sosh19", ["admin"], name="Ирина Павловна Соколова")
    with time_machine.travel("2026-12-03 10:00 +03:00", tick=False):
        yield Admin(app, "head19")


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_report_opens_on_last_month_with_its_figures(head):
    response = head.get("/admin/reports")
    assert response.status_code == 200
    page = text(response)
    assert t.REPORT_PERIOD.format(start="01.11.2026", end="30.11.2026") in page
    assert '<span class="stat__value" id="stat-calls">7</span>' in page
    # On 3 December ticket 5 (due 2 December, still open) is overdue too: 3 of 7 in time.
    assert '<span class="stat__value" id="stat-sla">42,9 %</span>' in page
    assert "<td>родитель или законный представитель</td><td>4</td>" in page
    assert "<td>оставлено сообщение</td><td>2</td><td>28,6 %</td>" in page
    for chart in ("days", "outcomes", "roles", "topics", "attempts"):
        assert f"/admin/reports/chart/{chart}.svg?from=2026-11-01&amp;to=2026-11-30" in page


def test_the_page_and_its_charts_build_the_report_once(app, head, monkeypatch):
    from helpline import reports
    from tickets.models import Call

    reports._cache.clear()
    builds = []
    real = reports.build
    monkeypatch.setattr(reports, "build", lambda *a, **k: builds.append(1) or real(*a, **k))
    query = "from=2026-11-01&to=2026-11-30"
    page = text(head.get(f"/admin/reports?{query}"))
    for chart in ("days", "outcomes", "roles", "topics", "attempts"):
        assert head.get(f"/admin/reports/chart/{chart}.svg?{query}").status_code == 200
    assert len(builds) == 1
    assert '<span class="stat__value" id="stat-calls">7</span>' in page
    # A new call of the period changes the data's version: the next view counts it.
    with app.app_context():
        first = db.session.scalars(select(Call).order_by(Call.id)).first()
        db.session.add(Call(call_sid="CA" + "9" * 32, organization_id=first.organization_id,
                            direction="inbound", started_at=first.started_at, state={}))
        db.session.commit()
    page = text(head.get(f"/admin/reports?{query}"))
    assert len(builds) == 2
    assert '<span class="stat__value" id="stat-calls">8</span>' in page


def test_the_reports_statements_do_not_grow_with_history(app, head, statements):
    from benchmarks.history import seed
    from core.models import Organization
    from helpline import reports

    def cost() -> int:
        reports._cache.clear()
        with statements:
            assert head.get("/admin/reports?from=2026-11-01&to=2026-11-30").status_code == 200
        return len(statements)

    with app.app_context():
        school = db.session.scalars(select(Organization).where(
            Organization.slug == "sosh19")).one()
    before = cost()
    with app.app_context():
        seed(db.session.merge(school), 400, reports_now())
    assert cost() == before


def reports_now():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(2026, 11, 29, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.mark.parametrize("chart", ["days", "roles", "topics", "outcomes", "attempts"])
def test_each_chart_is_an_svg_drawn_on_the_server(head, chart):
    response = head.get(f"/admin/reports/chart/{chart}.svg?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<?xml") and b"<svg" in response.data
    assert b"<script" not in response.data


def test_the_csv_opens_in_excel(head):
    response = head.get("/admin/reports/all.csv?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert 'filename="sosh19-all-20261101-20261130.csv"' in response.headers[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert ["02.11.2026", "2"] in rows and ["Решено в срок", "3"] in rows
    one = head.get("/admin/reports/overdue.csv?from=2026-11-01&to=2026-11-30")
    rows = list(csv.reader(io.StringIO(one.data.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["2", "3", "7", "5"]


def test_a_chosen_period(head):
    page = text(head.get("/admin/reports?from=2026-11-10&to=2026-11-10"))
    assert '<span class="stat__value" id="stat-calls">2</span>' in page


@pytest.mark.parametrize("query", ["from=2026-11-30&to=2026-11-01", "from=вчера&to=2026-11-01",
                                   "from=2024-01-01&to=2026-01-01", "from=2026-11-01"])
def test_a_bad_period_is_a_clear_400(head, query):
    response = head.get(f"/admin/reports?{query}")
    assert response.status_code == 400 and t.ERR_REPORT_PERIOD in text(response)
    assert head.get(f"/admin/reports/all.csv?{query}").status_code == 400
    assert head.get(f"/admin/reports/chart/days.svg?{query}").status_code == 400


def test_unknown_charts_and_sections_are_404(head):
    assert head.get("/admin/reports/chart/pie.svg").status_code == 404
    assert head.get("/admin/reports/secrets.csv").status_code == 404


def test_reports_are_for_admins_only(app, seeded):
    for username in ("operator", "consultant"):
        user = Admin(app, username)
        assert user.get("/admin/reports").status_code == 403
        assert user.get("/admin/reports/all.csv").status_code == 403


# --- the audit page -------------------------------------------------------------------------------


@pytest.fixture
def history(app, seeded):
    """A listen and a change by the consultant, a change by the head, in December."""
    with app.app_context():
        consultant = db.session.scalars(select(User).where(User.username == "consultant")).one()
        from datetime import UTC, datetime

        for day, action, object_type, user in [
            (1, "recording.listen", "ticket", consultant),
            (2, "transcript.corrected", "ticket", consultant),
            (2, "slot.moved", "slot", None),
        ]:
            db.session.add(AuditEvent(
                organization_id=seeded, user_id=user.id if user else None,
                actor=user.username if user else "head19", action=action,
                object_type=object_type, object_id=5,
                at=datetime(2026, 12, day, 9, 0, tzinfo=UTC), details={"recording_id": 9}))
        db.session.commit()
        return consultant.id


def test_the_audit_page_lists_who_listened_or_changed_what(head, history):
    page = text(head.get("/admin/audit"))
    assert t.AUDIT_ACTION["recording.listen"] in page
    assert t.AUDIT_ACTION["transcript.corrected"] in page
    assert t.ADMIN_AUDIT_ACTION["slot.moved"] in page
    assert "Елена Викторовна Кузнецова" in page


@pytest.mark.parametrize(("query", "expected", "absent"), [
    ("action=recording.listen", ["Прослушана запись"], ["Расшифровка исправлена"]),
    ("user={consultant}", ["Прослушана запись", "Расшифровка исправлена"],
     ["Дежурство перенесено"]),
    ("from=2026-12-02&to=2026-12-02", ["Расшифровка исправлена", "Дежурство перенесено"],
     ["Прослушана запись"]),
    ("from=02.12.2026", ["Дежурство перенесено"], ["Прослушана запись"]),
])
def test_the_audit_page_filters(head, history, query, expected, absent):
    page = text(head.get("/admin/audit?" + query.format(consultant=history)))
    table = page.split('id="audit"')[1] if 'id="audit"' in page else ""
    for label in expected:
        assert label in table
    for label in absent:
        assert label not in table


def test_a_bad_audit_filter_is_a_400(head, history):
    response = head.get("/admin/audit?from=никогда")
    assert response.status_code == 400 and t.ERR_REPORT_PERIOD in text(response)
    assert head.get("/admin/audit?user=abc").status_code == 400
