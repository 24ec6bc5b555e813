"""Bad input to the pages is a 400 or 404 in Russian, never a 500 (issue 13, item 5)."""

import pytest

from core import ui_text as t
from tests.flows.test_admin_settings import Admin


@pytest.mark.parametrize("path", [
    "/admin/audit?action=%00",
    "/admin/audit?user=99999999999999999999",
    "/admin/audit?user=-1",
    "/admin/audit?from=0001-01-01",
    "/admin/audit?to=9999-12-31",
    "/admin/reports?from=0001-01-01&to=0001-01-31",
    "/admin/reports?from=9999-12-01&to=9999-12-31",
    "/admin/users/99999999999999999999",
    "/operator/?tab=%00",
    "/tickets/?tab=%01",
])
def test_the_five_500s_and_their_cousins_are_refused_in_russian(app, demo, path):
    response = Admin(app).get(path)
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 404), html
    assert t.ERROR_BAD_INPUT in html or t.ERR_REPORT_PERIOD in html or t.ERROR_404 in html


@pytest.mark.parametrize("path", ["/s/%00/", "/s/%00/print", "/s/sosh19%00/embed"])
def test_a_public_slug_with_a_nul_is_a_400_for_anyone(client, demo, path):
    response = client.get(path)
    assert response.status_code == 400
    assert t.ERROR_BAD_INPUT in response.get_data(as_text=True)


def test_a_valid_audit_filter_still_works(app, demo):
    response = Admin(app).get("/admin/audit?from=2026-01-01&to=2026-12-31&action=auth.login")
    assert response.status_code == 200


def test_a_form_field_with_a_nul_is_a_400_and_saves_nothing(app, demo):
    from sqlalchemy import select

    from core.extensions import db
    from core.models import User

    admin = Admin(app)
    response = admin.post("/admin/users", data={
        "username": "evil\x00", "name": "Зло", "roles": "operator", "password": "x" * 12,
    })
    assert response.status_code == 400
    assert t.ERROR_BAD_INPUT in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username.like("evil%"))) is None
