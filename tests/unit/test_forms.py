"""The pages' forms (Flask-WTF): the same Russian sentence for the same mistake, first one first."""

import pytest

from callbacks import forms as callback_forms
from core import ui_text as t
from tickets import forms as ticket_forms


def problem(app, form_class, **data):
    with app.test_request_context("/", method="POST", data=data):
        form = form_class()
        return form.problem(), form


@pytest.mark.parametrize(("form_class", "name", "empty"), [
    (ticket_forms.TranscriptForm, "text", t.TRANSCRIPT_EMPTY),
    (ticket_forms.NoteForm, "text", t.NOTE_EMPTY),
    (ticket_forms.ReplyForm, "reply", t.REPLY_EMPTY),
])
def test_a_text_is_needed_and_has_a_limit(app, form_class, name, empty):
    assert problem(app, form_class)[0] == empty  # not sent at all
    assert problem(app, form_class, **{name: "   "})[0] == empty
    too_long = "я" * (ticket_forms.TEXT_LIMIT + 1)
    assert problem(app, form_class, **{name: too_long})[0] == t.TOO_LONG.format(limit=5000)
    found, form = problem(app, form_class, **{name: "  Помогли.  "})
    assert found is None and form[name].data == "Помогли."


def test_escalating_names_a_text_too_long_before_a_missing_one(app):
    cls = ticket_forms.EscalateForm
    assert problem(app, cls, reference="SP-1", told="")[0] == t.ESCALATE_EMPTY
    assert problem(app, cls, reference="", told="")[0] == t.ESCALATE_EMPTY
    assert problem(app, cls, reference="x" * 101, told="")[0] == t.TOO_LONG.format(limit=100)
    assert problem(app, cls, reference="SP-1", told="Сказали ждать.")[0] is None


def test_declining_needs_one_of_the_regulations_reasons(app):
    cls = ticket_forms.DeclineForm
    assert problem(app, cls, reason="because")[0] == t.DECLINE_BAD_REASON
    assert problem(app, cls, reason=" incorrect_question")[0] == t.DECLINE_BAD_REASON  # exact
    assert problem(app, cls, reason="incorrect_question", comment="x" * 5001)[0] == (
        t.TOO_LONG.format(limit=5000))
    assert problem(app, cls, reason="incorrect_question", comment=" Груб. ")[0] is None


@pytest.mark.parametrize("form_class", [ticket_forms.AssignForm, callback_forms.AssignForm])
@pytest.mark.parametrize(("raw", "ok"), [
    ("", True), (" 12 ", True), ("12a", False), ("-1", False), ("1234567890", False),
])
def test_a_colleague_is_a_short_number_or_nobody(app, form_class, raw, ok):
    found, form = problem(app, form_class, assignee=raw)
    assert (found is None) == ok
    if not ok:
        assert found == t.ASSIGN_BAD
    else:
        assert form.assignee.data == raw.strip()


def test_postponing_offers_its_choices_only(app):
    cls = callback_forms.PostponeForm
    assert problem(app, cls)[0] == t.POSTPONE_BAD
    assert problem(app, cls, delay="5")[0] == t.POSTPONE_BAD
    assert [problem(app, cls, delay=d)[0] for d in t.POSTPONE_CHOICES] == [None] * 3


def test_an_outcome_is_checked_before_its_texts(app):
    cls = callback_forms.OutcomeForm
    assert problem(app, cls, outcome="great", note="x" * 3000)[0] == t.OUTCOME_BAD
    assert problem(app, cls, outcome="resolved", note="x" * 2001)[0] == (
        t.TOO_LONG.format(limit=2000))
    assert problem(app, cls, outcome="resolved", vendor_reference="x" * 101)[0] == (
        t.TOO_LONG.format(limit=100))
    found, form = problem(app, cls, outcome="resolved", note=" Всё хорошо ")
    assert found is None and form.note.data == "Всё хорошо"


def test_sign_in_needs_both_fields_and_cuts_long_input(app):
    from helpline.auth import LoginForm

    assert problem(app, LoginForm, username="  ", password="x")[0] == t.LOGIN_EMPTY
    assert problem(app, LoginForm, username="anna")[0] == t.LOGIN_EMPTY
    found, form = problem(app, LoginForm, username=" " + "a" * 70, password=" " + "p" * 300)
    assert found is None
    assert form.username.data == "a" * 64 and form.password.data == (" " + "p" * 300)[:200]


def test_the_school_choice_is_an_id(app):
    from helpline.auth import OrganizationForm

    assert problem(app, OrganizationForm)[0] == t.ORGANIZATION_UNKNOWN
    assert problem(app, OrganizationForm, organization_id="12a")[0] is not None
    found, form = problem(app, OrganizationForm, organization_id="12")
    assert found is None and form.organization_id.data == 12


def test_an_admin_sets_a_password_within_the_limits(app):
    from helpline.admin import forms as admin_forms

    for raw, expected in (("", t.ERR_PASSWORD_SHORT.format(min=8)),
                          ("1234567", t.ERR_PASSWORD_SHORT.format(min=8)),
                          ("x" * 201, t.ERR_TOO_LONG.format(field=t.USER_PASSWORD, limit=200))):
        with app.test_request_context("/", method="POST", data={"password": raw}):
            with pytest.raises(admin_forms.FormError) as info:
                admin_forms.PasswordForm().checked()
        assert (info.value.message, info.value.field) == (expected, "password")
    with app.test_request_context("/", method="POST", data={"password": " spaced pass "}):
        assert admin_forms.PasswordForm().checked() == " spaced pass "  # kept as typed


def test_an_admin_form_lists_every_problem_in_the_fields_order(app):
    from helpline.admin import forms as admin_forms

    data = {"name": " ", "phone": "12", "email": "x@y.ru", "roles": ["boss"],
            "username": "Пётр", "password": "short"}
    with app.test_request_context("/", method="POST", data=data):
        with pytest.raises(admin_forms.FormError) as info:
            admin_forms.NewUserForm().checked()
    assert info.value.errors == [
        (t.ERR_REQUIRED.format(field=t.USER_NAME), "name"),
        (t.ERR_PHONE.format(value="12"), None),
        (t.ERR_CHOICE.format(field=t.USER_ROLES), "roles"),  # not «no roles» on top of it
        (t.ERR_USERNAME, "username"),
        (t.ERR_PASSWORD_SHORT.format(min=8), "password"),
    ]
    assert (info.value.message, info.value.field) == info.value.errors[0]


def test_an_admin_form_gives_clean_values_and_ignores_files(app):
    import io

    from helpline.admin import forms as admin_forms

    data = {"name": (io.BytesIO(b"x"), "name.txt"), "roles": ["admin"]}
    with app.test_request_context("/", method="POST", data=data):
        with pytest.raises(admin_forms.FormError) as info:
            admin_forms.UserForm().checked()  # a file is not a name
        assert info.value.errors == [(t.ERR_REQUIRED.format(field=t.USER_NAME), "name")]
    data = {"name": " Анна ", "roles": ["consultant", "admin", "consultant"]}
    with app.test_request_context("/", method="POST", data=data):
        assert admin_forms.UserForm().checked() == {
            "name": "Анна", "phone": None, "email": None, "roles": ["consultant", "admin"]}  # the options' order, once
