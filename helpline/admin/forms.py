"""Reading the admin pages' forms: plain values out, or a FormError with a Russian message.

Nothing here touches the database: views pass ``request.form`` (anything with ``get`` and
``getlist``), services receive clean values. The pages with one field read it with a
Flask-WTF form (the classes at the end); the others still read theirs with ``Reader``.
Every check that worktime would make with a ValueError is made here first, so a bad row
never reaches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from wtforms import StringField
from wtforms.validators import Length

from core import clock, phones
from core import ui_text as t
from core.forms import Form

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
        # Every problem of the form, when it was read whole (Reader(collect=True)).
        self.errors = errors or [(message, field)]

    @property
    def messages(self) -> list[str]:
        return [message for message, _field in self.errors]


class FormData(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


@dataclass
class Reader:
    """Reads one form field at a time, raising FormError with the field's Russian label.

    With ``collect=True`` it reads on past a bad field (giving a harmless stand-in value)
    and ``done()`` raises one FormError that lists every problem: the page shows them all.
    """

    data: FormData
    collect: bool = False

    def __post_init__(self) -> None:
        self.problems: list[tuple[str, str | None]] = []
        if self.collect:
            for name, fallback in _FALLBACKS.items():
                setattr(self, name, self._collecting(getattr(self, name), fallback))

    def _collecting(self, method, fallback):
        def read(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except FormError as error:
                self.problems.extend(error.errors)
                return fallback(*args, **kwargs)
        return read

    def check(self, parse, *args, fallback=None):
        """Run a parse function on the form's values, collecting its FormError too."""
        try:
            return parse(*args)
        except FormError as error:
            if not self.collect:
                raise
            self.problems.extend(error.errors)
            return fallback

    def done(self) -> None:
        """Raise every collected problem at once (nothing happens when there is none)."""
        if self.problems:
            message, field = self.problems[0]
            raise FormError(message, field, errors=list(self.problems))

    def raw(self, name: str) -> str:
        return str(self.data.get(name) or "").strip()

    def text(self, name: str, label: str, *, required: bool = False, limit: int = 200) -> str:
        value = self.raw(name)
        if required and not value:
            raise FormError(t.ERR_REQUIRED.format(field=label), name)
        if len(value) > limit:
            raise FormError(t.ERR_TOO_LONG.format(field=label, limit=limit), name)
        return value

    def integer(self, name: str, label: str, low: int, high: int) -> int:
        value = self.raw(name)
        try:
            number = int(value)
        except ValueError:
            raise FormError(t.ERR_NUMBER.format(field=label, low=low, high=high), name) from None
        if not low <= number <= high:
            raise FormError(t.ERR_NUMBER.format(field=label, low=low, high=high), name)
        return number

    def flag(self, name: str) -> bool:
        return self.raw(name).lower() in ("1", "on", "true", "yes", "да")

    def choice(self, name: str, label: str, options: Iterable[str]) -> str:
        value = self.raw(name)
        if value not in set(options):
            raise FormError(t.ERR_CHOICE.format(field=label), name)
        return value

    def many(self, name: str, options: Iterable[str], label: str = "") -> list[str]:
        allowed = list(options)
        values = [str(v).strip() for v in self.data.getlist(name) if str(v).strip()]
        if any(v not in allowed for v in values):
            raise FormError(t.ERR_CHOICE.format(field=label or name), name)
        return [v for v in allowed if v in values]  # in the options' order, no repeats

    def phone(self, name: str, label: str, *, required: bool = False) -> str | None:
        value = self.text(name, label, required=required, limit=40)
        return parse_phone(value) if value else None

    def phones(self, name: str, label: str, *, required: bool = False) -> list[str]:
        value = self.text(name, label, required=required, limit=1000)
        return parse_phones(value)

    def email(self, name: str, label: str) -> str | None:
        value = self.text(name, label, limit=200)
        if value and not EMAIL.match(value):
            raise FormError(t.ERR_EMAIL.format(value=value), name)
        return value or None

    def timezone(self, name: str) -> str:
        return parse_timezone(self.raw(name))

    def time(self, name: str, *, required: bool = True) -> time | None:
        value = self.raw(name)
        if not value and not required:
            return None
        return parse_time(value)

    def date(self, name: str) -> date:
        return parse_date(self.raw(name))


# Stand-in values while a form is read whole (never saved: done() raises first).
_FALLBACKS = {
    "text": lambda *a, **k: "",
    "integer": lambda name, label, low, high: low,
    "choice": lambda name, label, options: next(iter(options)),
    "many": lambda *a, **k: [],
    "phone": lambda *a, **k: None,
    "phones": lambda *a, **k: [],
    "email": lambda *a, **k: None,
    "timezone": lambda *a, **k: "Europe/Moscow",
    "time": lambda *a, **k: None,
    "date": lambda *a, **k: date(2000, 1, 1),
}


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
    reader = Reader(data)
    blocks = []
    for row in range(rows):
        days = reader.many(f"vendor_days_{row}", [str(d) for d in range(7)], t.SLOT_WEEKDAYS)
        start, end = reader.raw(f"vendor_start_{row}"), reader.raw(f"vendor_end_{row}")
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


def as_mapping(data: Mapping[str, Any]) -> FormData:
    """Wrap a plain dict (tests, services) so it reads like request.form."""

    class _Plain:
        def get(self, key: str, default: Any = None) -> Any:
            value = data.get(key, default)
            return value[0] if isinstance(value, list | tuple) and value else value

        def getlist(self, key: str) -> list[Any]:
            value = data.get(key)
            if value is None:
                return []
            return list(value) if isinstance(value, list | tuple) else [value]

    return _Plain()


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
