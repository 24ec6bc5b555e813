"""The settings pages: organization, users, schedule, exceptions, calendar, topics, prompts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user
from werkzeug.datastructures import MultiDict

from core import access, phones, service, worktime
from core import ui_text as t
from core.extensions import db
from core.models import DutyKind, UserRole
from helpline import public
from helpline.admin import bp
from helpline.admin import forms as f
from helpline.admin import service as admin
from helpline.admin.access import admin_required, choose, org, regional_required, who


def _refused(template: str, error: f.FormError, **context):
    """The same page again with the message; HTTP 400; nothing was saved."""
    db.session.rollback()
    return render_template(template, error=error.message, error_field=error.field,
                           errors=error.messages, form=request.form, **context), 400


def _done(message: str, endpoint: str, anchor: str = "", **values):
    flash(message, "success")
    return redirect(url_for(endpoint, **values) + anchor)


# --- home ----------------------------------------------------------------------------------


@bp.get("/")
@login_required
def home():
    """The admin's start page: the sections, and what the school still lacks."""
    if not current_user.has_role(UserRole.ADMIN.value):
        abort(403)

    current = access.current_org()
    if current is None and not current_user.is_regional:
        abort(404)
    return render_template(
        "admin/home.html",
        missing=admin.checklist(current) if current else [],
        sections=t.ADMIN_SECTIONS,
        hints=t.ADMIN_SECTION_HINTS,
    )


# --- organizations -----------------------------------------------------------------------------


def _org_values(*, creating: bool) -> dict[str, Any]:
    """The organization form as model values (everything validated, every problem at once)."""
    form = f.OrgForm() if creating else f.OrgSettingsForm()
    return form.checked()


@bp.route("/organizations/new", methods=["GET", "POST"])
@regional_required
def org_new():
    """A regional admin adds a school; it becomes the one they work on."""
    if request.method == "GET":
        return render_template("admin/org_new.html", form=None)
    try:
        created = admin.create_organization(_org_values(creating=True), who())
    except f.FormError as error:
        return _refused("admin/org_new.html", error)
    choose(created)
    return _done(t.ORG_CREATED.format(name=created.name), "admin.home")


@bp.route("/organization", methods=["GET", "POST"])
@admin_required
def organization():
    """The school's settings: name, numbers, zone, vendor, deadlines, callbacks, retention."""
    current = org()
    if request.method == "GET":
        return render_template("admin/organization.html", form=None, zones=t.TIMEZONES)
    try:
        admin.update_organization(current, _org_values(creating=False), who())
    except f.FormError as error:
        return _refused("admin/organization.html", error, zones=t.TIMEZONES)
    return _done(t.SAVED, "admin.organization")


# --- users ---------------------------------------------------------------------------------------


def _user_values(*, new: bool = False) -> dict[str, Any]:
    """The user form's values; a new user's login and password are read with the rest."""
    return (f.NewUserForm() if new else f.UserForm()).checked()


def _users_page(status: int = 200, **context):
    return render_template("admin/users.html", users=admin.org_users(org()),
                           suggested=admin.suggest_password(), **context), status


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    """The school's staff, and the form for a new one."""
    if request.method == "GET":
        return _users_page(form=None)
    try:
        values = _user_values(new=True)
        password = values.pop("password")
        user = admin.create_user(org(), values, password, who())
    except f.FormError as error:
        db.session.rollback()
        return _users_page(400, form=request.form, error=error.message, error_field=error.field,
                           errors=error.messages)
    return _done(t.USER_CREATED.format(name=user.name), "admin.users")


def _user(user_id: int):
    user = admin.get_user(org(), user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: int):
    person = _user(user_id)
    context = {"person": person, "suggested": admin.suggest_password()}
    if request.method == "GET":
        return render_template("admin/user.html", form=None, **context)
    try:
        admin.update_user(org(), person, _user_values(), who())
    except f.FormError as error:
        return _refused("admin/user.html", error, **context)
    return _done(t.SAVED, "admin.user", user_id=person.id)


