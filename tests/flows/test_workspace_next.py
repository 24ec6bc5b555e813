"""«Следующий звонок» (the N key, and a plain link without JavaScript)."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from callbacks.models import Callback
from core import ui_text as t
from core.extensions import db
from tests.browser.support import MONDAY_0905, SATURDAY_NIGHT, leave_message, login


def test_next_goes_through_the_due_callbacks_in_order(app, client, demo):
    leave_message(app, client)
    leave_message(app, client, from_="+79031112233")
    with app.app_context():
        callbacks = db.session.scalars(select(Callback).order_by(Callback.id)).all()
        for callback in callbacks:  # both due at 9:03
            callback.planned_at = MONDAY_0905 - timedelta(minutes=2)
        db.session.commit()
        first, second = (c.id for c in callbacks)
    with time_machine.travel(MONDAY_0905, tick=True):
        operator = app.test_client()
        login(operator, "operator")
        html = operator.get("/operator/").get_data(as_text=True)
        assert 'id="keys-hint"' in html and "<kbd>N</kbd>" in html
        assert operator.get("/operator/next").headers["Location"].endswith(
            f"/operator/callbacks/{first}")
        assert operator.get(f"/operator/next?after={first}").headers["Location"].endswith(
            f"/operator/callbacks/{second}")
        assert operator.get(f"/operator/next?after={second}").headers["Location"].endswith(
            f"/operator/callbacks/{first}")
        card = operator.get(f"/operator/callbacks/{first}").get_data(as_text=True)
        assert f'data-next-url="/operator/next?after={first}"' in card
        assert "data-key-call" in card and "data-key-outcome" in card
    with time_machine.travel(SATURDAY_NIGHT, tick=True):  # nothing is due yet
        operator = app.test_client()
        login(operator, "operator")
        response = operator.get("/operator/next?after=abc", follow_redirects=True)
        assert response.status_code == 200 and t.NEXT_NONE in response.get_data(as_text=True)
