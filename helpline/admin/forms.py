"""Reading the admin pages' forms: plain values out, or a FormError with a Russian message.

Nothing here touches the database: the pages read ``request.form`` with the Flask-WTF forms
at the end (their fields call the parse functions the services and the CLI share), services
receive clean values. A form with several fields reads all of them and raises one FormError
listing every problem, so the page shows them at once. Every check that worktime would
make with a ValueError is made here first, so a bad row never reaches the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import request
from werkzeug.datastructures import MultiDict
from wtforms import Field, StringField
from wtforms.form import BaseForm
from wtforms.validators import Length, StopValidation

from core import clock, phones
from core import ui_text as t
from core.forms import Form
from core.models import CallbackMode, DutyKind, ExceptionKind, UserRole

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
USERNAME = re.compile(r"^[A-Za-z0-9._-]{2,64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
DATE_RU = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
PASSWORD_MIN = 8


class FormError(ValueError):
    """The form cannot be saved; the message says in Russian what to fix."""

    def __init__(self, message: str, field: str | None = None,
                 errors: list[tuple[str, str | None]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # Every problem of the form, when it was read whole (AdminForm.checked()).
        self.errors = errors or [(message, field)]

    @property
    def messages(self) -> list[str]:
        return [message for message, _field in self.errors]


# What a form is read from: request.form (or a MultiDict built by a test).
FormData = MultiDict[str, Any]


def parse_text(value: str, label: str, name: str, *, required: bool = False,
               limit: int = 200) -> str:
    """A stripped text: refused when required and empty, or longer than `limit`."""
    value = (value or "").strip()
    if required and not value:
        raise FormError(t.ERR_REQUIRED.format(field=label), name)
    if len(value) > limit:
        raise FormError(t.ERR_TOO_LONG.format(field=label, limit=limit), name)
    return value


def parse_integer(value: str, label: str, name: str, low: int, high: int) -> int:
    value = (value or "").strip()
    try:
        number = int(value)
    except ValueError:
        raise FormError(t.ERR_NUMBER.format(field=label, low=low, high=high), name) from None
    if not low <= number <= high:
        raise FormError(t.ERR_NUMBER.format(field=label, low=low, high=high), name)
    return number


def parse_flag(value: str) -> bool:
    return (value or "").strip().lower() in ("1", "on", "true", "yes", "да")


def parse_choice(value: str, label: str, name: str, options: Iterable[str]) -> str:
    value = (value or "").strip()
    if value not in set(options):
        raise FormError(t.ERR_CHOICE.format(field=label), name)
    return value


def parse_many(values: Iterable[Any], options: Iterable[str], label: str, name: str) -> list[str]:
    """Several of `options` (a multiple select or checkboxes), in the options' order, once."""
    allowed = list(options)
    chosen = [str(v).strip() for v in values if str(v).strip()]
    if any(v not in allowed for v in chosen):
        raise FormError(t.ERR_CHOICE.format(field=label or name), name)
    return [v for v in allowed if v in chosen]


def parse_email(value: str, label: str, name: str) -> str | None:
    value = parse_text(value, label, name, limit=200)
    if value and not EMAIL.match(value):
        raise FormError(t.ERR_EMAIL.format(value=value), name)
    return value or None


def parse_phone(value: str) -> str:
    e164 = phones.normalize(value)
    if e164 is None:
        raise FormError(t.ERR_PHONE.format(value=value))
    return e164


def parse_phones(text: str) -> list[str]:
    """Numbers one per line (commas and semicolons too), in E.164, each once."""
    numbers: list[str] = []
    for part in re.split(r"[\n;,]+", text or ""):
        part = part.strip()
        if not part:
            continue
        e164 = parse_phone(part)
        if e164 in numbers:
            raise FormError(t.ERR_PHONE_TWICE.format(value=phones.display(e164)))
        numbers.append(e164)
    return numbers


def parse_timezone(value: str) -> str:
    if not value or value not in _zones():
        raise FormError(t.ERR_TIMEZONE.format(value=value))
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormError(t.ERR_TIMEZONE.format(value=value)) from None
    return value


def _zones() -> set[str]:
    return available_timezones() | set(t.TIMEZONES)


def parse_time(value: str) -> time:
    match = TIME.match(value or "")
    if not match:
        raise FormError(t.ERR_TIME.format(value=value))
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise FormError(t.ERR_TIME.format(value=value))
    return time(hours, minutes)


FIRST_YEAR, LAST_YEAR = 1900, 2999  # dates a school's journal may mean