@bp.post("/users/<int:user_id>/active")
@admin_required
def user_active(user_id: int):
    person = _user(user_id)
    active = f.ActiveForm().active.data == "1"
    try:
        admin.set_active(org(), person, active, who())
    except f.FormError as error:
        return _refused("admin/user.html", error, person=person,
                        suggested=admin.suggest_password())
    message = t.USER_ACTIVATED if active else t.USER_DEACTIVATED
    return _done(message.format(name=person.name), "admin.users")


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id: int):
    person = _user(user_id)
    try:
        password = f.PasswordForm().checked()
    except f.FormError as error:
        return _refused("admin/user.html", error, person=person,
                        suggested=admin.suggest_password())
    admin.reset_password(org(), person, password, who())
    if person.id == current_user.id:  # their other sessions ended; this one goes on
        login_user(person)
    return _done(t.USER_PASSWORD_DONE.format(name=person.name), "admin.user", user_id=person.id)


# --- the duty schedule ---------------------------------------------------------------------------


def _slot_values(form: f.SlotForm) -> tuple[admin.SlotValues, list[int]]:
    """The slot's fields and the weekdays chosen (adding); every problem raised at once."""
    current = org()
    form.options = {"roles": [x.code for x in current.roles],
                    "topics": [x.code for x in current.topics]}
    values = form.checked()
    slot = admin.SlotValues(
        user_id=values["user_id"], weekday=values.get("weekday", 0), start=values["start"],
        end=values["end"], kind=values["kind"], roles=values["roles"], topics=values["topics"])
    return slot, [int(d) for d in values.get("weekdays", [])]


def _schedule_page(status: int = 200, **context):
    current = org()
    schedule = service.schedule_for(current)
    users = admin.org_users(current)
    hours = worktime.describe_hours(schedule, kind=DutyKind.CONSULTATION.value)
    callbacks = worktime.describe_hours(schedule, kind=DutyKind.CALLBACKS.value)
    slots = sorted(current.slots, key=lambda s: (s.weekday, s.start, s.end, s.id))
    return render_template(
        "admin/schedule.html",
        slots=slots,
        users=users,
        names={u.id: u.name for u in users},
        active_users=[u for u in users if u.active],
        hours=hours,
        callback_hours=callbacks,
        warnings=admin.schedule_warnings(current),
        grid=_grid(slots),
        clock=f.clock_text,
        hhmm=f.clock_text_padded,
        role_names={x.code: x.name for x in current.roles},
        topic_names={x.code: x.name for x in current.topics},
        **context,
    ), status


def _grid(slots) -> dict:
    """Geometry of the weekly picture (an inline SVG drawn with attributes, not styles)."""
    if slots:
        first = min(s.start.hour for s in slots)
        last = max(s.end.hour + (1 if s.end.minute else 0) for s in slots)
    else:
        first, last = 8, 18
    first, last = max(0, min(first, 8)), min(24, max(last, 18))
    hour_px, top, left, column = 32, 28, 44, 150
    days = 7 if any(s.weekday >= 5 for s in slots) else 5
    bars = []
    lanes: dict[int, list] = {}
    for s in slots:  # side by side when they overlap (two consultants at once)
        lane_list = lanes.setdefault(s.weekday, [])
        lane = next((i for i, end in enumerate(lane_list) if end <= s.start), None)
        if lane is None:
            lane_list.append(s.end)
            lane = len(lane_list) - 1
        else:
            lane_list[lane] = s.end
        bars.append((s, lane))
    result = []
    for s, lane in bars:
        width = (column - 8) / len(lanes[s.weekday])
        y = top + (s.start.hour + s.start.minute / 60 - first) * hour_px
        h = (s.end.hour + s.end.minute / 60 - s.start.hour - s.start.minute / 60) * hour_px
        result.append({"slot": s, "x": left + s.weekday * column + 4 + lane * width,
                       "y": y, "w": width - 2, "h": max(h, 6)})
    return {"first": first, "last": last, "hour": hour_px, "top": top, "left": left,
            "column": column, "days": days, "bars": result,
            "width": left + days * column + 4, "height": top + (last - first) * hour_px + 8}


@bp.get("/schedule")
@admin_required
def schedule():
    """The weekly duty grid, with the forms to add, move and remove slots."""
    return _schedule_page(form=None)


@bp.post("/schedule/slots")
@admin_required
def slot_add():
    try:
        values, weekdays = _slot_values(f.NewSlotsForm())
        created = admin.add_slots(org(), weekdays, values, who())
    except f.FormError as error:
        db.session.rollback()
        return _schedule_page(400, form=request.form, error=error.message,
                              errors=error.messages, error_form="add")
    names = {u.id: u for u in admin.org_users(org())}
    what = "; ".join(admin.describe_slot(s, names) for s in created)
    return _done(t.SLOT_ADDED.format(what=what), "admin.schedule")


