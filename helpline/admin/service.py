"""The admin pages' changes: organizations, users, the duty schedule, topics and prompts.

Plain values in, models out; every change is audited (service.audit) and committed here, and
a change to anything the callback planner reads (slots, exceptions, calendar, time zone,
capacity, who is active) re-plans the organization's callbacks. Nothing here reads the request.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from callbacks import service as callbacks
from core import phones, service, settings, worktime
from core import ui_text as t
from core.extensions import db
from core.models import (
    AuditEvent,
    CalendarOverride,
    DutyException,
    DutyKind,
    DutySlot,
    ExceptionKind,
    Organization,
    OrganizationPhone,
    Topic,
    User,
    UserRole,
)
from helpline.admin.forms import FormError, check_interval, clock_text
from ivr import prompts, twiml

log = logging.getLogger(__name__)

MAX_EXCEPTION_DAYS = 366
AUDIO_MAX_BYTES = 5 * 1024 * 1024
AUDIO_DIR = "prompts"  # under DATA_DIR: prompts/<org id>/<KEY>-<token>.<ext>
# Said before the organization is known, or when everything failed: no school's wording.
GLOBAL_PROMPTS = frozenset({"UNKNOWN_NUMBER", "APOLOGY", "APOLOGY_SAVED"})
PROMPT_GROUPS = (  # key prefix -> group, first match wins
    ("GREETING", "greeting"), ("RECORDED", "greeting"), ("REPEAT_", "greeting"),
    ("ROLE_MENU", "menu"), ("NOT_UNDERSTOOD", "menu"), ("NO_INPUT", "menu"),
    ("TO_VOICEMAIL", "menu"), ("TOPIC_", "menu"),
    ("INFO_", "info"), ("VENDOR_", "info"),
    ("CONNECTING", "open"), ("ALL_BUSY", "open"), ("CONSULTANT_BUSY", "open"),
    ("THANKS_BYE", "open"),
    ("CLOSED_", "closed"), ("OPEN_HOURS", "closed"), ("RECORD_", "closed"),
    ("NO_MESSAGE", "closed"),
    ("TICKET_CREATED", "after"), ("CALLBACK_", "after"), ("OTHER_NUMBER", "after"),
    ("MESSAGE_ADDED", "after"),
    ("ENTER_NUMBER", "number"), ("ANON_ENTER", "number"), ("NUMBER_", "number"),
)

ORG_FIELDS = (
    "name", "short_name", "timezone", "contact_phone", "contact_email", "head_name",
    "journal_system", "vendor_name", "vendor_phones", "vendor_phone_note", "vendor_email",
    "vendor_timezone", "vendor_hours", "vendor_working_days_only", "sla_working_days",
    "training_deadline_days", "callback_mode", "callback_capacity_per_hour", "retention_days",
    "retention_delete_transcripts",
)
# Settings the callback planner reads: changing one re-plans the callbacks.
PLANNING_FIELDS = ("timezone", "callback_capacity_per_hour", "callback_mode")


def _replan(org: Organization) -> None:
    """The schedule changed: plan the waiting callbacks again (they must follow it)."""
    callbacks.schedule_changed(org, policy=settings.current().callbacks)


# --- organizations ----------------------------------------------------------------------------


def create_organization(values: dict[str, Any], who: dict) -> Organization:
    """A new school with the default caller roles and topics; the admin fills in the rest."""
    slug = values["slug"]
    if db.session.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise FormError(t.ERR_SLUG_TAKEN.format(value=slug), "slug")
    numbers = values.pop("numbers", [])
    _check_numbers_free(numbers, None)
    org = Organization(slug=slug, vendor_phones=[], vendor_hours=[], prompt_overrides={},
                       **{k: v for k, v in values.items() if k in ORG_FIELDS})
    org.phones = [OrganizationPhone(number=n) for n in numbers]
    db.session.add(org)
    db.session.flush()
    service.seed_catalogue(org)
    service.audit("org.created", "organization", org.id, organization_id=org.id,
                  name=org.name, slug=slug, numbers=[phones.mask(n) for n in numbers], **who)
    db.session.commit()
    return org


def update_organization(org: Organization, values: dict[str, Any], who: dict) -> list[str]:
    """Save the organization's settings; return the names of the fields that changed."""
    numbers = values.pop("numbers", None)
    slug = values.pop("slug", None)
    changed = []
    if slug is not None and slug != org.slug:
        taken = db.session.scalar(select(Organization.id).where(
            Organization.slug == slug, Organization.id != org.id))
        if taken:
            raise FormError(t.ERR_SLUG_TAKEN.format(value=slug), "slug")
        org.slug = slug
        changed.append("slug")
    if numbers is not None:
        _check_numbers_free(numbers, org.id)
        have = [p.number for p in org.phones]
        if have != numbers:
            keep = {p.number: p for p in org.phones}
            org.phones = [keep.get(n) or OrganizationPhone(number=n) for n in numbers]
            changed.append("numbers")
    for name in ORG_FIELDS:
        if name in values and getattr(org, name) != values[name]:
            setattr(org, name, values[name])
            changed.append(name)
    if not changed:
        return changed
    service.audit("org.updated", "organization", org.id, organization_id=org.id,
                  fields=changed, **who)
    db.session.commit()
    if any(name in PLANNING_FIELDS for name in changed):
        _replan(org)
    return changed