def parse_date(value: str) -> date:
    """A date as the browser's date input sends it (2026-11-30) or typed (30.11.2026)."""
    value = (value or "").strip()[:40]
    day = None
    try:
        if match := DATE_ISO.match(value):
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        elif match := DATE_RU.match(value):
            day = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        pass
    # Year 1 or 9999 cannot be shifted to another time zone or by a day: refuse them here.
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise FormError(t.ERR_DATE.format(value=value))
    return day


def check_interval(start: time, end: time) -> None:
    """A slot must end after it starts (no empty or overnight slots)."""
    if end <= start:
        raise FormError(t.ERR_EMPTY_SLOT.format(start=clock_text(start), end=clock_text(end)))


def clock_text(value: time | None) -> str:
    return "" if value is None else f"{value.hour}:{value.minute:02d}"


def parse_slug(value: str) -> str:
    value = (value or "").strip().lower()
    if not SLUG.match(value):
        raise FormError(t.ERR_SLUG, "slug")
    return value


def parse_username(value: str) -> str:
    value = (value or "").strip()
    if not USERNAME.match(value):
        raise FormError(t.ERR_USERNAME, "username")
    return value


def parse_password(value: str, *, required: bool) -> str | None:
    if not value and not required:
        return None
    if len(value or "") < PASSWORD_MIN:
        raise FormError(t.ERR_PASSWORD_SHORT.format(min=PASSWORD_MIN), "password")
    if len(value) > 200:
        raise FormError(t.ERR_TOO_LONG.format(field=t.USER_PASSWORD, limit=200), "password")
    return value


def parse_keywords(value: str) -> list[str]:
    words = []
    for part in re.split(r"[,;\n]+", value or ""):
        word = " ".join(part.split()).lower()
        if word and word not in words:
            words.append(word[:60])
    return words[:50]


def vendor_hours(data: FormData, rows: int = 3) -> list[dict[str, Any]]:
    """The vendor's support hours: up to `rows` lines of weekdays and start–end."""
    blocks = []
    for row in range(rows):
        days = parse_many(data.getlist(f"vendor_days_{row}"), [str(d) for d in range(7)],
                          t.SLOT_WEEKDAYS, f"vendor_days_{row}")
        start = str(data.get(f"vendor_start_{row}") or "").strip()
        end = str(data.get(f"vendor_end_{row}") or "").strip()
        if not days and not start and not end:
            continue
        try:
            if not days:
                raise FormError(t.ERR_NO_WEEKDAYS)
            begin, finish = parse_time(start), parse_time(end)
            check_interval(begin, finish)
        except FormError as error:
            raise FormError(t.ERR_VENDOR_HOURS.format(row=row + 1, problem=error.message)) \
                from None
        blocks.append({"weekdays": [int(d) for d in days], "start": clock_text_padded(begin),
                       "end": clock_text_padded(finish)})
    return blocks


