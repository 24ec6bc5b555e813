"""The settings pages through the Flask client: access, CSRF, bad input, every change audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import ui_text as t
from core.extensions import db
from core.models import (
    AuditEvent,
    CalendarOverride,
    DutyException,
    DutySlot,
    Organization,
    OrganizationPhone,
    Topic,
    User,
)
from tests.browser.support import PASSWORD, csrf_token, login
from tests.conftest import make_wav

PAGES = ["/admin/", "/admin/organization", "/admin/users", "/admin/schedule",
         "/admin/exceptions", "/admin/calendar", "/admin/topics", "/admin/prompts",
         "/admin/publication", "/admin/reports", "/admin/audit"]


def org_of(app, slug: str) -> Organization:
    with app.app_context():
        org = db.session.scalars(select(Organization).where(Organization.slug == slug)).one()
        db.session.expunge(org)
        return org


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audited(app, action: str) -> int:
    return count(app, AuditEvent, AuditEvent.action == action)


def make_user(app, username: str, slug: str | None, roles: list[str], **fields) -> int:
    with app.app_context():
        org_id = None
        if slug:
            org_id = db.session.scalars(select(Organization.id).where(
                Organization.slug == slug)).one()
        user = User(organization_id=org_id, username=username, name=fields.pop("name",
                    username.title()), roles=roles, **fields)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user.id


class Admin:
    """A signed-in client with its CSRF token."""

    def __init__(self, app, username="admin"):
        self.app = app
        self.client = app.test_client()
        self.token = login(self.client, username)

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, **kw):
        data = {"csrf_token": self.token, **(data or {})}
        return self.client.post(path, data=data, **kw)


@pytest.fixture
def admin(app, demo):
    return Admin(app)


@pytest.fixture
def head(app, demo):
    """The head of sosh19: a school admin, bound to their own school."""
    make_user(app, "head19", "sosh19", ["admin"], name="Ирина Павловна Соколова")
    return Admin(app, "head19")


def text(response) -> str:
    return response.get_data(as_text=True)


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_admin_page_asks_to_sign_in(client, demo, path):
    response = client.get(path)
    assert response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("username", ["operator", "consultant"])
@pytest.mark.parametrize("path", PAGES)
def test_operators_and_consultants_may_not(app, demo, username, path):
    assert Admin(app, username).get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_a_school_admin_sees_their_school(head, path):
    response = head.get(path)
    assert response.status_code == 200
    if path != "/admin/":
        assert "МАОУ СОШ № 19 (демо)" in text(response)


def test_an_admin_lands_on_the_settings(app, demo):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.location == "/admin/"


def test_a_school_admin_gets_404_for_another_schools_things(app, head):
    omsk = org_of(app, "tukalinsk")
    with app.app_context():
        their_user = db.session.scalars(select(User).where(User.username == "operator2")).one().id
        their_slot = db.session.scalars(select(DutySlot.id).where(
            DutySlot.organization_id == omsk.id)).first()
        their_topic = db.session.scalars(select(Topic.id).where(
            Topic.organization_id == omsk.id)).first()
    assert head.get(f"/admin/users/{their_user}").status_code == 404
    assert head.post(f"/admin/users/{their_user}/active", {"active": "0"}).status_code == 404
    assert head.post(f"/admin/users/{their_user}/password",
                     {"password": "another-secret"}).status_code == 404
    assert head.post(f"/admin/schedule/slots/{their_slot}/delete").status_code == 404
    assert head.post(f"/admin/schedule/slots/{their_slot}", {
        "user_id": their_user, "weekday": "0", "start": "10:00", "end": "11:00",
        "kind": "consultation"}).status_code == 404
    assert head.post(f"/admin/topics/{their_topic}", {"name": "x", "roles": "parent",
                                                      "position": "1"}).status_code == 404
    assert count(app, DutySlot, DutySlot.id == their_slot) == 1


def test_a_school_admin_may_not_add_schools_or_switch(head):
    assert head.get("/admin/organizations/new").status_code == 403
    assert head.post("/admin/organizations/new", {"name": "x"}).status_code == 403
    assert head.post("/organization", {"organization_id": "2"}).status_code == 403


def test_a_regional_admin_works_on_the_chosen_school(app, admin):
    omsk = org_of(app, "tukalinsk")
    assert "Гимназия г. Тюкалинска" not in text(admin.get("/admin/schedule")).split(
        "<main")[1].split("</h1>")[0]
    response = admin.post("/organization", {"organization_id": omsk.id,
                                            "next": "/admin/schedule"})
    assert response.location == "/admin/schedule"
    assert "Омск" in text(admin.get("/admin/schedule"))
    assert 'name="next" value="/admin/schedule"' in text(admin.get("/admin/schedule"))


def test_a_post_without_the_csrf_token_changes_nothing(app, admin):
    response = admin.client.post("/admin/organization", data={"name": "Взлом"})
    assert response.status_code == 400 and t.ERROR_CSRF in text(response)
    assert org_of(app, "sosh19").name == "МАОУ СОШ № 19 (демо)"


# --- the organization ----------------------------------------------------------------------------


def org_form(org: Organization, **changes) -> dict:
    form = {
        "name": org.name, "short_name": org.short_name, "slug": org.slug,
        "timezone": org.timezone, "numbers": "\n".join(p for p in ["+7 495 000-00-19"]),
        "contact_phone": "+7 495 000-00-19", "contact_email": org.contact_email or "",
        "head_name": "", "journal_system": org.journal_system, "vendor_name": org.vendor_name,
        "vendor_phones": "8 804 333-84-85", "vendor_phone_note": org.vendor_phone_note,
        "vendor_email": org.vendor_email or "", "vendor_timezone": org.vendor_timezone,
        "vendor_days_0": ["0", "1", "2", "3", "4"], "vendor_start_0": "09:00",
        "vendor_end_0": "18:00", "vendor_working_days_only": "1", "sla_working_days": "2",
        "training_deadline_days": "5", "callback_mode": "auto",
        "callback_capacity_per_hour": "6", "retention_days": "90",
    }
    form.update(changes)
    return form


def test_the_organization_form_saves_and_audits(app, admin):
    org = org_of(app, "sosh19")
    response = admin.post("/admin/organization", org_form(
        org, name="МАОУ СОШ № 19", head_name="И. П. Соколова", sla_working_days="3",
        numbers="+7 495 000-00-19\n8 (495) 000-00-20", retention_days="30",
        retention_delete_transcripts="1", vendor_days_1=["5"], vendor_start_1="10:00",
        vendor_end_1="14:00"))
    assert response.status_code == 302
    with app.app_context():
        org = db.session.get(Organization, org.id)
        assert (org.name, org.head_name, org.sla_working_days, org.retention_days) == (
            "МАОУ СОШ № 19", "И. П. Соколова", 3, 30)
        assert org.retention_delete_transcripts is True
        assert [p.number for p in org.phones] == ["+74950000019", "+74950000020"]
        assert org.vendor_phones == ["+78043338485"]
        assert org.vendor_hours == [
            {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"},
            {"weekdays": [5], "start": "10:00", "end": "14:00"}]
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "org.updated")).one()
        assert event.actor == "admin" and "sla_working_days" in event.details["fields"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, t.ERR_REQUIRED.format(field=t.ORG_NAME)),
    ({"timezone": "Mars/Olympus"}, t.ERR_TIMEZONE.format(value="Mars/Olympus")),
    ({"vendor_timezone": ""}, t.ERR_TIMEZONE.format(value="")),
    ({"numbers": "12345"}, t.ERR_PHONE.format(value="12345")),
    ({"numbers": "+73817600002"}, t.ERR_PHONE_TAKEN.format(value="+7 381 760-00-02")),
    ({"numbers": "+74950000019\n8 495 000 00 19"},
     t.ERR_PHONE_TWICE.format(value="+7 495 000-00-19")),
    ({"contact_email": "not-an-address"}, t.ERR_EMAIL.format(value="not-an-address")),
    ({"slug": "Школа 19"}, t.ERR_SLUG),
    ({"slug": "tukalinsk"}, t.ERR_SLUG_TAKEN.format(value="tukalinsk")),
    ({"sla_working_days": "0"}, t.ERR_NUMBER.format(field=t.ORG_SLA, low=1, high=30)),
    ({"retention_days": "много"}, t.ERR_NUMBER.format(field=t.ORG_RETENTION, low=1,
                                                       high=3650)),
    ({"callback_mode": "sometimes"}, t.ERR_CHOICE.format(field=t.ORG_CALLBACK_MODE)),
    ({"vendor_end_0": "08:00"}, t.ERR_VENDOR_HOURS.format(
        row=1, problem=t.ERR_EMPTY_SLOT.format(start="9:00", end="8:00"))),
    ({"vendor_days_0": []}, t.ERR_VENDOR_HOURS.format(row=1, problem=t.ERR_NO_WEEKDAYS)),
    ({"vendor_start_0": "25:00"}, t.ERR_VENDOR_HOURS.format(
        row=1, problem=t.ERR_TIME.format(value="25:00"))),
])
def test_bad_organization_input_is_a_400_and_changes_nothing(app, admin, changes, message):
    org = org_of(app, "sosh19")
    response = admin.post("/admin/organization", org_form(org, **changes, head_name="Новое"))
    assert response.status_code == 400
    assert message in text(response)
    with app.app_context():
        again = db.session.get(Organization, org.id)
        assert again.head_name == "" and again.sla_working_days == 2
        assert [p.number for p in again.phones] == ["+74950000019"]
    assert audited(app, "org.updated") == 0


# --- users ---------------------------------------------------------------------------------------


def test_users_are_created_edited_deactivated_and_given_a_new_password(app, head):
    response = head.post("/admin/users", {
        "name": "Мария Ивановна Петрова", "username": "petrova", "phone": "8 916 555-44-33",
        "email": "petrova@example.ru", "roles": ["consultant", "operator"],
        "password": "long-enough-1"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "petrova")).one()
        assert user.organization_id == org_of(app, "sosh19").id
        assert (user.phone, user.roles) == ("+79165554433", ["operator", "consultant"])
        user_id = user.id
    assert "Мария Ивановна Петрова" in text(head.get("/admin/users"))
    assert head.post(f"/admin/users/{user_id}", {
        "name": "Мария Петрова", "phone": "", "email": "", "roles": ["consultant"]}
    ).status_code == 302
    assert head.post(f"/admin/users/{user_id}/password",
                     {"password": "brand-new-secret"}).status_code == 302
    fresh = app.test_client()
    token = csrf_token(fresh.get("/login").get_data(as_text=True))
    assert fresh.post("/login", data={"username": "petrova", "password": "brand-new-secret",
                                      "csrf_token": token}).status_code == 302
    assert head.post(f"/admin/users/{user_id}/active", {"active": "0"}).status_code == 302
    told = text(head.get(f"/admin/users/{user_id}"))
    # Gender-neutral: no «отключён: войти он не сможет» about a woman.
    assert t.USER_DEACTIVATED.format(name="Мария Петрова") in told
    assert " он " not in t.USER_DEACTIVATED and " она " not in t.USER_DEACTIVATED
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.name, user.phone, user.roles, user.active) == (
            "Мария Петрова", None, ["consultant"], False)
    assert fresh.get("/tickets/").status_code == 302  # signed out: inactive users are not loaded
    assert head.post(f"/admin/users/{user_id}/active", {"active": "1"}).status_code == 302
    for action in ("user.created", "user.updated", "user.password_reset", "user.deactivated",
                   "user.activated"):
        assert audited(app, action) == 1, action


@pytest.mark.parametrize(("changes", "message"), [
    ({"username": "operator"}, t.ERR_USERNAME_TAKEN.format(value="operator")),
    ({"username": "Пётр"}, t.ERR_USERNAME),
    ({"name": ""}, t.ERR_REQUIRED.format(field=t.USER_NAME)),
    ({"roles": []}, t.ERR_NO_ROLES),
    ({"roles": ["superuser"]}, t.ERR_CHOICE.format(field=t.USER_ROLES)),
    ({"password": "short"}, t.ERR_PASSWORD_SHORT.format(min=8)),
    ({"phone": "12"}, t.ERR_PHONE.format(value="12")),
])
def test_bad_user_input_is_a_400_and_nobody_is_created(app, head, changes, message):
    form = {"name": "Новый", "username": "newbie", "roles": ["operator"],
            "password": "long-enough-1", **changes}
    response = head.post("/admin/users", form)
    assert response.status_code == 400 and message in text(response)
    assert count(app, User, User.username.in_(["newbie", "Пётр"])) == 0
    assert audited(app, "user.created") == 0


def test_an_admin_cannot_lock_themselves_out(app, head):
    with app.app_context():
        me = db.session.scalars(select(User).where(User.username == "head19")).one().id
    response = head.post(f"/admin/users/{me}/active", {"active": "0"})
    assert response.status_code == 400 and t.ERR_SELF_DEACTIVATE in text(response)
    response = head.post(f"/admin/users/{me}", {"name": "Я", "roles": ["operator"]})
    assert response.status_code == 400 and t.ERR_SELF_ADMIN in text(response)
    with app.app_context():
        assert db.session.get(User, me).active is True


# --- the schedule --------------------------------------------------------------------------------


def consultant_id(app, username="consultant") -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.username == username)).one()


def slots_of(app, user_id: int) -> list[tuple]:
    with app.app_context():
        return [(s.weekday, s.start.strftime("%H:%M"), s.end.strftime("%H:%M"), str(s.kind))
                for s in db.session.scalars(select(DutySlot).where(
                    DutySlot.user_id == user_id).order_by(DutySlot.weekday, DutySlot.start))]


def test_slots_are_added_moved_and_removed(app, head):
    who = consultant_id(app)
    before = slots_of(app, who)
    response = head.post("/admin/schedule/slots", {
        "user_id": who, "kind": "consultation", "weekdays": ["5"], "start": "10:00",
        "end": "12:00", "topics": ["grades"]})
    assert response.status_code == 302
    assert "сб 10:00–12:00" in text(head.get("/admin/schedule"))
    with app.app_context():
        slot = db.session.scalars(select(DutySlot).where(DutySlot.weekday == 5)).one()
        assert slot.topics == ["grades"]
        slot_id = slot.id
    response = head.post(f"/admin/schedule/slots/{slot_id}", {
        "user_id": who, "kind": "consultation", "weekday": "6", "start": "11:00",
        "end": "12:30"})
    assert response.status_code == 302
    assert (6, "11:00", "12:30", "consultation") in slots_of(app, who)
    assert head.post(f"/admin/schedule/slots/{slot_id}/delete").status_code == 302
    assert slots_of(app, who) == before
    for action in ("slot.added", "slot.moved", "slot.removed"):
        assert audited(app, action) == 1


@pytest.mark.parametrize(("form", "message"), [
    ({"start": "15:00", "end": "13:00"}, t.ERR_EMPTY_SLOT.format(start="15:00", end="13:00")),
    ({"start": "13:00", "end": "13:00"}, t.ERR_EMPTY_SLOT.format(start="13:00", end="13:00")),
    ({"start": "14:00", "end": "16:00"}, "пересекаются: понедельник 14:00–16:00 и уже есть "
                                         "13:00–15:00 (консультации)"),
    ({"weekdays": []}, t.ERR_NO_WEEKDAYS),
    ({"start": "", "end": "16:00"}, t.ERR_TIME.format(value="")),
    ({"start": "9.75", "end": "16:00"}, t.ERR_TIME.format(value="9.75")),
    ({"kind": "sleeping"}, t.ERR_CHOICE.format(field=t.SLOT_KIND)),
    ({"user_id": "abc"}, t.ERR_SLOT_USER),
    ({"topics": ["astrology"]}, t.ERR_CHOICE.format(field=t.SLOT_TOPICS)),
])
def test_overlapping_or_empty_slots_are_explained_and_not_saved(app, head, form, message):
    who = consultant_id(app)
    before = slots_of(app, who)
    data = {"user_id": who, "kind": "consultation", "weekdays": ["0", "5"],
            "start": "16:00", "end": "17:00", **form}
    response = head.post("/admin/schedule/slots", data)
    assert response.status_code == 400
    assert message in text(response)
    assert slots_of(app, who) == before
    assert audited(app, "slot.added") == 0


def test_another_schools_user_cannot_be_put_on_duty(app, head):
    response = head.post("/admin/schedule/slots", {
        "user_id": consultant_id(app, "consultant2"), "kind": "consultation",
        "weekdays": ["0"], "start": "16:00", "end": "17:00"})
    assert response.status_code == 400 and t.ERR_SLOT_USER in text(response)


def test_moving_onto_another_slot_of_the_same_person_is_refused(app, head):
    who = consultant_id(app)
    with app.app_context():
        monday = db.session.scalars(select(DutySlot).where(
            DutySlot.user_id == who, DutySlot.weekday == 0)).one().id
    response = head.post(f"/admin/schedule/slots/{monday}", {
        "user_id": who, "kind": "consultation", "weekday": "1", "start": "14:00",
        "end": "15:30"})
    assert response.status_code == 400 and "пересекаются" in text(response)
    assert (0, "13:00", "15:00", "consultation") in slots_of(app, who)


def test_the_grid_warns_about_days_without_consultations(app, head):
    with app.app_context():
        db.session.query(DutySlot).filter(DutySlot.weekday == 3).delete()
        db.session.commit()
    html = text(head.get("/admin/schedule"))
    assert t.WARN_EMPTY_DAYS.format(days="четверг") in html
    assert 'id="week-grid"' in html and "slot-bar--consultation" in html


# --- dated exceptions and the calendar -----------------------------------------------------------


def test_a_leave_of_several_days_a_closed_day_and_extra_hours(app, head):
    who = consultant_id(app)
    assert head.post("/admin/exceptions", {"kind": "leave", "user_id": who,
                                           "first": "2026-12-07", "last": "2026-12-11",
                                           "note": "отпуск"}).status_code == 302
    assert head.post("/admin/exceptions", {"kind": "closed", "first": "14.12.2026",
                                           "note": "карантин"}).status_code == 302
    assert head.post("/admin/exceptions", {"kind": "extra", "user_id": who,
                                           "first": "2026-12-19", "start": "10:00",
                                           "end": "12:00"}).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(DutyException).order_by(DutyException.day)).all()
        assert [(r.day.day, str(r.kind)) for r in rows] == [
            (7, "leave"), (8, "leave"), (9, "leave"), (10, "leave"), (11, "leave"),
            (14, "closed"), (19, "extra")]
        extra_id = rows[-1].id
    assert head.post(f"/admin/exceptions/{extra_id}/delete").status_code == 302
    assert count(app, DutyException) == 6
    assert audited(app, "exception.added") == 3 and audited(app, "exception.removed") == 1


@pytest.mark.parametrize(("form", "message"), [
    ({"kind": "leave", "first": "2026-12-07"}, t.ERR_EXCEPTION_USER),
    ({"kind": "extra", "user_id": "{who}", "first": "2026-12-07"}, t.ERR_EXCEPTION_TIMES),
    ({"kind": "leave", "user_id": "{who}", "first": "2026-12-07", "start": "10:00"},
     t.ERR_EXCEPTION_BOTH),
    ({"kind": "extra", "user_id": "{who}", "first": "2026-12-07", "start": "12:00",
      "end": "10:00"}, t.ERR_EMPTY_SLOT.format(start="12:00", end="10:00")),
    ({"kind": "closed", "first": "2026-12-10", "last": "2026-12-01"}, t.ERR_DATE_RANGE),
    ({"kind": "closed", "first": "2026-01-01", "last": "2027-06-01"},
     t.ERR_RANGE_TOO_LONG.format(days=366)),
    ({"kind": "closed", "first": "31.02.2026"}, t.ERR_DATE.format(value="31.02.2026")),
    ({"kind": "holiday", "first": "2026-12-07"}, t.ERR_CHOICE.format(field=t.COL_KIND)),
])
def test_bad_exceptions_are_refused(app, head, form, message):
    who = str(consultant_id(app))
    form = {k: (v.replace("{who}", who) if isinstance(v, str) else v) for k, v in form.items()}
    response = head.post("/admin/exceptions", form)
    assert response.status_code == 400 and message in text(response)
    assert count(app, DutyException) == 0


def test_calendar_overrides(app, head):
    assert head.post("/admin/calendar", {"day": "2027-12-31", "working": "0",
                                         "note": "постановление № 1"}).status_code == 302
    assert head.post("/admin/calendar", {"day": "2027-12-31", "working": "1",
                                         "note": "передумали"}).status_code == 302
    with app.app_context():
        row = db.session.scalars(select(CalendarOverride)).one()
        assert (row.working, row.note) == (True, "передумали")
        row_id = row.id
    assert "31.12.2027" in text(head.get("/admin/calendar"))
    response = head.post("/admin/calendar", {"day": "завтра", "working": "1"})
    assert response.status_code == 400 and t.ERR_DATE.format(value="завтра") in text(response)
    assert head.post(f"/admin/calendar/{row_id}/delete").status_code == 302
    assert count(app, CalendarOverride) == 0
    assert audited(app, "calendar.set") == 2 and audited(app, "calendar.removed") == 1


def test_the_calendar_form_shows_all_its_errors_at_once_and_keeps_the_note(app, head):
    response = head.post("/admin/calendar", {"day": "31.02.2027", "working": "может быть",
                                             "note": "приказ № 7"})
    assert response.status_code == 400
    page = text(response)
    date_error = t.ERR_DATE.format(value="31.02.2027")
    choice_error = t.ERR_CHOICE.format(field=t.CALENDAR_WORKING)
    assert date_error in page and choice_error in page
    assert page.index(date_error) < page.index(choice_error)  # in the fields' order
    assert 'value="приказ № 7"' in page  # what was typed is still there
    assert count(app, CalendarOverride) == 0


# --- topics --------------------------------------------------------------------------------------


def test_topics_are_added_and_edited(app, head):
    response = head.post("/admin/topics", {"name": "Электронный дневник", "roles": ["parent"],
                                           "keywords": "дневник, Домашнее  задание,дневник",
                                           "position": "3", "active": "1"})
    assert response.status_code == 302
    with app.app_context():
        topic = db.session.scalars(select(Topic).where(Topic.name == "Электронный дневник")).one()
        assert topic.code == "elektronnyy_dnevnik"
        assert topic.keywords == ["дневник", "домашнее задание"]
        topic_id = topic.id
    response = head.post(f"/admin/topics/{topic_id}", {"name": "Дневник", "roles": ["parent",
                                                       "staff"], "keywords": "дневник",
                                                       "position": "4", "active": "1"})
    assert response.status_code == 302
    with app.app_context():
        topic = db.session.get(Topic, topic_id)
        assert (topic.name, topic.roles, topic.active) == ("Дневник", ["parent", "staff"], True)
    html = text(head.get("/admin/topics"))
    assert t.TOPIC_SERVED_BY in html and "Елена Викторовна Кузнецова" in html
    assert t.WARN_TOO_MANY_TOPICS.format(role="сотрудник школы") in html  # 9 staff topics + 1
    response = head.post("/admin/topics", {"name": "", "roles": ["parent"], "position": "1"})
    assert response.status_code == 400 and t.ERR_REQUIRED.format(field=t.TOPIC_NAME) in text(
        response)
    response = head.post("/admin/topics", {"name": "Ничья", "position": "1"})
    assert response.status_code == 400 and t.ERR_TOPIC_ROLES in text(response)
    assert audited(app, "topic.added") == 1 and audited(app, "topic.updated") == 1


# --- prompts -------------------------------------------------------------------------------------


def test_a_prompt_is_reworded_and_the_line_says_it(app, head, caller):
    response = head.post("/admin/prompts/GREETING", {
        "text": "Добрый день! Это линия помощи {school}. Мы рады вашему звонку."})
    assert response.status_code == 302
    from tests.conftest import parse, said

    root = parse(caller.post("/ivr/voice"))
    assert "Добрый день! Это линия помощи МАОУ СОШ № 19 (демо)." in said(root)
    assert head.post("/admin/prompts/GREETING/reset").status_code == 302
    root = parse(caller.post("/ivr/voice"))
    assert said(root).startswith("Здравствуйте!")
    assert audited(app, "prompt.text") == 1 and audited(app, "prompt.reset") == 1


@pytest.mark.parametrize(("key", "value", "message"), [
    ("GREETING", "Здравствуйте!", "должны остаться подстановки {school}"),
    ("GREETING", "Школа {school}, номер {number}", "должны остаться подстановки {school}"),
    ("GREETING", "Школа {school", t.ERR_PROMPT_BRACES.format()),
    ("RECORDED", "   ", t.ERR_PROMPT_EMPTY),
])
def test_a_prompt_that_would_break_the_call_is_refused(app, head, key, value, message):
    response = head.post(f"/admin/prompts/{key}", {"text": value})
    assert response.status_code == 400 and message in text(response)
    assert org_of(app, "sosh19").prompt_overrides == {}


def test_unknown_and_global_prompts_are_not_found(head):
    assert head.post("/admin/prompts/NOPE", {"text": "x"}).status_code == 404
    assert head.post("/admin/prompts/APOLOGY", {"text": "x"}).status_code == 404


def test_a_recorded_prompt_is_stored_served_and_played(app, head, caller):
    wav = make_wav(1.0)
    response = head.post("/admin/prompts/RECORDED/audio",
                         {"audio": (__import__("io").BytesIO(wav), "recorded.wav")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    entry = org_of(app, "sosh19").prompt_overrides["RECORDED"]
    assert entry["audio_url"].startswith("https://help.example.test/prompt-audio/")
    path = entry["audio_url"].removeprefix("https://help.example.test")
    served = app.test_client().get(path)  # no sign-in: Twilio fetches it
    assert served.status_code == 200 and served.data == wav and served.mimetype == "audio/wav"
    served.close()
    from tests.conftest import parse

    root = parse(caller.post("/ivr/voice"))
    assert [p.text for p in root.iter("Play")] == [entry["audio_url"]]
    html = text(head.get("/admin/prompts"))
    assert f'src="{path}"' in html  # the preview player
    assert head.post("/admin/prompts/RECORDED/reset").status_code == 302
    assert app.test_client().get(path).status_code == 404  # the file went with the override
    assert audited(app, "prompt.audio") == 1


@pytest.mark.parametrize(("key", "payload", "message"), [
    ("RECORDED", b"not audio at all", t.ERR_AUDIO_TYPE),
    ("RECORDED", b"", t.ERR_AUDIO_EMPTY),
    ("GREETING", b"RIFF\x00\x00\x00\x00WAVEfmt ", "запись для неё не используется"),
])
def test_bad_audio_is_refused(app, head, key, payload, message):
    import io

    response = head.post(f"/admin/prompts/{key}/audio", {"audio": (io.BytesIO(payload), "a.wav")},
                         content_type="multipart/form-data")
    assert response.status_code == 400 and message in text(response)
    assert org_of(app, "sosh19").prompt_overrides == {}


def test_too_large_audio_is_refused(app, head, monkeypatch):
    import io

    from helpline.admin import service as admin_service

    monkeypatch.setattr(admin_service, "AUDIO_MAX_BYTES", 1000)
    response = head.post("/admin/prompts/RECORDED/audio",
                         {"audio": (io.BytesIO(make_wav(1.0)), "a.wav")},
                         content_type="multipart/form-data")
    assert response.status_code == 400 and "слишком большой" in text(response)


def test_prompt_audio_names_cannot_escape(app, demo):
    client = app.test_client()
    for name in ("..%2F..%2Fsecret", ".hidden", "nothing.wav"):
        assert client.get(f"/prompt-audio/1/{name}").status_code == 404


# --- the home page and the checklist -------------------------------------------------------------


def test_the_home_page_lists_what_is_missing(app, head):
    html = text(head.get("/admin/"))
    assert t.CHECKLIST_DONE in html
    with app.app_context():
        db.session.query(OrganizationPhone).delete()
        db.session.commit()
    html = text(head.get("/admin/"))
    assert t.CHECKLIST["numbers"] in html


def test_the_audit_log_of_a_school_admin_shows_only_their_school(app, head):
    head.post("/admin/calendar", {"day": "2027-12-31", "working": "0"})
    other = Admin(app)  # the regional admin, working on the Omsk school
    other.post("/organization", {"organization_id": org_of(app, "tukalinsk").id})
    other.post("/admin/calendar", {"day": "2027-12-30", "working": "0"})
    html = text(head.get("/admin/audit"))
    assert "2027-12-31" in html and "2027-12-30" not in html
    html = text(head.get("/admin/audit?action=calendar.set"))
    assert re.search(r"Отмечен день календаря", html)


def test_a_form_shows_all_its_errors_at_once(app, admin, head):
    org = org_of(app, "sosh19")
    response = admin.post("/admin/organization", org_form(
        org, name="", contact_email="not-an-address", sla_working_days="0",
        timezone="Mars/Olympus", vendor_start_0="25:00"))
    assert response.status_code == 400
    page = text(response)
    for message in (t.ERR_REQUIRED.format(field=t.ORG_NAME),
                    t.ERR_EMAIL.format(value="not-an-address"),
                    t.ERR_NUMBER.format(field=t.ORG_SLA, low=1, high=30),
                    t.ERR_TIMEZONE.format(value="Mars/Olympus"),
                    t.ERR_VENDOR_HOURS.format(row=1, problem=t.ERR_TIME.format(value="25:00"))):
        assert message in page, message
    assert audited(app, "org.updated") == 0
    response = head.post("/admin/users", {"name": "", "username": "Пётр", "roles": [],
                                          "password": "short", "phone": "12"})
    assert response.status_code == 400
    page = text(response)
    for message in (t.ERR_REQUIRED.format(field=t.USER_NAME), t.ERR_USERNAME, t.ERR_NO_ROLES,
                    t.ERR_PASSWORD_SHORT.format(min=8), t.ERR_PHONE.format(value="12")):
        assert message in page, message
    assert count(app, User, User.username == "Пётр") == 0


def heading(response) -> str:
    return text(response).split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_the_regional_admins_school_is_kept_across_sign_ins(app, admin):
    omsk = org_of(app, "tukalinsk")
    assert admin.post("/organization", {"organization_id": omsk.id}).status_code == 302
    admin.post("/logout")
    again = Admin(app)  # signs in afresh: a new session
    assert omsk.name in heading(again.get("/admin/schedule"))
    with app.app_context():
        me = db.session.scalars(select(User).where(User.username == "admin")).one()
        assert me.chosen_organization_id == omsk.id


@pytest.mark.parametrize("path", PAGES)
def test_every_admin_heading_names_the_school(app, head, path):
    response = head.get(path)
    assert response.status_code == 200, path
    assert org_of(app, "sosh19").name in heading(response)


def test_the_slot_form_saves_with_sohranit(app, head):
    page = text(head.get("/admin/schedule"))
    slots = page.split('id="slots-list"', 1)[1]
    assert f">{t.SAVE}</button>" in slots and t.SLOT_MOVE not in slots


def test_the_slot_form_shows_all_its_errors_at_once(app, head):
    before = count(app, DutySlot)
    response = head.post("/admin/schedule/slots", {
        "user_id": "кто-то", "kind": "consultation", "start": "25:00", "end": "13:00"})
    assert response.status_code == 400
    page = text(response)
    for message in (t.ERR_NO_WEEKDAYS, t.ERR_SLOT_USER, t.ERR_TIME.format(value="25:00")):
        assert message in page, message
    # Both times valid but the wrong way round: the interval is the one problem left to say.
    response = head.post("/admin/schedule/slots", {
        "user_id": "кто-то", "kind": "consultation", "start": "15:00", "end": "13:00",
        "weekdays": ["0"]})
    page = text(response)
    assert t.ERR_SLOT_USER in page and t.ERR_EMPTY_SLOT.format(start="15:00", end="13:00") in page
    assert count(app, DutySlot) == before


def test_the_topic_and_leave_forms_show_all_their_errors_at_once(app, head):
    response = head.post("/admin/topics", {"name": "", "roles": [], "position": "500"})
    assert response.status_code == 400
    page = text(response)
    for message in (t.ERR_TOPIC_ROLES, t.ERR_REQUIRED.format(field=t.TOPIC_NAME),
                    t.ERR_NUMBER.format(field=t.TOPIC_POSITION, low=0, high=99)):
        assert message in page, message
    response = head.post("/admin/exceptions", {"kind": "отпуск?", "first": "31.02.2026",
                                               "start": "25:00"})
    assert response.status_code == 400
    page = text(response)
    for message in (t.ERR_CHOICE.format(field=t.COL_KIND), t.ERR_DATE.format(value="31.02.2026"),
                    t.ERR_TIME.format(value="25:00")):
        assert message in page, message