def _check_numbers_free(numbers: Iterable[str], org_id: int | None) -> None:
    for number in numbers:
        owner = db.session.scalar(
            select(OrganizationPhone.organization_id).where(OrganizationPhone.number == number))
        if owner is not None and owner != org_id:
            raise FormError(t.ERR_PHONE_TAKEN.format(value=phones.display(number)), "numbers")


def checklist(org: Organization) -> list[str]:
    """What a new school still lacks before the line can work (keys of ui_text.CHECKLIST)."""
    users = [u for u in org_users(org) if u.active]
    kinds = {s.kind for s in org.slots if s.user_id in {u.id for u in users}}
    missing = []
    if not org.phones:
        missing.append("numbers")
    if not any(u.has_role(UserRole.CONSULTANT.value) for u in users):
        missing.append("consultant")
    if not any(u.has_role(UserRole.OPERATOR.value) or u.has_role(UserRole.CONSULTANT.value)
               for u in users):
        missing.append("operator")
    if DutyKind.CONSULTATION not in kinds:
        missing.append("consultation")
    if DutyKind.CALLBACKS not in kinds:
        missing.append("callbacks")
    if not (org.vendor_phones or org.vendor_email):
        missing.append("vendor")
    if not (org.contact_phone or org.contact_email):
        missing.append("contacts")
    return missing


# --- users ------------------------------------------------------------------------------------


def org_users(org: Organization) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.organization_id == org.id).order_by(User.active.desc(), User.name)
    ))


