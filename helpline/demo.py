"""Two demo schools a newcomer can call at once (`helpline demo`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import time

from sqlalchemy import select

from core import service
from core.extensions import db
from core.models import (
    DutyKind,
    DutySlot,
    Organization,
    OrganizationPhone,
    User,
    UserRole,
)

WEEKDAYS = range(5)


@dataclass(frozen=True)
class DemoResult:
    created: bool
    password: str | None  # the generated password, shown once; None when it was given


SCHOOLS = [
    {
        "slug": "sosh19",
        "name": "МАОУ СОШ № 19 (демо)",
        "short_name": "школа № 19",
        "timezone": "Europe/Moscow",
        "phones": ["+74950000019"],
        "contact_phone": "+74950000019",
        "contact_email": "help@sosh19.example.ru",
        "journal_system": "Школьный портал",
        "vendor_name": "служба поддержки «Школьного портала»",
        "vendor_phones": ["+78043338485"],
        "vendor_phone_note": "звонок бесплатный",
        "vendor_email": "support@school.mosreg.ru",
        "vendor_timezone": "Europe/Moscow",
        "vendor_hours": [{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}],
        "vendor_working_days_only": True,
        "training_deadline_days": 5,
        "consultation": (time(13), time(15)),
        "callbacks": (time(9), time(18)),
        "operator": ("operator", "Ольга Николаевна Смирнова", "+79990000101"),
        "consultant": ("consultant", "Елена Викторовна Кузнецова", "+79990000102"),
    },
    {
        "slug": "tukalinsk",
        "name": "Гимназия г. Тюкалинска (демо)",
        "short_name": "гимназия",
        "timezone": "Asia/Omsk",
        "phones": ["+73817600002"],
        "contact_phone": "+73817600002",
        "contact_email": "help@gymnasium-tukalinsk.example.ru",
        "journal_system": "Дневник.ру",
        "vendor_name": "служба поддержки «Дневник.ру»",
        "vendor_phones": ["+78124907033"],
        "vendor_phone_note": "звонок платный",
        "vendor_email": "team@company.dnevnik.ru",
        "vendor_timezone": "Europe/Moscow",
        "vendor_hours": [{"weekdays": list(range(7)), "start": "09:00", "end": "21:00"}],
        "vendor_working_days_only": False,
        "training_deadline_days": 3,
        "consultation": (time(14), time(16)),
        "callbacks": (time(9), time(17)),
        "operator": ("operator2", "Наталья Петровна Орлова", "+79990000201"),
        "consultant": ("consultant2", "Андрей Сергеевич Волков", "+79990000202"),
    },
]


def load_demo(password: str | None = None) -> DemoResult:
    """Create the demo schools and users if they are missing. Safe to run again."""
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(9)
    created = False

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    if admin is None:
        admin = User(
            username="admin",
            name="Региональный администратор",
            roles=[UserRole.ADMIN.value],
            email="admin@example.ru",
        )
        admin.set_password(password)
        db.session.add(admin)
        created = True

    for spec in SCHOOLS:
        org = db.session.scalar(select(Organization).where(Organization.slug == spec["slug"]))
        if org is None:
            org = _create_school(spec, password)
            created = True
        service.seed_catalogue(org)
    db.session.commit()
    return DemoResult(created=created, password=generated if created else None)


def _create_school(spec: dict, password: str) -> Organization:
    fields = {
        k: v
        for k, v in spec.items()
        if k not in ("phones", "consultation", "callbacks", "operator", "consultant")
    }
    org = Organization(**fields)
    org.phones = [OrganizationPhone(number=n) for n in spec["phones"]]
    db.session.add(org)
    db.session.flush()

    people = {}
    for role in ("operator", "consultant"):
        username, name, phone = spec[role]
        user = User(
            organization_id=org.id,
            username=username,
            name=name,
            phone=phone,
            email=f"{username}@example.ru",
            roles=[role],
        )
        user.set_password(password)
        db.session.add(user)
        people[role] = user
    db.session.flush()

    start, end = spec["consultation"]
    for weekday in WEEKDAYS:
        org.slots.append(
            DutySlot(
                user_id=people["consultant"].id,
                weekday=weekday,
                start=start,
                end=end,
                kind=DutyKind.CONSULTATION,
            )
        )
    start, end = spec["callbacks"]
    for weekday in WEEKDAYS:
        org.slots.append(
            DutySlot(
                user_id=people["operator"].id,
                weekday=weekday,
                start=start,
                end=end,
                kind=DutyKind.CALLBACKS,
            )
        )
    return org