def clock_text_padded(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def today_in(zone: str) -> date:
    return clock.now().astimezone(ZoneInfo(zone)).date()


def local_datetime(day: date, moment: time, zone: str) -> datetime:
    return datetime.combine(day, moment, tzinfo=ZoneInfo(zone))


# --- Flask-WTF forms of the pages with one field -------------------------------------------------


def _raw(value: Any) -> str:
    return value if isinstance(value, str) else ""


class PasswordForm(Form):
    """A new password set by the admin: the same limits as parse_password."""

    password = StringField(filters=[_raw], validators=[
        Length(min=PASSWORD_MIN, message=t.ERR_PASSWORD_SHORT.format(min=PASSWORD_MIN)),
        Length(max=200, message=t.ERR_TOO_LONG.format(field=t.USER_PASSWORD, limit=200)),
    ])

    def checked(self) -> str:
        """The password, or a FormError on the password field."""
        if problem := self.problem():
            raise FormError(problem, "password")
        return self.password.data


class ActiveForm(Form):
    """Switch an account on ("1") or off (anything else)."""

    active = StringField(filters=[_raw])


class PromptForm(Form):
    """A school's wording of one prompt (checked by the service); over-long text is cut."""

    text = StringField(filters=[lambda v: _raw(v)[:2000]])


# --- Flask-WTF forms of the pages with several fields --------------------------------------------
#
# Each field is read by one of the parse functions above (the ones the services and the CLI
# share). A field's FormError does not stop the form: every field is read, and checked()
# raises one FormError listing every problem in the fields' order, so the page shows them all.

Parse = Callable[[Any, str, "AdminForm"], Any]


class Parsed(Field):
    """A field whose value is `parse(typed, name, form)`: a clean value, or a FormError.

    `typed` is the first text sent under the field's name ("" when none), or with
    ``many=True`` every text sent under it. Files and other non-text values are ignored.
    """

    def __init__(self, parse: Parse, *, many: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse = parse
        self.many = many
        self.typed: list[str] = []
        self.problems: list[tuple[str, str | None]] = []

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.typed = [value for value in valuelist if isinstance(value, str)]

    def pre_validate(self, form: BaseForm) -> None:
        assert isinstance(form, AdminForm)
        raw: Any = self.typed if self.many else (self.typed[0] if self.typed else "")
        self.problems = []
        try:
            self.data = self.parse(raw, self.name, form)
        except FormError as error:
            self.data = None
            self.problems = list(error.errors)
            self.errors.extend(error.messages)
            raise StopValidation() from None


class AdminForm(Form):
    """An admin page's form, read from request.form (or `formdata`)."""

    def __init__(self, formdata: FormData | None = None,
                 options: Mapping[str, Iterable[str]] | None = None, **kwargs: Any) -> None:
        self.formdata: FormData = request.form if formdata is None else formdata
        self.options = {name: list(values) for name, values in (options or {}).items()}
        super().__init__(formdata=self.formdata, **kwargs)

    def checked(self) -> dict[str, Any]:
        """Every field's clean value by name, or one FormError with every problem in order."""
        self.validate()
        problems = [problem for field in self if isinstance(field, Parsed)
                    for problem in field.problems]
        if problems:
            message, name = problems[0]
            raise FormError(message, name, errors=problems)
        return {field.name: field.data for field in self}


def _text(label: str, *, required: bool = False, limit: int = 200) -> Any:
    return Parsed(lambda raw, name, form: parse_text(raw, label, name, required=required,
                                                      limit=limit))


def _integer(label: str, low: int, high: int) -> Any:
    return Parsed(lambda raw, name, form: parse_integer(raw, label, name, low, high))


def _flag() -> Any:
    return Parsed(lambda raw, name, form: parse_flag(raw))


def _one_of(label: str, options: Iterable[str]) -> Any:
    values = list(options)
    return Parsed(lambda raw, name, form: parse_choice(raw, label, name, values))


def _several(label: str, options: Iterable[str] | None = None, *,
            none: str | None = None, none_too: bool = False) -> Any:
    """Several choices (the form's `options[name]` when none are given here).

    With `none`, choosing nothing is refused with that message; with `none_too`, that
    message follows a bad choice as well (nothing valid was chosen either).
    """
    fixed = None if options is None else list(options)

    def parse(raw: list[str], name: str, form: AdminForm) -> list[str]:
        allowed = form.options.get(name, []) if fixed is None else fixed
        try:
            chosen = parse_many(raw, allowed, label, name)
        except FormError as error:
            if none and none_too:
                raise FormError(error.message, error.field,
                                errors=[*error.errors, (none, name)]) from None
            raise
        if none and not chosen:
            raise FormError(none, name)
        return chosen

    return Parsed(parse, many=True)


def _phone(label: str) -> Any:
    def parse(raw: str, name: str, form: AdminForm) -> str | None:
        value = parse_text(raw, label, name, limit=40)
        return parse_phone(value) if value else None
    return Parsed(parse)


def _phone_list(label: str) -> Any:
    return Parsed(lambda raw, name, form: parse_phones(parse_text(raw, label, name,
                                                                  limit=1000)))


def _email(label: str) -> Any:
    return Parsed(lambda raw, name, form: parse_email(raw, label, name))


def _timezone() -> Any:
    return Parsed(lambda raw, name, form: parse_timezone(raw.strip()))


def _clock(*, required: bool = True, after: str | None = None) -> Any:
    """A time of day; with `after`, it must also be later than that field's time."""
    def parse(raw: str, name: str, form: AdminForm) -> time | None:
        value = raw.strip()
        if not value and not required:
            return None
        moment = parse_time(value)
        start = form[after].data if after else None
        if start is not None:
            check_interval(start, moment)
        return moment
    return Parsed(parse)


def _day(*, default: str | None = None) -> Any:
    """A date; with `default`, an empty field means that field's date."""
    def parse(raw: str, name: str, form: AdminForm) -> date | None:
        if default and not raw.strip():
            return form[default].data
        return parse_date(raw)
    return Parsed(parse)


WEEKDAYS = [str(d) for d in range(7)]
DUTY_KINDS = [k.value for k in DutyKind]


def _slot_user(raw: str, name: str, form: AdminForm) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise FormError(t.ERR_SLOT_USER, "user_id") from None


def _exception_user(raw: str, name: str, form: AdminForm) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdecimal() else None


def _duty_kind(raw: str, name: str, form: AdminForm) -> str:
    if not raw.strip():
        return DutyKind.CONSULTATION.value
    return parse_choice(raw, t.SLOT_KIND, name, DUTY_KINDS)


class OrgForm(AdminForm):
    """A new school: its name, zone, numbers and contacts."""

    name = _text(t.ORG_NAME, required=True)
    short_name = _text(t.ORG_SHORT_NAME, required=True, limit=100)
    timezone = _timezone()
    numbers = _phone_list(t.ORG_NUMBERS)
    contact_phone = _phone(t.ORG_CONTACT_PHONE)
    contact_email = _email(t.ORG_CONTACT_EMAIL)
    head_name = _text(t.ORG_HEAD_NAME)
    slug = Parsed(lambda raw, name, form: parse_slug(raw))


class OrgSettingsForm(OrgForm):
    """The school's settings page: the above, the vendor, deadlines, callbacks, retention."""

    journal_system = _text(t.ORG_JOURNAL, limit=100)
    vendor_name = _text(t.ORG_VENDOR_NAME)
    vendor_phones = _phone_list(t.ORG_VENDOR_PHONES)
    vendor_phone_note = _text(t.ORG_VENDOR_NOTE, limit=100)
    vendor_email = _email(t.ORG_VENDOR_EMAIL)
    vendor_timezone = _timezone()
    vendor_hours = Parsed(lambda raw, name, form: vendor_hours(form.formdata))
    vendor_working_days_only = _flag()
    sla_working_days = _integer(t.ORG_SLA, 1, 30)
    training_deadline_days = _integer(t.ORG_TRAINING, 1, 60)
    callback_mode = Parsed(lambda raw, name, form: CallbackMode(parse_choice(
        raw, t.ORG_CALLBACK_MODE, name, [m.value for m in CallbackMode])))
    callback_capacity_per_hour = _integer(t.ORG_CAPACITY, 1, 60)
    retention_days = _integer(t.ORG_RETENTION, 1, 3650)
    retention_delete_transcripts = _flag()


class UserForm(AdminForm):
    """A member of staff: name, contacts and roles."""

    name = _text(t.USER_NAME, required=True)
    phone = _phone(t.USER_PHONE)
    email = _email(t.USER_EMAIL)
    roles = _several(t.USER_ROLES, [r.value for r in UserRole], none=t.ERR_NO_ROLES)


class NewUserForm(UserForm):
    """A new member of staff: the above, a login and a first password."""

    username = Parsed(lambda raw, name, form: parse_username(raw))
    password = Parsed(lambda raw, name, form: parse_password(raw, required=True))


# Declared before the slot forms' other fields: the form adding slots reads its weekdays first.
_WEEKDAYS_FIELD = _several(t.SLOT_WEEKDAYS, WEEKDAYS, none=t.ERR_NO_WEEKDAYS)


class SlotForm(AdminForm):
    """A duty slot moved or changed (options: the school's role and topic codes)."""

    user_id = Parsed(_slot_user)
    start = _clock()
    end = _clock(after="start")
    weekday = Parsed(lambda raw, name, form: int(parse_choice(raw, t.SLOT_WEEKDAY, name,
                                                              WEEKDAYS)))
    kind = _one_of(t.SLOT_KIND, DUTY_KINDS)
    roles = _several(t.SLOT_ROLES)
    topics = _several(t.SLOT_TOPICS)


class NewSlotsForm(SlotForm):
    """Slots added on several weekdays at once: the weekdays come first."""

    weekdays = _WEEKDAYS_FIELD
    weekday = None  # type: ignore[assignment]  # one slot per chosen weekday instead


class ExceptionForm(AdminForm):
    """Leave, a day off or an extra duty over a range of dates."""

    kind = _one_of(t.COL_KIND, [k.value for k in ExceptionKind])
    first = _day()
    last = _day(default="first")
    user_id = Parsed(_exception_user)
    start = _clock(required=False)
    end = _clock(required=False)
    duty_kind = Parsed(_duty_kind)
    note = _text(t.EXCEPTION_NOTE)


class CalendarForm(AdminForm):
    """One day of the production calendar made working ("1") or a day off ("0")."""

    day = _day()
    working = Parsed(lambda raw, name, form: parse_choice(
        raw, t.CALENDAR_WORKING, name, list(t.CALENDAR_CHOICES)) == "1")
    note = _text(t.CALENDAR_NOTE)


class TopicForm(AdminForm):
    """A topic of the menu (options: the school's role codes)."""

    roles = _several(t.TOPIC_ROLES, none=t.ERR_TOPIC_ROLES, none_too=True)
    name = _text(t.TOPIC_NAME, required=True)
    keywords = Parsed(lambda raw, name, form: parse_keywords(
        parse_text(raw, t.TOPIC_KEYWORDS, name, limit=2000)))
    position = _integer(t.TOPIC_POSITION, 0, 99)
    active = _flag()