def get_user(org: Organization, user_id: int) -> User | None:
    """The user if they work in this organization (anyone else is not found)."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.organization_id == org.id else None


def create_user(org: Organization, values: dict[str, Any], password: str, who: dict) -> User:
    if db.session.scalar(select(User.id).where(User.username == values["username"])):
        raise FormError(t.ERR_USERNAME_TAKEN.format(value=values["username"]), "username")
    user = User(organization_id=org.id, active=True, **values)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    service.audit("user.created", "user", user.id, organization_id=org.id,
                  username=user.username, roles=user.roles, **who)
    db.session.commit()
    return user


def update_user(org: Organization, user: User, values: dict[str, Any], who: dict) -> list[str]:
    if user.id == who.get("user_id") and UserRole.ADMIN.value not in values.get("roles", []):
        raise FormError(t.ERR_SELF_ADMIN, "roles")
    changed = [k for k, v in values.items() if getattr(user, k) != v]
    if not changed:
        return changed
    for name in changed:
        setattr(user, name, values[name])
    service.audit("user.updated", "user", user.id, organization_id=org.id, fields=changed, **who)
    db.session.commit()
    if "phone" in changed or "roles" in changed:
        _replan(org)
    return changed


def set_active(org: Organization, user: User, active: bool, who: dict) -> None:
    if user.id == who.get("user_id") and not active:
        raise FormError(t.ERR_SELF_DEACTIVATE)
    if user.active == active:
        return
    user.active = active
    service.audit("user.activated" if active else "user.deactivated", "user", user.id,
                  organization_id=org.id, **who)
    db.session.commit()
    _replan(org)  # an inactive user's slots no longer count


def reset_password(org: Organization, user: User, password: str, who: dict) -> None:
    user.set_password(password)
    service.audit("user.password_reset", "user", user.id, organization_id=org.id, **who)
    db.session.commit()


def suggest_password(length: int = 12) -> str:
    """A password easy to read out: no 0/O, 1/l/I."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    return "".join(secrets.choice(alphabet) for _ in range(length))


# --- the duty schedule ------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotValues:
    user_id: int
    weekday: int
    start: time
    end: time
    kind: str
    roles: list[str]
    topics: list[str]


def describe_slot(slot: DutySlot | SlotValues, users: dict[int, User]) -> str:
    """«вт 13:00–15:00, Кузнецова Е. В., консультации» for messages and the audit log."""
    user = users.get(slot.user_id)
    return (f"{t.WEEKDAYS_SHORT_TITLE[slot.weekday].lower()} {clock_text(slot.start)}–"
            f"{clock_text(slot.end)}, {user.name if user else '?'}, {t.DUTY_KIND[str(slot.kind)]}")


def _duty_user(org: Organization, user_id: int) -> User:
    user = get_user(org, user_id)
    if user is None or not user.active:
        raise FormError(t.ERR_SLOT_USER, "user_id")
    return user


def _check_slot(org: Organization, values: SlotValues, *, ignore: int | None = None) -> User:
    user = _duty_user(org, values.user_id)
    check_interval(values.start, values.end)
    try:  # what worktime will be handed later: refuse here what it would refuse there
        worktime.Slot(weekday=values.weekday, start=values.start, end=values.end,
                      kind=values.kind, user_id=values.user_id)
    except ValueError:
        raise FormError(t.ERROR_400) from None
    for other in org.slots:
        if other.id == ignore or other.user_id != values.user_id:
            continue
        overlaps = values.start < other.end and other.start < values.end
        if other.weekday == values.weekday and overlaps:
            raise FormError(t.ERR_SLOT_OVERLAP.format(
                name=user.name, day=t.WEEKDAYS[values.weekday],
                new=f"{clock_text(values.start)}–{clock_text(values.end)}",
                old=f"{clock_text(other.start)}–{clock_text(other.end)} "
                    f"({t.DUTY_KIND[str(other.kind)]})",
            ))
    return user


def add_slots(org: Organization, weekdays: list[int], values: SlotValues,
              who: dict) -> list[DutySlot]:
    """One slot per chosen weekday; refused whole if any of them overlaps."""
    if not weekdays:
        raise FormError(t.ERR_NO_WEEKDAYS, "weekdays")
    planned = []
    for weekday in weekdays:
        one = SlotValues(**{**values.__dict__, "weekday": weekday})
        _check_slot(org, one)
        planned.append(one)
    created = []
    for one in planned:
        slot = DutySlot(organization_id=org.id, user_id=one.user_id, weekday=one.weekday,
                        start=one.start, end=one.end, kind=DutyKind(one.kind),
                        roles=list(one.roles), topics=list(one.topics))
        org.slots.append(slot)
        created.append(slot)
    db.session.flush()
    users = {u.id: u for u in org_users(org)}
    for slot in created:
        service.audit("slot.added", "slot", slot.id, organization_id=org.id,
                      slot=describe_slot(slot, users), **who)
    db.session.commit()
    _replan(org)
    return created


