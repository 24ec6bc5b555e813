"""Giving a ticket or a callback to a colleague, and the «мои» / «все» filters."""

import re

import time_machine
from sqlalchemy import select

from callbacks import service as callbacks
from callbacks.models import Callback
from core import ui_text as t
from core.extensions import db
from core.models import AuditEvent, Organization, User, UserRole
from tests.browser.support import MONDAY_0905, leave_message, login
from tickets.models import Ticket


def post(client, path, **data):
    return client.post(path, data={"csrf_token": client.token, **data})


def signed_in(app, username):
    client = app.test_client()
    client.token = login(client, username)
    return client


def user(app, username) -> User:
    with app.app_context():
        found = db.session.scalars(select(User).where(User.username == username)).one()
        db.session.expunge(found)
        return found


def add_colleague(app, username, roles, org_slug=None) -> User:
    with app.app_context():
        org = (db.session.scalars(select(Organization).where(Organization.slug == org_slug)).one()
               if org_slug else db.session.scalars(select(Organization).order_by(Organization.id)).first())
        person = User(organization_id=org.id, username=username, name=f"Коллега {username}",
                      roles=roles, phone="+79990000150")
        person.set_password("demo-password")
        db.session.add(person)
        db.session.commit()
        db.session.refresh(person)
        db.session.expunge(person)
        return person


def inbox_ids(client, **args) -> set[int]:
    html = client.get("/tickets/", query_string=args).get_data(as_text=True)
    return {int(n) for n in re.findall(r'href="/tickets/(\d+)"', html)}


def test_a_ticket_is_given_to_a_colleague_and_shows_under_theirs(app, client, demo):
    first = leave_message(app, client)
    second = leave_message(app, client, from_="+79031112233")
    colleague = add_colleague(app, "colleague_c", [UserRole.CONSULTANT.value])
    me = signed_in(app, "consultant")
    page = me.get(f"/tickets/{first}").get_data(as_text=True)
    assert t.ASSIGN in page and f'value="{colleague.id}"' in page
    response = post(me, f"/tickets/{first}/assign", assignee=str(colleague.id))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Ticket, first).assignee_id == colleague.id
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "ticket.assigned")).one()
        assert event.details["assignee_id"] == colleague.id
    theirs = signed_in(app, "colleague_c")
    assert inbox_ids(theirs, who="mine") == {first}
    assert inbox_ids(theirs, who="all") == {first, second}
    assert inbox_ids(me, who="mine") == set()
    html = theirs.get("/tickets/?who=mine").get_data(as_text=True)
    assert re.search(r'data-count="new">1<', html)  # counts follow the filter
    # The history names who it was given to.
    html = me.get(f"/tickets/{first}").get_data(as_text=True)
    assert "Передано коллеге" in html and "Коллега colleague_c" in html
    # Taken back: nobody's.
    assert post(me, f"/tickets/{first}/assign", assignee="").status_code == 302
    assert inbox_ids(theirs, who="mine") == set()


def test_a_ticket_cannot_go_to_someone_outside_the_school(app, client, demo):
    ticket_id = leave_message(app, client)
    stranger = add_colleague(app, "colleague_x", [UserRole.CONSULTANT.value], org_slug="tukalinsk")
    me = signed_in(app, "consultant")
    for value in (str(stranger.id), "999999", "abc", "1" * 40):
        response = post(me, f"/tickets/{ticket_id}/assign", assignee=value)
        assert response.status_code == 400, value
        assert t.ASSIGN_BAD in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).assignee_id is None


def test_a_callback_is_given_to_a_colleague_and_keeps_them_through_replans(app, client, demo):
    leave_message(app, client)
    colleague = add_colleague(app, "colleague_o", [UserRole.OPERATOR.value])
    with time_machine.travel(MONDAY_0905, tick=True):
        operator = signed_in(app, "operator")
        with app.app_context():
            callback = db.session.scalars(select(Callback)).one()
        card = operator.get(f"/operator/callbacks/{callback.id}").get_data(as_text=True)
        assert f'value="{colleague.id}"' in card
        response = post(operator, f"/operator/callbacks/{callback.id}/assign",
                        assignee=str(colleague.id))
        assert response.status_code == 302
        with app.app_context():
            callback = db.session.get(Callback, callback.id)
            assert callback.assignee_id == callback.operator_id == colleague.id
            org = db.session.get(Organization, callback.organization_id)
            callbacks.replan(org, policy=policy())
            assert db.session.get(Callback, callback.id).operator_id == colleague.id
        theirs = signed_in(app, "colleague_o")
        mine = theirs.get("/operator/?who=mine").get_data(as_text=True)
        assert f'href="/operator/callbacks/{callback.id}"' in mine
        others = operator.get("/operator/?who=mine").get_data(as_text=True)
        assert f'href="/operator/callbacks/{callback.id}"' not in others
        every = operator.get("/operator/?who=all").get_data(as_text=True)
        assert f'href="/operator/callbacks/{callback.id}"' in every
        bad = post(operator, f"/operator/callbacks/{callback.id}/assign", assignee="x")
        assert bad.status_code == 400 and t.ASSIGN_BAD in bad.get_data(as_text=True)


def policy():
    """The application's callback policy, as the views and jobs pass it."""
    from core import settings

    return settings.current().callbacks