def _slot(slot_id: int):
    slot = admin.get_slot(org(), slot_id)
    if slot is None:
        abort(404)
    return slot


@bp.post("/schedule/slots/<int:slot_id>")
@admin_required
def slot_move(slot_id: int):
    slot = _slot(slot_id)
    try:
        values, _weekdays = _slot_values(f.SlotForm())
        admin.move_slot(org(), slot, values, who())
    except f.FormError as error:
        db.session.rollback()
        return _schedule_page(400, form=request.form, error=error.message,
                              errors=error.messages, error_form=f"slot-{slot_id}")
    what = admin.describe_slot(slot, {u.id: u for u in admin.org_users(org())})
    return _done(t.SLOT_MOVED.format(what=what), "admin.schedule", f"#slot-{slot.id}")


@bp.post("/schedule/slots/<int:slot_id>/delete")
@admin_required
def slot_remove(slot_id: int):
    what = admin.remove_slot(org(), _slot(slot_id), who())
    return _done(t.SLOT_REMOVED.format(what=what), "admin.schedule")


# --- dated exceptions ----------------------------------------------------------------------------


def _exceptions_page(status: int = 200, **context):
    current = org()
    today = f.today_in(current.timezone)
    users = admin.org_users(current)
    return render_template(
        "admin/exceptions.html", rows=admin.upcoming_exceptions(current, today),
        names={u.id: u.name for u in users}, active_users=[u for u in users if u.active],
        clock=f.clock_text, today=today, **context,
    ), status


@bp.route("/exceptions", methods=["GET", "POST"])
@admin_required
def exceptions():
    if request.method == "GET":
        return _exceptions_page(form=None)
    try:  # every problem of the form shown at once
        values = admin.ExceptionValues(**f.ExceptionForm().checked())
        created = admin.add_exceptions(org(), values, who())
    except f.FormError as error:
        db.session.rollback()
        return _exceptions_page(400, form=request.form, error=error.message,
                                errors=error.messages)
    return _done(t.EXCEPTION_ADDED.format(count=len(created)), "admin.exceptions")


@bp.post("/exceptions/<int:exception_id>/delete")
@admin_required
def exception_remove(exception_id: int):
    row = admin.get_exception(org(), exception_id)
    if row is None:
        abort(404)
    admin.remove_exception(org(), row, who())
    return _done(t.DELETED, "admin.exceptions")


# --- the production calendar ---------------------------------------------------------------------


def _calendar_page(status: int = 200, **context):
    current = org()
    today = f.today_in(current.timezone)
    calendar = service.calendar_for(current)
    missing = [y for y in (today.year, today.year + 1) if not calendar.has_data_for(y)]
    return render_template(
        "admin/calendar.html",
        rows=sorted(current.calendar_overrides, key=lambda o: o.day, reverse=True),
        upcoming=admin.days_off(current, today), missing=missing, **context,
    ), status


@bp.route("/calendar", methods=["GET", "POST"])
@admin_required
def calendar():
    if request.method == "GET":
        return _calendar_page(form=None)
    try:  # every problem of the form shown at once
        values = f.CalendarForm().checked()
        day, working, note = values["day"], values["working"], values["note"]
        admin.set_override(org(), day, working, note, who())
    except f.FormError as error:
        db.session.rollback()
        return _calendar_page(400, form=request.form, error=error.message,
                              errors=error.messages)
    what = t.CALENDAR_CHOICES["1" if working else "0"]
    return _done(t.CALENDAR_SAVED.format(day=day.strftime("%d.%m.%Y"), what=what),
                 "admin.calendar")


@bp.post("/calendar/<int:override_id>/delete")
@admin_required
def calendar_remove(override_id: int):
    row = admin.get_override(org(), override_id)
    if row is None:
        abort(404)
    admin.remove_override(org(), row, who())
    return _done(t.DELETED, "admin.calendar")


# --- topics --------------------------------------------------------------------------------------


def _topic_values() -> dict[str, Any]:
    """The topic's fields; every problem of the form is raised at once."""
    form = f.TopicForm(options={"roles": [x.code for x in org().roles]})
    return form.checked()