def get_slot(org: Organization, slot_id: int) -> DutySlot | None:
    slot = db.session.get(DutySlot, slot_id)
    return slot if slot is not None and slot.organization_id == org.id else None


def move_slot(org: Organization, slot: DutySlot, values: SlotValues, who: dict) -> DutySlot:
    _check_slot(org, values, ignore=slot.id)
    users = {u.id: u for u in org_users(org)}
    before = describe_slot(slot, users)
    slot.user_id, slot.weekday, slot.start, slot.end = (
        values.user_id, values.weekday, values.start, values.end)
    slot.kind = DutyKind(values.kind)
    slot.roles, slot.topics = list(values.roles), list(values.topics)
    service.audit("slot.moved", "slot", slot.id, organization_id=org.id, before=before,
                  after=describe_slot(slot, users), **who)
    db.session.commit()
    _replan(org)
    return slot


def remove_slot(org: Organization, slot: DutySlot, who: dict) -> str:
    what = describe_slot(slot, {u.id: u for u in org_users(org)})
    org.slots.remove(slot)
    db.session.delete(slot)
    service.audit("slot.removed", "slot", slot.id, organization_id=org.id, slot=what, **who)
    db.session.commit()
    _replan(org)
    return what


def schedule_warnings(org: Organization) -> list[str]:
    """What the schedule leaves uncovered, said plainly (not errors: the admin decides)."""
    active = {u.id: u for u in org_users(org) if u.active}
    consultation = [s for s in org.slots
                    if s.kind == DutyKind.CONSULTATION and s.user_id in active]
    warnings = []
    if not consultation:
        warnings.append(t.WARN_NO_CONSULTATION)
    else:
        covered = {s.weekday for s in consultation}
        empty = [t.WEEKDAYS[d] for d in range(5) if d not in covered]
        if empty:
            warnings.append(t.WARN_EMPTY_DAYS.format(days=", ".join(empty)))
    for user_id in sorted({s.user_id for s in consultation}):
        if not active[user_id].phone:
            warnings.append(t.WARN_SLOT_NO_PHONE.format(name=active[user_id].name))
    return warnings


# --- dated exceptions and the calendar -----------------------------------------------------------


@dataclass(frozen=True)
class ExceptionValues:
    kind: str
    first: date
    last: date
    user_id: int | None
    start: time | None
    end: time | None
    duty_kind: str
    note: str


def add_exceptions(org: Organization, values: ExceptionValues, who: dict) -> list[DutyException]:
    """One dated exception per day of the range (a leave of two weeks is fourteen rows)."""
    if values.last < values.first:
        raise FormError(t.ERR_DATE_RANGE)
    days = (values.last - values.first).days + 1
    if days > MAX_EXCEPTION_DAYS:
        raise FormError(t.ERR_RANGE_TOO_LONG.format(days=MAX_EXCEPTION_DAYS))
    user_id = values.user_id
    start, end = values.start, values.end
    if values.kind == ExceptionKind.CLOSED:
        user_id, start, end = None, None, None
    else:
        if user_id is None:
            raise FormError(t.ERR_EXCEPTION_USER, "user_id")
        _duty_user(org, user_id)
        if (start is None) != (end is None):
            raise FormError(t.ERR_EXCEPTION_BOTH)
        if values.kind == ExceptionKind.EXTRA and start is None:
            raise FormError(t.ERR_EXCEPTION_TIMES)
        if start is not None and end is not None:
            check_interval(start, end)
    created = []
    for offset in range(days):
        day = values.first + timedelta(days=offset)
        try:
            worktime.DateException(day=day, kind=values.kind, user_id=user_id, start=start,
                                   end=end, duty_kind=values.duty_kind)
        except ValueError:
            raise FormError(t.ERROR_400) from None
        created.append(DutyException(
            organization_id=org.id, user_id=user_id, day=day, kind=ExceptionKind(values.kind),
            start=start, end=end, duty_kind=DutyKind(values.duty_kind), roles=[], topics=[],
            note=values.note,
        ))
    org.exceptions.extend(created)
    db.session.flush()
    service.audit("exception.added", "exception", created[0].id, organization_id=org.id,
                  kind=values.kind, first=values.first.isoformat(),
                  last=values.last.isoformat(), user_id_on_leave=user_id,
                  start=clock_text(start), end=clock_text(end), days=days, **who)
    db.session.commit()
    _replan(org)
    return created


