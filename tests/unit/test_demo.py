from sqlalchemy import func, select

from core.extensions import db
from core.models import DutySlot, Organization, Topic, User
from helpline.demo import load_demo


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Organization, User, DutySlot, Topic)
    )


def test_demo_loads_two_schools_once(app_ctx):
    first = load_demo("pw-1")
    assert first.created and first.password is None
    before = counts()
    second = load_demo("pw-2")
    assert not second.created
    assert counts() == before == (2, 5, 20, 18)

    school = db.session.scalar(select(Organization).where(Organization.slug == "sosh19"))
    assert school.name == "МАОУ СОШ № 19 (демо)"
    assert [p.number for p in school.phones] == ["+74950000019"]
    assert school.timezone == "Europe/Moscow" and school.training_deadline_days == 5
    assert [t.code for t in school.topics] == [
        "login", "grades", "attendance", "schedule", "lesson_planning", "lessons", "reports",
        "training", "other",
    ]
    omsk = db.session.scalar(select(Organization).where(Organization.slug == "tukalinsk"))
    assert omsk.timezone == "Asia/Omsk" and omsk.vendor_timezone == "Europe/Moscow"
    assert not omsk.vendor_working_days_only and omsk.training_deadline_days == 3

    users = {u.username: u for u in db.session.scalars(select(User))}
    assert users["admin"].is_regional
    assert users["operator2"].organization_id == omsk.id
    assert users["consultant"].check_password("pw-1")  # the second run changed nothing
    assert not users["consultant"].check_password("pw-2")


def test_demo_generates_and_prints_a_password_once(app):
    from helpline.cli import cli

    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["demo"], catch_exceptions=False)
    assert first.exit_code == 0
    assert "password (shown once)" in first.output
    password = first.output.rsplit(": ", 1)[1].strip()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        assert admin.check_password(password)
    again = runner.invoke(cli, ["demo"], catch_exceptions=False)
    assert "already loaded" in again.output and password not in again.output