def _topics_page(status: int = 200, **context):
    current = org()
    topics = sorted(current.topics, key=lambda x: (x.position, x.id))
    return render_template(
        "admin/topics.html", topics=topics,
        served={x.id: admin.served_by(current, x) for x in topics},
        role_names={x.code: x.name for x in current.roles},
        warnings=admin.topic_warnings(current), **context,
    ), status


@bp.route("/topics", methods=["GET", "POST"])
@admin_required
def topics():
    if request.method == "GET":
        return _topics_page(form=None)
    try:
        topic = admin.add_topic(org(), _topic_values(), who())
    except f.FormError as error:
        db.session.rollback()
        return _topics_page(400, form=request.form, error=error.message,
                            errors=error.messages, error_form="new")
    return _done(t.TOPIC_ADDED.format(name=topic.name), "admin.topics")


@bp.post("/topics/<int:topic_id>")
@admin_required
def topic_save(topic_id: int):
    topic = admin.get_topic(org(), topic_id)
    if topic is None:
        abort(404)
    try:
        admin.update_topic(org(), topic, _topic_values(), who())
    except f.FormError as error:
        db.session.rollback()
        return _topics_page(400, form=request.form, error=error.message,
                            errors=error.messages, error_form=f"topic-{topic_id}")
    return _done(t.TOPIC_SAVED.format(name=topic.name), "admin.topics", f"#topic-{topic.id}")


# --- IVR prompts ---------------------------------------------------------------------------------


def _prompts_page(status: int = 200, **context):
    return render_template(
        "admin/prompts.html", prompts=admin.prompt_catalogue(org()),
        mb=admin.AUDIO_MAX_BYTES // (1024 * 1024), **context,
    ), status


def _prompt_key(key: str) -> str:
    if key not in admin.prompt_keys():
        abort(404)
    return key


@bp.get("/prompts")
@admin_required
def prompts():
    return _prompts_page(form=None)


@bp.post("/prompts/<key>")
@admin_required
def prompt_save(key: str):
    key = _prompt_key(key)
    try:
        admin.set_prompt_text(org(), key, f.PromptForm().text.data, who())
    except f.FormError as error:
        db.session.rollback()
        return _prompts_page(400, form=request.form, error=error.message, error_form=key)
    return _done(t.PROMPT_SAVED.format(key=key), "admin.prompts", f"#prompt-{key}")


@bp.post("/prompts/<key>/audio")
@admin_required
def prompt_audio(key: str):
    key = _prompt_key(key)
    current = org()
    upload = request.files.get("audio")
    data = upload.read(admin.AUDIO_MAX_BYTES + 1) if upload else b""
    base = current_app.config["PUBLIC_URL"]

    def url_for_file(name: str) -> str:
        # Twilio fetches <Play> from the public address, without signing in.
        return base + url_for("public.prompt_audio", org_id=current.id, name=name)

    try:
        admin.set_prompt_audio(current, key, data, data_dir=current_app.config["DATA_DIR"],
                               url_for_file=url_for_file, who=who())
    except f.FormError as error:
        db.session.rollback()
        return _prompts_page(400, form=MultiDict(), error=error.message, error_form=key)
    return _done(t.PROMPT_AUDIO_SAVED.format(key=key), "admin.prompts", f"#prompt-{key}")


@bp.post("/prompts/<key>/reset")
@admin_required
def prompt_reset(key: str):
    key = _prompt_key(key)
    admin.reset_prompt(org(), key, data_dir=current_app.config["DATA_DIR"], who=who())
    return _done(t.PROMPT_RESET_DONE.format(key=key), "admin.prompts", f"#prompt-{key}")


# --- publication ---------------------------------------------------------------------------------


@bp.get("/publication")
@admin_required
def publication():
    """Where the public schedule lives, and the code to put it on the school's site."""
    current = org()
    base = current_app.config["PUBLIC_URL"]
    return render_template(
        "admin/publication.html",
        page_url=base + url_for("public.page", slug=current.slug),
        fragment_url=base + url_for("public.fragment", slug=current.slug),
        embed_url=base + url_for("public.embed", slug=current.slug),
        embed_script_url=base + url_for("static", filename="embed.js"),
        print_url=url_for("public.print_page", slug=current.slug),
        pdf_available=public.pdf_available(),
        display=phones.display,
        one_day=timedelta(days=1),
    )