def get_exception(org: Organization, exception_id: int) -> DutyException | None:
    row = db.session.get(DutyException, exception_id)
    return row if row is not None and row.organization_id == org.id else None


def remove_exception(org: Organization, row: DutyException, who: dict) -> None:
    org.exceptions.remove(row)
    db.session.delete(row)
    service.audit("exception.removed", "exception", row.id, organization_id=org.id,
                  kind=str(row.kind), day=row.day.isoformat(), **who)
    db.session.commit()
    _replan(org)


def upcoming_exceptions(org: Organization, today: date) -> list[DutyException]:
    return sorted((e for e in org.exceptions if e.day >= today),
                  key=lambda e: (e.day, e.start or time.min, e.id))


def set_override(org: Organization, day: date, working: bool, note: str,
                 who: dict) -> CalendarOverride:
    row = next((o for o in org.calendar_overrides if o.day == day), None)
    if row is None:
        row = CalendarOverride(organization_id=org.id, day=day, working=working, note=note)
        org.calendar_overrides.append(row)
    else:
        row.working, row.note = working, note
    db.session.flush()
    service.audit("calendar.set", "calendar", row.id, organization_id=org.id,
                  day=day.isoformat(), working=working, note=note, **who)
    db.session.commit()
    _replan(org)
    return row


def get_override(org: Organization, override_id: int) -> CalendarOverride | None:
    row = db.session.get(CalendarOverride, override_id)
    return row if row is not None and row.organization_id == org.id else None


def remove_override(org: Organization, row: CalendarOverride, who: dict) -> None:
    org.calendar_overrides.remove(row)
    db.session.delete(row)
    service.audit("calendar.removed", "calendar", row.id, organization_id=org.id,
                  day=row.day.isoformat(), **who)
    db.session.commit()
    _replan(org)


def days_off(org: Organization, start: date, days: int = 60) -> list[tuple[date, str]]:
    """The coming days off that are not plain weekends (holidays, transfers, overrides)."""
    calendar = service.calendar_for(org)
    found = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        info = calendar.day_info(day)
        if not info.working and not calendar.is_plain_weekend(day):
            found.append((day, info.holiday_name or ""))
        elif info.working and day.weekday() >= 5:
            found.append((day, "рабочий день"))
    return found


# --- topics -----------------------------------------------------------------------------------

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "h", "c", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya"],
    strict=True,
))


def topic_code(org: Organization, name: str) -> str:
    """A short, unique, Latin code for a new topic (the name may change, the code never)."""
    latin = "".join(_TRANSLIT.get(c, c if c.isascii() and c.isalnum() else "_")
                    for c in name.lower())
    base = "_".join(part for part in latin.split("_") if part)[:24] or "topic"
    taken = {tp.code for tp in org.topics}
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def get_topic(org: Organization, topic_id: int) -> Topic | None:
    row = db.session.get(Topic, topic_id)
    return row if row is not None and row.organization_id == org.id else None


def add_topic(org: Organization, values: dict[str, Any], who: dict) -> Topic:
    topic = Topic(organization_id=org.id, code=topic_code(org, values["name"]), **values)
    org.topics.append(topic)
    db.session.flush()
    service.audit("topic.added", "topic", topic.id, organization_id=org.id, name=topic.name,
                  **who)
    db.session.commit()
    return topic


def update_topic(org: Organization, topic: Topic, values: dict[str, Any], who: dict) -> None:
    changed = [k for k, v in values.items() if getattr(topic, k) != v]
    if not changed:
        return
    for name in changed:
        setattr(topic, name, values[name])
    service.audit("topic.updated", "topic", topic.id, organization_id=org.id, fields=changed,
                  **who)
    db.session.commit()


def topic_warnings(org: Organization) -> list[str]:
    warnings = []
    for role in org.roles:
        if len(service.topics_for(org, role.code)) > 9:
            warnings.append(t.WARN_TOO_MANY_TOPICS.format(role=role.name))
    return warnings


def served_by(org: Organization, topic: Topic) -> list[User]:
    """Who answers a topic live: the active users whose consultation slots serve it."""
    active = {u.id: u for u in org_users(org) if u.active}
    people = {s.user_id for s in org.slots if s.kind == DutyKind.CONSULTATION
              and s.user_id in active and (not s.topics or topic.code in s.topics)
              and (not s.roles or set(s.roles) & set(topic.roles or ()))}
    return sorted((active[i] for i in people), key=lambda u: u.name)


# --- IVR prompts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    key: str
    group: str
    default: str
    placeholders: tuple[str, ...]
    text: str | None  # the school's wording, if any
    audio_url: str | None
    audio_file: str | None


def prompt_keys() -> list[str]:
    return [k for k, v in vars(prompts).items()
            if k.isupper() and isinstance(v, str) and k not in ("VOICE", "LANGUAGE")
            and k not in GLOBAL_PROMPTS]


def placeholders(text: str) -> tuple[str, ...]:
    names = []
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None and field not in names:
            names.append(field)
    return tuple(names)


def prompt_catalogue(org: Organization) -> list[Prompt]:
    overrides = org.prompt_overrides or {}
    result = []
    for key in prompt_keys():
        default = getattr(prompts, key)
        mine = overrides.get(key) or {}
        group = next((g for prefix, g in PROMPT_GROUPS if key.startswith(prefix)), "menu")
        result.append(Prompt(key, group, default, placeholders(default), mine.get("text"),
                             mine.get("audio_url"), mine.get("audio_file")))
    return result


PROMPT_MAX_CHARS = 1000  # a sentence or three; the greeting with a long school name fits


def _prompt(key: str) -> str:
    if key not in prompt_keys():
        raise FormError(t.ERR_PROMPT_KEY)
    return getattr(prompts, key)


def set_prompt_text(org: Organization, key: str, text: str, who: dict) -> None:
    default = _prompt(key)
    text = " ".join(text.split())
    if not text:
        raise FormError(t.ERR_PROMPT_EMPTY, "text")
    if len(text) > PROMPT_MAX_CHARS:
        raise FormError(t.ERR_TOO_LONG.format(field=t.PROMPT_TEXT,
                                              limit=PROMPT_MAX_CHARS), "text")
    try:
        found = placeholders(text)
        # Names only: «{school:>20000000}» or «{school!r}» would format, not just fill in.
        twiml.plain_format(text, dict.fromkeys(found, "x"))
    except (ValueError, KeyError, IndexError, AttributeError):
        raise FormError(t.ERR_PROMPT_BRACES.format(), "text") from None
    expected = placeholders(default)
    if set(found) != set(expected) or any(not name.isidentifier() for name in found):
        raise FormError(t.ERR_PROMPT_PLACEHOLDERS.format(
            expected=", ".join(f"{{{n}}}" for n in expected) or "—",
            found=", ".join(f"{{{n}}}" for n in found) or "—"), "text")
    overrides = dict(org.prompt_overrides or {})
    entry = dict(overrides.get(key) or {})
    if text == default:
        entry.pop("text", None)
    else:
        entry["text"] = text
    _store_override(org, key, entry)
    service.audit("prompt.text", "prompt", None, organization_id=org.id, key=key, text=text,
                  **who)
    db.session.commit()


def _store_override(org: Organization, key: str, entry: dict) -> None:
    overrides = dict(org.prompt_overrides or {})
    if entry:
        overrides[key] = entry
    else:
        overrides.pop(key, None)
    org.prompt_overrides = overrides  # a new dict: JSON columns don't track mutation


def audio_kind(data: bytes) -> str | None:
    """'wav' or 'mp3' when the bytes look like one (Twilio's <Play> takes both), else None."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def set_prompt_audio(org: Organization, key: str, data: bytes, *, data_dir: str,
                     url_for_file, who: dict) -> str:
    """Keep a recorded prompt under DATA_DIR; the IVR plays it instead of the voice."""
    default = _prompt(key)
    names = placeholders(default)
    if names:
        raise FormError(t.ERR_AUDIO_PARAMS.format(names=", ".join(f"{{{n}}}" for n in names)))
    if not data:
        raise FormError(t.ERR_AUDIO_EMPTY, "audio")
    if len(data) > AUDIO_MAX_BYTES:
        raise FormError(t.ERR_AUDIO_SIZE.format(mb=AUDIO_MAX_BYTES // (1024 * 1024)), "audio")
    kind = audio_kind(data)
    if kind is None:
        raise FormError(t.ERR_AUDIO_TYPE, "audio")
    folder = Path(data_dir) / AUDIO_DIR / str(org.id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{key}-{secrets.token_hex(8)}.{kind}"
    (folder / name).write_bytes(data)
    entry = dict((org.prompt_overrides or {}).get(key) or {})
    previous = entry.get("audio_file")
    entry["audio_file"] = name
    entry["audio_url"] = url_for_file(name)
    _store_override(org, key, entry)
    service.audit("prompt.audio", "prompt", None, organization_id=org.id, key=key, file=name,
                  size=len(data), sha256=hashlib.sha256(data).hexdigest(), **who)
    db.session.commit()
    if previous:
        _remove_audio(data_dir, org.id, previous)
    return name


def reset_prompt(org: Organization, key: str, *, data_dir: str, who: dict) -> None:
    _prompt(key)
    entry = (org.prompt_overrides or {}).get(key) or {}
    _store_override(org, key, {})
    service.audit("prompt.reset", "prompt", None, organization_id=org.id, key=key, **who)
    db.session.commit()
    if entry.get("audio_file"):
        _remove_audio(data_dir, org.id, entry["audio_file"])


def audio_path(data_dir: str, org_id: int, name: str) -> Path | None:
    """The stored prompt recording, if the name is one of ours and the file exists."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    base = (Path(data_dir) / AUDIO_DIR / str(org_id)).resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def _remove_audio(data_dir: str, org_id: int, name: str) -> None:
    path = audio_path(data_dir, org_id, name)
    if path is not None:
        path.unlink(missing_ok=True)


# --- the audit log ----------------------------------------------------------------------------


def audit_events(org: Organization, *, action: str | None = None, user_id: int | None = None,
                 start: datetime | None = None, end: datetime | None = None,
                 limit: int = 200) -> list[AuditEvent]:
    """The organization's audit log, latest first, filtered."""
    query = select(AuditEvent).where(AuditEvent.organization_id == org.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if user_id:
        query = query.where(AuditEvent.user_id == user_id)
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end)
    return list(db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                   .limit(limit)))


def audit_actions(org: Organization) -> list[str]:
    return sorted(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.organization_id == org.id).distinct()))


def audit_people(org: Organization) -> list[User]:
    """Everyone who may appear in the log: the staff and the regional admins who acted."""
    ids = {i for i in db.session.scalars(select(AuditEvent.user_id).where(
        AuditEvent.organization_id == org.id, AuditEvent.user_id.is_not(None)).distinct())
        if i is not None}
    ids |= {u.id for u in org_users(org)}
    return sorted(service.users_by_id(ids), key=lambda u: u.name)

